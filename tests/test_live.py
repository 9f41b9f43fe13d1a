"""Tests of formcheck.live: the webcam frame callback as a plain class (fake estimator, fake clock).

The last tests run the real lite model on frames of a real clip (marked ``realdata``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from formcheck.engine.specs import SpecError
from formcheck.errors import ModelNotFoundError
from formcheck.live import RETRY_AFTER_S, LiveOptions, LiveProcessor, make_frame_callback
from formcheck.models import MODEL_DIR_ENV
from formcheck.pose.estimator import EstimatorOptions

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"


class FakeEstimator:
    """Records what it was given; sees nobody."""

    instances: list[FakeEstimator] = []

    def __init__(self, options: EstimatorOptions) -> None:
        self.options = options
        self.frames: list[np.ndarray] = []
        self.times: list[float] = []
        self.masks: list[bool | None] = []
        self.closed = False
        FakeEstimator.instances.append(self)

    def detect(self, rgb: np.ndarray, t: float, *, mask: bool | None = None) -> None:
        assert not self.closed, "detect() after close()"
        self.frames.append(rgb.copy())
        self.times.append(t)
        self.masks.append(mask)
        return None

    def close(self) -> None:
        self.closed = True


class FakeClock:
    """A clock that advances by ``step`` on every read."""

    def __init__(self, step: float = 0.02) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture(autouse=True)
def _clear_instances():
    FakeEstimator.instances.clear()


def _frame(h: int = 120, w: int = 160) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def make(specs, **kw) -> LiveProcessor:
    return LiveProcessor(specs, LiveOptions(**kw), clock=FakeClock(), estimator_factory=FakeEstimator)


def test_process_returns_annotated_copy_and_keeps_input(specs):
    proc = make(specs, exercise="tree_pose", mirror_view=False)
    rgb = _frame()
    before = rgb.copy()
    out = proc.process(rgb, 10.0)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert np.array_equal(rgb, before), "the caller's frame must not be drawn on"
    assert not np.array_equal(out, rgb), "the overlay (setup cue band) must be drawn"
    snap = proc.snapshot()
    assert snap.frames == 1 and snap.exercise == "tree_pose"
    assert snap.cue == "Step into the camera's view." and snap.cue_kind == "setup"


def test_mirror_view_flips_frame_and_asks_estimator_to_swap_sides(specs):
    proc = make(specs, exercise="tree_pose", mirror_view=True)
    rgb = _frame()
    proc.process(rgb, 1.0)
    est = FakeEstimator.instances[-1]
    assert est.options.mirrored is True
    assert np.array_equal(est.frames[0], rgb[:, ::-1])
    proc.set_options(mirror_view=False)
    proc.process(rgb, 1.1)
    est2 = FakeEstimator.instances[-1]
    assert est2 is not est and est.closed and est2.options.mirrored is False
    assert np.array_equal(est2.frames[0], rgb)


def test_timestamps_strictly_increase_even_when_the_clock_repeats(specs):
    proc = make(specs, exercise="boat_pose")
    for now in (5.0, 5.0, 5.0, 4.9, 5.2, 5.2):
        proc.process(_frame(), now)
    times = FakeEstimator.instances[-1].times
    assert times[0] == 0.0
    assert all(b > a for a, b in zip(times, times[1:], strict=False)), times


def test_fps_and_latency_are_measured(specs):
    clock = FakeClock(step=0.01)  # two reads per frame: 10 ms latency
    proc = LiveProcessor(specs, LiveOptions(exercise="tree_pose"), clock=clock, estimator_factory=FakeEstimator)
    for i in range(40):
        proc.process(_frame(), i * 0.1)  # 10 frames per second
    snap = proc.snapshot()
    assert snap.fps == pytest.approx(10.0, rel=0.01)
    assert snap.latency_ms == pytest.approx(10.0, rel=0.01)


def test_large_frames_are_downscaled(specs):
    proc = make(specs, exercise="tree_pose", max_side=320)
    out = proc.process(_frame(480, 640), 0.0)
    assert out.shape == (240, 320, 3)


def test_exercise_and_model_changes_take_effect_at_the_next_frame(specs):
    proc = make(specs, exercise="tree_pose", model="lite")
    proc.process(_frame(), 0.0)
    first = FakeEstimator.instances[-1]
    proc.set_options(exercise="psoas_stretch")  # reads the segmentation mask: asked for frame by frame
    proc.process(_frame(), 0.1)
    assert proc.snapshot().exercise == "psoas_stretch"
    assert FakeEstimator.instances[-1] is first and not first.closed
    assert first.masks == [False, True]
    proc.set_options(model="full")
    proc.process(_frame(), 0.2)
    assert first.closed and FakeEstimator.instances[-1].options.model == "full"
    with pytest.raises(SpecError):
        proc.set_options(exercise="no_such_exercise")


def test_setters_from_another_thread_while_processing(specs):
    proc = make(specs, exercise="tree_pose")
    ids = ["tree_pose", "boat_pose", "auto", "pyramid_pose"]
    stop = threading.Event()
    errors: list[BaseException] = []

    def flip() -> None:
        i = 0
        while not stop.is_set():
            try:
                proc.set_options(exercise=ids[i % len(ids)])
                proc.snapshot()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            i += 1

    th = threading.Thread(target=flip)
    th.start()
    try:
        for i in range(150):
            proc.process(_frame(60, 80), i * 0.033)
    finally:
        stop.set()
        th.join()
    assert not errors
    assert proc.snapshot().frames == 150
    assert sum(not e.closed for e in FakeEstimator.instances) == 1, "one live landmarker at a time"


def test_model_error_is_shown_and_retried_later(specs, caplog):
    calls = []

    def failing(options: EstimatorOptions):
        calls.append(options)
        raise ModelNotFoundError("pose_landmarker_lite.task not found")

    proc = LiveProcessor(specs, LiveOptions(exercise="tree_pose"), estimator_factory=failing)
    with caplog.at_level("ERROR", logger="formcheck.web"):
        out = proc.process(_frame(), 0.0)
    # one short sentence for the page user; the full detail in the server log
    error = proc.snapshot().error
    assert error.startswith("The pose model is missing: put pose_landmarker_lite.task in ")
    assert "FORMCHECK_MODEL_DIR" in error
    assert "http" not in error and len(error) < 250
    assert "pose_landmarker_lite.task not found" in caplog.text
    assert out[0, 0].tolist() == [192, 57, 43], "error banner drawn"
    proc.process(_frame(), 1.0)
    assert len(calls) == 1, "no reload on every frame"
    proc.process(_frame(), RETRY_AFTER_S + 0.1)
    assert len(calls) == 2


def test_reset_release_and_close(specs):
    proc = make(specs, exercise="tree_pose")
    proc.process(_frame(), 0.0)
    proc.reset()
    assert proc.snapshot().frames == 0
    proc.release()
    assert FakeEstimator.instances[-1].closed and not proc.warm
    proc.warm_up()
    assert proc.warm
    proc.close()
    assert all(e.closed for e in FakeEstimator.instances)
    rgb = _frame()
    out = proc.process(rgb, 3.0)
    assert np.array_equal(out, rgb[:, ::-1]), "closed: frames pass through (mirrored) untouched"


def test_frame_callback_wraps_av_frames(specs):
    av = pytest.importorskip("av")
    proc = make(specs, exercise="tree_pose")
    callback = make_frame_callback(proc, clock=FakeClock(0.05))
    frame = av.VideoFrame.from_ndarray(_frame(120, 160), format="rgb24")
    out = callback(frame)
    assert isinstance(out, av.VideoFrame)
    assert (out.width, out.height) == (160, 120)
    assert proc.snapshot().frames == 1


# --------------------------------------------------------------------------- real model

needs_model = pytest.mark.skipif(
    not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not TREE_CLIP.is_file(),
    reason=f"needs {MODEL_DIR}/pose_landmarker_lite.task and {TREE_CLIP}",
)


def _tree_frames(n: int = 36) -> list[np.ndarray]:
    import cv2

    from formcheck.media import iter_video_frames

    out = []
    for rgb, _t in iter_video_frames(TREE_CLIP):
        out.append(cv2.resize(rgb, (320, 240), interpolation=cv2.INTER_AREA))
        if len(out) >= n:
            break
    return out


@pytest.mark.realdata
@needs_model
@pytest.mark.parametrize("mirror", [True, False])
@pytest.mark.usefixtures("_model_env")
def test_real_model_tree_pose_good_form_same_side_either_view(specs, mirror):
    proc = LiveProcessor(specs, LiveOptions(exercise="tree_pose", model="lite", mirror_view=mirror))
    try:
        for i, rgb in enumerate(_tree_frames()):
            out = proc.process(rgb, i / 24)
        snap = proc.snapshot()
        assert snap.in_position and snap.cue.startswith("Good form"), snap
        assert snap.hold_s > 0.5 and snap.fps > 0 and snap.latency_ms > 0
        assert out.shape == (240, 320, 3)
        side = proc._engine.sessions["tree_pose"].side_tracker.side  # noqa: SLF001 - the side the engine chose
        assert side == "left", "the standing leg is the person's left in either view"
    finally:
        proc.close()


@pytest.fixture
def _model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
