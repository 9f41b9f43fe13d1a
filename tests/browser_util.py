"""Helpers for the browser tests: a ``streamlit run app.py`` server and the fake camera's y4m file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(log_path: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[str]:
    """Run ``streamlit run app.py`` (headless, localhost, no usage statistics); yield its URL.

    Args:
        log_path: the server's output is appended here.
        env: variables added to this process's environment (FORMCHECK_ICE_SERVERS is removed).
        args: more ``streamlit run`` options.
    """
    port = free_port()
    full_env = {**os.environ, **env}
    full_env.pop("FORMCHECK_ICE_SERVERS", None)
    log = log_path.open("a")
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (see {log_path})")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def write_y4m(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    """RGB frames as a YUV4MPEG2 (4:2:0) file, the format Chromium's fake camera reads."""
    import cv2

    h, w = frames[0].shape[:2]
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for rgb in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path
