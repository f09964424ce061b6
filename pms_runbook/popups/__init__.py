"""The browser-popup regression guard (contract §8), with a real parser instead of grep.

`frontend/scripts/check_no_browser_popups.sh` greps for `alert(` / `confirm(` / `prompt(`. Here a
file is parsed with tree-sitter (JavaScript grammar for .js/.jsx/.mjs/.cjs, TypeScript for .ts,
TSX for .tsx/.mts/.cts as their extension says) and a hit is a *call expression* whose callee is:

- the global `alert` / `confirm` / `prompt` (also `alert?.()`, `(alert)()`, `(0, alert)()`),
- or a member of a global object: `window.alert`, `globalThis.confirm`, `self.prompt`,
  `window?.alert`, `window["alert"]`, `window.window.alert`.

Comments, strings, template text and JSX text do not count (code inside `${...}` and `{...}` does);
neither do methods of other objects (`logger.alert()`, `toast.confirm()`), other names
(`myConfirm()`), nor a name the file binds itself in an enclosing scope
(`const { confirm } = useConfirm(); confirm(...)`, a parameter or import named `alert`), since
those call the app's own dialogs, which is the runbook's fix.

Files that do not parse completely are still scanned: tree-sitter recovers, and inside the
regions it could not parse a token-level fallback looks for `alert (` that is not a member or a
declaration. A file that cannot be read is reported in `ScanResult.unreadable`, never raised.

The package keeps tree-sitter out of every run that does not scan: `model` and `tree` are plain
Python, and `tree.scan_tree` imports `source` (and with it the parser) only when it runs.
"""
from __future__ import annotations

from pms_runbook.popups.model import EXTENSIONS, POPUP_NAMES, SKIP_DIRS, Popup, ScanResult, format_hits
from pms_runbook.popups.tree import scan, scan_tree

__all__ = [
    "EXTENSIONS",
    "POPUP_NAMES",
    "SKIP_DIRS",
    "Popup",
    "ScanResult",
    "format_hits",
    "scan",
    "scan_source",
    "scan_tree",
]


def __getattr__(name: str):
    # scan_source needs the parser: imported on first use, not with the package.
    if name == "scan_source":
        from pms_runbook.popups.source import scan_source

        return scan_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
