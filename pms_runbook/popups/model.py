"""What the popup guard looks for and what it reports: names, file kinds, hits and a scan's result."""
from __future__ import annotations

from dataclasses import dataclass, field

POPUP_NAMES = frozenset({"alert", "confirm", "prompt"})
GLOBAL_OBJECTS = frozenset({"window", "globalThis", "self"})
SKIP_DIRS = frozenset({"node_modules", ".next", "out", "build", "dist", "coverage", ".git", ".turbo",
                       ".vercel", ".cache"})
EXTENSIONS = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
              ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are bundles or generated code: skipped, reported


@dataclass(frozen=True)
class Popup:
    path: str  # relative to the scanned root, with forward slashes
    line: int  # 1-based
    source_line: str  # the whole source line, as the shell guard prints it
    callee: str = ""  # e.g. "alert", "window.confirm"
    column: int = 0  # 1-based

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.source_line}"


@dataclass(frozen=True)
class ScanResult:
    popups: tuple[Popup, ...]
    files_scanned: int
    parse_errors: tuple[str, ...] = ()  # files with regions tree-sitter could not parse (still scanned)
    unreadable: tuple[str, ...] = ()  # files that could not be read, or were too big
    skipped_dirs: tuple[str, ...] = field(default=(), repr=False)


def format_hits(hits) -> str:
    """`path:line:source` per hit, like check_no_browser_popups.sh."""
    return "\n".join(str(h) for h in hits)
