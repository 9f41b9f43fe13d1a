"""The quiet console: native MediaPipe/TFLite log lines are dropped, everything else kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from formcheck.cli import build_parser
from formcheck.quiet import is_native_log

ROOT = Path(__file__).resolve().parents[1]
NATIVE = [
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    b"WARNING: Logging before InitGoogle() is written to STDERR",
    b"W0000 00:00:1796171537.507267   21174 inference_feedback_manager.cc:121] Feedback manager requires a model "
    b"with a single signature inference. Disabling support for feedback tensors.",
    b"I0000 00:00:1796171537.542024   21175 gl_context.cc:369] GL version: 2.1",
]
KEPT = [b"error: clip.mp4: no such file", b"W0000 is a word here", b"Traceback (most recent call last):"]


def test_native_lines_are_recognised_and_others_kept() -> None:
    assert all(is_native_log(line) for line in NATIVE)
    assert not any(is_native_log(line) for line in KEPT)


def _stderr_of(code: str, verbose: bool) -> bytes:
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_VERBOSE"}
    env["PYTHONPATH"] = str(ROOT)
    script = (
        "import os, sys\n"
        "from formcheck.quiet import quiet_console\n"
        f"quiet_console(verbose={verbose})\n" + code
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60, check=True)
    return done.stderr


def test_filter_drops_native_lines_written_to_descriptor_2() -> None:
    code = "".join("os.write(2, " + repr(line + b"\n") + ")\n" for line in NATIVE + KEPT)
    code += "print('from python', file=sys.stderr)\n"
    quiet = _stderr_of(code, verbose=False)
    assert quiet.splitlines() == [*KEPT, b"from python"]
    loud = _stderr_of(code, verbose=True)
    assert loud.splitlines() == [*NATIVE, *KEPT, b"from python"]


def test_child_processes_are_filtered_too() -> None:
    child = "import os; os.write(2, " + repr(NATIVE[2] + b"\n") + "); os.write(2, b'child ok\\n')"
    code = f"import subprocess; subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    assert _stderr_of(code, verbose=False).splitlines() == [b"child ok"]


def test_help_lists_every_option() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "batch" in a.choices).choices  # noqa: SLF001
    batch_help = sub["batch"].format_help()
    for option in ("--labels", "--no-labels", "--exercise", "--out", "--jobs", "--scheduler", "--annotate",
                   "--model", "--model-path", "--specs", "--no-progress", "--verbose"):
        assert option in batch_help, option
    analyze_help = sub["analyze"].format_help()
    for option in ("--exercise", "--out", "--no-video", "--mirrored", "--model", "--model-path", "--specs",
                   "--verbose"):
        assert option in analyze_help, option


def test_a_long_line_without_newline_is_passed_on_whole() -> None:
    code = "os.write(2, b'x' * 200000)\n"
    assert _stderr_of(code, verbose=False) == b"x" * 200000


def test_streamlit_context_warnings_are_dropped() -> None:
    """Streamlit warns when a worker thread looks for its script context; the page drops that warning."""
    code = (
        "import threading\n"
        "from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx\n"
        "from formcheck.quiet import quiet_streamlit\n"
        "def look():\n"
        "    t = threading.Thread(target=get_script_run_ctx); t.start(); t.join()\n"
        "look()\n"
        "print('--', file=sys.stderr, flush=True)\n"
        "quiet_streamlit()\n"
        "look()\n"
    )
    before, after = _stderr_of(code, verbose=True).split(b"--\n")
    assert b"missing ScriptRunContext" in before and b"missing ScriptRunContext" not in after
