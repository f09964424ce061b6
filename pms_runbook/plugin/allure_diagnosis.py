"""Allure: each check's title is its red flag's words with the ID; severity, the ID, the runbook link and, after
the run, the diagnosis (root cause, or the check it follows from) are its labels. The results are rewritten
once the run is over (allure-pytest names a result itself as its call starts)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .state import Run, is_check

NODEID_LABEL = "pms_nodeid"


def title(result: dict) -> str | None:
    """`D5.2: <the red flag as the runbook names it>[param]` for a result of the run (nodeid, ids)."""
    from pms_runbook import catalogue

    if not result.get("ids"):
        return None
    fid = result["ids"][0]
    found = catalogue.load().flags.get(fid)
    name = result["nodeid"].rsplit("::", 1)[-1]
    param = name[name.index("["):] if "[" in name else ""
    return f"{fid}: {found.title if found else name}{param}"


class AllureDiagnosis:
    def __init__(self, run: Run):
        self.run = run

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if not is_check(item):
            return
        try:
            import allure
        except ImportError:  # pragma: no cover
            return
        allure.dynamic.label(NODEID_LABEL, item.nodeid)  # the results are named and labelled at the end

    def label_results(self, alluredir: str | None) -> None:
        """The diagnosis as labels of the results (once the run is over)."""
        if not alluredir or not self.run.results:
            return
        results = {r["nodeid"]: r for r in self.run.results}
        for path in Path(alluredir).glob("*-result.json"):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            labels = doc.setdefault("labels", [])
            nodeid = next((lb.get("value") for lb in labels if lb.get("name") == NODEID_LABEL), None)
            if nodeid not in results:
                continue
            doc["name"] = title(results[nodeid]) or doc.get("name")
            if nodeid in self.run.roots:
                root = self.run.roots[nodeid]
                labels.append({"name": "root_cause", "value": "yes" if root is None else "no"})
                if root is not None:
                    labels.append({"name": "follows_from", "value": root})
            path.write_text(json.dumps(doc), encoding="utf-8")
