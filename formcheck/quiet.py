"""A quiet console: MediaPipe's, TFLite's and absl's native log lines are dropped.

MediaPipe's C++ code writes its log lines ("Created TensorFlow Lite XNNPACK delegate",
"Feedback manager requires a model with a single signature inference", ...) straight to file
descriptor 2, past Python's ``sys.stderr``, once per graph and process; no environment
variable turns them off. :func:`quiet_console` therefore routes descriptor 2 through a pipe
and a thread that forwards every line except those. Processes started afterwards (the batch's
workers) inherit the pipe, so their lines are filtered too. ``--verbose`` leaves the console
as it is.

:func:`quiet_streamlit` drops Streamlit's "missing ScriptRunContext" warnings, which its own
code logs when a worker thread (WebRTC, encoder, janitor) touches a Streamlit helper.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import re
import sys
import threading

#: A native log line: absl/glog ("W0000 00:00:17... file.cc:12] ...") or TFLite's own.
NATIVE_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\] "
    rb"|INFO: Created TensorFlow Lite|WARNING: Logging before InitGoogle\(\)"
    rb"|WARNING: All log messages before absl::InitializeLog\(\))"
)
_ST_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"
_installed: list[int] = []  # the saved real stderr descriptor, once installed


def is_native_log(line: bytes) -> bool:
    """Whether ``line`` is a native MediaPipe/TFLite/absl log line (dropped unless verbose)."""
    return NATIVE_LINE.match(line) is not None


def _forward(read_fd: int, real_fd: int) -> None:
    """Copy lines from the pipe to the real stderr, leaving out native log lines.

    It never stops reading while the pipe is open (a full pipe would block every writer): a
    line longer than 64 KiB is passed on in pieces, and a failed write is dropped.
    """
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_native_log(line))
            if len(pending) > 65536:
                kept, pending = kept + pending, b""
            _write_all(real_fd, kept)
        if not is_native_log(pending):
            _write_all(real_fd, pending)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:  # stderr closed: the line is lost, the pipe keeps draining
        pass


def quiet_console(verbose: bool = False) -> None:
    """Filter native log lines out of this process's descriptor 2 (idempotent).

    Args:
        verbose: keep every line (do nothing).
    """
    if verbose or _installed or os.environ.get("FORMCHECK_VERBOSE"):
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read_fd, write_fd = os.pipe()
    except (OSError, ValueError):  # no descriptor 2 (embedded interpreters): nothing to filter
        return
    thread = threading.Thread(target=_forward, args=(read_fd, real), name="formcheck-stderr", daemon=True)
    thread.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    _installed.append(real)

    def restore() -> None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(real, 2)  # the pipe's last writer in this process closes: the thread ends
        thread.join(timeout=2.0)

    atexit.register(restore)


class _NoContextWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


def quiet_streamlit(verbose: bool = False) -> None:
    """Drop Streamlit's "missing ScriptRunContext" warnings and native log lines (idempotent).

    Args:
        verbose: keep everything.
    """
    if verbose:
        return
    logger = logging.getLogger(_ST_LOGGER)
    if not any(isinstance(f, _NoContextWarning) for f in logger.filters):
        logger.addFilter(_NoContextWarning())
    quiet_console()


def add_verbose_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--verbose``: keep MediaPipe's native log lines on the console."""
    p.add_argument("--verbose", action="store_true", help="show MediaPipe/TFLite log lines (hidden by default)")
