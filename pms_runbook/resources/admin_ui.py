"""The admin UI walked in a real browser: what Step 4 tells a person to do (contract Q8.5).

    open /login, sign in as the ops user (the admin's own form: POST /auth/login)
    open /connections, for each active connection: Open -> Connection Details -> Sync History
    read the batches (filter Any), then set the filter to "Failed" and read them again

Every browser dialog (`alert`/`confirm`/`prompt`) that opens meanwhile is recorded and dismissed: a popup
the popup guard would have caught in the source, seen live (D6.2). A screenshot of each page is kept as
evidence, unless the page shows a secret of the run (then only a note says it was left out).

Playwright is imported by the fixture that launches the browser, never by a daily run that does not select
the browser checks (tests/unit/test_entry_points.py).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from pms_runbook.secrets import scrub

SELECT = {"row": '[data-testid="connection-row"]', "open": '[data-testid="connection-open"]',
          "detail": '[data-testid="connection-detail"]', "close": '[data-testid="connection-close"]',
          "history": '[data-testid="sync-history"]', "filter": '[data-testid="sync-history-filter"]',
          "batch": '[data-testid="sync-batch-row"]', "error": '[data-testid="sync-history-error"]'}


@dataclass
class History:
    """One connection's Sync History as the page showed it, per filter ("any", "failed")."""

    connection_id: str
    batches: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Walk:
    dialogs: list[str] = field(default_factory=list)  # "alert 'Test failed!' on /connections"
    histories: list[History] = field(default_factory=list)
    screenshots: list[tuple[str, bytes | None]] = field(default_factory=list)  # None: left out (a secret showed)
    failure: str | None = None  # the walk could not get where it goes (login refused, page never loaded)
    attached: bool = False  # the screenshots go into the report once, with the first check that reads the walk


def walk(page: Any, admin_url: str, email: str, password: str, *, timeout_ms: float) -> Walk:
    result = Walk()
    path = lambda: page.url.removeprefix(admin_url) or "/"  # noqa: E731

    def on_dialog(dialog):
        result.dialogs.append(f"{dialog.type} {dialog.message!r} on {path()}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(timeout_ms)
    page.goto(f"{admin_url}/login?next=%2Fconnections")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    try:
        page.wait_for_url(lambda url: "/login" not in url)
    except Exception:  # noqa: BLE001  (Playwright's TimeoutError: the login did not go through)
        error = page.locator('[data-testid="login-error"]')
        result.failure = f"the login did not go through: {error.inner_text() if error.count() else 'no answer'}"
        return result
    page.goto(f"{admin_url}/connections")
    page.wait_for_selector('[data-testid="connections"][data-state="loaded"]')
    _shot(page, result, "connections")
    rows = page.locator(SELECT["row"])
    active = [rows.nth(i).get_attribute("data-connection-id") for i in range(rows.count())
              if rows.nth(i).get_attribute("data-status") == "active"]
    for cid in active:
        history = History(cid)
        page.locator(f'{SELECT["row"]}[data-connection-id="{cid}"] {SELECT["open"]}').click()
        for status in ("any", "failed"):
            if status != "any":
                page.select_option(SELECT["filter"], status)
            page.wait_for_selector(f'{SELECT["history"]}[data-filter="{status}"]:not([data-state="loading"])')
            if page.locator(SELECT["error"]).count():
                history.errors[status] = page.locator(SELECT["error"]).inner_text()
            history.batches[status] = [
                {"batch_id": r.get_attribute("data-batch-id"), "status": r.get_attribute("data-status"),
                 "updated": r.get_attribute("data-updated")}
                for r in page.locator(SELECT["batch"]).all()]
            _shot(page, result, f"connection {cid[:8]} sync history ({status})")
        page.click(SELECT["close"])
        result.histories.append(history)
    return result


def _shot(page: Any, result: Walk, name: str) -> None:
    text = page.locator("body").inner_text()
    shows_secret = scrub(text) != text
    result.screenshots.append((name, None if shows_secret else page.screenshot(full_page=True)))


def attach_screenshots(request: Any, walk_result: Walk) -> None:
    """Each page's screenshot into the HTML report and Allure (a note instead where a secret showed)."""
    from pms_runbook import evidence

    if walk_result.attached:
        return
    walk_result.attached = True
    for name, png in walk_result.screenshots:
        if png is None:
            evidence.attach(request, f"screenshot {name}", "left out: the page showed a secret of the run")
            continue
        if evidence.allure is not None:
            evidence.allure.attach(png, name=f"screenshot {name}", attachment_type=evidence.allure.attachment_type.PNG)
        if evidence.html_extras is not None:
            evidence.pending(evidence._node(request)).append(
                evidence.html_extras.png(base64.b64encode(png).decode(), name=f"screenshot {name}"))
