"""Soak: the live frame callback fed 10 minutes of frames shows no memory growth.

:class:`~formcheck.live.LiveProcessor` gets 320x240 frames at 30 fps of simulated time; its
estimator is a fake that replays real :class:`PoseFrame` objects (found once by the lite model
in a real Tree Pose clip, read in place), so the engine, the smoother, the rules and the
overlay do their real work on every frame. RSS is read from ``/proc/self/status`` after a
warm-up and at the end.

``FORMCHECK_SOAK_FRAMES`` sets the length: 18,000 frames (10 min at 30 fps) by default.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.specs import load_specs
from formcheck.live import LiveOptions, LiveProcessor
from formcheck.media import iter_video_frames
from formcheck.models import MODEL_DIR_ENV
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"
SOAK_FRAMES = int(os.environ.get("FORMCHECK_SOAK_FRAMES", "18000"))
FPS = 30.0
SIZE = (320, 240)
#: Allowed RSS growth from the end of the warm-up to the end of the soak.
MAX_GROWTH_MB = 20.0
MAX_GROWTH_FRACTION = 0.10

needs_realdata = pytest.mark.skipif(
    not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not TREE_CLIP.is_file(),
    reason=f"needs the lite model in {MODEL_DIR} and {TREE_CLIP}",
)


def real_poses(n: int = 72) -> list[tuple[np.ndarray, PoseFrame | None]]:
    """``n`` (320x240 frame, its pose by the lite model) pairs from the Tree Pose clip (every 2nd frame)."""
    os.environ.setdefault(MODEL_DIR_ENV, str(MODEL_DIR))
    out = []
    with PoseEstimator(EstimatorOptions(model="lite")) as est:
        for i, (rgb, t) in enumerate(iter_video_frames(TREE_CLIP)):
            if len(out) >= n:
                break
            if i % 2:
                continue
            small = cv2.resize(rgb, SIZE, interpolation=cv2.INTER_AREA)
            out.append((small, est.detect(small, t)))
    return out


class ReplayEstimator:
    """A fake estimator: returns the recorded poses in a loop, re-stamped with the caller's time."""

    def __init__(self, poses: list[PoseFrame | None]) -> None:
        self.poses = poses
        self.calls = 0

    def detect(self, _rgb: np.ndarray, t: float, *, mask: bool | None = None) -> PoseFrame | None:
        pose = self.poses[self.calls % len(self.poses)]
        self.calls += 1
        return None if pose is None else dataclasses.replace(pose, timestamp_s=t)

    def close(self) -> None:
        """Nothing to free."""


def rss_mb() -> float:
    """This process's resident set size in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


@pytest.fixture(scope="module")
def recorded() -> list[tuple[np.ndarray, PoseFrame | None]]:
    return real_poses()


@pytest.mark.slow
@pytest.mark.realdata
@needs_realdata
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads RSS from /proc (Linux)")
def test_live_callback_soak_has_no_memory_growth(recorded: list) -> None:
    frames = [f for f, _p in recorded]
    poses = [p for _f, p in recorded]
    assert sum(p is not None for p in poses) > len(poses) * 0.8
    fake = ReplayEstimator(poses)
    proc = LiveProcessor(load_specs(), LiveOptions(exercise="tree_pose", model="lite"),
                         estimator_factory=lambda _o: fake)
    warm = min(1500, SOAK_FRAMES // 4)
    samples: list[tuple[int, float]] = []
    started = time.perf_counter()
    base = 0.0
    for i in range(SOAK_FRAMES):
        out = proc.process(frames[i % len(frames)], i / FPS)
        assert out.shape == (SIZE[1], SIZE[0], 3)
        if i + 1 == warm:
            gc.collect()
            base = rss_mb()
        if (i + 1) % 3000 == 0:
            samples.append((i + 1, rss_mb()))
    gc.collect()
    end = rss_mb()
    elapsed = time.perf_counter() - started
    snap = proc.snapshot()
    assert snap.frames == SOAK_FRAMES and not snap.error
    assert snap.exercise == "tree_pose" and snap.hold_s > 0.5 * SOAK_FRAMES / FPS
    assert fake.calls == SOAK_FRAMES
    growth = end - base
    print(f"\nsoak: {SOAK_FRAMES} frames ({SOAK_FRAMES / FPS / 60:.1f} min at {FPS:.0f} fps) in {elapsed:.1f} s, "
          f"{1000 * elapsed / SOAK_FRAMES:.2f} ms/frame; RSS after warm-up {base:.1f} MB, end {end:.1f} MB "
          f"({growth:+.1f} MB); samples {samples}")
    assert growth < max(MAX_GROWTH_MB, MAX_GROWTH_FRACTION * base), samples
