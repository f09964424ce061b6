"""`--fix` (the remediation plan, nothing changed) and `--fix=apply` (confirmation or --yes, elevated
credentials, the action cap, a re-check after each action): pms_runbook/remedies, data/remedies.toml.

The elevated credentials are read after the last check has run, and never while one runs: a check that
starts after they were read is stopped (`pytest_runtest_setup`), so no read-only check can see them."""
from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from .state import Run

DEFAULT_MAX_ACTIONS = 3
CAP_VARIABLE = "PMS_FIX_MAX_ACTIONS"


def max_actions(config: pytest.Config) -> int:
    given = config.option.fix_max_actions
    if given is None:
        given = os.environ.get(CAP_VARIABLE, DEFAULT_MAX_ACTIONS)
    return max(0, int(given))


class Remediation:
    def __init__(self, run: Run, mode: str):
        self.run, self.mode = run, mode

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        from pms_runbook.remedies import credentials

        if credentials.LOADED:  # never: they are read at the end of the session
            raise RuntimeError("the elevated credentials of --fix were read before a check ran")

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # after the terminal summary (inside), before the verdict line
    def pytest_sessionfinish(self, session: pytest.Session):
        result = yield
        if hasattr(session.config, "workerinput") or session.config.option.collectonly:
            return result
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        try:
            last = self._remediate(session.config, tr)
        except Exception as exc:  # noqa: BLE001  (remediation never hides the verdict of the checks)
            if tr is not None:
                tr.write_line(f"REMEDIATION stopped: {type(exc).__name__}: {exc}", red=True)
            return result
        if last:  # what a pipeline running --fix=apply --yes acts on: the state after the remedies
            session.exitstatus = self.run.exit_code = last["verdict"]["exit_code"]
            self.run.verdict = f"{last['verdict']['line']} (after --fix=apply)  [exit {int(session.exitstatus)}]"
        return result

    def _names(self, config: pytest.Config) -> dict[str, str]:
        from pms_runbook.catalogue import RUNBOOK_NAMES, profile_names

        from .settings import run_settings

        settings = run_settings(config)
        names = {**RUNBOOK_NAMES, **(profile_names(settings) if settings is not None else {})}
        if getattr(settings, "api_url", None):
            names["api_url"] = settings.api_url
        return names

    def _remediate(self, config: pytest.Config, tr: Any) -> dict | None:
        """The plan, and with --fix=apply its application; the verdict of the failing checks after it, if any ran."""
        from pms_runbook import remedies
        from pms_runbook.remedies import audit, credentials

        from .reports import reports_dir
        from .selection import recheck
        from .settings import run_settings

        names, run = self._names(config), self.run
        items = remedies.plan(run.results, run.roots, names)
        log = reports_dir(config) / audit.FILE
        write = (lambda line, **kw: tr.write_line(line, **kw)) if tr is not None else (lambda line, **kw: None)
        dry = self.mode != "apply"
        if tr is not None:
            tr.write_sep("=", "REMEDIATION PLAN" + (" (dry run: nothing is changed)" if dry else ""), bold=True)
        if not items:
            write("no root cause: nothing to remedy")
            return None
        settings = run_settings(config)
        profile = getattr(settings, "profile", None) or "lab"
        elevated = credentials.load(profile, lab_status=lambda: config.hook.pytest_pms_lab_status(config=config))
        ctx = remedies.Context(elevated, names, settings)
        docker_error = None
        if any(i.remedy and i.remedy["action"] in remedies.DOCKER_ACTIONS for i in items):
            try:
                ctx.docker()
            except Exception as exc:  # noqa: BLE001
                docker_error = exc
                write(f"Docker preconditions not checked: {exc}", yellow=True)
        for n, item in enumerate(items, 1):
            self._print_item(write, n, item, ctx, docker_error, remedies)
        audit.append(log, "plan", mode=self.mode, elevated=elevated.source,
                     items=[{"remedy": i.remedy_name, "root": i.root["nodeid"], "following": len(i.following),
                             "status": i.status, "what": (i.remedy or {}).get("what", ""), "human": i.human,
                             "preconditions": i.preconditions, "values": i.values, "preview": i.preview}
                            for i in items])
        actionable = [i for i in items if i.remedy]
        if dry or not actionable:
            write(f"{len(actionable)} remedy(ies) planned, none applied" + (": run again with --fix=apply"
                                                                           if dry and actionable else ""))
            return None
        if not self._confirmed(config, len(actionable), write):
            audit.append(log, "declined", result="not confirmed")
            return None

        def again(nodeids: list[str], bound: float) -> dict | None:
            return recheck(config, nodeids, bound, tr)

        remedies.apply(items, ctx, cap=max_actions(config), recheck=again,
                       audit=lambda kind, **kw: audit.append(log, kind, **kw))
        if tr is not None:
            tr.write_sep("=", "REMEDIATION RESULT", bold=True)
        for item in actionable:
            ok = item.status.endswith("gone")
            write(f"{item.remedy_name}: {item.status}" + (f" ({item.detail})" if item.detail else ""),
                  green=ok, red=not ok)
        write(f"audit log: {log}")
        if not any(i.status.startswith("applied") for i in actionable):
            return None
        # Every check that failed, once more after all the actions: the verdict and exit code of the run are
        # the state the remedies left (a root cause that needed a human still fails it).
        if tr is not None:
            tr.write_sep("=", f"AFTER THE REMEDIES: the {len(run.roots)} check(s) that failed, once more")
        return recheck(config, list(run.roots), 0, tr)

    @staticmethod
    def _print_item(write, n: int, item, ctx, docker_error, remedies) -> None:
        root = item.root
        head = f"{n}. {', '.join(root['ids']) or '-'} {root['nodeid']}" + \
            (f"  (+{len(item.following)} following from it)" if item.following else "")
        write(head, bold=True)
        if item.remedy is None:
            from pms_runbook.redflag import fix_lines

            write("   needs a human (never applied by --fix): " + ("the fix:" if item.human else ""))
            for line in fix_lines(item.human):
                write(f"       {line.strip()}")
            return
        r = item.remedy
        write(f"   remedy {item.remedy_name}: {r['what']}")
        if r["action"] in remedies.API_ACTIONS:
            from pms_runbook.remedies.api_actions import SYNC_PATH, connections

            base = getattr(ctx.settings, "api_url", None) or ""
            for c in connections(item.values):
                note = ("  (read via SQL: its agency is not one of the checks' user's; the elevated user must be a "
                        "member of it, or the API refuses)" if c.get("via") == "SQL" else "")
                write(f"   POST {base}{SYNC_PATH.format(cid=c['cid'])}  x-agency-id: {c['agency'] or '-'}{note}")
        else:
            for v in item.values:
                write("   observed: " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
        if docker_error is None or r["action"] not in remedies.DOCKER_ACTIONS:
            holds = remedies.check_preconditions(item, ctx)
            for p in item.preconditions:
                write(f"   precondition {p['precondition']}: {'holds' if p['holds'] else 'DOES NOT HOLD'} ({p['seen']})",
                      red=not p["holds"])
            if not holds:
                write("   it would be refused", red=True)
        else:
            write(f"   preconditions: {', '.join(r.get('preconditions', [])) or 'none'} (checked before applying)")
        if item.preview is not None:
            write("   preview: " + ", ".join(f"{k} {v}" for k, v in item.preview.items()))
        write(f"   undo: {r.get('undo', '-')}; cannot undo: {r.get('cannot_undo', '-')}")

    @staticmethod
    def _confirmed(config: pytest.Config, count: int, write) -> bool:
        if config.option.yes:
            return True
        if not sys.stdin.isatty():
            write("not applied: no terminal to confirm on; give --yes to apply without asking", red=True)
            return False
        capture = config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else _nothing():
            answer = input(f"apply {count} remedy(ies) with the elevated credentials? [y/N] ")
        return answer.strip().lower() in ("y", "yes")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
