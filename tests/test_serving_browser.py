"""The real servers: which address they listen on, HTTPS, and the token form in headless Chromium.

* ``streamlit run app.py`` with the repo's ``.streamlit/config.toml`` listens on 127.0.0.1 only
  and prints no "Network URL".
* ``formcheck serve --lan`` (here on 127.0.0.1, loopback only, with a fresh self-signed
  certificate and the token it prints once) answers HTTPS only; Chromium sees a secure context
  and the token form, not the tabs, until the printed token is entered.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import urllib.request
from pathlib import Path

import pytest
from streamlit_server import free_port, running

from formcheck.web.access import SERVED_ENV, TOKEN_ENV

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT_S = 90

pytestmark = pytest.mark.slow


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (Linux ``/proc/net/tcp``, ``tcp6``)."""
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(addr)
            if v6:
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, raw))
            else:
                found.add(socket.inet_ntoa(raw[::-1]))
    return found


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    for name in (TOKEN_ENV, SERVED_ENV, "FORMCHECK_ICE_SERVERS"):
        env.pop(name, None)
    return env


def test_plain_streamlit_run_listens_on_localhost_only(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true"]
    with running(cmd, f"http://127.0.0.1:{port}", _env(tmp_path), log):
        addresses = listening_addresses(port)
    if not addresses:
        pytest.skip("cannot read /proc/net/tcp here")
    assert addresses == {"127.0.0.1"}, addresses
    text = log.read_text()
    assert "Network URL" not in text and "External URL" not in text, text


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs headless Chromium at {CHROMIUM}")
def test_lan_mode_is_https_and_asks_for_the_printed_token(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    log = tmp_path / "serve.log"
    url = f"https://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "formcheck", "serve", "--lan", "--address", "127.0.0.1", "--port", str(port),
           "--tls-dir", str(tmp_path / "tls")]
    with running(cmd, url, _env(tmp_path), log):
        token = re.search(r"Access token \(shown only now[^:]*\): (\S+)", log.read_text()).group(1)
        assert (tmp_path / "tls" / "cert.pem").is_file()
        with pytest.raises(OSError):  # plain HTTP is not served
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5)
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(ignore_https_errors=True, viewport={"width": 1200, "height": 900})
                page.goto(url)
                field = page.get_by_label("Access token")
                field.wait_for(timeout=60_000)
                assert page.evaluate("() => window.isSecureContext && !!navigator.mediaDevices")
                assert page.get_by_role("tab", name="Live camera").count() == 0
                assert page.get_by_test_id("stSidebar").count() == 0
                page.screenshot(path=str(ARTIFACTS / "serving_token_form.png"))
                field.fill("not-the-token")
                page.get_by_role("button", name="Open").click()
                page.get_by_text("Wrong access token").wait_for(timeout=30_000)
                assert page.get_by_role("tab", name="Live camera").count() == 0
                page.get_by_label("Access token").fill(token)
                page.get_by_role("button", name="Open").click()
                page.get_by_role("tab", name="Live camera").wait_for(timeout=60_000)
                page.screenshot(path=str(ARTIFACTS / "serving_after_token.png"))
            finally:
                browser.close()
