"""One HTTP renderer, one masking rule: a credential in a header or a query parameter is hidden in every
rendering of an exchange (the check's evidence, a fixture's, an `Answer` rendered into a red flag)."""
from __future__ import annotations

import httpx
import pytest

from pms_runbook import evidence, render
from pms_runbook.transports.http import Answer

KEY, TOKEN, COOKIE = "anon-key-in-a-query-param", "bearer-token-in-a-header", "session-cookie-value"
URL = f"http://127.0.0.1:9/auth/v1/token?grant_type=password&apikey={KEY}&page=2"


def _answer() -> Answer:
    return Answer("GET", URL, 401, {"Set-Cookie": f"s={COOKIE}", "Content-Type": "application/json"},
                  b'{"detail": "no"}', 12.0, {"Authorization": f"Bearer {TOKEN}", "apikey": KEY})


def _renderings() -> dict[str, str]:
    answer = _answer()
    as_dict = {"method": "GET", "url": URL, "status": 401, "body": b"{}",
               "headers": {"Authorization": f"Bearer {TOKEN}", "Set-Cookie": COOKIE}}
    response = httpx.Response(401, headers={"Cookie": COOKIE, "X-Api-Key": KEY}, content=b"{}",
                              request=httpx.Request("GET", URL))
    return {"Answer.render": answer.render(), "render_http(Answer)": evidence.render_http(answer),
            "render_http(dict)": evidence.render_http(as_dict),
            "render_http(httpx.Response)": evidence.render_http(response),
            "http_exchange": render.http_exchange("GET", URL, 401, {"Authorization": TOKEN}, b"",
                                                  request_headers={"apikey": KEY})}


@pytest.mark.parametrize("how", list(_renderings()))
def test_a_secret_in_a_header_or_a_query_parameter_is_masked_in_every_rendering(how):
    text = _renderings()[how]
    assert KEY not in text and TOKEN not in text and COOKIE not in text, text
    assert "apikey=***" in text.splitlines()[0] and "page=2" in text.splitlines()[0], text
    assert render.HIDDEN in text, text


def test_an_answer_renders_its_request_headers_status_and_time():
    lines = _answer().render().splitlines()
    assert lines[1] == "> Authorization: <hidden>" and "> apikey: <hidden>" in lines
    assert "HTTP 401 (12 ms)" in lines and "Content-Type: application/json" in lines and lines[-1] == '{"detail": "no"}'


def test_table_aligns_columns_and_scrubs():
    from pms_runbook.secrets import Secret

    secret = Secret("a-registered-secret-value", "x")
    text = render.table([("NAME", "VALUE"), ("long-name", secret.reveal()), ("n", "1")], gap=3)
    lines = text.splitlines()
    assert lines[0].index("VALUE") == lines[1].index("***") == lines[2].index("1") == len("long-name") + 3
    assert secret.reveal() not in text and render.table([]) == ""

