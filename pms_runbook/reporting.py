"""Report files: render the Allure results to one offline HTML file, and scrub report files of secrets.

`render_allure` runs the project's local Allure 3 CLI (npm `allure`, installed by `scripts/bootstrap`
under `tools/allure/`; Node only, no Java, no network) with a generated config that turns on the
Awesome plugin's single-file mode, then removes the analytics script that its template embeds
(Google Tag Manager / gtag), so that the file opens offline and calls nobody.

`scrub_file` masks registered secrets in a written report file, including inside the base64
payloads that self-contained HTML reports embed (pytest-html's data: URIs, Allure's report data).
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pms_runbook.secrets import registered, scrub, scrub_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]
ALLURE_CLI = REPO_ROOT / "tools" / "allure" / "node_modules" / ".bin" / "allure"
RENDER_TIMEOUT = 180.0  # seconds; a few thousand results render in seconds

# Analytics the Allure template embeds: an external gtag.js loader and the inline script feeding it.
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>\s*", re.IGNORECASE | re.DOTALL)
_EXTERNAL_SRC = re.compile(r"""\bsrc\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_ANALYTICS = re.compile(r"googletagmanager|google-analytics|\bgtag\s*\(|\bdataLayer\b", re.IGNORECASE)
# Base64 payloads inside self-contained HTML: data: URIs (pytest-html) and Allure's d("name","...").
_DATA_URI = re.compile(r"(data:[\w.+-]+/[\w.+-]+(?:;[\w-]+=[\w.-]+)*;base64,)([A-Za-z0-9+/]+={0,2})")
_ALLURE_DATA = re.compile(r'(\bd\("[^"]*",")([A-Za-z0-9+/]+={0,2})(")')


class ReportingError(RuntimeError):
    """A report could not be produced; the message says why and what to do."""


def allure_cli() -> Path:
    """The Allure 3 CLI: $PMS_ALLURE_CLI if set, else the one `scripts/bootstrap` installs in tools/allure."""
    return Path(os.environ.get("PMS_ALLURE_CLI") or ALLURE_CLI)


def render_allure(results_dir: str | os.PathLike, out_file: str | os.PathLike, *,
                  name: str = "PMS runbook", timeout: float = RENDER_TIMEOUT,
                  history: str | os.PathLike | None = None) -> Path:
    """Render `results_dir` (allure-pytest results) to the single offline HTML file `out_file`; with `history`,
    Allure 3's own history file (historyPath, one JSON line a run) is read for the trend and appended to."""
    results = Path(results_dir).resolve()
    out = Path(out_file).resolve()
    cli = allure_cli()
    if not cli.exists():
        raise ReportingError(
            f"the Allure CLI is missing ({cli}): run scripts/bootstrap "
            "(or `npm ci` in tools/allure) to install it"
        )
    if shutil.which("node") is None:
        raise ReportingError("the Allure CLI needs Node.js, which is not on PATH: run scripts/bootstrap")
    if not results.is_dir():
        raise ReportingError(f"no Allure results to render: {results} does not exist")

    with tempfile.TemporaryDirectory(prefix="pms-allure-") as tmp:
        work = Path(tmp)
        config = {
            "name": name,
            "output": str(work / "report"),
            "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": "en"}}},
        }
        if history is not None:
            config["historyPath"] = str(Path(history).resolve())
        rc_file = work / "allurerc.mjs"
        rc_file.write_text(f"export default {json.dumps(config, indent=2)};\n", encoding="utf-8")
        try:
            proc = subprocess.run(
                [str(cli), "generate", "--config", str(rc_file), str(results)],
                cwd=work, capture_output=True, text=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ReportingError(f"the Allure CLI did not finish within {timeout:.0f} s") from exc
        if proc.returncode != 0:
            tail = scrub((proc.stderr or proc.stdout).strip())[-2000:]
            raise ReportingError(f"the Allure CLI failed (exit {proc.returncode}): {tail}")
        index = next(iter(sorted((work / "report").rglob("index.html"), key=lambda p: len(p.parts))), None)
        if index is None:
            raise ReportingError(f"the Allure CLI wrote no index.html under {work / 'report'}")
        html = strip_analytics(index.read_text(encoding="utf-8"))

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(scrub_html(html), encoding="utf-8")
    return out


def strip_analytics(html: str) -> str:
    """Drop every <script> that loads code from the network or feeds an analytics tag."""

    def keep(match: re.Match) -> str:
        attrs, body = match.group(1), match.group(2)
        if _EXTERNAL_SRC.search(attrs) or _ANALYTICS.search(body[:4000]):
            return ""
        return match.group(0)

    return _SCRIPT.sub(keep, html)


def _scrub_b64(payload: str) -> str:
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return payload
    clean = scrub_bytes(raw)
    return payload if clean == raw else base64.b64encode(clean).decode("ascii")


def scrub_html(html: str) -> str:
    """Scrub the text and the base64 payloads embedded in a self-contained HTML report."""
    html = scrub(html)
    if not registered():
        return html
    html = _DATA_URI.sub(lambda m: m.group(1) + _scrub_b64(m.group(2)), html)
    return _ALLURE_DATA.sub(lambda m: m.group(1) + _scrub_b64(m.group(2)) + m.group(3), html)


def scrub_file(path: str | os.PathLike) -> bool:
    """Mask registered secrets in one report file in place; True when it changed."""
    p = Path(path)
    data = p.read_bytes()
    if p.suffix.lower() in {".html", ".htm"}:
        try:
            clean = scrub_html(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            clean = scrub_bytes(data)
    else:
        clean = scrub_bytes(data)
    if clean != data:
        p.write_bytes(clean)
        return True
    return False

