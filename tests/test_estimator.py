"""Tests of formcheck.pose.estimator with the real MediaPipe models (no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from resources import MODEL_DIR, SHARED

from formcheck.engine.landmarks import NUM_LANDMARKS, PoseFrame, PoseLandmark
from formcheck.errors import FormcheckError
from formcheck.models import MODEL_DIR_ENV
from formcheck.pose import (
    EstimatorOptions,
    PoseEstimator,
    RunningMode,
    select_main_pose,
)

TREE_IMAGE = SHARED / "realdata" / "tree" / "sunita_tree-1.jpg"

pytestmark = [
    pytest.mark.usefixtures("model_dir"),
    pytest.mark.realdata,
    pytest.mark.skipif(
        not all((MODEL_DIR / f"pose_landmarker_{v}.task").is_file() for v in ("lite", "full"))
        or not TREE_IMAGE.is_file(),
        reason=f"needs the lite and full models in {MODEL_DIR} and {TREE_IMAGE}",
    ),
]


@pytest.fixture(scope="module")
def tree_rgb() -> np.ndarray:
    bgr = cv2.imdecode(np.fromfile(TREE_IMAGE, dtype=np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture
def image_estimator() -> Iterator[PoseEstimator]:
    with PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.IMAGE)) as est:
        yield est


def _check_frame(frame: PoseFrame, size: tuple[int, int]) -> None:
    assert frame.xy.shape == (NUM_LANDMARKS, 2)
    assert frame.world.shape == (NUM_LANDMARKS, 3)
    assert frame.image_size == size
    assert np.all((frame.visibility >= 0) & (frame.visibility <= 1))
    assert np.all((frame.presence >= 0) & (frame.presence <= 1))
    assert np.isfinite(frame.xy).all() and np.isfinite(frame.world).all()


def test_detects_person_in_real_image(image_estimator: PoseEstimator, tree_rgb: np.ndarray) -> None:
    h, w = tree_rgb.shape[:2]
    frame = image_estimator.detect(tree_rgb, 1.25)
    assert frame is not None
    _check_frame(frame, (w, h))
    assert frame.timestamp_s == 1.25
    assert frame.num_people == 1
    assert frame.mask is None
    # Pixel coordinates: the hips are inside the image and the nose above them.
    hip = frame.xy[[PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP]].mean(axis=0)
    assert 0 < hip[0] < w and 0 < hip[1] < h
    assert frame.xy[PoseLandmark.NOSE, 1] < hip[1]
    # World landmarks are metres around the hips.
    assert np.abs(frame.world).max() < 2.0
    assert frame.visible().sum() > 10


def test_blank_image_gives_none(image_estimator: PoseEstimator) -> None:
    assert image_estimator.detect(np.full((480, 640, 3), 127, np.uint8), 0.0) is None


def test_input_variants(image_estimator: PoseEstimator, tree_rgb: np.ndarray) -> None:
    ref = image_estimator.detect(tree_rgb, 0.0)
    assert ref is not None
    rgba = np.dstack([tree_rgb, np.full(tree_rgb.shape[:2], 255, np.uint8)])
    wide = np.zeros((tree_rgb.shape[0], tree_rgb.shape[1] * 2, 3), np.uint8)
    wide[:, ::2] = tree_rgb
    view = wide[:, ::2]  # non-contiguous view of the same pixels
    assert not view.flags.c_contiguous
    for variant in (rgba, view):
        got = image_estimator.detect(variant, 0.0)
        assert got is not None
        np.testing.assert_allclose(got.xy, ref.xy, atol=1.0)
    gray = cv2.cvtColor(tree_rgb, cv2.COLOR_RGB2GRAY)
    for variant in (gray, gray[:, :, None]):
        got = image_estimator.detect(variant, 0.0)
        assert got is not None
        assert got.image_size == ref.image_size


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (np.zeros((10, 10, 3), np.float32), ValueError),
        (np.zeros((10, 10, 2), np.uint8), ValueError),
        (np.zeros((2, 10, 10, 3), np.uint8), ValueError),
        (np.zeros((0, 10, 3), np.uint8), ValueError),
        ([[1, 2, 3]], TypeError),
    ],
)
def test_bad_input(image_estimator: PoseEstimator, bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        image_estimator.detect(bad, 0.0)  # type: ignore[arg-type]


def test_bad_timestamp(image_estimator: PoseEstimator) -> None:
    with pytest.raises(ValueError, match="finite"):
        image_estimator.detect(np.zeros((8, 8, 3), np.uint8), float("nan"))


def test_video_mode_timestamps(tree_rgb: np.ndarray) -> None:
    """Repeated, sub-millisecond and decreasing timestamps are bumped, never rejected."""
    times = [0.0, 0.0, 0.0004, 0.033, 0.020, 0.066]
    sent: list[int] = []
    with PoseEstimator(EstimatorOptions(model="lite")) as est:
        real = est._landmarkers[False].detect_for_video

        def spy(image: object, timestamp_ms: int) -> object:
            sent.append(timestamp_ms)
            return real(image, timestamp_ms)

        est._landmarkers[False].detect_for_video = spy
        frames = [est.detect(tree_rgb, t) for t in times]
    assert sent == [0, 1, 2, 33, 34, 66]
    assert all(f is not None for f in frames)
    assert [f.timestamp_s for f in frames if f is not None] == times


def test_mirrored_swaps_sides(tree_rgb: np.ndarray) -> None:
    opts = {"model": "lite", "mode": RunningMode.IMAGE}
    with PoseEstimator(EstimatorOptions(**opts)) as plain:
        a = plain.detect(tree_rgb, 0.0)
    with PoseEstimator(EstimatorOptions(**opts, mirrored=True)) as mirrored:
        b = mirrored.detect(tree_rgb, 0.0)
    assert a is not None and b is not None
    left, right = PoseLandmark.LEFT_WRIST, PoseLandmark.RIGHT_WRIST
    np.testing.assert_allclose(b.xy[left], a.xy[right])
    np.testing.assert_allclose(b.xy[right], a.xy[left])
    np.testing.assert_allclose(b.xy[PoseLandmark.NOSE], a.xy[PoseLandmark.NOSE])


@pytest.mark.parametrize("max_side", [64, 256, 5000])
def test_mask_downscaled(tree_rgb: np.ndarray, max_side: int) -> None:
    h, w = tree_rgb.shape[:2]
    opts = EstimatorOptions(
        model="lite",
        mode=RunningMode.IMAGE,
        segmentation_mask=True,
        mask_max_side=max_side,
    )
    with PoseEstimator(opts) as est:
        frame = est.detect(tree_rgb, 0.0)
    assert frame is not None and frame.mask is not None
    mh, mw = frame.mask.shape
    assert frame.mask.dtype == np.float32
    assert max(mh, mw) == min(max_side, max(h, w))
    assert abs(mw / mh - w / h) < 0.05
    assert 0.0 <= frame.mask.min() and frame.mask.max() <= 1.0
    # The person (around the hips) is inside the mask, a corner is not.
    hx, hy = frame.xy[[PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP]].mean(axis=0)
    s = frame.mask_scale
    assert frame.mask[int(hy * s), int(hx * s)] > 0.5
    assert frame.mask[0, 0] < 0.5


def test_mask_asked_for_frame_by_frame(tree_rgb: np.ndarray) -> None:
    """VIDEO mode: the mask comes only with the frames that ask for it; the pose goes on."""
    with PoseEstimator(EstimatorOptions(model="lite", mask_max_side=64)) as est:
        frames = [est.detect(tree_rgb, 0.04 * i, mask=ask) for i, ask in enumerate([False, False, True, True, False])]
        assert sorted(est._landmarkers) == [False, True]  # one graph per setting, made on first use
    assert all(f is not None for f in frames)
    assert [f.mask is not None for f in frames if f is not None] == [False, False, True, True, False]
    hips = [f.xy[[PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP]].mean(axis=0) for f in frames if f is not None]
    assert max(float(np.linalg.norm(h - hips[0])) for h in hips) < 0.05 * tree_rgb.shape[0]
    with PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.IMAGE, segmentation_mask=True)) as est:
        assert est.detect(tree_rgb, 0.0) is not None and est.detect(tree_rgb, 0.0).mask is not None
        plain = est.detect(tree_rgb, 0.0, mask=False)
        assert plain is not None and plain.mask is None


def _two_people(tree_rgb: np.ndarray, *, big: bool = True) -> tuple[np.ndarray, int]:
    """A canvas with the person large on the left (if ``big``) and small on the right.

    Returns the canvas and the x where the right half starts.
    """
    h, w = tree_rgb.shape[:2]
    crop = tree_rgb[:, w // 4 : 3 * w // 4]
    cw = crop.shape[1]
    small = cv2.resize(crop, (cw * 2 // 3, h * 2 // 3))
    canvas = np.full((h, 2 * cw, 3), 200, np.uint8)
    if big:
        canvas[:, :cw] = crop
    canvas[h // 6 : h // 6 + small.shape[0], cw : cw + small.shape[1]] = small
    return canvas, cw


def _hip_x(frame: PoseFrame) -> float:
    return float(frame.xy[[PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP], 0].mean())


def test_two_people_largest_is_main(tree_rgb: np.ndarray) -> None:
    canvas, half = _two_people(tree_rgb)
    with PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.IMAGE, num_poses=2)) as est:
        frame = est.detect(canvas, 0.0)
    assert frame is not None
    assert frame.num_people == 2
    assert _hip_x(frame) < half  # the large one


def test_two_people_tracking_keeps_main(tree_rgb: np.ndarray) -> None:
    """VIDEO mode: the person seen first stays main when a larger one walks in."""
    alone, half = _two_people(tree_rgb, big=False)
    both, _ = _two_people(tree_rgb)
    with PoseEstimator(EstimatorOptions(model="lite", num_poses=2)) as est:
        first = est.detect(alone, 0.0)
        later = [est.detect(both, 0.1 * i) for i in range(1, 4)]
    assert first is not None and _hip_x(first) > half
    assert all(f is not None and _hip_x(f) > half for f in later)
    assert max(f.num_people for f in later if f is not None) == 2


def test_select_main_pose() -> None:
    rng = np.random.default_rng(0)
    small = rng.uniform(0, 10, (33, 2))
    big = rng.uniform(100, 300, (33, 2))
    vis = np.ones(33)
    assert select_main_pose([small, big], [vis, vis]) == 1
    # Tracking wins over size.
    prev = small[[23, 24]].mean(axis=0)
    assert select_main_pose([small, big], [vis, vis], prev) == 0
    # Invisible landmarks do not count towards the box.
    spread = big.copy()
    vis_low = np.zeros(33)
    vis_low[:3] = 1.0
    spread[:3] = [[0, 0], [1, 1], [2, 2]]
    assert select_main_pose([small, spread], [vis, vis_low]) == 0
    assert select_main_pose([small], [vis], prev) == 0


def test_closed_estimator_raises(tree_rgb: np.ndarray) -> None:
    est = PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.IMAGE))
    est.close()
    est.close()  # idempotent
    assert est.closed
    with pytest.raises(FormcheckError, match="close"):
        est.detect(tree_rgb, 0.0)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="num_poses"):
        PoseEstimator(EstimatorOptions(num_poses=0))
    with pytest.raises(ValueError, match="min_tracking_confidence"):
        PoseEstimator(EstimatorOptions(min_tracking_confidence=1.5))
    with pytest.raises(ValueError, match="unknown model variant"):
        PoseEstimator(EstimatorOptions(model="huge"))


def test_corrupt_model_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.task"
    bad.write_bytes(b"definitely not a zip")
    with pytest.raises(FormcheckError, match="could not load"):
        PoseEstimator(EstimatorOptions(model_path=bad))


@pytest.mark.parametrize("mediapipe_first", [True, False])
def test_open_graphs_end_quietly_at_exit(mediapipe_first: bool) -> None:
    """Graphs left open (an estimator, the people check's) exit without a MediaPipe error."""
    script = "\n".join([
        "import mediapipe" if mediapipe_first else "",  # as benchmarks/run.py does
        "import numpy as np",
        "from formcheck.pose import EstimatorOptions, PoseEstimator",
        "est = PoseEstimator(EstimatorOptions(model='lite', people_check_s=1.0))",
        "est.detect(np.zeros((120, 160, 3), np.uint8), 0.0)",
        "print('ran')",
    ])  # fmt: skip
    env = {**os.environ, MODEL_DIR_ENV: str(MODEL_DIR)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ran", proc.stderr[-2000:]
    assert "Exception ignored" not in proc.stderr and "RuntimeError" not in proc.stderr, proc.stderr[-2000:]
