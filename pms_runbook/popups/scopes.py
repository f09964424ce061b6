"""Scope analysis: is a popup name bound by the file itself (a parameter, an import, a declaration)?

A call to such a name calls the app's own dialog, which is the runbook's fix, not a browser popup.
"""
from __future__ import annotations

from pms_runbook.popups.syntax import BLOCKS, DECLS, FUNCTIONS, text, walk


def _pattern_names(node, out: set[str]) -> None:
    """Names bound by a binding pattern (identifier, {a, b: c, ...d}, [a, b = 1], a = 1, ...rest)."""
    if node is None:
        return
    t = node.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        out.add(text(node))
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
    if t in DECLS:
        for d in node.named_children:
            if d.type == "variable_declarator":
                _pattern_names(d.child_by_field_name("name"), out)
    elif t in ("function_declaration", "generator_function_declaration", "class_declaration",
               "function_signature", "abstract_class_declaration"):
        name = node.child_by_field_name("name")
        if name is not None:
            out.add(text(name))
    elif t == "export_statement":
        decl = node.child_by_field_name("declaration")
        if decl is not None:
            _declared_in(decl, out)
    elif t == "import_statement":
        for c in walk(node):
            if c.type == "import_specifier":
                alias = c.child_by_field_name("alias") or c.child_by_field_name("name")
                out.add(text(alias))
            elif c.type == "namespace_import" or c.type == "import_clause":
                out.update(text(x) for x in c.named_children if x.type == "identifier")


def _scope_names(node) -> set[str]:
    """Names bound directly by a scope node (function parameters and name, block declarations)."""
    names: set[str] = set()
    t = node.type
    if t in FUNCTIONS:
        params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        if params is not None:
            if params.type == "identifier":
                names.add(text(params))
            else:
                for p in params.named_children:
                    _pattern_names(p, names)
        if t in ("function_expression", "function", "generator_function"):  # named function expression
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(text(name))
    elif t in BLOCKS:
        for c in node.named_children:
            _declared_in(c, names)
    elif t == "catch_clause":
        _pattern_names(node.child_by_field_name("parameter"), names)
    elif t in ("for_statement", "for_in_statement"):
        for key in ("initializer", "left"):
            c = node.child_by_field_name(key)
            if c is not None:
                if c.type in DECLS:
                    _declared_in(c, names)
                else:
                    _pattern_names(c, names)
    return names


class Scopes:
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
