"""How a check speaks: a red flag with what was seen and the runbook's fix, or "could not check".

The words, the fix and the link of a red flag come from the catalogue (pms_runbook/catalogue.py) by its ID.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from pms_runbook import catalogue

RUNBOOK = "pms-operations-runbook.md"  # the runbook's own name here; ops/runbook.md in the PMS docs
DOCS = "https://github.com/Kolibri-Visions/pms-webapp-docs/blob/main/ops/"  # the public docs of the PMS runbook
BASE = [DOCS]  # the profile's `runbook_url`, set by the plugin at configure (pms_runbook.plugin)


def set_base(url: str | None) -> None:
    BASE[0] = (url or DOCS).rstrip("/") + "/"


def see(anchor: str) -> str:
    """The runbook link of an anchor, one style: the base URL (the profile's runbook_url) and the page in the PMS
    docs: 'step-3-...' is the runbook's own section (ops/runbook.md#step-3-...), '02-database.md#db-dns' a chapter
    (ops/runbook/02-database.md#db-dns); a full URL stays as it is."""
    if anchor.startswith(("http://", "https://")):
        return anchor
    path = anchor.removeprefix("runbook/")
    if path.startswith(RUNBOOK):
        path = "runbook.md" + path[len(RUNBOOK):]
    elif ".md" in path:
        path = "runbook/" + path
    else:
        path = f"runbook.md#{path}"
    return BASE[0] + path


def message(what: str, *, observed: object, fix: str, see_also: str | None = None) -> str:
    """The failure message for a tired human at 3 a.m.

    RED FLAG: <what is wrong> / observed: <values> / fix: <the runbook's command> / see: <link>
    """
    obs = str(observed).rstrip()
    if "\n" in obs:
        obs = "\n" + "\n".join("    " + line for line in obs.splitlines())
    lines = [f"RED FLAG: {what}", f"observed: {obs}", f"fix: {fix}"]
    if see_also:
        lines.append(f"see: {see(see_also)}")
    return "\n".join(lines)


def red_flag(flag_id: str, *, observed: object, case: str | None = None, names: Mapping[str, object] | None = None,
             see_also: str | None = None, **values: object) -> str:
    """The message of red flag `flag_id` of the catalogue: its words and fix filled from the profile's
    `names` and the check's `values`, and its runbook link (`see_also` overrides it)."""
    m = catalogue.message(flag_id, case=case, names=names, observed=observed, **values)
    text = message(m.words, observed=observed, fix=m.fix, see_also=see_also or m.anchor)
    remember(text, values)
    return text


# The values a check gave its red flag, by the message's first lines (waivers narrow by them; bounded).
OBSERVED: dict[str, dict[str, str]] = {}


def remember(text: str, values: Mapping[str, object]) -> None:
    if len(OBSERVED) > 500:
        OBSERVED.clear()
    OBSERVED[text.split("\nsee: ")[0]] = {k: str(v) for k, v in values.items() if isinstance(v, str | int | float)}


def observed_values(text: str) -> dict[str, str]:
    """The values of the red flag whose message starts `text` (as the report shows it), or {}."""
    head = text.split("\nsee: ")[0]
    for key, values in OBSERVED.items():
        if head.startswith(key) or key.startswith(head):
            return values
    return {}


class CouldNotCheck(Exception):
    """The check could not run (target unreachable, bad answer, missing access): not a pass, not a red flag."""

    def __init__(self, what: str, because: str, hint: str | None = None):
        self.what = what
        self.because = because
        self.hint = hint
        msg = f"could not check {what} because {because}"
        if hint:
            msg += f"\nhint: {hint}"
        super().__init__(msg)


class RedFlagAnswer(AssertionError):
    """The target answered, and the answer itself shows the failure (a schema-drift 503, a token refused for
    its signature, no agency for the ops user): a red flag wherever it is seen, not "could not check".

    An AssertionError whose text is a `red_flag(...)`, so the plugin reports it as any other red flag,
    also when a fixture raises it; `flag_id` names the red flag of the runbook it is (F3, F4, ...), whose
    words and fix come from the catalogue.
    """

    def __init__(self, flag_id: str, *, observed: object, case: str | None = None,
                 names: Mapping[str, object] | None = None, **values: object):
        m = catalogue.message(flag_id, case=case, names=names, observed=observed, **values)
        self._set(flag_id, m.words, observed, m.fix, m.anchor)
        remember(str(self), values)

    def _set(self, flag_id, what, observed, fix, see_also):
        self.flag_id, self.what, self.observed, self.fix, self.see_also = flag_id, what, observed, fix, see_also
        AssertionError.__init__(self, message(f"{what} ({flag_id})", observed=observed, fix=fix, see_also=see_also))

    def __reduce__(self):  # picklable with its rendered fields (xdist)
        return (_rebuild_red_flag_answer, (self.flag_id, self.what, self.observed, self.fix, self.see_also))


def _rebuild_red_flag_answer(flag_id, what, observed, fix, see_also):
    again = RedFlagAnswer.__new__(RedFlagAnswer)
    again._set(flag_id, what, observed, fix, see_also)
    return again


def parse(text: str) -> dict[str, str]:
    """The parts of a red-flag message (`message` above): words, observed, fix, see; '' for what it lacks."""
    parts = {"words": "", "observed": "", "fix": "", "see": ""}
    current = None
    for line in text.splitlines():
        head = line.split(":", 1)[0]
        key = {"RED FLAG": "words", "observed": "observed", "fix": "fix", "see": "see"}.get(head)
        if key and not parts[key] and not line.startswith(" "):
            current = key
            parts[key] = line.split(":", 1)[1].strip()
        elif current == "observed" and line.startswith("    "):
            parts["observed"] += ("\n" if parts["observed"] else "") + line[4:]
        elif current == "fix" and line.startswith("    "):
            parts["fix"] += "\n" + line[4:]
        else:
            current = None if not line.strip() else current
    return parts


_COMMAND = re.compile(r"^(docker|curl|psql|SELECT|DELETE|UPDATE|INSERT|CONFIRM_PROD=|bash|redeploy|POST|GET|"
                      r"pytest|scripts/|\.venv/)", re.IGNORECASE)


def fix_lines(fix: str) -> list[str]:
    """A fix as lines to read and paste: the explanation first, each command on a line of its own.

    `check DB DNS: docker exec pms-backend getent hosts supabase-db; docker network connect net pms-backend`
    becomes the explanation, then one line per command; nothing is cut."""
    out: list[str] = []
    for part in fix.splitlines():
        for piece in re.split(r";\s+|\s{3,}", part.strip()):
            piece = piece.strip()
            if not piece:
                continue
            head, sep, tail = piece.partition(": ")
            if sep and not _COMMAND.match(head) and _COMMAND.match(tail.strip()):
                out += [head + ":", "    " + tail.strip()]
            elif _COMMAND.match(piece):
                out.append("    " + piece)
            else:
                out.append(piece)
    return out or [fix]
