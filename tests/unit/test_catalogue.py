"""The red-flag catalogue: red-flags.md is generated from it, its fixes name the profile's containers, and
the checks speak only through it."""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from pms_runbook import catalogue, config
from pms_runbook.redflag import DOCS, RedFlagAnswer, red_flag

ROOT = Path(__file__).resolve().parents[2]
CAT = catalogue.load()


def every_known_name() -> set[str]:
    """Every container and network name a shipped profile (or the runbook) knows: what a check must not type."""
    profiles = tomllib.loads((ROOT / "environments.toml").read_text())
    found = set(CAT.names.values()) - {"v1", "v2"}
    tables = [profiles.get("defaults", {}), *profiles.get("profiles", {}).values()]
    for table in tables:
        found |= {table[k] for k in ("supabase_network", "coolify_network") if k in table}
        for names in table.get("containers", {}).values():
            found |= {names} if isinstance(names, str) else set(names)
    return found


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def dummy_values(template: str) -> dict[str, str]:
    return {f: f"<{f}>" for f in catalogue.fields_of(template) if f not in catalogue.PROFILE_NAMES}


# ---------------------------------------------------------------- the catalogue and red-flags.md

def test_red_flags_md_is_generated_from_the_catalogue():
    current = (ROOT / "pms_runbook" / "data" / "red-flags.md").read_text(encoding="utf-8")
    assert current == catalogue.render_markdown(), \
        "red-flags.md is stale: python -m pms_runbook.catalogue > pms_runbook/data/red-flags.md"


def test_the_plugin_reads_the_catalogues_ids_in_order():
    from pms_runbook.plugin import redflag_ids

    assert list(redflag_ids()) == list(CAT.flags)
    assert all(redflag_ids()[fid] == f.title for fid, f in CAT.flags.items())


def test_every_flag_is_complete():
    sections = {s["key"] for s in CAT.sections}
    for fid, f in CAT.flags.items():
        assert f.section in sections and f.severity in catalogue.SEVERITIES and f.anchor and f.title, fid
        if f.section in ("daily", "step1", "step4", "top5", "nightly"):
            assert f.fix and (f.faults or f.fault_note), f"{fid}: a checked red flag needs a fix and its lab faults"


def test_every_fault_of_the_catalogue_is_a_lab_fault():
    from lab import faults

    named = {fault for f in CAT.flags.values() for fault in f.faults}
    assert named and named <= set(faults.FAULTS), named - set(faults.FAULTS)


def test_flags_for_fault_lists_the_ids_a_fault_turns_on_in_order():
    assert catalogue.flags_for_fault("old-worker-running") == ["D1.5", "D2.5", "D3.1", "D3.2"]
    assert catalogue.flags_for_fault("db-alias-lost") == ["D5.1", "D5.2", "F1"]
    assert catalogue.flags_for_fault("healthcheck-gates-off") == []


def test_a_key_under_a_case_header_is_not_silently_dropped(tmp_path):
    text = (ROOT / "pms_runbook" / "data" / "catalogue.toml").read_text()
    broken = text.replace('[flag."D1.5".case.alone]\n', '[flag."D1.5".case.alone]\nfaults = ["x"]\n')
    (tmp_path / "catalogue.toml").write_text(broken)
    with pytest.raises(ValueError, match=r"D1.5 case alone: unknown key\(s\) faults"):
        catalogue.load.__wrapped__(tmp_path / "catalogue.toml")


# ---------------------------------------------------------------- the message

def test_red_flag_writes_words_observed_fix_and_link_from_the_catalogue():
    text = red_flag("D4.2", observed="line 1\nline 2", names={"worker": "acme-worker"}, share="10%", hours="24",
                    count=2)
    assert text == (
        "RED FLAG: failed batches above 10% in the last 24 h on 2 connection(s)\n"
        "observed: \n    line 1\n    line 2\n"
        "fix: read the sync logs of the failed batches (attached) for error patterns: 'Database unavailable', "
        "'Schema drift', adapter errors, timeouts; then docker logs acme-worker --tail 100\n"
        f"see: {DOCS}runbook.md#step-4-channel-manager-sanity-check")


def test_a_case_has_its_own_words_fix_and_anchor():
    text = red_flag("F4", case="migrations", observed="20250101000000_x.sql", count=1)
    assert text.startswith("RED FLAG: 1 migration(s) missing from pms_schema_migrations")
    assert "(--dry-run lists them first)" in text and text.endswith(f"see: {DOCS}runbook/02-database.md#db-migrations-production")
    with pytest.raises(KeyError, match="D4.2 has no case 'nope'"):
        red_flag("D4.2", case="nope", observed="")


def test_a_value_the_template_needs_and_was_not_given_is_named():
    with pytest.raises(KeyError, match=r"red flag D4.2: the template needs \{count\}"):
        red_flag("D4.2", observed="", share="10%", hours="24")
    with pytest.raises(KeyError, match="no red flag 'D9.9'"):
        red_flag("D9.9", observed="")


def test_a_red_flag_answer_gets_its_words_and_fix_from_the_catalogue():
    flag = RedFlagAnswer("F3", case="answer-no-agency", observed="HTTP 403: {}", endpoint="GET /x", status=403)
    assert str(flag).startswith("RED FLAG: the ops user's token has no agency: GET /x answers 403 (F3)")
    assert "INSERT INTO team_members" in flag.fix and flag.see_also == "03-auth.md#token-validation-apikey-header"


# ---------------------------------------------------------------- the profile's names, never the defaults

@pytest.fixture(scope="module")
def renamed(tmp_path_factory) -> dict[str, str]:
    """The names of a profile that renames every container and network."""
    path = tmp_path_factory.mktemp("profiles") / "environments.toml"
    path.write_text('default = "renamed"\n[profiles.renamed]\napi_url = "http://127.0.0.1:9"\n'
                    'supabase_network = "acme-sb-net"\ncoolify_network = "acme-edge-net"\nnetwork_model = "v2"\n'
                    '[profiles.renamed.containers]\nbackend = "acme-api"\nadmin = "acme-ui"\nworker = "acme-jobs"\n'
                    'old_worker = "acme-jobs-legacy"\nredis = "acme-cache"\ndb = "acme-pg"\nproxy = "acme-proxy"\n')
    settings = config.resolve(options={}, environ={}, dotenv={}, lab_status=lambda: {}, profiles_path=path,
                              strict=False)
    names = catalogue.profile_names(settings)
    assert names["backend"] == "acme-api" and names["supabase_network"] == "acme-sb-net"
    # The DB's DNS name in DATABASE_URL is the contract's, not a container's: a fix names it through
    # {db_host}; renamed here too, so that a typed-in "supabase-db" shows.
    return {**names, "db_host": "acme-pg-host"}


def test_every_fix_of_the_catalogue_names_the_profiles_containers(renamed):
    defaults = every_known_name()
    assert {"pms-backend", "pms-worker-v2", "bccg4gs4o4kgsowocw08wkw4", "coolify", "supabase-db"} <= defaults
    rendered = 0
    for fid, f in CAT.flags.items():
        for case, c in f.all_cases().items():
            for template in (c.words, c.fix):
                text = catalogue.fill(template, {**renamed, **dummy_values(template)}, where=f"{fid} {case}")
                typed = [n for n in defaults if mentions(text, n)]
                assert not typed, f"{fid} ({case}) names {typed} whatever the profile: {text}"
                rendered += 1
    assert rendered > 150


def test_a_fix_names_the_profiles_containers_where_it_names_any(renamed):
    fix = catalogue.message("D5.1", case="v2", names=renamed).fix
    assert fix == "docker network connect --alias acme-pg-host acme-edge-net acme-pg   (network model v2)"
    assert "acme-jobs-legacy" in catalogue.message("D1.5", names=renamed).fix


# ---------------------------------------------------------------- the checks speak through the catalogue

def _check_modules() -> list[Path]:
    return sorted((ROOT / "checks").rglob("test_*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_no_check_module_types_a_container_or_network_name():
    defaults = every_known_name()
    found = []
    for path in _check_modules():
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                found += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in defaults if mentions(node.value, n)]
    assert not found, found


def _calls(paths):
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("red_flag", "RedFlagAnswer"):
                yield path, node


def _case_names(node, f) -> list:
    """The cases a call's `case=` can be: a constant, either branch of `a if x else b`, else any."""
    if node is None:
        return [None]
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _case_names(node.body, f) + _case_names(node.orelse, f)
    return list(f.all_cases())


def test_every_red_flag_call_gives_what_its_messages_need():
    """A value or the profile's names missing from a call would surface as a KeyError in the middle of an
    incident, or as the runbook's default names on a renamed host: found here, in every possible case."""
    paths = _check_modules() + sorted((ROOT / "pms_runbook").glob("*.py"))
    problems, seen = [], 0
    for path, call in _calls(paths):
        if not call.args or not isinstance(call.args[0], ast.Constant):
            continue  # an ID chosen at run time (FLAG[role]): checked below by its table
        seen += 1
        where = f"{path.relative_to(ROOT)}:{call.lineno} {call.args[0].value}"
        f = CAT.flags.get(call.args[0].value)
        if f is None:
            problems.append(f"{where}: not in the catalogue")
            continue
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        chosen = _case_names(kw.get("case"), f)
        unknown = [c for c in chosen if c is not None and c not in f.cases]
        if unknown:
            problems.append(f"{where}: no case {unknown}")
        cases = [f.case(c) for c in chosen if c not in unknown]
        needed = {n for c in cases for n in catalogue.fields_of(c.words) | catalogue.fields_of(c.fix)}
        missing = {n for n in needed - set(kw) if n not in catalogue.PROFILE_NAMES}
        profile = needed & set(catalogue.PROFILE_NAMES) - {"db_host"} - set(kw)
        if missing:
            problems.append(f"{where}: values {sorted(missing)} not given")
        if profile and "names" not in kw:
            problems.append(f"{where}: needs the profile's {sorted(profile)}: pass names=")
    assert seen > 30 and not problems, problems


@pytest.mark.parametrize(("module", "table"), [("checks/daily/test_step1_containers.py", "FLAG"),
                                               ("checks/daily/test_step2_health.py", "FLAG")])
def test_ids_chosen_at_run_time_share_what_their_messages_need(module, table):
    tree = ast.parse((ROOT / module).read_text())
    (assign,) = [n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == table]
    ids = [v.value for v in assign.value.values]
    call = next(c for _, c in _calls([ROOT / module]) if isinstance(c.args[0], ast.Subscript))
    given = {k.arg for k in call.keywords}
    for fid in ids:
        for c in CAT.flags[fid].all_cases().values():
            needed = catalogue.fields_of(c.words) | catalogue.fields_of(c.fix)
            assert needed - set(catalogue.PROFILE_NAMES) <= given, (fid, needed - given)
            assert not needed & set(catalogue.PROFILE_NAMES) - {"db_host"} or "names" in given, fid
