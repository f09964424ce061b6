"""The HTML report leads with the diagnosis: its first screen is the verdict, the root causes with their
fixes (and what follows from each), the profile, the target and the deployed commit, with the terminal's
counts; a could-not-check row shows its one-line reason instead of a traceback, a red flag its message.

Registered only when pytest-html is loaded (its hooks exist then); the block is put in after the report's
title once pytest-html wrote the file (the verdict is made after pytest-html's summary hook)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from .state import Run

COMMITS_PROPERTY = "pms_deployed_commits"
STYLE = """<style>
#pms-diagnosis{border:2px solid #444;padding:8px 14px;margin:8px 0 16px;font-family:sans-serif}
#pms-diagnosis.red{border-color:#c00}#pms-diagnosis.clear{border-color:#080}
#pms-diagnosis .verdict{font-weight:bold;font-size:1.15em}
#pms-diagnosis .root{margin:10px 0;padding-left:8px;border-left:4px solid #c00}
#pms-diagnosis .root.cnc{border-left-color:#c80}
#pms-diagnosis pre{background:#f4f4f4;padding:4px 8px;margin:2px 0;white-space:pre-wrap}
#pms-diagnosis .following{color:#555;margin-left:18px}
</style>"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def block(run: Run, profile: str | None, target: str | None, commits: dict) -> str:
    from pms_runbook.redflag import fix_lines, parse

    n_roots, n_following = run.root_counts()
    verdict = run.verdict or "(no verdict)"
    kind = "clear" if verdict.startswith("ALL CLEAR") else "red" if verdict.startswith("RED") else "other"
    n_red = len({r["nodeid"] for r in run.red_flags})
    n_cnc = len({c["nodeid"] for c in run.could_not_check})
    n_nc = len({e["nodeid"] for e in run.not_checked})
    deployed = ", ".join(f"{w}: {c or '(not set)'}" for w, c in commits.items()) or "(not read in this run)"
    out = [STYLE, f'<section id="pms-diagnosis" class="{kind}">',
           f'<div class="verdict" id="pms-verdict">{_e(verdict)}</div>',
           '<table id="pms-run">',
           f"<tr><th>profile</th><td id='pms-profile'>{_e(profile or '-')}</td></tr>",
           f"<tr><th>target</th><td id='pms-target'>{_e(target or '-')}</td></tr>",
           f"<tr><th>deployed commit</th><td id='pms-commit'>{_e(deployed)}</td></tr>",
           f"<tr><th>counts</th><td id='pms-counts' data-root-causes='{n_roots}' data-following='{n_following}' "
           f"data-red-flags='{n_red}' data-could-not-check='{n_cnc}' data-passed='{run.passed}' "
           f"data-not-checked='{n_nc}'>{n_roots} root cause(s), {n_following} following; {n_red} red flag(s), "
           f"{run.passed} clear, {n_cnc} could not check, {n_nc} not checked</td></tr>", "</table>"]
    for r in run.results:
        if r["nodeid"] not in run.roots or run.roots[r["nodeid"]] is not None:
            continue
        cnc = r["outcome"] == "could_not_check"
        out.append(f'<div class="root{" cnc" if cnc else ""}" data-nodeid="{_e(r["nodeid"])}">')
        out.append(f"<div><b>ROOT CAUSE {_e(', '.join(r['ids']))}</b> <code>{_e(r['nodeid'])}</code></div>")
        if cnc:
            out.append(f"<div class='reason'>{_e(r['text'])}</div>")
        else:
            parts = parse(r["text"])
            out.append(f"<div class='words'>RED FLAG: {_e(parts['words'] or r['text'])}</div>")
            if parts["observed"]:
                out.append(f"<div>observed:</div><pre>{_e(parts['observed'])}</pre>")
            if parts["fix"]:
                out.append("<div>fix:</div><pre class='fix'>" + _e("\n".join(fix_lines(parts["fix"]))) + "</pre>")
            if parts["see"]:
                link = parts["see"]
                href = link if link.startswith("http") else "#"
                out.append(f"<div>see: <a href='{_e(href)}'>{_e(link)}</a></div>")
        following = [f for f in run.results if run.roots.get(f["nodeid"]) == r["nodeid"]]
        if following:
            out.append(f"<div class='following'>follows from it ({len(following)}):<ul>")
            for f in following:
                first = (f["text"].strip().splitlines() or [f["outcome"]])[0]
                out.append(f"<li><code>{_e(f['nodeid'])}</code>: {_e(first)}</li>")
            out.append("</ul></div>")
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def insert(path: Path, markup: str) -> None:
    text = path.read_text(encoding="utf-8")
    anchor = text.find("</h1>")
    at = anchor + len("</h1>") if anchor >= 0 else text.find("<body>") + len("<body>")
    path.write_text(text[:at] + "\n" + markup + text[at:], encoding="utf-8")


class HtmlDiagnosis:
    def __init__(self, config: pytest.Config, run: Run):
        self.config, self.run = config, run
        self.commits: dict = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        outcome = yield
        commits = item.funcargs.get("deployed_commits") if hasattr(item, "funcargs") else None
        if isinstance(commits, dict) and call.when == "call":
            outcome.get_result().user_properties.append((COMMITS_PROPERTY, json.dumps(commits)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in getattr(report, "user_properties", ()):
            if name == COMMITS_PROPERTY:
                self.commits = json.loads(value)

    def pytest_html_results_table_html(self, report, data: list) -> None:
        text = getattr(report, "pms_could_not_check", None)
        if text and not self.run.detail:  # the one-line reason, not a traceback
            data[:] = [f'<div class="log">{_e(text)}</div>']

    def write(self, path: Path) -> None:
        from .settings import run_settings

        settings = run_settings(self.config)
        from .verdict_json import _url

        insert(path, block(self.run, getattr(settings, "profile", None), _url(getattr(settings, "api_url", None)),
                           self.commits))
