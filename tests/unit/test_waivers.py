"""Waivers (waivers.toml / --waivers): WAIVED with owner and expiry, never a pass and never exit 1; expired
ignored and said; unused reported; blockers refused and malformed entries named by line (exit 4)."""
from __future__ import annotations

import datetime as dt
import json
import textwrap

import jsonschema
import pytest

from pms_runbook import waivers
from pms_runbook.config import ConfigError
from tests.unit.test_plugin import check, out, project
from tests.unit.test_plugin_diagnosis import SCHEMA

pytest_plugins = ["pytester"]

RED = """
from pms_runbook.redflag import red_flag
""" + check("D4.2") + """def test_failed_batches():
    assert False, red_flag("D4.2", observed="connection c-111 failed share 40%", share="10%", hours="24", count=1,
                           connection="c-111")
""" + check("D4.4") + """def test_other_status():
    assert False, red_flag("D4.4", observed="connection c-222 holds 'paused'", count=1)
""" + check("D1.4") + "def test_green():\n    pass\n"

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def waiver(flag: str = "D4.2", expires: str = TOMORROW, match: str = "", **extra: str) -> str:
    lines = ["[[waiver]]", f'redflag = "{flag}"']
    if match:
        lines.append(f"match = {match}")
    fields = {"reason": "partner API outage", "ticket": "OPS-123", "owner": "oncall@example.com", **extra}
    lines += [f'{k} = "{v}"' for k, v in fields.items()] + [f"expires = {expires}", ""]
    return "\n".join(lines)


def verdict(pytester) -> dict:
    return json.loads((pytester.path / "v.json").read_text())


def run(pytester, toml: str, *args: str):
    project(pytester, RED)
    (pytester.path / "waivers.toml").write_text(toml)
    return pytester.runpytest("--no-reports", "--verdict-json=v.json", *args)


def test_a_waived_red_flag_is_waived_with_owner_and_expiry_not_passed(pytester):
    result = run(pytester, waiver(match='{ connection = "c-111" }'), "-k", "failed_batches or green")
    text = out(result)
    assert result.ret == 0, text
    assert f"WAIVED D4.2 connection=c-111: test_failed_batches; owner oncall@example.com, ticket OPS-123, " \
           f"expires {TOMORROW}" in text
    assert "NO RED FLAG in 1 checks; 1 WAIVED (D4.2)" in text and "ALL CLEAR" not in text
    doc = verdict(pytester)
    waived = [c for c in doc["checks"] if c["outcome"] == "waived"]
    assert len(waived) == 1 and waived[0]["waiver"]["owner"] == "oncall@example.com"
    assert waived[0]["waiver"]["expires"] == TOMORROW and waived[0]["observed"].startswith("connection c-111")
    assert doc["verdict"]["counts"]["waived"] == 1 and doc["verdict"]["counts"]["passed"] == 1
    assert doc["waivers"][0]["status"] == "used"
    jsonschema.validate(doc, SCHEMA)  # docs/verdict.schema.json: outcome waived, the waiver, the waivers


def test_the_other_red_flags_stay_red_and_a_narrowed_waiver_does_not_match_another_value(pytester):
    result = run(pytester, waiver(match='{ connection = "c-999" }'))
    text = out(result)
    assert result.ret == 1, text
    assert "UNUSED waiver D4.2 connection=c-999: matched nothing in this run" in text
    assert verdict(pytester)["waivers"][0]["status"] == "unused"
    jsonschema.validate(verdict(pytester), SCHEMA)


def test_an_expired_waiver_is_ignored_and_said(pytester):
    result = run(pytester, waiver(expires=YESTERDAY), "-k", "failed_batches")
    text = out(result)
    assert result.ret == 1, text
    assert f"EXPIRED waiver D4.2 ignored (expired {YESTERDAY})" in text and "still red: test_failed_batches" in text


def test_a_waiver_expires_at_the_end_of_its_day_utc():
    w = waivers.Waiver(0, 1, "D4.2", "r", "t", "o", dt.date(2026, 12, 31))
    assert not w.expired(dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
    assert w.expired(dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=dt.UTC))


def test_a_blocker_red_flag_cannot_be_waived(pytester):
    result = run(pytester, waiver() + waiver(flag="D1.1"))
    text = out(result)
    assert result.ret == 4, text
    assert "line 7 (waiver 2): D1.1 is a blocker red flag" in text and "cannot be waived" in text


@pytest.mark.parametrize(("toml", "said"), [
    (waiver() + "[[waiver]]\nredflag = \"D4.2\"\nreason = \"x\"\n", "line 7 (waiver 2): missing ticket, owner, expires"),
    (waiver(expires='"soon"'), "line 1 (waiver 1): expires must be a date"),
    (waiver(flag="Z9.9"), "line 1 (waiver 1): redflag 'Z9.9' is not a red-flag ID"),
    (waiver(colour="red"), "line 1 (waiver 1): unknown key(s) colour"),
    ("[[waiver]\nredflag = ", "not valid TOML"),
])
def test_a_malformed_waiver_is_a_configuration_error_naming_its_line(pytester, toml, said):
    result = run(pytester, toml)
    assert result.ret == 4 and said in out(result), out(result)


def test_waivers_work_under_xdist(pytester):
    project(pytester, RED)
    (pytester.path / "w.toml").write_text(waiver(match='{ connection = "c-111" }') + waiver(flag="D4.4"))
    result = pytester.runpytest_subprocess("--no-reports", "-n", "2", "--waivers", "w.toml", timeout=120)
    text = out(result)
    assert result.ret == 0 and "2 WAIVED (D4.2, D4.4)" in text, text


def test_a_missing_waivers_file_given_by_option_is_a_configuration_error(pytester):
    project(pytester, RED)
    result = pytester.runpytest("--no-reports", "--waivers", "nope.toml")
    assert result.ret == 4 and "nope.toml: no such file" in out(result)


def test_load_names_the_line_of_each_entry(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text("# comment\n\n" + waiver() + "\n" + textwrap.dedent(waiver(flag="D4.4")))
    got = waivers.load(path)
    assert [(w.redflag, w.line) for w in got] == [("D4.2", 3), ("D4.4", 10)]
    with pytest.raises(ConfigError, match="line 3"):
        path.write_text("# comment\n\n" + waiver(owner=""))
        waivers.load(path)
