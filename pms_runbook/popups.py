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
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

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

POPUP_NAMES = frozenset({"alert", "confirm", "prompt"})
GLOBAL_OBJECTS = frozenset({"window", "globalThis", "self"})
SKIP_DIRS = frozenset({"node_modules", ".next", "out", "build", "dist", "coverage", ".git", ".turbo",
                       ".vercel", ".cache"})
EXTENSIONS = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
              ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are bundles or generated code: skipped, reported

_FUNCTIONS = frozenset({"function_declaration", "function_expression", "function", "arrow_function",
                        "method_definition", "generator_function_declaration", "generator_function"})
_BLOCKS = frozenset({"program", "statement_block", "class_body", "switch_case", "switch_default"})
_DECLS = frozenset({"lexical_declaration", "variable_declaration"})
_NON_CODE = frozenset({"comment", "string", "string_fragment", "template_string", "jsx_text", "regex",
                       "html_comment", "hash_bang_line"})


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


@cache
def _parser(kind: str):
    import tree_sitter

    if kind == "javascript":
        import tree_sitter_javascript as grammar

        lang = tree_sitter.Language(grammar.language())
    else:
        import tree_sitter_typescript as grammar

        lang = tree_sitter.Language(grammar.language_tsx() if kind == "tsx" else grammar.language_typescript())
    return tree_sitter.Parser(lang)


def _text(node) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None and node.text is not None else ""


def _unwrap(node):
    """(alert), (0, alert), alert!  ->  the expression that is actually called."""
    while node is not None:
        if node.type == "parenthesized_expression" or node.type == "sequence_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            node = inner[-1] if inner else None
        elif node.type in ("non_null_expression", "as_expression", "satisfies_expression",
                           "type_assertion"):
            node = node.named_children[0] if node.named_children else None
        else:
            return node
    return None


def _is_global_object(node) -> bool:
    node = _unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        return _text(node) in GLOBAL_OBJECTS
    if node.type == "member_expression":  # window.window, globalThis.window, window.self
        prop = node.child_by_field_name("property")
        return _text(prop) in GLOBAL_OBJECTS and _is_global_object(node.child_by_field_name("object"))
    return False


def _string_value(node) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def _popup_callee(fn) -> tuple[str, str] | None:
    """(callee text, bare name) when a call's function node is a browser popup, else None.

    The bare name is returned for an unqualified call, so the caller can check for shadowing.
    """
    fn = _unwrap(fn)
    if fn is None:
        return None
    if fn.type == "identifier":
        name = _text(fn)
        return (name, name) if name in POPUP_NAMES else None
    if fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        obj = fn.child_by_field_name("object")
        if prop is not None and prop.type == "property_identifier" and _text(prop) in POPUP_NAMES \
                and _is_global_object(obj):
            return (_callee_text(fn), "")
        return None
    if fn.type == "subscript_expression":
        idx = _string_value(fn.child_by_field_name("index"))
        obj = fn.child_by_field_name("object")
        if idx in POPUP_NAMES and _is_global_object(obj):
            return (_callee_text(fn), "")
    return None


def _callee_text(node) -> str:
    return " ".join(_text(node).split())[:80]


# ---------------------------------------------------------------------------- scope analysis

def _pattern_names(node, out: set[str]) -> None:
    """Names bound by a binding pattern (identifier, {a, b: c, ...d}, [a, b = 1], a = 1, ...rest)."""
    if node is None:
        return
    t = node.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        out.add(_text(node))
    elif t == "pair_pattern":
        _pattern_names(node.child_by_field_name("value"), out)
    elif t in ("assignment_pattern", "object_assignment_pattern"):
        _pattern_names(node.child_by_field_name("left"), out)
    elif t in ("object_pattern", "array_pattern", "rest_pattern"):
        for c in node.named_children:
            _pattern_names(c, out)
    elif t in ("required_parameter", "optional_parameter"):
        _pattern_names(node.child_by_field_name("pattern"), out)


def _declared_in(node, out: set[str]) -> None:
    """Names a statement declares into the enclosing block."""
    t = node.type
    if t in _DECLS:
        for d in node.named_children:
            if d.type == "variable_declarator":
                _pattern_names(d.child_by_field_name("name"), out)
    elif t in ("function_declaration", "generator_function_declaration", "class_declaration",
               "function_signature", "abstract_class_declaration"):
        name = node.child_by_field_name("name")
        if name is not None:
            out.add(_text(name))
    elif t == "export_statement":
        decl = node.child_by_field_name("declaration")
        if decl is not None:
            _declared_in(decl, out)
    elif t == "import_statement":
        for c in _walk(node):
            if c.type == "import_specifier":
                alias = c.child_by_field_name("alias") or c.child_by_field_name("name")
                out.add(_text(alias))
            elif c.type == "namespace_import" or c.type == "import_clause":
                out.update(_text(x) for x in c.named_children if x.type == "identifier")


def _scope_names(node) -> set[str]:
    """Names bound directly by a scope node (function parameters and name, block declarations)."""
    names: set[str] = set()
    t = node.type
    if t in _FUNCTIONS:
        params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        if params is not None:
            if params.type == "identifier":
                names.add(_text(params))
            else:
                for p in params.named_children:
                    _pattern_names(p, names)
        if t in ("function_expression", "function", "generator_function"):  # named function expression
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(_text(name))
    elif t in _BLOCKS:
        for c in node.named_children:
            _declared_in(c, names)
    elif t == "catch_clause":
        _pattern_names(node.child_by_field_name("parameter"), names)
    elif t in ("for_statement", "for_in_statement"):
        for key in ("initializer", "left"):
            c = node.child_by_field_name(key)
            if c is not None:
                if c.type in _DECLS:
                    _declared_in(c, names)
                else:
                    _pattern_names(c, names)
    return names


class _Scopes:
    def __init__(self) -> None:
        self._cache: dict[int, set[str]] = {}

    def shadowed(self, node, name: str) -> bool:
        p = node.parent
        while p is not None:
            key = p.id
            names = self._cache.get(key)
            if names is None:
                names = self._cache[key] = _scope_names(p)
            if name in names:
                return True
            p = p.parent
        return False


def _walk(node) -> Iterator:
    """Pre-order traversal without recursion (deeply nested JSX must not blow the stack)."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            yield cursor.node
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
        elif cursor.goto_parent():
            visited_children = True
            if cursor.node == node:
                return
        else:
            return


# ---------------------------------------------------------------------------- error regions

def _leaves(node) -> Iterator:
    """Leaf tokens of an ERROR region, skipping comments, strings and the well-formed calls inside
    (those are found by the main walk)."""
    stack = [node]
    out = []
    while stack:
        n = stack.pop()
        if n.type in _NON_CODE or n.type == "call_expression":
            out.append(n)  # keep as an opaque token so neighbours stay neighbours
            continue
        if n.child_count == 0:
            out.append(n)
        else:
            stack.extend(reversed(n.children))
    return iter(out)


def _error_region_hits(err) -> Iterator[tuple[object, str]]:
    toks = list(_leaves(err))
    for i, tok in enumerate(toks):
        if tok.type in _NON_CODE or tok.type == "call_expression":
            continue
        name = _text(tok)
        if name not in POPUP_NAMES:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        nxt2 = toks[i + 2] if i + 2 < len(toks) else None
        if nxt is None:
            continue
        if not (_text(nxt) == "(" or (_text(nxt) == "?." and nxt2 is not None and _text(nxt2) == "(")):
            continue
        prev = toks[i - 1] if i > 0 else None
        prev_t = _text(prev) if prev is not None else ""
        if prev_t in ("function", "function*", "async", "get", "set", "static", "new", "class", "interface"):
            continue  # a declaration, a method definition or a constructor call
        if prev_t in (".", "?."):
            obj = toks[i - 2] if i > 1 else None
            if obj is None or _text(obj) not in GLOBAL_OBJECTS:
                continue
            yield tok, f"{_text(obj)}.{name}"
        else:
            yield tok, name


# ---------------------------------------------------------------------------- scanning

def scan_source(source: bytes | str, *, kind: str = "tsx", path: str = "<source>") -> tuple[list[Popup], bool]:
    """Popups in one source text. Returns (popups, had_parse_errors)."""
    data = source.encode("utf-8", errors="replace") if isinstance(source, str) else bytes(source)
    tree = _parser(kind).parse(data)
    root = tree.root_node
    lines = data.split(b"\n")
    scopes = _Scopes()
    found: dict[tuple[int, int], Popup] = {}

    def add(node, callee: str) -> None:
        row, col = node.start_point
        key = (row, col)
        if key in found:
            return
        src = lines[row].decode("utf-8", errors="replace").rstrip("\r") if row < len(lines) else ""
        found[key] = Popup(path, row + 1, src, callee, col + 1)

    for node in _walk(root):
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            hit = _popup_callee(fn)
            if hit is None:
                continue
            callee, bare = hit
            if bare and scopes.shadowed(node, bare):
                continue
            add(node, callee)
        elif node.type == "ERROR":
            for tok, callee in _error_region_hits(node):
                if "." not in callee and scopes.shadowed(tok, callee):
                    continue
                add(tok, callee)
    return sorted(found.values(), key=lambda p: (p.line, p.column)), root.has_error


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


def format_hits(hits) -> str:
    """`path:line:source` per hit, like check_no_browser_popups.sh."""
    return "\n".join(str(h) for h in hits)
