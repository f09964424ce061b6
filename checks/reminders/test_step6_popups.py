"""Step 6: monthly code quality check: no browser popups (alert/confirm/prompt) reintroduced.

    bash frontend/scripts/check_no_browser_popups.sh
"""
import pytest

from pms_runbook.popups import EXTENSIONS, SKIP_DIRS, format_hits, scan_tree
from pms_runbook.redflag import CouldNotCheck, red_flag

pytestmark = [pytest.mark.monthly, pytest.mark.nightly, pytest.mark.runbook("step-6-retention-reminder-weeklymonthly")]


@pytest.mark.redflag("D6.2")
def test_frontend_has_no_browser_popups(frontend_dir, evidence):
    result = scan_tree(frontend_dir)
    hits = list(result.popups)
    # Regions tree-sitter could not parse are still scanned token by token: named, not fatal.
    unparsed = (f"\nfiles with unparsable regions (scanned token by token): {', '.join(result.parse_errors)}"
                if result.parse_errors else "")
    evidence.attach_text("popup guard", f"{result.files_scanned} file(s) scanned in {frontend_dir}\n"
                         + (format_hits(hits) or "no hit") + unparsed
                         + "".join(f"\nnot scanned: {u}" for u in result.unreadable))
    if not result.files_scanned:
        pytest.skip(f"the popup guard found no JS/TS source in {frontend_dir}\n"
                    f"it looked for {' '.join(sorted(EXTENSIONS))} files (not in {', '.join(sorted(SKIP_DIRS))}); "
                    "point PMS_FRONTEND_DIR (--frontend-dir) at a checkout's frontend/")
    assert not hits, red_flag(
        "D6.2", frontend_dir=frontend_dir, count=len(hits),
        observed=format_hits(hits) + unparsed + "".join(f"\nnot scanned: {u}" for u in result.unreadable),
    )
    if result.unreadable:
        # A popup could hide in a file the guard never read: no pass for them.
        raise CouldNotCheck(f"the popup guard on {len(result.unreadable)} file(s) of {frontend_dir}",
                            f"they could not be read or are too big to parse: {', '.join(result.unreadable[:10])}",
                            hint="check their permissions, or exclude generated bundles from the tree")
