"""End to end on ../shared/realdata: the real model, the engine and the batch scorer in auto mode.

The labelled DEV split is read in place (never copied). The floors below are the figures
measured with the full model (README, "Measured on real footage") less a margin for
platform differences; they fail when recognition or a rule regresses.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from formcheck.batch.cli import run_and_report
from formcheck.batch.runner import BatchOptions

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REALDATA = SHARED / "realdata"
MODELS = Path(os.environ.get("FORMCHECK_MODEL_DIR", SHARED / "models"))

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not (REALDATA / "labels.csv").is_file(), reason="../shared/realdata is not here"),
    pytest.mark.skipif(
        not (MODELS / "pose_landmarker_full.task").is_file(), reason="no pose model in FORMCHECK_MODEL_DIR"
    ),
]


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Score the whole DEV split once (auto mode, full model, one process per core)."""
    os.environ.setdefault("FORMCHECK_MODEL_DIR", str(MODELS))
    out = tmp_path_factory.mktemp("realdata-batch")
    outcome = run_and_report(
        BatchOptions(folder=REALDATA, out=out, model="full", progress=False), labels=REALDATA / "labels.csv"
    )
    assert outcome.metrics is not None
    artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(out / "metrics.json", artifacts / "realdata-metrics.json")  # for people to read
    return outcome.metrics


def _fault(metrics: dict, key: str) -> dict:
    return next(f for f in metrics["faults"] if f["key"] == key)


def test_every_row_was_scored(metrics: dict) -> None:
    assert metrics["complete"]
    assert metrics["rows_scored"] == metrics["rows"] == 179
    # One photo (a seated balance filling a square frame) has no person even after the photo
    # retries (docs/accuracy.md); nothing else may fail.
    assert metrics["rows_with_clip_error"] <= 1


def test_exercise_recognition(metrics: dict) -> None:
    assert metrics["exercise_accuracy"]["accuracy"] >= 0.92  # measured 0.944 (169/179)


@pytest.mark.parametrize(("exercise", "floor"), [  # measured 19/19, 12/13, 5/5, 4/5, 46/49
    ("boat_pose", 0.95), ("constructive_rest", 0.9), ("psoas_stretch", 0.99), ("pyramid_pose", 0.8),
    ("tree_pose", 0.9),
])
def test_position_reached(metrics: dict, exercise: str, floor: float) -> None:
    row = next(p for p in metrics["position"] if p["exercise"] == exercise)
    assert row["rate"] >= floor, row


def test_near_misses_get_no_correction(metrics: dict) -> None:
    """A false correction is worse than silence: `none` rows (88) may hardly ever get a fault."""
    on_none = [f for f in metrics["false_alarms"] if f["labelled_exercise"] == "none"]
    # measured: 3, on two seated photos read as a boat (a Russian twist, an upward-facing fold)
    assert len(on_none) <= 3, on_none


def test_correct_form_gets_few_false_alarms(metrics: dict) -> None:
    on_exercise = [f for f in metrics["false_alarms"] if f["labelled_exercise"] != "none"]
    # measured: 8 (3 foot_on_knee on borderline placements, 2 psoas photos, see the README)
    assert len(on_exercise) <= 8, on_exercise


def test_tree_holds_are_not_told_about_hips_or_lean(metrics: dict) -> None:
    """Real correct tree videos are judged against the person's own start (baselines)."""
    videos = [f for f in metrics["false_alarms"] if f["key"] in ("tree_pose/hips_uneven", "tree_pose/torso_leaning")
              and f["file"].endswith(".mp4")]
    assert len(videos) <= 1, videos  # measured: 1 (a hip hiked 1.7 s while a hand places the foot)


def test_half_boat_is_told_to_straighten_the_legs(metrics: dict) -> None:
    f = _fault(metrics, "boat_pose/knees_bent")
    assert (f["tp"], f["fn"]) == (3, 0)
    assert f["fp"] <= 1  # measured: 1, on a Russian-twist photo read as a boat


def test_foot_on_knee_is_found(metrics: dict) -> None:
    f = _fault(metrics, "tree_pose/foot_on_knee")
    assert f["support"] == 6
    assert f["tp"] >= 2, f
