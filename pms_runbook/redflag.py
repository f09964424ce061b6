"""How a check speaks: a red flag with what was seen and the runbook's fix, or "could not check"."""
from __future__ import annotations

RUNBOOK = "pms-operations-runbook.md"


def see(anchor: str) -> str:
    """A runbook link from an anchor such as 'step-3' or '02-database.md#db-dns--degraded-mode'."""
    if anchor.endswith(".md") or ".md#" in anchor:
        return anchor if anchor.startswith(("runbook/", "http")) else f"runbook/{anchor}"
    return f"{RUNBOOK}#{anchor}"


def red_flag(what: str, *, observed: object, fix: str, see_also: str | None = None) -> str:
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
    also when a fixture raises it; `flag_id` names the red flag of the runbook it is (F3, F4, ...).
    """

    def __init__(self, flag_id: str, what: str, *, observed: object, fix: str, see_also: str | None = None):
        self.flag_id, self.what, self.observed, self.fix, self.see_also = flag_id, what, observed, fix, see_also
        super().__init__(red_flag(f"{what} ({flag_id})", observed=observed, fix=fix, see_also=see_also))

    def __reduce__(self):  # picklable with its fields (xdist)
        return (_rebuild_red_flag_answer, (self.flag_id, self.what, self.observed, self.fix, self.see_also))


def _rebuild_red_flag_answer(flag_id, what, observed, fix, see_also):
    return RedFlagAnswer(flag_id, what, observed=observed, fix=fix, see_also=see_also)
