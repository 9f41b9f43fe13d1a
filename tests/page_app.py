"""Helpers for the page's AppTest tests: a patched ``webrtc_streamer`` and running ``app.py``.

``webrtc_streamer`` needs a browser, so the page tests replace it with a mock whose context
says whether the stream plays; the model is never loaded (``LiveProcessor.warm_up`` patched).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from formcheck.live import LiveProcessor
from formcheck.web.capacity import reset_live_slots
from formcheck.web.settings import ICE_ENV, UPLOAD_ENV

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def fake_webrtc_ctx(playing: bool = False, signalling: bool = False) -> mock.MagicMock:
    """A ``WebRtcStreamerContext`` stand-in in the given state."""
    ctx = mock.MagicMock(name="WebRtcStreamerContext")
    ctx.state.playing = playing
    ctx.state.signalling = signalling
    return ctx


@contextmanager
def patched_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[mock.MagicMock]:
    """Patch ``webrtc_streamer`` (returned; ``.warm_up`` is the patched model loading), keep the
    sessions' temp folders under ``tmp_path`` and the ICE/upload settings at their defaults."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(ICE_ENV, raising=False)
    monkeypatch.delenv(UPLOAD_ENV, raising=False)
    reset_live_slots()  # each test starts with no live session holding a slot
    with (
        mock.patch("formcheck.web.live_tab.webrtc_streamer", return_value=fake_webrtc_ctx()) as streamer,
        mock.patch.object(LiveProcessor, "warm_up", autospec=True) as warm_up,
    ):
        streamer.warm_up = warm_up
        yield streamer


def run_app(page: str | None = None) -> AppTest:
    """Run ``app.py`` (or one of ``pages/``) once in AppTest; fail on any exception the page raised."""
    at = AppTest.from_file(page or APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def run_batch_page() -> AppTest:
    """Run the Batch page (``pages/1_Batch.py``) once."""
    return run_app(str(Path(APP).parent / "pages" / "1_Batch.py"))
