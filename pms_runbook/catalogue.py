"""The red-flag catalogue (data/catalogue.toml): per red-flag ID its words, severity, runbook anchor, fix
template and the lab faults that reproduce it.

A check says `red_flag("D4.2", observed=..., names=names, count=3)`; the words and the fix come from here,
filled from the profile's names (`{backend}`, `{supabase_network}`, ...) and the check's values. The
human-readable red-flags.md is generated from it:

    python -m pms_runbook.catalogue > pms_runbook/data/red-flags.md
"""
from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
SEVERITIES = ("blocker", "critical", "normal", "minor")  # the same words in Allure
# The names a profile (or the `names` fixture) gives: a fix names them only through these placeholders.
PROFILE_NAMES = ("backend", "admin", "worker", "old_worker", "redis", "db", "supabase_network", "coolify_network",
                 "network_model", "db_host", "proxy")
ROLES = ("backend", "admin", "worker", "old_worker", "redis", "db", "proxy")
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)\}")  # {name}; leaves '{{.HostConfig.Memory}}' and '{"a":1}' alone
_SNIPPET = re.compile(r"\{@([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Case:
    """One way a red flag is worded: the flag's own (case None) or a variant."""

    words: str
    fix: str
    anchor: str
    fix_if: tuple[tuple[str, str], ...] = ()  # (regex on the words and what was observed, fix): see message()


@dataclass(frozen=True)
class Flag:
    id: str
    section: str
    title: str
    shows: str
    severity: str
    anchor: str
    words: str
    fix: str
    faults: tuple[str, ...] = ()
    fault_note: str = ""
    cases: Mapping[str, Case] = field(default_factory=dict)
    fix_if: tuple[tuple[str, str], ...] = ()

    def case(self, name: str | None) -> Case:
        if name is None:
            return Case(self.words, self.fix, self.anchor, self.fix_if)
        try:
            return self.cases[name]
        except KeyError:
            raise KeyError(f"red flag {self.id} has no case {name!r} (cases: {', '.join(self.cases) or 'none'})") \
                from None

    def all_cases(self) -> dict[str | None, Case]:
        return {None: self.case(None), **self.cases}


@dataclass(frozen=True)
class Catalogue:
    flags: Mapping[str, Flag]
    sections: tuple[dict, ...]
    names: Mapping[str, str]  # the runbook's own names (checklist era)
    fixes: Mapping[str, str]  # shared fix snippets, {@name}


@cache
def load(path: Path = DATA / "catalogue.toml") -> Catalogue:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    fixes = raw.get("fixes", {})
    flags = {}
    for fid, entry in raw["flag"].items():
        _known_keys(fid, entry, _FLAG_KEYS)
        for name, c in entry.get("case", {}).items():
            _known_keys(f"{fid} case {name}", c, _CASE_KEYS)
        words = entry.get("words", entry["title"])
        fix = entry.get("fix", "")
        cases = {name: Case(c.get("words", words), _expand(c.get("fix", fix), fixes, fid),
                            c.get("anchor", entry["anchor"]), _fix_if(c, fixes, fid))
                 for name, c in entry.get("case", {}).items()}
        flags[fid] = Flag(fid, entry["section"], entry["title"], entry.get("shows", ""), entry["severity"],
                          entry["anchor"], words, _expand(fix, fixes, fid), tuple(entry.get("faults", ())),
                          entry.get("fault_note", ""), cases, _fix_if(entry, fixes, fid))
    return Catalogue(flags, tuple(raw["section"]), raw["names"], fixes)


_FLAG_KEYS = {"section", "title", "shows", "severity", "anchor", "words", "fix", "faults", "fault_note", "case",
              "fix_if"}
_CASE_KEYS = {"words", "fix", "anchor", "fix_if"}


def _fix_if(entry: Mapping, fixes: Mapping[str, str], fid: str) -> tuple[tuple[str, str], ...]:
    out = []
    for pair in entry.get("fix_if", ()):
        regex, template = pair
        re.compile(_FIELD.sub("x", regex))  # a bad pattern fails the load, not an incident
        out.append((regex, _expand(template, fixes, fid)))
    return tuple(out)


def profile_names(settings) -> dict[str, str]:
    """A profile's names (pms_runbook.config.Settings), without asking Docker: each role's first accepted
    name, the networks and the network model."""
    names = {role: settings.container_names(role)[0] for role in ROLES if settings.container_names(role)}
    return {**names, "supabase_network": settings.supabase_network, "coolify_network": settings.coolify_network,
            "network_model": settings.network_model}


def _known_keys(where: str, entry: dict, known: set[str]) -> None:
    # A key after a [flag."X".case.y] header lands in the case: say so instead of dropping it.
    unknown = set(entry) - known
    if unknown:
        raise ValueError(f"catalogue.toml, red flag {where}: unknown key(s) {', '.join(sorted(unknown))}")


def _expand(template: str, fixes: Mapping[str, str], fid: str) -> str:
    def snippet(m: re.Match) -> str:
        if m.group(1) not in fixes:
            raise KeyError(f"red flag {fid}: no fix snippet {{@{m.group(1)}}} in [fixes]")
        return fixes[m.group(1)]
    return _SNIPPET.sub(snippet, template)


RUNBOOK_NAMES = load().names  # the checklist's names, e.g. to name a check after the runbook's container


def flag(flag_id: str) -> Flag:
    try:
        return load().flags[flag_id]
    except KeyError:
        raise KeyError(f"no red flag {flag_id!r} in the catalogue (pms_runbook/data/catalogue.toml)") from None


def fill(template: str, values: Mapping[str, object], *, where: str = "") -> str:
    """The template with every {name} replaced; a name without a value is a programming error, said so."""
    def one(m: re.Match) -> str:
        if m.group(1) not in values:
            raise KeyError(f"{where}: the template needs {{{m.group(1)}}}: {template!r}")
        return str(values[m.group(1)])
    return _FIELD.sub(one, template)


def fields_of(template: str) -> set[str]:
    return set(_FIELD.findall(template))


_PROFILE: dict[str, object] = {}  # the run's profile names and URLs (use_profile), under a caller's names


def use_profile(values: Mapping[str, object]) -> None:
    """The run's profile (its names, api_url, admin_url): what a fix is filled from when a check passes none."""
    _PROFILE.clear()
    _PROFILE.update({k: v for k, v in values.items() if v})


def context(names: Mapping[str, object] | None, values: Mapping[str, object]) -> dict[str, object]:
    """What a template is filled from: the profile's names (a role the caller has no name for keeps the
    run's profile's, else the runbook's own), then the check's values."""
    return {**load().names, **_PROFILE, **{k: v for k, v in (names or {}).items() if v}, **values}


def _observed_fix(chosen: Case, ctx: Mapping[str, object], words: str, observed: object, where: str) -> str | None:
    """The fix built from what was observed: each `fix_if` pair whose regex matches the words or the observed
    text adds its fix; a regex with named groups adds one fix per match, filled with the groups (a connection
    ID, an agency). {name} in a regex is the profile's value, escaped. None when nothing matched."""
    text = f"{words}\n{observed if observed is not None else ''}"
    parts: list[str] = []
    for regex, template in chosen.fix_if:
        pattern = _FIELD.sub(lambda m: re.escape(str(ctx[m.group(1)])) if m.group(1) in ctx else m.group(0), regex)
        for m in re.finditer(pattern, text, re.IGNORECASE | re.MULTILINE):
            part = fill(template, {**ctx, **{k: v for k, v in m.groupdict().items() if v}}, where=where)
            if part not in parts:
                parts.append(part)
            if not m.groupdict():
                break
    return "; ".join(parts) if parts else None


@dataclass(frozen=True)
class Message:
    flag_id: str
    words: str
    fix: str
    anchor: str


def message(flag_id: str, *, case: str | None = None, names: Mapping[str, object] | None = None,
            observed: object = None, **values: object) -> Message:
    """The words, fix and anchor of a red flag, filled in; the fix from what was observed where the catalogue
    says how (`fix_if`), else its general case."""
    chosen = flag(flag_id).case(case)
    ctx = context(names, values)
    where = f"red flag {flag_id}" + (f" ({case})" if case else "")
    words = fill(chosen.words, ctx, where=where)
    fix = _observed_fix(chosen, ctx, words, observed, where) if chosen.fix_if else None
    return Message(flag_id, words, fix or fill(chosen.fix, ctx, where=where), chosen.anchor)


# ---------------------------------------------------------------- severity, faults

def severity_of(flag_ids) -> str | None:
    """A check's severity: that of its first red-flag ID (the one it is about)."""
    for fid in flag_ids:
        found = load().flags.get(str(fid))
        if found is not None:
            return found.severity
    return None


def severities_of(item) -> list[str]:
    """The severity markers of a pytest item, or, without one, the severity its first red-flag ID has."""
    marked = sorted({m.name for m in item.iter_markers()} & set(SEVERITIES))
    if marked:
        return marked
    flag_marker = item.get_closest_marker("redflag")
    derived = severity_of(flag_marker.args) if flag_marker else None
    return [derived] if derived else []


def flags_for_fault(fault: str) -> list[str]:
    """The red-flag IDs a lab fault turns on, in the catalogue's order."""
    return [fid for fid, f in load().flags.items() if fault in f.faults]


# ---------------------------------------------------------------- red-flags.md

INTRO = """\
# Red flags of the runbook, with stable IDs

Every red flag that `runbook/pms-operations-runbook.md` names, with an ID that stays stable when
wording changes. A check says which ID it covers (a marker such as `redflag("D4.2")`), so that
coverage of the runbook can be computed and a red flag without a check is visible. The "lab fault"
column names the fault of the lab that reproduces it (see the lab issue); details of each symptom
are in `pms-contract.md` (§ numbers).

Generated from `pms_runbook/data/catalogue.toml` (`python -m pms_runbook.catalogue`): edit that file,
not this one. In the fixes, {placeholders} are the profile's names (the runbook's own: {defaults}).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _doc(template: str) -> str:
    return _FIELD.sub(lambda m: f"<{m.group(1)}>", template)


def render_markdown() -> str:
    cat = load()
    shown = ("backend", "admin", "worker", "old_worker", "redis", "db", "supabase_network", "coolify_network")
    out = [INTRO.format(placeholders=", ".join(f"`<{n}>`" for n in shown),
                        defaults=", ".join(f"`{cat.names[n]}`" for n in shown))]
    for section in cat.sections:
        out.append(f"## {section['heading']}\n")
        cols = section["columns"]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "---|" * len(cols))
        for f in cat.flags.values():
            if f.section != section["key"]:
                continue
            faults = ", ".join(f.faults) + f.fault_note
            cells = [f.id, f.title, f.shows, _doc(f.fix), faults][:len(cols)]
            if len(cols) == 4 and "fix" not in cols[3]:  # the golden paths: no fix column
                cells = [f.id, f.title, f.shows, faults]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
