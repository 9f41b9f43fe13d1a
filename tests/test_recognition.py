"""Auto mode: the recogniser names each exercise from its correct pose, and none for standing."""

from __future__ import annotations

import pytest
from poses import BUILDERS, correct_pose, engine, feed, shipped_specs, standing_pose

from formcheck.engine.recognition import ExerciseRecognizer, RecognizerOptions, condition_score

EXERCISES = sorted(BUILDERS)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_auto_mode_recognises_each_correct_pose(exercise: str) -> None:
    r = feed(engine("auto"), correct_pose(exercise), seconds=2.0, fps=15)
    assert r.exercise == exercise
    assert r.in_position


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_correct_pose_scores_best_for_its_own_exercise(exercise: str) -> None:
    scores = ExerciseRecognizer(shipped_specs()).frame_scores(correct_pose(exercise))
    assert max(scores, key=scores.get) == exercise
    assert scores[exercise] > 0.5


@pytest.mark.parametrize("view", ["front", "side"])
def test_plain_standing_is_no_exercise(view: str) -> None:
    r = feed(engine("auto"), standing_pose(view), seconds=2.0, fps=15)
    assert r.exercise is None
    assert r.rules == () and not r.faults


def test_gate_pose_is_not_in_pyramid_position() -> None:
    """Pyramid needs a long back leg, so hands and knees is not its position."""
    r = feed(engine("pyramid_pose"), correct_pose("modified_gate_pose"), seconds=1.2, fps=15)
    assert not r.in_position


def test_nobody_is_no_exercise() -> None:
    assert feed(engine("auto"), None, seconds=1.0).exercise is None


def test_switching_exercise_needs_a_clear_lead() -> None:
    eng = engine("auto")
    assert feed(eng, correct_pose("boat_pose"), seconds=2.0, fps=15).exercise == "boat_pose"
    r = feed(eng, correct_pose("pyramid_pose"), seconds=3.0, fps=15, start_s=2.0)
    assert r.exercise == "pyramid_pose"


def test_condition_score_is_soft() -> None:
    spec = shipped_specs()["boat_pose"]
    cond = spec.position[0]
    assert condition_score(cond, {cond.metric: cond.value}) == pytest.approx(0.5)
    past = cond.value + cond.op.sign * cond.margin
    assert condition_score(cond, {cond.metric: past}) > 0.95
    assert condition_score(cond, {}) == 0.0


def test_instant_recogniser_for_photos() -> None:
    rec = ExerciseRecognizer(shipped_specs(), RecognizerOptions(instant=True))
    assert rec.update(correct_pose("tree_pose")) == "tree_pose"
    assert rec.update(standing_pose()) is None
