"""Helpers for the browser tests: a ``streamlit run app.py`` server and the fake camera's y4m file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from streamlit_server import free_port, running, streamlit_cmd


@contextmanager
def streamlit_server(log_path: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[str]:
    """Run ``streamlit run app.py`` (headless, localhost, no usage statistics); yield its URL.

    Args:
        log_path: the server's output is written here.
        env: variables added to this process's environment (FORMCHECK_ICE_SERVERS is removed).
        args: more ``streamlit run`` options.
    """
    port = free_port()
    full_env = {**os.environ, **env}
    full_env.pop("FORMCHECK_ICE_SERVERS", None)
    url = f"http://127.0.0.1:{port}"
    with running(streamlit_cmd(port, *args), url, full_env, log_path):
        yield url


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
