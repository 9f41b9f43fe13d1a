"""Who is in the frame: nobody, a person partly out of frame, two or more people, low light.

Frames come from ``../shared/realdata`` (read in place) and are cropped, darkened or combined
in memory; the generated files live in tmp. Rules must go ``unknown`` rather than correct
anybody falsely, and several people must be said, in the summary, the CLI and the overlay.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from resources import MODEL_DIR, REALDATA

from formcheck.analyze import AnalyzeOptions, analyze
from formcheck.annotate import draw_overlay
from formcheck.cli import main
from formcheck.engine.engine import Engine, EngineOptions
from formcheck.engine.landmarks import PoseLandmark
from formcheck.engine.rules import RuleState
from formcheck.engine.specs import load_specs
from formcheck.media import iter_video_frames
from formcheck.models import MODEL_DIR_ENV
from formcheck.outputs import file_writers
from formcheck.pose.estimator import PEOPLE_CHECK_LAG_S, EstimatorOptions, PoseEstimator, RunningMode, count_people

TREE_CLIP = REALDATA / "tree" / "yogafitness_treeleft.mp4"  # correct Tree Pose, CGI, front view
TREE_PHOTO = REALDATA / "tree" / "sunita_tree-1.jpg"
MULTI_CLIP = REALDATA / "none" / "pose2sim_multiperson-cam01.mp4"  # two (three) people, 60 fps

pytestmark = [
    pytest.mark.usefixtures("model_dir"),
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (MODEL_DIR / "pose_landmarker_lite.task").is_file()
        or not all(p.is_file() for p in (TREE_CLIP, TREE_PHOTO, MULTI_CLIP)),
        reason=f"needs the lite model in {MODEL_DIR} and clips of {REALDATA}",
    ),
]


@pytest.fixture(scope="module")
def tree_frames() -> list[tuple[np.ndarray, float]]:
    """Every second frame of the first 2.5 s of the Tree Pose clip, at 640x480."""
    out = []
    for i, (rgb, t) in enumerate(iter_video_frames(TREE_CLIP)):
        if i >= 60:
            break
        if i % 2 == 0:
            out.append((cv2.resize(rgb, (640, 480), interpolation=cv2.INTER_AREA), t))
    return out


def _run(frames: list[tuple[np.ndarray, float]], edit: Callable[[np.ndarray], np.ndarray], exercise: str = "tree_pose"):
    """Estimator (lite, people check on) + engine over edited frames; every FrameResult."""
    engine = Engine(load_specs(), EngineOptions(exercise=exercise))
    with PoseEstimator(EstimatorOptions(model="lite", people_check_s=2.0)) as est:
        return [engine.update(est.detect(np.ascontiguousarray(edit(rgb)), t), t) for rgb, t in frames]


def _no_fault_ever(results: list) -> None:
    assert all(not r.faults for r in results), [r.faults for r in results if r.faults][:3]
    assert all(r.cue.kind.value != "fault" for r in results)


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("black", lambda rgb: np.zeros_like(rgb)),
        ("noise", lambda rgb: np.random.default_rng(0).integers(0, 256, rgb.shape, dtype=np.uint8)),
        ("grey wall", lambda rgb: np.full_like(rgb, 128)),
    ],
)
def test_nobody_in_frame(tree_frames: list, name: str, edit: Callable[[np.ndarray], np.ndarray]) -> None:
    results = _run(tree_frames[:8], edit)
    assert all(r.pose is None and r.num_people == 0 for r in results), name
    assert all(r.state == RuleState.UNKNOWN for res in results for r in res.rules)
    assert results[-1].cue.text == "Step into the camera's view."
    _no_fault_ever(results)


def test_feet_out_of_frame_asks_to_step_back_and_judges_nothing(tree_frames: list) -> None:
    h = tree_frames[0][0].shape[0]
    results = _run(tree_frames, lambda rgb: rgb[: int(h * 0.55)])  # cut at the thighs
    assert all(r.pose is not None for r in results[2:]), "the upper body is still found"
    assert all(r.state == RuleState.UNKNOWN for res in results for r in res.rules)
    assert not any(r.in_position for r in results)
    assert results[-1].cue.text == "Step back so your feet are in view."
    _no_fault_ever(results)


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("dim, gamma 4", lambda rgb: (255.0 * (rgb / 255.0) ** 4).astype(np.uint8)),
        ("near black, 1/40", lambda rgb: rgb // 40),
        ("dark and noisy", lambda rgb: np.clip(rgb // 12 + np.random.default_rng(1).normal(0, 4, rgb.shape), 0, 255)
         .astype(np.uint8)),
    ],
)
def test_low_light_gives_the_right_result_or_nobody(tree_frames: list, name: str, edit: Callable) -> None:
    """The clip is correct form: darkened, it is judged correct or not judged at all."""
    results = _run(tree_frames, edit)
    _no_fault_ever(results)
    judged = [r for r in results if r.in_position]
    assert all(r.cue.kind.value in ("good", "setup", "hint") for r in results), name
    assert all(r.exercise == "tree_pose" for r in judged)


# -- several people -------------------------------------------------------------------------


def _hip_x(pose) -> float:  # noqa: ANN001 - a PoseFrame
    return float(pose.xy[[PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP], 0].mean())


def test_two_people_in_a_video_main_person_kept_and_reported(tmp_path: Path) -> None:
    """pose2sim's multi-person clip: the main person stays the same, and the outputs say so."""
    frames = [(rgb, t) for i, (rgb, t) in enumerate(iter_video_frames(MULTI_CLIP)) if i < 60]
    width = frames[0][0].shape[1]
    with PoseEstimator(EstimatorOptions(model="lite", people_check_s=0.5)) as est:
        poses = [est.detect(rgb, t) for rgb, t in frames]
        checks = est.people_checks
    xs = [_hip_x(p) for p in poses if p is not None]
    assert len(xs) >= 55
    jumps = np.abs(np.diff(xs))
    assert jumps.max() < 0.08 * width, f"the main person changed: hip x jumped {jumps.max():.0f} px"
    assert max(p.num_people for p in poses if p is not None) >= 2
    assert checks == 2, "one check per 0.5 s of video (60 frames at 60 fps = 1 s)"

    a = analyze(MULTI_CLIP, AnalyzeOptions(model="lite", max_frames=60), writers=file_writers(tmp_path))
    late = sum(1 for f in frames[:60] if f[1] >= PEOPLE_CHECK_LAG_S - 1e-6)
    assert a.summary.frames_with_several_people == late, "the first check (t=0) sees two people, counted 0.5 s on"
    summary = json.loads(a.outputs["json"].read_text(encoding="utf-8"))
    assert summary["frames_with_several_people"] == late


def test_closing_does_not_wait_for_a_running_people_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check still running when the clip ends is left to finish on its own (its count is no
    longer read; its graph is the process's, not the estimator's)."""
    started, release = threading.Event(), threading.Event()

    def slow(self: PoseEstimator, image: object) -> int:
        started.set()
        release.wait(10)
        return 1

    monkeypatch.setattr(PoseEstimator, "_count_people", slow)
    rgb, t = next(iter_video_frames(MULTI_CLIP))
    est = PoseEstimator(EstimatorOptions(model="lite", people_check_s=2.0))
    est.detect(rgb, t)
    assert started.wait(10), "the first check runs at t = 0"
    closer = threading.Thread(target=est.close)
    closer.start()
    closer.join(5)
    try:
        assert not closer.is_alive(), "close() waited for the check"
        assert est.closed
    finally:
        release.set()


def test_later_people_checks_run_beside_inference_and_are_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks run in a thread; each count is taken PEOPLE_CHECK_LAG_S of video later.

    The check is replaced by one that says 1, then 3, then 2 people (slowly, if asked): the
    frames show when each count was taken, and a slow check is waited for, so the counts are
    the same frame by frame however long the check takes.
    """
    frames = [(rgb, t) for i, (rgb, t) in enumerate(iter_video_frames(MULTI_CLIP)) if i < 90]  # 1.5 s

    def counts(delay_s: float) -> list[tuple[float, int]]:
        said = iter([1, 3, 2, 2])

        def fake(self: PoseEstimator, image: object) -> int:
            time.sleep(delay_s)
            return next(said)

        monkeypatch.setattr(PoseEstimator, "_count_people", fake)
        with PoseEstimator(EstimatorOptions(model="lite", people_check_s=0.5)) as est:
            poses = [(t, est.detect(rgb, t)) for rgb, t in frames]
            assert est.people_checks == 3  # t = 0, 0.5, 1.0
        return [(t, p.num_people) for t, p in poses if p is not None]

    fast = counts(0.0)
    assert fast == counts(0.2)
    # 1 (the tracker's own count, then the first check's) until the second check (t ~ 0.5) is
    # taken, PEOPLE_CHECK_LAG_S later.
    switch = next(t for t, n in fast if n != 1)
    assert [n for t, n in fast] == [1 if t < switch else 3 for t, _ in fast]
    assert 0.5 + PEOPLE_CHECK_LAG_S - 1e-6 <= switch <= 0.5 + PEOPLE_CHECK_LAG_S + 2 / 60


def test_the_same_person_found_twice_counts_once(tmp_path: Path) -> None:
    """A rendered body lying down came back as two near-identical poses (box IoU 0.95)."""
    box = np.array([[0.14, 0.32], [0.76, 0.57], [0.4, 0.45]])
    same = box + [[0.0, 0.01], [-0.01, 0.0], [0.0, 0.0]]
    other = box + [0.9, 0.0]
    vis = np.ones(3)
    assert count_people([box, same], [vis, vis]) == 1
    assert count_people([box, same, other], [vis, vis, vis]) == 2
    assert count_people([], []) == 0
    # A close-up of one person's legs came back as a pose and a smaller one inside it.
    legs = np.array([[0.1, 0.1], [0.9, 0.95], [0.5, 0.5]])
    inner = np.array([[0.3, 0.5], [0.6, 0.9], [0.45, 0.7]])
    assert count_people([legs, inner], [vis, vis]) == 1
    beside = np.array([[0.55, 0.1], [0.95, 0.95], [0.7, 0.5]])  # half of it overlaps: two people
    assert count_people([np.array([[0.05, 0.1], [0.6, 0.95], [0.3, 0.5]]), beside], [vis, vis]) == 2
    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "psoas_stretch__lower_back_arched__f_tall.mp4"
    a = analyze(clip, AnalyzeOptions(model="full"))
    assert a.summary.frames_with_several_people == 0


def test_people_check_is_off_by_default_and_never_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off unless asked; on, it uses the lite model only when already on disk, else the main model."""
    rgb = next(iter_video_frames(MULTI_CLIP))[0]
    with PoseEstimator(EstimatorOptions(model="lite")) as est:
        pose = est.detect(rgb, 0.0)
        assert pose is not None and pose.num_people == 1 and est.people_checks == 0
    only_full = tmp_path / "models"
    only_full.mkdir()
    (only_full / "pose_landmarker_full.task").symlink_to(MODEL_DIR / "pose_landmarker_full.task")
    monkeypatch.setenv(MODEL_DIR_ENV, str(only_full))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_network(*_a: object, **_k: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with PoseEstimator(EstimatorOptions(model="full", people_check_s=2.0)) as est:
        pose = est.detect(rgb, 0.0)
        assert est.people_checks == 1 and pose is not None and pose.num_people >= 1


def _two_people_photo(path: Path) -> None:
    bgr = cv2.imdecode(np.fromfile(TREE_PHOTO, dtype=np.uint8), cv2.IMREAD_COLOR)
    h, w = bgr.shape[:2]
    crop = bgr[:, w // 4 : 3 * w // 4]
    small = cv2.resize(crop, (crop.shape[1] * 3 // 4, h * 3 // 4))
    canvas = np.full((h, crop.shape[1] * 2, 3), 200, np.uint8)
    canvas[:, : crop.shape[1]] = crop
    canvas[h // 8 : h // 8 + small.shape[0], crop.shape[1] : crop.shape[1] + small.shape[1]] = small
    ok, buf = cv2.imencode(".png", canvas)
    assert ok
    path.write_bytes(buf.tobytes())


def test_two_people_in_a_photo_are_said_by_the_cli_and_the_overlay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "two people.png"
    _two_people_photo(photo)
    rc = main(["analyze", str(photo), "--model", "lite", "--exercise", "tree_pose", "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert rc in (0, 1), err
    assert "several people in view in 1 frame(s): the main person was followed and judged" in out
    summary = json.loads((tmp_path / "out" / "two_people.summary.json").read_text(encoding="utf-8"))
    assert summary["frames_with_several_people"] == 1

    # The overlay names the count: the same result drawn with one person differs.
    img = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    engine = Engine(load_specs(), EngineOptions(exercise="tree_pose", instant=True))
    with PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.IMAGE, people_check_s=1.0)) as est:
        result = engine.update(est.detect(img, 0.0), 0.0)
    assert result.num_people >= 2
    spec = load_specs()["tree_pose"]
    several = draw_overlay(img.copy(), result, spec)
    one = draw_overlay(img.copy(), dataclasses.replace(result, num_people=1), spec)
    assert (several != one).any()
