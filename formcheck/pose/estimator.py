"""MediaPipe Pose Landmarker wrapper: RGB frames in, :class:`~formcheck.engine.landmarks.PoseFrame` out.

This module is the only place in formcheck that talks to MediaPipe and the only place that
builds a :class:`PoseFrame` from MediaPipe results (:func:`_pose_frame_from_result`).

Typical use::

    with PoseEstimator(EstimatorOptions(model="lite")) as est:
        for rgb, t in iter_video_frames("squat.mp4"):
            pose = est.detect(rgb, t)  # PoseFrame or None

A :class:`PoseEstimator` is not thread-safe and, in VIDEO mode, belongs to one video: its
timestamps must keep increasing, and main-person tracking carries over between calls.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import cv2
import numpy as np

from formcheck.engine.landmarks import NUM_LANDMARKS, PoseFrame, PoseLandmark
from formcheck.errors import FormcheckError, ModelNotFoundError
from formcheck.models import ModelVariant, resolve_model

_HIPS = (int(PoseLandmark.LEFT_HIP), int(PoseLandmark.RIGHT_HIP))
_BOX_MIN_VISIBILITY = 0.5
#: Most people the periodic people check looks for (it only needs to tell one from several).
PEOPLE_CHECK_POSES = 3
#: Detection and presence confidence of the people check: lower than the tracker's 0.5 so that
#: a partly hidden second person is still counted (no false second person was seen at 0.3 on
#: the single-person clips of ``../shared/realdata``).
PEOPLE_CHECK_CONFIDENCE = 0.3
#: In VIDEO mode the people check runs in a background thread, beside the tracking inference,
#: and its count is taken this many seconds of video later (waiting for it if need be): the
#: outcome depends on the frames only, never on thread timing.
PEOPLE_CHECK_LAG_S = 0.5
#: Two poses of the people check whose landmark boxes overlap this much are one person.
SAME_PERSON_IOU = 0.6
#: A pose whose landmark box lies this much inside another's (intersection over the smaller
#: box) is part of the same person: close-ups of one person's legs came back as two poses.
SAME_PERSON_INSIDE = 0.8
_log = logging.getLogger(__name__)


class RunningMode(Enum):
    """How frames relate to each other.

    IMAGE: every call is an independent photo (no tracking, timestamps ignored).
    VIDEO: calls are consecutive frames of one video; MediaPipe tracks the person between
    frames (faster, steadier) and needs increasing timestamps.
    """

    IMAGE = "image"
    VIDEO = "video"


@dataclass
class EstimatorOptions:
    """Settings of a :class:`PoseEstimator`.

    Attributes:
        model: which official bundle to use (``"lite"``, ``"full"``, ``"heavy"``); looked up
            with :func:`formcheck.models.resolve_model`.
        model_path: explicit ``.task`` file; overrides ``model``.
        mode: :class:`RunningMode` (VIDEO for clips, IMAGE for unrelated photos).
        num_poses: most people MediaPipe looks for. 1 (default): MediaPipe tracks one person
            from frame to frame (the detector runs only when the track is lost), so the main
            person stays the same. 2 lets the estimator notice a second person
            (``PoseFrame.num_people``) while still reporting one main pose, but while fewer
            than ``num_poses`` people are tracked MediaPipe re-runs its person detector on
            every frame: roughly twice as slow for a lone person in VIDEO mode (measured ~45
            vs ~100 ms/frame, lite, 640x480, 2 CPUs).
        min_pose_detection_confidence: detector score needed to start a pose, in [0, 1].
        min_pose_presence_confidence: landmark model's presence score needed, in [0, 1].
        min_tracking_confidence: score below which VIDEO mode re-runs the detector, in [0, 1].
        segmentation_mask: also return a person mask (``PoseFrame.mask``); costs ~15 % more
            inference time. The default of :meth:`PoseEstimator.detect`, which can ask for the
            mask frame by frame (``mask=``).
        mask_max_side: the mask is downscaled (area averaging, float32) so that its longer
            side is at most this many pixels; it is never upscaled.
        mirrored: the input is a mirrored selfie view; swap the anatomical left/right labels
            of every pose with :meth:`PoseFrame.mirrored` (coordinates are unchanged).
        people_check_s: with ``num_poses=1`` only: every this many seconds (of
            the video's clock) a frame in which the main person was found is also given to a
            second, IMAGE-mode landmarker (the lite model when it is on disk, else the main
            model; made on first use and shared by the process's estimators; detection and
            presence confidence 0.3) that looks
            for up to :data:`PEOPLE_CHECK_POSES` people; its count is carried in
            ``PoseFrame.num_people`` until the next check. The main pose still comes from
            the tracking landmarker, so the main person stays the same. ``0`` (default):
            no check, ``num_people`` is 1 whenever a pose is found. In IMAGE mode any value
            > 0 checks every photo (one more inference per photo). One check costs about
            2-3 lite frames (~100 ms of one CPU). In VIDEO mode checks run in a background
            thread and their count is taken :data:`PEOPLE_CHECK_LAG_S` of video later (so a
            second person is reported from then on): on 2 CPUs it then costs the tracking
            inference little. ``formcheck analyze`` and the batch turn it on (2 s); the live
            page leaves it off.
    """

    model: ModelVariant | str = ModelVariant.FULL
    model_path: Path | None = None
    mode: RunningMode = RunningMode.VIDEO
    num_poses: int = 1
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation_mask: bool = False
    mask_max_side: int = 256
    mirrored: bool = False
    people_check_s: float = 0.0

    def validate(self) -> None:
        """Raise ``ValueError`` if a setting is out of range."""
        self.model = ModelVariant.parse(self.model)
        if not isinstance(self.mode, RunningMode):
            raise TypeError(f"EstimatorOptions.mode must be a RunningMode, got {self.mode!r}")
        if self.num_poses < 1:
            raise ValueError(f"EstimatorOptions.num_poses must be >= 1, got {self.num_poses}")
        if self.mask_max_side < 1:
            raise ValueError(f"EstimatorOptions.mask_max_side must be >= 1, got {self.mask_max_side}")
        if not (math.isfinite(self.people_check_s) and self.people_check_s >= 0):
            raise ValueError(f"EstimatorOptions.people_check_s must be >= 0 seconds, got {self.people_check_s}")
        for name in (
            "min_pose_detection_confidence",
            "min_pose_presence_confidence",
            "min_tracking_confidence",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"EstimatorOptions.{name} must be in [0, 1], got {value}")


# The people check's IMAGE-mode landmarkers, one per model file, shared by every estimator of
# the process (each use under its lock): an IMAGE-mode graph keeps no state between photos,
# and loading one costs ~0.14 s, a few % of a short clip's analysis in a batch worker.
_PEOPLE_GRAPHS: dict[Path, tuple[Any, threading.Lock]] = {}
_PEOPLE_GRAPHS_LOCK = threading.Lock()

# Estimators still open at interpreter exit are closed by an atexit hook: MediaPipe's own
# PoseLandmarker.__del__ can crash when it runs during interpreter teardown. Closing fails
# when MediaPipe was imported before this module (its call executor is already shut down);
# then every graph stays referenced in _AT_EXIT so that its __del__ runs only after
# MediaPipe's own exit hook, which makes it a no-op, instead of raising during this hook.
_LIVE: weakref.WeakSet[PoseEstimator] = weakref.WeakSet()
_AT_EXIT: list[Any] = []


@atexit.register
def _close_all() -> None:
    for est in list(_LIVE):
        _AT_EXIT.extend(est._landmarkers.values())
        with contextlib.suppress(RuntimeError):
            est.close()
    for graph, _ in _PEOPLE_GRAPHS.values():
        with contextlib.suppress(RuntimeError):
            graph.close()


class PoseEstimator:
    """Detect the main person's pose in RGB frames with MediaPipe Pose Landmarker.

    Use it as a context manager or call :meth:`close` when done.

    Args:
        options: settings; defaults to ``EstimatorOptions()``.

    Raises:
        ModelNotFoundError: the model could not be found or downloaded.
        FormcheckError: the model file could not be loaded by MediaPipe.
        ValueError: an option is out of range.
    """

    def __init__(self, options: EstimatorOptions | None = None) -> None:
        self.options = options if options is not None else EstimatorOptions()
        self.options.validate()
        self.model_path = resolve_model(self.options.model, self.options.model_path)
        # One MediaPipe graph per mask setting, made on first use: the mask costs ~15 % more
        # inference, so it runs only on the frames that ask for it.
        self._landmarkers: dict[bool, Any] = {}
        self._closed = False
        self._landmarker_for(self.options.segmentation_mask)  # load errors surface here
        self._last_ms: int | None = None
        self._prev_hip: np.ndarray | None = None
        self._people_count = 0
        self._people_checked_at: float | None = None
        self._people_off = False
        self._people_pending: tuple[Future[int], float] | None = None  # (count, take at t)
        self._people_thread: ThreadPoolExecutor | None = None
        if self.options.people_check_s and self.options.num_poses == 1:
            # The check's landmarker loads in its thread while the first frames are decoded.
            self._people_thread = ThreadPoolExecutor(1, thread_name_prefix="formcheck-people")
            self._people_thread.submit(_people_landmarker, self.model_path)
        self.people_checks = 0  # how many people checks ran (for tests and benchmarks)
        _LIVE.add(self)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the MediaPipe graphs. Safe to call more than once.

        A people check still running is not waited for: its count is no longer read, and its
        graph is the process's (:func:`_people_landmarker`), not this estimator's.
        """
        if self._people_thread is not None:
            self._people_thread.shutdown(wait=False, cancel_futures=True)
            self._people_thread = None
        self._closed = True
        graphs = list(self._landmarkers.values())
        self._landmarkers, self._people_pending = {}, None
        for lm in graphs:
            lm.close()
        _LIVE.discard(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- detection -------------------------------------------------------------------------

    def _landmarker_for(self, mask: bool) -> Any:
        """The graph that does (or does not) produce the segmentation mask, made on first use."""
        lm = self._landmarkers.get(mask)
        if lm is None:
            opts = replace(self.options, segmentation_mask=mask)
            lm = self._landmarkers[mask] = _create_landmarker(self.model_path, opts)
        return lm

    def detect(self, rgb: np.ndarray, timestamp_s: float, *, mask: bool | None = None) -> PoseFrame | None:
        """Return the main person's pose in one frame, or ``None`` if nobody is detected.

        In VIDEO mode MediaPipe needs strictly increasing integer-millisecond timestamps:
        ``timestamp_s`` is rounded to the nearest millisecond and, when that is not later
        than the previous call's, it is bumped to previous + 1 ms (so frames closer than 1 ms,
        repeated or decreasing timestamps still go through). The returned
        ``PoseFrame.timestamp_s`` is always the caller's ``timestamp_s``, unbumped.

        With several people, the main one is the pose whose hip centre is nearest the
        previous main pose's (VIDEO mode), else the one with the largest bounding box of
        visible landmarks. ``PoseFrame.num_people`` says how many were seen: in VIDEO mode
        with one tracked pose, by the periodic people check (``people_check_s``).

        Args:
            rgb: (H, W, 3) uint8 RGB frame. (H, W) grayscale, (H, W, 1) and (H, W, 4) RGBA
                (alpha ignored) are accepted too, as are non-contiguous views.
            timestamp_s: time of the frame in seconds (finite).
            mask: whether to return the segmentation mask with this frame (``None``:
                ``EstimatorOptions.segmentation_mask``). The mask and the plain landmarker
                are two MediaPipe graphs; in VIDEO mode the first frame after a switch is
                found afresh by the person detector (as after losing the person), so switch
                seldom, e.g. when the exercise judged changes.

        Raises:
            TypeError: ``rgb`` is not a numpy array.
            ValueError: ``rgb`` has the wrong dtype or shape, or ``timestamp_s`` is not
                finite.
            FormcheckError: the estimator is closed or MediaPipe failed.
        """
        if self._closed:
            raise FormcheckError("PoseEstimator.detect() called after close(); create a new PoseEstimator")
        image = _as_rgb(rgb)
        if not math.isfinite(timestamp_s):
            raise ValueError(f"timestamp_s must be a finite number of seconds, got {timestamp_s}")
        mp_image = _mp_image(image)
        want_mask = self.options.segmentation_mask if mask is None else bool(mask)
        result = self._run(self._landmarker_for(want_mask), mp_image, image, timestamp_s)
        if not result.pose_landmarks:
            return None
        height, width = image.shape[:2]
        main = 0
        if len(result.pose_landmarks) > 1:
            poses_xy = [_normalized_xy(lms, width, height) for lms in result.pose_landmarks]
            poses_vis = [_field(lms, "visibility") for lms in result.pose_landmarks]
            main = select_main_pose(poses_xy, poses_vis, self._prev_hip)
        people = self._check_people(mp_image, timestamp_s)
        mask_side = self.options.mask_max_side if want_mask else None
        frame = _pose_frame_from_result(result, main, timestamp_s, (width, height), mask_side, people)
        if self.options.mode is RunningMode.VIDEO:
            self._prev_hip = _hip_centre(frame.xy)
        return frame.mirrored() if self.options.mirrored else frame

    def _check_people(self, mp_image: Any, timestamp_s: float) -> int:
        """Return the number of people seen by the latest people check (0: no check).

        Checks run in a thread of their own (its landmarker loads there when the estimator is
        made). In VIDEO mode a check is due when none ran yet or ``people_check_s`` have passed
        since the last one (or the clock went back); its count is taken on the first frame at
        least :data:`PEOPLE_CHECK_LAG_S` later (or when the next check is due), waiting for it
        if need be. In IMAGE mode every photo's check is waited for. Errors of the check are
        not fatal: it is switched off.
        """
        o = self.options
        if o.num_poses > 1 or not o.people_check_s or self._people_off:
            return 0
        video = o.mode is RunningMode.VIDEO
        last = self._people_checked_at
        due = not video or last is None or not 0.0 <= timestamp_s - last < o.people_check_s
        pending = self._people_pending
        if pending is not None and (due or not 0.0 <= timestamp_s - pending[1] < PEOPLE_CHECK_LAG_S):
            self._people_pending = None
            self._take_people_count(pending[0].result)
        if not due or self._people_off:
            return self._people_count
        self._people_checked_at = timestamp_s
        self.people_checks += 1
        assert self._people_thread is not None
        count = self._people_thread.submit(self._count_people, mp_image)
        if video:
            self._people_pending = (count, timestamp_s)
        else:
            self._take_people_count(count.result)
        return self._people_count

    def _count_people(self, mp_image: Any) -> int:
        """People found by the people check (runs in the check's thread)."""
        graph, lock = _people_landmarker(self.model_path)
        with lock:
            poses = graph.detect(mp_image).pose_landmarks
        return count_people([_normalized_xy(p, 1, 1) for p in poses], [_field(p, "visibility") for p in poses])

    def _take_people_count(self, count: Callable[[], int]) -> None:
        try:
            self._people_count = count()
        except (FormcheckError, ValueError, RuntimeError) as exc:
            _log.warning("people check switched off: %s", exc)
            self._people_off, self._people_count = True, 0

    def _run(self, landmarker: Any, mp_image: Any, image: np.ndarray, timestamp_s: float) -> Any:
        try:
            if self.options.mode is RunningMode.IMAGE:
                return landmarker.detect(mp_image)
            return landmarker.detect_for_video(mp_image, self._next_ms(timestamp_s))
        except (ValueError, RuntimeError) as exc:
            raise FormcheckError(
                f"MediaPipe pose detection failed on a {image.shape[1]}x{image.shape[0]} frame "
                f"at t={timestamp_s:.3f}s: {exc}"
            ) from exc

    def _next_ms(self, timestamp_s: float) -> int:
        ms = round(timestamp_s * 1000.0)
        if self._last_ms is not None and ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms


def _mp_image(image: np.ndarray) -> Any:
    from mediapipe import Image, ImageFormat

    return Image(image_format=ImageFormat.SRGB, data=image)


def _people_landmarker(main_model: Path) -> tuple[Any, threading.Lock]:
    """The process's IMAGE-mode landmarker for up to :data:`PEOPLE_CHECK_POSES` people.

    It uses the lite model when it is already on disk (never downloaded for this), else the
    main model; one is made per model file and kept until the process exits.
    """
    try:
        path = resolve_model(ModelVariant.LITE, allow_download=False, progress=False)
    except ModelNotFoundError:
        path = main_model
    with _PEOPLE_GRAPHS_LOCK:
        if path not in _PEOPLE_GRAPHS:
            _PEOPLE_GRAPHS[path] = (_create_people_landmarker(path), threading.Lock())
        return _PEOPLE_GRAPHS[path]


def _create_people_landmarker(path: Path) -> Any:
    """An IMAGE-mode landmarker of ``path`` for up to :data:`PEOPLE_CHECK_POSES` people."""
    opts = EstimatorOptions(
        model_path=path,
        mode=RunningMode.IMAGE,
        num_poses=PEOPLE_CHECK_POSES,
        min_pose_detection_confidence=PEOPLE_CHECK_CONFIDENCE,
        min_pose_presence_confidence=PEOPLE_CHECK_CONFIDENCE,
    )
    return _create_landmarker(path, opts)


def _create_landmarker(model_path: Path, options: EstimatorOptions) -> Any:
    from mediapipe.tasks.python import BaseOptions, vision

    mode = vision.RunningMode.IMAGE if options.mode is RunningMode.IMAGE else vision.RunningMode.VIDEO
    mp_options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=mode,
        num_poses=options.num_poses,
        min_pose_detection_confidence=options.min_pose_detection_confidence,
        min_pose_presence_confidence=options.min_pose_presence_confidence,
        min_tracking_confidence=options.min_tracking_confidence,
        output_segmentation_masks=options.segmentation_mask,
    )
    try:
        return vision.PoseLandmarker.create_from_options(mp_options)
    except (ValueError, RuntimeError) as exc:
        raise FormcheckError(
            f"MediaPipe could not load the pose model {model_path}: {exc}. The file may be "
            "corrupt or not a pose_landmarker .task bundle; delete it so that it is downloaded "
            "again, or pass another model file"
        ) from exc


# -- input conversion ------------------------------------------------------------------------


def _as_rgb(image: Any) -> np.ndarray:
    """Return ``image`` as a C-contiguous (H, W, 3) uint8 RGB array, or raise ValueError."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"expected an RGB image as a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(
            f"expected a uint8 image, got dtype {image.dtype}; convert it first, e.g. "
            "np.clip(img * 255, 0, 255).astype(np.uint8) for floats in [0, 1]"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        image = image[:, :, :3]
    else:
        raise ValueError(
            f"expected an image of shape (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) gray, got shape {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"expected a non-empty image, got shape {image.shape}")
    return np.ascontiguousarray(image)


# -- result conversion (the one PoseFrame builder) ------------------------------------------


def _field(landmarks: list[Any], name: str) -> np.ndarray:
    """Return one attribute of 33 landmarks as float64, ``None`` -> 0."""
    values = [getattr(lm, name) for lm in landmarks]
    return np.array([0.0 if v is None else v for v in values], dtype=np.float64)


def _normalized_xy(landmarks: list[Any], width: int, height: int) -> np.ndarray:
    return np.column_stack((_field(landmarks, "x") * width, _field(landmarks, "y") * height))


def _hip_centre(xy: np.ndarray) -> np.ndarray:
    return xy[list(_HIPS)].mean(axis=0)


def _box(xy: np.ndarray, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) corners of the landmarks seen (visibility >= 0.5; all when fewer than 2)."""
    pts = xy[visibility >= _BOX_MIN_VISIBILITY]
    if len(pts) < 2:
        pts = xy
    return pts.min(axis=0), pts.max(axis=0)


def _box_area(xy: np.ndarray, visibility: np.ndarray) -> float:
    lo, hi = _box(xy, visibility)
    return float(np.prod(hi - lo))


def count_people(poses_xy: list[np.ndarray], poses_visibility: list[np.ndarray]) -> int:
    """Poses found, counting as one those whose landmark boxes overlap almost entirely.

    MediaPipe's IMAGE-mode detector sometimes returns the same person twice (a rendered body
    lying on its back: two poses with boxes at IoU 0.95); two real people overlap far less
    (IoU 0.00-0.08 on pose2sim's multi-person clip). Poses at IoU >= :data:`SAME_PERSON_IOU`
    with one already counted, or lying mostly inside it (:data:`SAME_PERSON_INSIDE`, a close-up
    of one person's legs read as two poses), are the same person.
    """
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for xy, vis in zip(poses_xy, poses_visibility, strict=True):
        lo, hi = _box(xy, vis)
        if all(_iou((lo, hi), other) < SAME_PERSON_IOU and _inside((lo, hi), other) < SAME_PERSON_INSIDE
               for other in kept):
            kept.append((lo, hi))
    return len(kept)


def _inside(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Intersection of two boxes over the smaller one's area (1.0 for a degenerate box)."""
    inter = float(np.prod(np.clip(np.minimum(a[1], b[1]) - np.maximum(a[0], b[0]), 0.0, None)))
    smaller = min(float(np.prod(a[1] - a[0])), float(np.prod(b[1] - b[0])))
    return inter / smaller if smaller > 0 else 1.0


def _iou(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    inter = float(np.prod(np.clip(np.minimum(a[1], b[1]) - np.maximum(a[0], b[0]), 0.0, None)))
    union = float(np.prod(a[1] - a[0]) + np.prod(b[1] - b[0])) - inter
    return inter / union if union > 0 else 1.0


def select_main_pose(
    poses_xy: list[np.ndarray],
    poses_visibility: list[np.ndarray],
    previous_hip: np.ndarray | None = None,
) -> int:
    """Pick the index of the main person among several detected poses.

    Args:
        poses_xy: per pose, (33, 2) pixel coordinates.
        poses_visibility: per pose, (33,) visibility scores.
        previous_hip: (2,) hip centre of the previous frame's main pose, if any.

    Returns:
        The pose nearest ``previous_hip`` when given, else the one with the largest
        bounding box of landmarks with visibility >= 0.5.
    """
    if len(poses_xy) == 1:
        return 0
    if previous_hip is not None:
        dists = [float(np.linalg.norm(_hip_centre(xy) - previous_hip)) for xy in poses_xy]
        return int(np.argmin(dists))
    areas = [_box_area(xy, vis) for xy, vis in zip(poses_xy, poses_visibility, strict=True)]
    return int(np.argmax(areas))


def _downscale_mask(mask_image: Any, max_side: int) -> np.ndarray:
    mask = np.asarray(mask_image.numpy_view(), dtype=np.float32)
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    height, width = mask.shape
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return mask.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    return np.clip(small, 0.0, 1.0, out=small).astype(np.float32, copy=False)


def _pose_frame_from_result(
    result: Any,
    index: int,
    timestamp_s: float,
    image_size: tuple[int, int],
    mask_max_side: int | None,
    people: int = 0,
) -> PoseFrame:
    """Build the :class:`PoseFrame` of pose ``index`` of a MediaPipe ``PoseLandmarkerResult``.

    Args:
        result: MediaPipe result with ``pose_landmarks``, ``pose_world_landmarks`` and
            optionally ``segmentation_masks``.
        index: which pose.
        timestamp_s: frame time to store.
        image_size: (width, height) of the frame the result belongs to.
        mask_max_side: downscale the mask to this longest side; ``None``: no mask.
        people: people counted by a separate check (the larger count is stored).
    """
    width, height = image_size
    lms = result.pose_landmarks[index]
    world_lms = result.pose_world_landmarks[index]
    if len(lms) != NUM_LANDMARKS or len(world_lms) != NUM_LANDMARKS:
        raise FormcheckError(
            f"MediaPipe returned {len(lms)} landmarks, expected {NUM_LANDMARKS}; "
            "the model file is not a Pose Landmarker bundle"
        )
    mask = None
    masks = getattr(result, "segmentation_masks", None)
    if mask_max_side is not None and masks:
        mask = _downscale_mask(masks[index], mask_max_side)
    return PoseFrame(
        xy=_normalized_xy(lms, width, height),
        z=_field(lms, "z") * width,
        world=np.column_stack([_field(world_lms, k) for k in ("x", "y", "z")]),
        visibility=_field(lms, "visibility"),
        presence=_field(lms, "presence"),
        timestamp_s=float(timestamp_s),
        image_size=(width, height),
        mask=mask,
        num_people=max(len(result.pose_landmarks), people),
    )
