"""The live webcam pipeline as a plain class: RGB frame in, annotated RGB frame out.

:class:`LiveProcessor` is what the Streamlit page's ``streamlit-webrtc`` frame callback calls,
but it knows nothing about Streamlit or WebRTC, so it can be tested (and benchmarked) with
plain numpy frames and a fake clock.

Threading: ``process`` runs in streamlit-webrtc's worker thread while the page (another
thread) changes the exercise or the model and reads :meth:`LiveProcessor.snapshot`. Settings
go through a small lock and take effect at the next frame; the pose estimator is created,
used and replaced only inside ``process`` (under the run lock), so one MediaPipe landmarker
serves one browser session and is never used by two threads at once.

Left and right (selfie view): a browser sends the camera's own picture, which is *not*
mirrored, but people expect to see themselves as in a mirror. With ``mirror_view=True``
(the default) the processor flips each frame horizontally before anything else, so the
picture sent back is a mirror image with readable overlay text, and runs the estimator with
``mirrored=True`` so that "left" in every cue still means the person's anatomical left.
With ``mirror_view=False`` the frame is judged and shown as the camera sees it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from formcheck.annotate import OverlayExtras, draw_overlay
from formcheck.engine.engine import AUTO, Engine, EngineOptions
from formcheck.engine.feedback import CueKind
from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec
from formcheck.errors import FormcheckError
from formcheck.messages import user_message
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode

_LOG = logging.getLogger(__name__)
#: Smallest step between two frame timestamps fed to the engine, in seconds.
MIN_STEP_S = 0.001
#: After an error (e.g. no model), wait this long before trying to load the model again, in seconds.
RETRY_AFTER_S = 5.0
#: Weight of the newest sample in the FPS and latency moving averages.
EMA_ALPHA = 0.1


@dataclass(frozen=True)
class LiveOptions:
    """Settings of a :class:`LiveProcessor`.

    Attributes:
        exercise: an exercise id, or "auto" to recognise it.
        model: MediaPipe model variant ("lite", "full", "heavy"); lite keeps up on small CPUs.
        mirror_view: flip frames horizontally (selfie view) and swap left/right back for the
            estimator, see the module docstring.
        show_stats: draw FPS and latency on the frame.
        max_side: frames whose longer side exceeds this many pixels are downscaled before
            pose detection and drawing (0: never).
    """

    exercise: str = AUTO
    model: str = "lite"
    mirror_view: bool = True
    show_stats: bool = True
    max_side: int = 960


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows next to the video, read from another thread.

    Attributes:
        frames: frames processed since the last reset.
        exercise: the exercise judged now (None: nothing recognised yet).
        cue: the current cue text ('' for none).
        cue_kind: "setup", "fault", "good" or "none".
        in_position: whether the person is in the exercise's position.
        faults: fault ids active now.
        hold_s: hold time so far, in seconds.
        rounds: Cat-Cow rounds (0 for exercises without a counter).
        score: this frame's form score (NaN when unknown).
        fps: processed frames per second (moving average).
        latency_ms: time spent turning one frame into an annotated frame, in milliseconds
            (moving average; the frame that loads the model is left out).
        error: the last error message ('' when fine).
    """

    frames: int = 0
    exercise: str | None = None
    cue: str = ""
    cue_kind: str = CueKind.NONE.value
    in_position: bool = False
    faults: tuple[str, ...] = ()
    hold_s: float = 0.0
    rounds: int = 0
    score: float = float("nan")
    fps: float = float("nan")
    latency_ms: float = float("nan")
    error: str = ""


def _ema(prev: float, value: float, alpha: float = EMA_ALPHA) -> float:
    return value if math.isnan(prev) else (1 - alpha) * prev + alpha * value


@dataclass
class _Stats:
    fps: float = float("nan")
    latency_ms: float = float("nan")
    last_now: float | None = None


class LiveProcessor:
    """Turns webcam frames into annotated frames for one browser session.

    Args:
        specs: the exercise specs, by id.
        options: settings (exercise, model, mirror view).
        clock: a monotonic clock in seconds used to measure latency (injectable for tests).
        estimator_factory: builds the pose estimator (tests pass a fake); defaults to
            :class:`~formcheck.pose.estimator.PoseEstimator`.

    Raises:
        SpecError: the exercise id is unknown.
    """

    def __init__(
        self,
        specs: dict[str, ExerciseSpec],
        options: LiveOptions | None = None,
        clock: Callable[[], float] = time.perf_counter,
        estimator_factory: Callable[[EstimatorOptions], Any] = PoseEstimator,
    ) -> None:
        self.specs = specs
        self._clock = clock
        self._factory = estimator_factory
        self._settings_lock = threading.Lock()  # guards _wanted
        self._run_lock = threading.Lock()  # guards everything process() touches
        self._wanted = options or LiveOptions()
        self._check_exercise(self._wanted.exercise)
        self._active: LiveOptions | None = None
        self._engine: Engine | None = None
        self._estimator: Any = None
        self._estimator_key: tuple[str, bool, bool] | None = None
        self._t0: float | None = None
        self._last_t: float | None = None
        self._stats = _Stats()
        self._snapshot = LiveSnapshot()
        self._closed = False
        self._failed_at: float | None = None
        self._error = ""
        #: Called with every judged frame's result in the worker thread (e.g. the routine coach).
        self.on_result: Callable[[FrameResult], None] | None = None

    # -- settings (any thread) ---------------------------------------------------------------

    def _check_exercise(self, exercise: str) -> None:
        if exercise != AUTO and exercise not in self.specs:
            Engine(self.specs, EngineOptions(exercise=exercise))  # raises SpecError with the choices

    @property
    def options(self) -> LiveOptions:
        """The settings that the next frame will use."""
        with self._settings_lock:
            return self._wanted

    def set_options(self, **changes: Any) -> None:
        """Change :class:`LiveOptions` fields from the next frame on (thread-safe).

        A new exercise restarts the hold time and rounds; a new model or mirror setting
        reloads the estimator.

        Args:
            **changes: ``LiveOptions`` field → new value (e.g. ``exercise="tree_pose"``).

        Raises:
            SpecError: the exercise id is unknown.
        """
        if "exercise" in changes:
            self._check_exercise(changes["exercise"])
        with self._settings_lock:
            self._wanted = replace(self._wanted, **changes)

    def snapshot(self) -> LiveSnapshot:
        """The latest frame's figures (safe to call from any thread)."""
        with self._settings_lock:
            return self._snapshot

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Start a new live session: clock, hold time, rounds and cues from zero."""
        with self._run_lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        if self._engine is not None:
            self._engine.reset()
        self._t0 = None
        self._last_t = None
        self._stats = _Stats()
        with self._settings_lock:
            self._snapshot = LiveSnapshot()

    def release(self) -> None:
        """Free the pose model (e.g. when the stream stops); the next frame loads it again."""
        with self._run_lock:
            self._close_estimator()
            self._reset_locked()

    def close(self) -> None:
        """Free the pose model for good; ``process`` then returns frames untouched."""
        with self._run_lock:
            self._closed = True
            self._close_estimator()

    def _close_estimator(self) -> None:
        est, self._estimator, self._estimator_key = self._estimator, None, None
        if est is not None:
            est.close()

    # -- per frame (worker thread) -----------------------------------------------------------

    def warm_up(self) -> None:
        """Load the pose model now (e.g. while the browser negotiates the stream), not on the first frame."""
        with self._settings_lock:
            o = self._wanted
        with self._run_lock:
            if self._closed:
                return
            try:
                self._prepare(o)
            except (FormcheckError, ValueError, RuntimeError) as exc:
                self._close_estimator()
                self._active = None
                self._error = user_message(exc, o.model)

    @property
    def warm(self) -> bool:
        """Whether a pose model is loaded."""
        return self._estimator is not None

    def _prepare(self, o: LiveOptions) -> bool:
        """Rebuild the engine/estimator when the settings that shape them changed.

        Returns:
            True when the estimator was (re)created (that frame's timing is not representative).
        """
        created = False
        if self._active is None or self._engine is None or o.exercise != self._active.exercise:
            self._engine = Engine(self.specs, EngineOptions(exercise=o.exercise))
        key = (o.model, o.mirror_view)
        if self._estimator is None or key != self._estimator_key:
            self._close_estimator()
            self._estimator = self._factory(
                EstimatorOptions(
                    model=o.model,
                    mode=RunningMode.VIDEO,
                    mirrored=o.mirror_view,
                )
            )
            self._estimator_key = key
            self._stats = _Stats()
            created = True
        self._active = o
        return created

    def _timestamp(self, now_s: float) -> float:
        """Seconds since the first frame, strictly increasing even if the clock repeats."""
        if self._t0 is None:
            self._t0 = now_s
        t = now_s - self._t0
        if self._last_t is not None and t < self._last_t + MIN_STEP_S:
            t = self._last_t + MIN_STEP_S
        self._last_t = t
        return t

    def process(self, rgb: np.ndarray, now_s: float) -> np.ndarray:
        """Judge one frame and return it annotated.

        Args:
            rgb: (H, W, 3) uint8 RGB frame as the camera sent it.
            now_s: the arrival time in seconds (any monotonic clock; repeats and small steps
                back are tolerated).

        Returns:
            A new (H', W', 3) uint8 RGB frame: mirrored if ``mirror_view``, downscaled if
            larger than ``max_side``, with the overlay drawn. On an error (e.g. the model is
            missing) the frame carries the error message instead and :meth:`snapshot` has it.
        """
        with self._settings_lock:
            o = self._wanted
        with self._run_lock:
            started = self._clock()
            frame = self._frame_for(rgb, o)
            if np.may_share_memory(frame, rgb):
                frame = frame.copy()
            if self._closed:
                return frame
            if self._failed_at is not None and 0 <= now_s - self._failed_at < RETRY_AFTER_S:
                return self._error_frame(frame, self._error)
            try:
                loaded = self._prepare(o)
                t = self._timestamp(now_s)
                assert self._engine is not None
                pose = self._estimator.detect(frame, t, mask=self._engine.wants_mask)
                result = self._engine.update(pose, t)
            except (FormcheckError, ValueError, RuntimeError) as exc:
                self._close_estimator()
                self._active = None
                self._failed_at, self._error = now_s, user_message(exc, o.model)
                return self._error_frame(frame, self._error)
            self._failed_at = None
            self._measure_fps(now_s)
            spec = self.specs.get(result.exercise) if result.exercise else None
            s = self._stats
            # The page writes the cue beside the video: the frame gets a border in its colour.
            extras = OverlayExtras(fps=None if math.isnan(s.fps) else s.fps,
                                   latency_ms=None if math.isnan(s.latency_ms) else s.latency_ms, cue_band=False,
                                   figures=False)
            out = draw_overlay(frame, result, spec,
                               extras if o.show_stats else OverlayExtras(cue_band=False, figures=False))
            if not loaded:  # the frame that loaded the model would swamp the average
                s.latency_ms = _ema(s.latency_ms, (self._clock() - started) * 1000.0)
            self._publish(result)
            if self.on_result is not None:
                try:
                    self.on_result(result)
                except Exception:  # noqa: BLE001 - a listener's bug must not stop the video
                    _LOG.exception("live result listener failed")
            return out

    @staticmethod
    def _frame_for(rgb: np.ndarray, o: LiveOptions) -> np.ndarray:
        frame = np.asarray(rgb)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {frame.dtype} {frame.shape}")
        h, w = frame.shape[:2]
        if o.max_side and max(h, w) > o.max_side:
            scale = o.max_side / max(h, w)
            frame = cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))),
                               interpolation=cv2.INTER_AREA)
        if o.mirror_view:
            return cv2.flip(frame, 1)  # a new contiguous array, ~50x faster than a numpy flip copy
        return np.ascontiguousarray(frame)

    def _measure_fps(self, now_s: float) -> None:
        s = self._stats
        if s.last_now is not None:
            dt = now_s - s.last_now
            if dt > 0:
                s.fps = _ema(s.fps, 1.0 / dt)
        s.last_now = now_s

    def _publish(self, r: FrameResult) -> None:
        snap = LiveSnapshot(
            frames=self._snapshot.frames + 1,
            exercise=r.exercise,
            cue=r.cue.text,
            cue_kind=r.cue.kind.value,
            in_position=r.in_position,
            faults=r.faults,
            hold_s=r.hold_s,
            rounds=r.rounds,
            score=r.score,
            fps=self._stats.fps,
            latency_ms=self._stats.latency_ms,
        )
        with self._settings_lock:
            self._snapshot = snap

    def _error_frame(self, frame: np.ndarray, message: str) -> np.ndarray:
        with self._settings_lock:
            self._snapshot = replace(self._snapshot, error=message)
        h, w = frame.shape[:2]
        unit = max(h, w) / 640.0
        cv2.rectangle(frame, (0, 0), (w, int(40 * unit)), (192, 57, 43), -1)
        text = message if len(message) < 70 else message[:67] + "..."
        cv2.putText(frame, text, (int(8 * unit), int(27 * unit)), cv2.FONT_HERSHEY_DUPLEX, 0.5 * unit,
                    (255, 255, 255), 1, cv2.LINE_AA)
        return frame


def make_frame_callback(processor: LiveProcessor, clock: Callable[[], float] = time.monotonic) -> Callable[[Any], Any]:
    """The ``video_frame_callback`` for ``streamlit_webrtc.webrtc_streamer``.

    The callback converts the ``av.VideoFrame`` to RGB, runs :meth:`LiveProcessor.process`
    with the arrival time from ``clock`` and returns a new ``av.VideoFrame``.
    """
    import av  # noqa: PLC0415 - PyAV is only needed by the live page

    def callback(frame: Any) -> Any:
        now = clock()
        rgb = frame.to_ndarray(format="rgb24")
        out = processor.process(rgb, now)
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    return callback
