"""Scanning a frontend tree: which files are sources, and what could not be read."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pms_runbook.popups.model import EXTENSIONS, MAX_FILE_BYTES, SKIP_DIRS, Popup, ScanResult


def _iter_files(root: Path, skipped: list[str]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        keep = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS:
                skipped.append(os.path.relpath(os.path.join(dirpath, d), root))
            else:
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            p = Path(dirpath, f)
            if p.suffix.lower() in EXTENSIONS and not f.endswith(".d.ts") and not p.is_symlink():
                yield p


def scan_tree(root: str | os.PathLike) -> ScanResult:
    """Scan every JS/TS source under `root` (skipping node_modules, .next, out, build, dist, coverage)."""
    from pms_runbook.popups.source import scan_source  # loads tree-sitter: only when the guard runs

    base = Path(root)
    popups: list[Popup] = []
    errors: list[str] = []
    unreadable: list[str] = []
    skipped: list[str] = []
    n = 0
    if base.is_file():
        files: Iterator[Path] = iter([base])
        base = base.parent
    else:
        files = _iter_files(base, skipped)
    for path in files:
        rel = path.relative_to(base).as_posix()
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                unreadable.append(f"{rel} (over {MAX_FILE_BYTES} bytes, not scanned)")
                continue
            data = path.read_bytes()
        except OSError as exc:
            unreadable.append(f"{rel} ({exc.strerror or exc})")
            continue
        n += 1
        try:
            hits, had_errors = scan_source(data, kind=EXTENSIONS[path.suffix.lower()], path=rel)
        except Exception as exc:  # noqa: BLE001 - a parser failure must not stop the guard
            unreadable.append(f"{rel} (parser failed: {type(exc).__name__})")
            continue
        popups.extend(hits)
        if had_errors:
            errors.append(rel)
    return ScanResult(tuple(popups), n, tuple(errors), tuple(unreadable), tuple(skipped))


def scan(root: str | os.PathLike) -> list[Popup]:
    """Every browser popup call under `root`, as (relative path, line, source line)."""
    return list(scan_tree(root).popups)
