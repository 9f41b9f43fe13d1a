"""Start a real page server for the browser tests: a free loopback port, wait until healthy, stop it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_cmd(port: int, *options: str) -> list[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port``, headless, no usage statistics, plus ``options``."""
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
            "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            *options]


def healthy(url: str) -> bool:
    """Whether Streamlit at ``url`` (http or https with our self-signed certificate) answers its health check."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=ctx) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def running(cmd: list[str], url: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` in the repo root, wait until ``url`` is healthy, terminate it afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
