"""The cap on concurrent live sessions: slots, the gated frame callback and the page's busy message."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from page_app import fake_webrtc_ctx, patched_page, run_app

from formcheck.web.capacity import (
    CAP_ENV,
    DEFAULT_CAP,
    CapacityError,
    LiveSlots,
    busy_frame,
    cap_from_env,
    gated_callback,
    live_slots,
    reset_live_slots,
)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_cap_from_env() -> None:
    assert cap_from_env({}) == DEFAULT_CAP
    assert cap_from_env({CAP_ENV: "5"}) == 5 and cap_from_env({CAP_ENV: "0"}) == 0
    for bad in ("two", "-1", "1.5"):
        with pytest.raises(CapacityError, match=CAP_ENV):
            cap_from_env({CAP_ENV: bad})


def test_slots_hold_release_and_expire_idle_holders() -> None:
    clock = Clock()
    slots = LiveSlots(2, idle_s=5.0, clock=clock)
    assert slots.acquire("a") and slots.acquire("b") and not slots.acquire("c")
    assert slots.full_for("c") and not slots.full_for("a") and slots.in_use() == 2
    assert slots.acquire("a"), "a holder keeps its slot"
    slots.release("b")
    assert slots.acquire("c") and not slots.acquire("b")
    clock.t = 4.0
    assert slots.acquire("a")  # a's stream is alive, c's is not
    clock.t = 6.0
    assert slots.acquire("b"), "c sent nothing for 6 s (a killed tab): its slot is free"
    assert slots.holds("a") and not slots.holds("c")
    unlimited = LiveSlots(0)
    assert all(unlimited.acquire(str(i)) for i in range(50)) and not unlimited.full_for("x")


def test_gated_callback_answers_busy_without_running_the_model() -> None:
    slots = LiveSlots(1)
    calls: list[str] = []

    def inner(name: str):
        def cb(frame):
            calls.append(name)
            return frame

        return cb

    first = gated_callback(inner("first"), "k1", lambda: slots)
    second = gated_callback(inner("second"), "k2", lambda: slots)
    rgb = np.full((120, 160, 3), 200, np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    assert first(frame) is frame
    out = second(frame).to_ndarray(format="rgb24")
    assert calls == ["first"], "the session over the cap never reaches its model"
    assert out.shape == rgb.shape and out.mean() < 120, "darkened, with the busy text"
    slots.release("k1")
    assert second(frame) is frame and calls == ["first", "second"]


def test_busy_frame_writes_the_message() -> None:
    rgb = np.zeros((240, 320, 3), np.uint8)
    out = busy_frame(rgb, "Busy: try again")
    assert out.shape == rgb.shape and out.max() > 100


def test_page_over_the_cap_says_busy_and_loads_no_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with patched_page(monkeypatch, tmp_path) as webrtc:
        monkeypatch.setenv(CAP_ENV, "1")
        reset_live_slots()
        assert live_slots().acquire("someone-else")
        webrtc.return_value = fake_webrtc_ctx(playing=True)
        at = run_app()
        assert any("Busy: 1 live session(s) in use" in w.value for w in at.warning)
        assert not webrtc.warm_up.called, "no landmarker for a session over the cap"
        live_slots().release("someone-else")
        at.run()
        assert not at.warning and webrtc.warm_up.called
        assert live_slots().in_use() == 0, "the slot is taken by frames, not by drawing the page"
    reset_live_slots()


def test_trim_heap_runs_on_glibc() -> None:
    import platform

    from formcheck.web.heap import trim_heap

    assert trim_heap() is (platform.libc_ver()[0] == "glibc")


def test_stop_stream_closes_the_worker_and_tolerates_anything_else() -> None:
    from formcheck.web.streams import stop_stream

    class Worker:
        def __init__(self, fail: bool = False) -> None:
            self.stopped, self.fail = 0, fail

        def stop(self, timeout: float = 1.0) -> None:
            if self.fail:
                raise RuntimeError("event loop is closed")
            self.stopped += 1

    class Ctx:
        def __init__(self, worker) -> None:
            self.worker = worker

        def _get_worker(self):
            return self.worker

    worker = Worker()
    assert stop_stream(Ctx(worker)) and worker.stopped == 1
    assert not stop_stream(Ctx(None)) and not stop_stream(None) and not stop_stream(object())
    assert not stop_stream(Ctx(Worker(fail=True)))


def test_released_session_closes_its_stream(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The janitor's release_all closes the WebRTC connection the Live tab stored in the session."""
    from unittest import mock

    from formcheck.web.streams import CTX_KEY

    with patched_page(monkeypatch, tmp_path) as webrtc:
        ctx = fake_webrtc_ctx(playing=True)
        webrtc.return_value = ctx
        at = run_app()
        res = at.session_state["fc_session"]
        assert res.state[CTX_KEY] is ctx
        res.release_all()
    ctx._get_worker.assert_called_once_with()
    ctx._get_worker.return_value.stop.assert_called_once_with(timeout=mock.ANY)
    reset_live_slots()
