"""The popup guard against real .tsx/.ts/.js/.jsx/.mjs samples (tests/unit/data/frontend).

In the samples, every line whose popup call must be found ends with a `HIT` marker in a comment;
comments never count, so the marker cannot produce a hit of its own.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms_runbook import popups

FRONTEND = Path(__file__).parent / "data" / "frontend"


def expected_hits(root: Path) -> set[tuple[str, int]]:
    out = set()
    for p in root.rglob("*"):
        if p.is_file() and p.suffix in popups.EXTENSIONS and not p.name.endswith(".d.ts"):
            for i, line in enumerate(p.read_text().splitlines(), 1):
                if "HIT" in line and not line.lstrip().startswith("//"):
                    out.add((p.relative_to(root).as_posix(), i))
    return out


def test_samples_exactly_the_marked_lines():
    hits = popups.scan(FRONTEND)
    assert {(h.path, h.line) for h in hits} == expected_hits(FRONTEND)
    assert len(hits) == 15


def test_contract_example_format():
    hits = popups.scan(FRONTEND)
    first = popups.format_hits(hits).splitlines()[0]
    assert first == 'app/connections/page.tsx:16:        alert("Test failed!"); // HIT'


def test_scan_result_reports_parse_errors_and_counts():
    r = popups.scan_tree(FRONTEND)
    assert r.files_scanned == 6  # .d.ts is skipped
    assert r.parse_errors == ("lib/broken.jsx",)
    assert r.unreadable == ()


def test_callees_are_named():
    callees = {h.callee for h in popups.scan(FRONTEND)}
    assert {"alert", "confirm", "prompt", "window.alert", "window.confirm", "globalThis.confirm", "self.prompt",
            "window?.alert", 'window["prompt"]', "(window as any).confirm", "window!.alert"} <= callees


def test_skipped_directories(tmp_path):
    root = tmp_path / "frontend"
    shutil.copytree(FRONTEND, root)
    for d in ("node_modules/some-lib", ".next/server", "out", "build", "dist", "coverage/lcov-report"):
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d / "bundle.js").write_text('alert("generated");\n')
    (root / "app" / "nested" / "node_modules").mkdir(parents=True)
    (root / "app" / "nested" / "node_modules" / "x.js").write_text("confirm(1)\n")
    r = popups.scan_tree(root)
    assert {(h.path, h.line) for h in r.popups} == expected_hits(FRONTEND)
    assert "node_modules" in r.skipped_dirs and "app/nested/node_modules" in r.skipped_dirs


@pytest.mark.parametrize("kind,src,n", [
    ("javascript", "alert(1)", 1),
    ("javascript", "const x = <b>{alert(1)}</b>", 1),  # JSX in .js
    ("tsx", "const x = <b title='alert(1)'>alert(2)</b>", 0),
    ("typescript", "const f = <T,>(x: T) => x; confirm('a')", 1),
    ("typescript", "let s = `a ${`b ${prompt('deep')}`}`", 1),
    ("tsx", "const s = `alert(1) ${'confirm(2)'}`", 0),
    ("tsx", "/** @example alert('doc') */ export const a = 1", 0),
    ("tsx", "foo.window.alert(1); window.foo.alert(2); top.alert(3)", 0),
    ("tsx", "window.window.alert(1); globalThis.window.confirm(2)", 2),
    ("tsx", "(window).alert(1); (alert)(2); (window.confirm)(3)", 3),
    ("tsx", "function alert(m) {}\nalert('own function')", 0),
    ("tsx", "import alert from './alert'; alert('default import')", 0),
    ("tsx", "import * as prompt from 'p'; prompt('ns')", 0),
    ("tsx", "try { x() } catch (confirm) { confirm(1) } confirm(2)", 1),
    ("tsx", "for (const alert of fns) alert(1)", 0),
    ("tsx", "function f() { if (a) { const confirm = c; confirm(1) } confirm(2) }", 1),
    ("tsx", "const a = { alert() { return 1 } }; a.alert()", 0),
    ("tsx", "class A { confirm() {} run() { this.confirm() } }", 0),
    ("tsx", "alert`tagged template`", 1),  # a tagged template calls alert too
    ("tsx", "const x = alert; x('aliased')", 0),  # aliasing is out of reach of a syntactic guard
    ("tsx", "window.alert?.('x')", 1),
    ("tsx", "globalThis?.['confirm']('x')", 1),
    ("tsx", "self.confirm.call(null, 'x')", 0),  # .call(): the callee is `call`
])
def test_snippets(kind, src, n):
    hits, _ = popups.scan_source(src, kind=kind)
    assert len(hits) == n, [h.callee for h in hits]


def test_columns_and_source_line():
    hits, err = popups.scan_source("const a = 1;\n  if (x) { window.confirm('y') }\n", kind="javascript")
    assert not err
    (h,) = hits
    assert (h.line, h.column, h.source_line) == (2, 12, "  if (x) { window.confirm('y') }")
    assert str(h) == "<source>:2:  if (x) { window.confirm('y') }"


def test_crlf_and_non_utf8(tmp_path):
    (tmp_path / "a.js").write_bytes(b"// \xff\xfe latin junk\r\nalert('x')\r\n")
    (h,) = popups.scan(tmp_path)
    assert h.line == 2 and h.source_line == "alert('x')"


def test_unreadable_and_oversized_files_are_reported_not_raised(tmp_path, monkeypatch):
    (tmp_path / "ok.ts").write_text("confirm(1)\n")
    big = tmp_path / "big.js"
    big.write_text("alert(1)\n")
    monkeypatch.setattr("pms_runbook.popups.tree.MAX_FILE_BYTES", 5)  # where scan_tree reads it
    r = popups.scan_tree(tmp_path)
    assert [h.path for h in r.popups] == []  # ok.ts is 11 bytes, also over the tiny limit
    assert len(r.unreadable) == 2 and all("over 5 bytes" in u for u in r.unreadable)


def test_single_file_and_missing_root(tmp_path):
    f = tmp_path / "one.tsx"
    f.write_text("export default () => <button onClick={() => alert('x')} />\n")
    assert [h.path for h in popups.scan(f)] == ["one.tsx"]
    assert popups.scan(tmp_path / "does-not-exist") == []


@settings(max_examples=40, deadline=None)
@given(src=st.text(alphabet=st.sampled_from(list("alert(confirm)window.?;{}<>/*'\"`$ \n=>")), max_size=120),
       kind=st.sampled_from(["javascript", "typescript", "tsx"]))
def test_garbage_never_crashes(src, kind):
    hits, _ = popups.scan_source(src, kind=kind)
    assert all(isinstance(h, popups.Popup) and h.line >= 1 for h in hits)


def test_deeply_nested_jsx_does_not_blow_the_stack():
    src = "const x = " + "<div>" * 3000 + "{alert(1)}" + "</div>" * 3000 + ";"
    hits, _ = popups.scan_source(src, kind="tsx")
    assert len(hits) == 1
