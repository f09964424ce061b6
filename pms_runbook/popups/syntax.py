"""tree-sitter for the popup guard: the grammars, and which call expressions are browser popups.

Importing this module loads tree-sitter; only `source` does, when a scan runs.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter

from pms_runbook.popups.model import GLOBAL_OBJECTS, POPUP_NAMES

FUNCTIONS = frozenset({"function_declaration", "function_expression", "function", "arrow_function",
                       "method_definition", "generator_function_declaration", "generator_function"})
BLOCKS = frozenset({"program", "statement_block", "class_body", "switch_case", "switch_default"})
DECLS = frozenset({"lexical_declaration", "variable_declaration"})
NON_CODE = frozenset({"comment", "string", "string_fragment", "template_string", "jsx_text", "regex",
                      "html_comment", "hash_bang_line"})



@cache
@cache
def parser(kind: str):
    if kind == "javascript":
        import tree_sitter_javascript as grammar

        lang = tree_sitter.Language(grammar.language())
    else:
        import tree_sitter_typescript as grammar

        lang = tree_sitter.Language(grammar.language_tsx() if kind == "tsx" else grammar.language_typescript())
    return tree_sitter.Parser(lang)


def text(node) -> str:
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
        return text(node) in GLOBAL_OBJECTS
    if node.type == "member_expression":  # window.window, globalThis.window, window.self
        prop = node.child_by_field_name("property")
        return text(prop) in GLOBAL_OBJECTS and _is_global_object(node.child_by_field_name("object"))
    return False


def _string_value(node) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def popup_callee(fn) -> tuple[str, str] | None:
    """(callee text, bare name) when a call's function node is a browser popup, else None.

    The bare name is returned for an unqualified call, so the caller can check for shadowing.
    """
    fn = _unwrap(fn)
    if fn is None:
        return None
    if fn.type == "identifier":
        name = text(fn)
        return (name, name) if name in POPUP_NAMES else None
    if fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        obj = fn.child_by_field_name("object")
        if prop is not None and prop.type == "property_identifier" and text(prop) in POPUP_NAMES \
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
    return " ".join(text(node).split())[:80]



def walk(node) -> Iterator:
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
