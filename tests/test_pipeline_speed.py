"""Tests of the speed work on the analyze pipeline: thread helpers, the overlay's fast paths,
and drawing in the encode thread (issue 6). No timing asserts: behaviour only.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from poses import make_pose

import formcheck.analyze as analyze_mod
import formcheck.annotate as annotate_mod
import formcheck.threads as threads_mod
from formcheck.analyze import AnalyzeOptions, analyze
from formcheck.annotate import _CUE_COLOURS, GREY, _draw_skeleton, draw_overlay
from formcheck.engine.feedback import Cue, CueKind
from formcheck.engine.landmarks import SKELETON_EDGES
from formcheck.engine.metrics import extended_points
from formcheck.engine.session import FrameResult
from formcheck.media import H264Writer, iter_video_frames
from formcheck.outputs import file_writers
from formcheck.threads import (
    BackgroundSink,
    decode_threads_beside_inference,
    leave_inference_a_core,
    prefetch,
    work_ahead,
)

linux_only = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="per-thread CPU affinity is Linux's")

# -- threads -----------------------------------------------------------------------------------


def test_prefetch_keeps_order_and_reraises() -> None:
    assert list(prefetch(iter(range(50)), size=3)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("boom")

    it = prefetch(broken(), size=2)
    assert next(it) == 1
    with pytest.raises(ValueError, match="boom"):
        next(it)


def test_prefetch_stops_the_producer_when_the_consumer_stops() -> None:
    produced: list[int] = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetch(items(), size=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()
    for t in threading.enumerate():
        if t.name == "formcheck-prefetch":
            t.join(timeout=5)
    assert len(produced) < 20


def test_background_sink_consumes_in_order_and_reraises() -> None:
    seen: list[int] = []
    sink = BackgroundSink(seen.append, size=2)
    for i in range(20):
        sink.put(i)
    sink.close()
    assert seen == list(range(20))

    def fail(item: int) -> None:
        raise OSError(f"disk full at {item}")

    sink = BackgroundSink(fail, size=2)
    sink.put(1)
    with pytest.raises(OSError, match="disk full"):
        sink.close()


def _blank_clip(path: Path, frames: int) -> Path:
    """A black 160x120 clip at 10 frames/s."""
    with H264Writer(path, 10.0, (160, 120)) as v:
        for i in range(frames):
            v.write(np.zeros((120, 160, 3), np.uint8), timestamp_s=i / 10)
    return path


def _my_cores() -> set[int]:
    return os.sched_getaffinity(0)  # 0: the calling thread


def _in_a_thread(fn):
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


@pytest.mark.parametrize(("cores", "kept_to"), [({0, 1}, {1}), ({2, 5}, {5}), ({0}, None), ({0, 1, 2}, None)])
def test_helpers_keep_to_one_of_two_cores_only(monkeypatch: pytest.MonkeyPatch, cores: set[int], kept_to) -> None:
    moved: list[set[int]] = []
    monkeypatch.setattr(threads_mod.os, "sched_getaffinity", lambda _pid: set(cores), raising=False)
    monkeypatch.setattr(threads_mod.os, "sched_setaffinity", lambda _pid, c: moved.append(set(c)), raising=False)
    assert leave_inference_a_core() is (kept_to is not None)
    assert moved == ([kept_to] if kept_to else [])


@linux_only
def test_leave_inference_a_core_moves_only_the_calling_thread() -> None:
    mine = _my_cores()
    moved, theirs = _in_a_thread(lambda: (leave_inference_a_core(), _my_cores()))
    assert moved is (len(mine) == 2)
    assert theirs == ({max(mine)} if len(mine) == 2 else mine)
    assert _my_cores() == mine


@linux_only
def test_prefetch_and_sink_threads_leave_inference_a_core_when_asked() -> None:
    mine = _my_cores()
    kept = {max(mine)} if len(mine) == 2 else mine

    def items():
        for _ in range(3):
            yield _my_cores()

    assert list(prefetch(items(), size=2, beside_inference=True)) == [kept] * 3
    assert list(prefetch(items(), size=2)) == [mine] * 3
    seen: list[set[int]] = []
    sink = BackgroundSink(lambda _: seen.append(_my_cores()), size=2, beside_inference=True)
    sink.put(0)
    sink.close()
    assert seen == [kept]


def test_analyze_keeps_only_decode_and_encode_beside_inference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _blank_clip(tmp_path / "clip.mp4", 6)
    asked: list[str] = []
    real = threads_mod.leave_inference_a_core

    def spy() -> bool:
        asked.append(threading.current_thread().name)
        return real()

    monkeypatch.setattr(analyze_mod, "PoseEstimator", _FakeEstimator)
    monkeypatch.setattr(threads_mod, "leave_inference_a_core", spy)
    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    analyze(clip, AnalyzeOptions(exercise="tree_pose", model="lite"), writers=file_writers(tmp_path / "out"))
    assert sorted(asked) == ["formcheck-prefetch", "formcheck-sink"]
    if mine is not None:
        assert os.sched_getaffinity(0) == mine  # the caller's thread (the engine) may still run anywhere


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_work_ahead_hints_do_not_depend_on_timing(seed: int) -> None:
    """Item k is worked on with the hint read after the consumer finished item k - 2, however
    fast or slow either side is."""
    rng = random.Random(seed)
    state = {"done": -1}  # the consumer's state: the last item it finished

    def work(item: int, hint: int) -> tuple[int, int]:
        time.sleep(rng.random() * 0.002)
        return item * 10, hint

    got = []
    for item, (result, hint) in work_ahead(iter(range(40)), work, lambda: state["done"]):
        time.sleep(rng.random() * 0.002)
        got.append((item, result, hint))
        state["done"] = item
    assert got == [(k, k * 10, max(k - 2, -1)) for k in range(40)]


def test_work_ahead_reraises_and_joins_its_thread_when_stopped() -> None:
    def work(item: int, hint: None) -> int:
        if item == 3:
            raise ValueError("bad frame 3")
        return item

    got: list[int] = []
    with pytest.raises(ValueError, match="bad frame 3"):
        got.extend(r for _, r in work_ahead(iter(range(10)), work, lambda: None))
    assert got == [0, 1, 2]

    def unreadable():
        yield from range(3)
        raise OSError("truncated at frame 3")

    got.clear()
    with pytest.raises(OSError, match="truncated at frame 3"):
        got.extend(i for i, _ in work_ahead(unreadable(), lambda i, h: i, lambda: None))
    assert got == [0, 1, 2]

    pulled: list[int] = []

    def items():
        for i in range(10_000):
            pulled.append(i)
            yield i

    it = work_ahead(items(), lambda i, h: i, lambda: None)
    assert [next(it)[0] for _ in range(3)] == [0, 1, 2]
    it.close()  # returns once the thread is joined: nothing is pulled after
    assert not any(t.name == "formcheck-ahead" for t in threading.enumerate())
    assert len(pulled) <= 5
    time.sleep(0.05)
    assert len(pulled) <= 5


# -- overlay fast paths ------------------------------------------------------------------------


def _no_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cv2, "putText", lambda *a, **k: None)


def test_cue_band_and_status_panel_blend_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cue band is 75 % cue colour over the top of the frame (no head to avoid); the status
    panel below it darkens to 45 %; the bottom (under a player's controls) is left alone."""
    _no_text(monkeypatch)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    cue = Cue("Step into the camera's view.", CueKind.SETUP, "no_person", 0)
    result = FrameResult(1.0, None, None, cue=cue)
    out = draw_overlay(frame.copy(), result, None)
    colour = np.empty((10, 640, 3), np.uint8)
    colour[:] = _CUE_COLOURS[CueKind.SETUP]
    expected_band = cv2.addWeighted(colour, 0.75, frame[:10], 0.25, 0)
    assert np.array_equal(out[:10], expected_band)
    # The top-left status panel ("No exercise recognised") under the band: 55 % black over the frame.
    corner = out[50:55, :40]
    expected = cv2.addWeighted(np.zeros_like(frame[50:55, :40]), 0.55, frame[50:55, :40], 0.45, 0)
    assert np.array_equal(corner, expected)
    assert np.array_equal(out[-40:], frame[-40:])
    # Outside both, the frame is untouched.
    assert np.array_equal(out[150:200, 400:], frame[150:200, 400:])


def test_skeleton_points_truncate_like_int() -> None:
    """Fractional and negative coordinates land on the same pixels as with int()."""
    pose = make_pose(
        {
            "left_shoulder": (100.7, 80.2),
            "right_shoulder": (160.4, 81.9),
            "left_hip": (105.5, 180.5),
            "right_hip": (155.2, 179.99),
            "left_knee": (-3.6, 250.4),  # just outside the frame, still within the margin
        },
        image_size=(320, 320),
    )
    result = FrameResult(0.0, None, pose)
    got = np.zeros((320, 320, 3), np.uint8)
    _draw_skeleton(got, result, None, 0.5)

    want = np.zeros_like(got)
    vis = pose.visible(0.5)
    pts = extended_points(pose.xy, vis)
    for a, b in SKELETON_EDGES:
        if vis[a] and vis[b]:
            pa = tuple(int(v) for v in pts[a])
            pb = tuple(int(v) for v in pts[b])
            cv2.line(want, pa, pb, GREY, 2, cv2.LINE_AA)  # no exercise judged: grey
    for i in range(33):
        if vis[i]:
            cv2.circle(want, (int(pts[i, 0]), int(pts[i, 1])), 3, GREY, -1, cv2.LINE_AA)
    assert np.array_equal(got, want)


# -- analyze: drawing in the encode thread ------------------------------------------------------


class _FakeEstimator:
    """Sees the same standing person in every frame."""

    def __init__(self, options: object) -> None:
        self.options = options

    def __enter__(self) -> _FakeEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def detect(self, rgb: np.ndarray, t: float, *, mask: bool | None = None):
        h, w = rgb.shape[:2]
        return make_pose(
            {
                "left_shoulder": (w * 0.45, h * 0.3),
                "right_shoulder": (w * 0.55, h * 0.3),
                "left_hip": (w * 0.46, h * 0.55),
                "right_hip": (w * 0.54, h * 0.55),
            },
            image_size=(w, h),
            timestamp_s=t,
        )


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 0), (16, 0)])
def test_decoding_beside_inference_leaves_the_inference_its_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, threads: int
) -> None:
    monkeypatch.setattr(threads_mod, "usable_cores", lambda: cores)
    assert decode_threads_beside_inference() == threads


def test_analyze_decodes_with_the_threads_asked_for_or_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _blank_clip(tmp_path / "clip.mp4", 3)
    asked: list[int] = []
    real = analyze_mod.iter_video_frames

    def spy(path, *, threads=0, **kw):
        asked.append(threads)
        return real(path, threads=threads, **kw)

    monkeypatch.setattr(analyze_mod, "PoseEstimator", _FakeEstimator)
    monkeypatch.setattr(analyze_mod, "iter_video_frames", spy)
    monkeypatch.setattr(threads_mod, "usable_cores", lambda: 2)
    for given in (None, 0, 3):
        analyze(clip, AnalyzeOptions(exercise="tree_pose", model="lite", decode_threads=given))
    assert asked == [1, 0, 3]


def test_analyze_draws_every_frame_off_the_main_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = tmp_path / "clip.mp4"
    rng = np.random.default_rng(1)
    with H264Writer(clip, 10.0, (160, 120)) as v:
        for i in range(12):
            v.write(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), timestamp_s=i / 10)
    threads: list[str] = []
    real = annotate_mod.draw_overlay

    def spy(rgb, result, spec, extras=None):
        threads.append(threading.current_thread().name)
        return real(rgb, result, spec, extras)

    monkeypatch.setattr(analyze_mod, "PoseEstimator", _FakeEstimator)
    monkeypatch.setattr(annotate_mod, "draw_overlay", spy)
    a = analyze(clip, AnalyzeOptions(exercise="tree_pose", model="lite"), writers=file_writers(tmp_path / "out"))
    assert a.summary.frames == 12
    assert len(threads) == 12
    assert threading.main_thread().name not in threads
    assert sum(1 for _ in iter_video_frames(a.outputs["video"])) == 12


def test_analyze_infers_beside_the_engine_with_the_mask_of_two_frames_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect runs in its own thread, one frame ahead; frame k asks for the mask the engine
    wanted after frame k - 2 (so results never depend on thread timing)."""
    clip = _blank_clip(tmp_path / "clip.mp4", 8)
    asked: list[tuple[str, bool | None]] = []
    wanted: list[bool] = []

    class Spy(_FakeEstimator):
        def detect(self, rgb: np.ndarray, t: float, *, mask: bool | None = None):
            asked.append((threading.current_thread().name, mask))
            return super().detect(rgb, t, mask=mask)

    real_update = analyze_mod.Engine.update

    def update(self, frame, timestamp_s=None):
        result = real_update(self, frame, timestamp_s)
        wanted.append(self.wants_mask)
        self._active = "psoas_stretch" if len(wanted) % 3 == 0 else "tree_pose"  # flips the mask wanted
        wanted[-1] = self.wants_mask
        return result

    monkeypatch.setattr(analyze_mod, "PoseEstimator", Spy)
    monkeypatch.setattr(analyze_mod.Engine, "update", update)
    analyze(clip, AnalyzeOptions(exercise="tree_pose", model="lite"))
    assert len(asked) == len(wanted) == 8
    assert {name for name, _ in asked} == {"formcheck-ahead"}
    assert [m for _, m in asked] == [False, False] + wanted[:-2]
