"""Every runbook link the suite prints resolves: one style (the profile's runbook_url, default the public PMS docs'
ops/ folder), and each page and heading exists in those docs.

The docs' pages and heading anchors (GitHub's slugs) are kept in data/pms-docs-anchors.txt, made from a checkout
of the docs (the network is not the self-tests'):  python -m tests.unit.test_runbook_links DOCS/ops > \
tests/unit/data/pms-docs-anchors.txt
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from pms_runbook import redflag

ROOT = Path(__file__).resolve().parents[2]
ANCHORS = Path(__file__).parent / "data" / "pms-docs-anchors.txt"


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def index(ops: Path) -> list[str]:
    """Each page (path under ops/) and each of its headings' anchors, as GitHub makes them."""
    out = []
    for page in sorted(ops.rglob("*.md")):
        rel, seen, fence = page.relative_to(ops).as_posix(), {}, False
        out.append(rel)
        for line in page.read_text(errors="replace").splitlines():
            if line.startswith("```"):
                fence = not fence
            m = None if fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                slug = _slug(m.group(1))
                n = seen[slug] = seen.get(slug, -1) + 1
                out.append(f"{rel}#{slug if n == 0 else f'{slug}-{n}'}")
    return out


def used_anchors() -> set[str]:
    """The anchors of the catalogue (each flag and case), of the checks' runbook markers and of the code's see()."""
    raw = tomllib.loads((ROOT / "pms_runbook" / "data" / "catalogue.toml").read_text())
    found = set()
    for entry in raw["flag"].values():
        found.add(entry["anchor"])
        found.update(c["anchor"] for c in entry.get("case", {}).values() if "anchor" in c)
    for path in [*(ROOT / "checks").rglob("*.py"), *(ROOT / "pms_runbook").rglob("*.py")]:
        text = path.read_text()
        found.update(re.findall(r"""runbook\(["']([^"']+)["']\)""", text))
        found.update(re.findall(r"""\bsee\(["']([^"']+)["']\)""", text))
    return found


def test_every_runbook_link_resolves_to_a_page_and_heading_of_the_pms_docs():
    known = set(ANCHORS.read_text().split("\n")[1:])
    base = redflag.DOCS
    links = {a: redflag.see(a) for a in used_anchors()}
    assert len(links) > 20
    unresolved = {a: link for a, link in links.items() if link.removeprefix(base) not in known}
    assert unresolved == {}


def test_links_have_one_style_and_follow_the_profiles_base():
    try:
        step3 = "step-3-worker-singleton-enforcement"
        assert redflag.see(step3) == f"{redflag.DOCS}runbook.md#{step3}"
        assert redflag.see("runbook/02-database.md#schema-drift") == redflag.see("02-database.md#schema-drift")
        assert redflag.see("pms-operations-runbook.md#step-1") == redflag.see("step-1")
        redflag.set_base("https://docs.example.internal/pms/ops")
        assert redflag.see("02-database.md#schema-drift") == "https://docs.example.internal/pms/ops/runbook/02-database.md#schema-drift"
        assert redflag.see("https://example.org/x#y") == "https://example.org/x#y"
    finally:
        redflag.set_base(None)
    assert redflag.see("step-1").startswith(redflag.DOCS)


if __name__ == "__main__":
    ops = Path(sys.argv[1])
    print(f"# pages and heading anchors of the PMS docs' ops/ folder ({ops.name}); made by tests/unit/test_runbook_links.py")
    print("\n".join(index(ops)))
