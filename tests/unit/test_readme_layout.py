"""README's Layout section and the tree cannot drift: every path it names exists, and every package
directory of pms_runbook/ and lab/, and every module at their top, is named there."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path in a line: `x/`, `x.py`, `a/b.toml` ... (a word with a slash or a file ending).
PATH = re.compile(r"(?<![\w./-])([\w.-]+/(?:[\w.-]+/?)*|[\w-]+\.(?:py|toml|md|sh))(?![\w/])")


def layout() -> list[tuple[Path, list[str]]]:
    """(the line's own path, the other paths the line names) for each line of the Layout block."""
    section = (ROOT / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    lines, own = [], None
    for line in block.splitlines():
        if not line.startswith(" "):  # a continuation line (indented) belongs to the path above it
            first, _, line = line.partition(" ")
            own = ROOT / first
            lines.append((own, []))
        # What bootstrap makes (.venv/) is not in the tree of a fresh clone.
        lines[-1][1].extend(name for name in PATH.findall(line) if not name.startswith(".venv/"))
    return lines


def _resolve(own: Path, name: str) -> Path | None:
    """A name is relative to the line's path (its directory, for a file), else to the repo root."""
    base = own if own.is_dir() else own.parent
    for candidate in (base / name, ROOT / name):
        if candidate.exists():
            return candidate.resolve()
    return None


def test_every_path_the_layout_names_exists():
    missing = [str(own.relative_to(ROOT)) for own, _ in layout() if not own.exists()]
    missing += [f"{name} (in the line of {own.relative_to(ROOT)})" for own, names in layout()
                for name in names if _resolve(own, name) is None]
    assert missing == []


def _named() -> set[Path]:
    named = set()
    for own, names in layout():
        named.add(own.resolve())
        named |= {p for name in names if (p := _resolve(own, name))}
    return named


def test_every_package_of_pms_runbook_and_lab_is_named():
    named = _named()
    packages = {p.parent.resolve() for top in ("pms_runbook", "lab") for p in (ROOT / top).rglob("__init__.py")}
    packages -= {(ROOT / "pms_runbook").resolve(), (ROOT / "lab").resolve()}  # named through their members
    assert sorted(str(p.relative_to(ROOT)) for p in packages - named) == []


def test_every_module_at_the_top_of_pms_runbook_and_lab_is_named():
    modules = {p.resolve() for top in ("pms_runbook", "lab") for p in (ROOT / top).glob("*.py")
               if p.name not in ("__init__.py", "__main__.py")}
    assert sorted(str(p.relative_to(ROOT)) for p in modules - _named()) == []


def test_the_layout_reader_sees_a_wrong_path():
    assert _resolve(ROOT / "lab" / "stack.py", "state.py") == (ROOT / "lab" / "state.py").resolve()
    assert _resolve(ROOT / "lab" / "stack.py", "no_such_module.py") is None
    assert PATH.findall("the API: pms_api.py, a/b/, not a word") == ["pms_api.py", "a/b/"]
