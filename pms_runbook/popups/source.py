"""Scanning one source text: the parse tree's popup calls, and a token-level look into the regions
tree-sitter could not parse."""
from __future__ import annotations

from collections.abc import Iterator

from pms_runbook.popups.model import GLOBAL_OBJECTS, POPUP_NAMES, Popup
from pms_runbook.popups.scopes import Scopes
from pms_runbook.popups.syntax import NON_CODE, parser, popup_callee, text, walk


def _leaves(node) -> Iterator:
    """Leaf tokens of an ERROR region, skipping comments, strings and the well-formed calls inside
    (those are found by the main walk)."""
    stack = [node]
    out = []
    while stack:
        n = stack.pop()
        if n.type in NON_CODE or n.type == "call_expression":
            out.append(n)  # keep as an opaque token so neighbours stay neighbours
            continue
        if n.child_count == 0:
            out.append(n)
        else:
            stack.extend(reversed(n.children))
    return iter(out)


def error_region_hits(err) -> Iterator[tuple[object, str]]:
    toks = list(_leaves(err))
    for i, tok in enumerate(toks):
        if tok.type in NON_CODE or tok.type == "call_expression":
            continue
        name = text(tok)
        if name not in POPUP_NAMES:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        nxt2 = toks[i + 2] if i + 2 < len(toks) else None
        if nxt is None:
            continue
        if not (text(nxt) == "(" or (text(nxt) == "?." and nxt2 is not None and text(nxt2) == "(")):
            continue
        prev = toks[i - 1] if i > 0 else None
        prev_t = text(prev) if prev is not None else ""
        if prev_t in ("function", "function*", "async", "get", "set", "static", "new", "class", "interface"):
            continue  # a declaration, a method definition or a constructor call
        if prev_t in (".", "?."):
            obj = toks[i - 2] if i > 1 else None
            if obj is None or text(obj) not in GLOBAL_OBJECTS:
                continue
            yield tok, f"{text(obj)}.{name}"
        else:
            yield tok, name



def scan_source(source: bytes | str, *, kind: str = "tsx", path: str = "<source>") -> tuple[list[Popup], bool]:
    """Popups in one source text. Returns (popups, had_parse_errors)."""
    data = source.encode("utf-8", errors="replace") if isinstance(source, str) else bytes(source)
    tree = parser(kind).parse(data)
    root = tree.root_node
    lines = data.split(b"\n")
    scopes = Scopes()
    found: dict[tuple[int, int], Popup] = {}

    def add(node, callee: str) -> None:
        row, col = node.start_point
        key = (row, col)
        if key in found:
            return
        src = lines[row].decode("utf-8", errors="replace").rstrip("\r") if row < len(lines) else ""
        found[key] = Popup(path, row + 1, src, callee, col + 1)

    for node in walk(root):
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            hit = popup_callee(fn)
            if hit is None:
                continue
            callee, bare = hit
            if bare and scopes.shadowed(node, bare):
                continue
            add(node, callee)
        elif node.type == "ERROR":
            for tok, callee in error_region_hits(node):
                if "." not in callee and scopes.shadowed(tok, callee):
                    continue
                add(tok, callee)
    return sorted(found.values(), key=lambda p: (p.line, p.column)), root.has_error
