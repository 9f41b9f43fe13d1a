"""Judging what the person attempts: faults that break the position, settling, view hints."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from poses import build_pose, correct_pose, engine, feed_all, rule, spec, standing_pose, tree_body

from formcheck.engine.feedback import CueKind
from formcheck.engine.session import SETTLING_CUE, ExerciseSession, SessionOptions
from formcheck.engine.summary import SummaryBuilder

TREE = "tree_pose"


def _feet_down():  # noqa: ANN202
    """Standing straight on both feet, seen from the front (tree pose's foot_not_lifted)."""
    return standing_pose("front")


# --------------------------------------------------------------------------- breaks


def test_shipped_breaks_name_position_metrics() -> None:
    assert set(rule(TREE, "foot_not_lifted").breaks) == {"lifted_knee", "knee_spread"}
    assert set(rule("boat_pose", "legs_too_low").breaks) == {"thigh_lift"}
    assert set(rule("constructive_rest", "hips_lifted").breaks) == {"torso_tilt"}


def test_a_chosen_boat_is_not_attempted_by_someone_standing() -> None:
    """Legs lowered toward the floor break the boat's position within its limit; standing does not."""
    r = feed_all(engine("boat_pose"), standing_pose("side"), seconds=3.0, fps=15)[-1]
    assert not r.in_position and not r.faults
    low = feed_all(engine("boat_pose"), correct_pose("boat_pose", thigh_lift=5.0), seconds=3.0, fps=15)[-1]
    assert low.in_position and "legs_too_low" in low.faults


def test_chosen_tree_pose_with_both_feet_down_is_told_to_lift_the_foot() -> None:
    results = feed_all(engine(TREE), _feet_down(), seconds=3.0, fps=15)
    last = results[-1]
    assert last.in_position
    assert last.faults == ("foot_not_lifted",)
    assert last.cue.kind == CueKind.FAULT and last.cue.key == "foot_not_lifted"


def test_without_attempting_a_broken_position_is_not_judged() -> None:
    s = ExerciseSession(spec(TREE))
    results = [s.update(replace(_feet_down(), timestamp_s=i / 15), i / 15, attempting=False) for i in range(45)]
    assert not results[-1].in_position
    assert set(r.state.value for r in results[-1].rules) == {"unknown"}


def test_auto_mode_never_enters_an_exercise_on_a_broken_position() -> None:
    """Standing on both feet is a near-miss (`none`), not a tree pose with a fault."""
    results = feed_all(engine("auto"), _feet_down(), seconds=4.0, fps=15)
    assert all(r.exercise is None for r in results)
    assert not any(r.faults for r in results)


def test_auto_mode_follows_a_recognised_tree_pose_when_the_foot_comes_down() -> None:
    tree = correct_pose(TREE)
    results = feed_all(engine("auto"), lambda t: tree if t < 3.0 else _feet_down(), seconds=6.0, fps=15)
    assert results[40].exercise == TREE and not results[40].faults
    late = [r for r in results if r.timestamp_s > 5.0]
    assert all(r.exercise == TREE for r in late)
    assert all("foot_not_lifted" in r.faults for r in late)


# --------------------------------------------------------------------------- settling


def test_no_correction_in_the_first_moments_in_position() -> None:
    bad = correct_pose(TREE, lean=rule(TREE, "torso_leaning").threshold + 10)
    results = feed_all(engine(TREE), bad, seconds=3.0, fps=30)
    entered = next(r.timestamp_s for r in results if r.in_position)
    first = next(r.timestamp_s for r in results if r.faults)
    settle = SessionOptions().settle_s
    assert first - entered >= settle + rule(TREE, "torso_leaning").min_duration_s - 1e-6
    settling = [r for r in results if r.in_position and r.timestamp_s < entered + settle]
    assert settling and all(r.settling and r.cue == replace(SETTLING_CUE, since_s=r.cue.since_s) for r in settling)


def test_a_camera_cut_restarts_the_settling() -> None:
    """The same correct pose shifted across the frame at once (a cut): rules wait again."""
    pose = correct_pose(TREE)
    shifted = replace(pose, xy=pose.xy + np.array([0.4 * pose.image_size[0], 0.0]))
    results = feed_all(engine(TREE), lambda t: pose if t < 3.0 else shifted, seconds=5.0, fps=30)
    before = [r for r in results if 2.5 < r.timestamp_s < 3.0]
    after_cut = [r for r in results if 3.05 < r.timestamp_s < 3.5]
    assert before and not any(r.settling for r in before)
    assert after_cut and all(r.settling for r in after_cut)
    assert not results[-1].settling


def test_a_restless_leg_is_not_a_transition() -> None:
    """One limb moving keeps the median body speed low: constructive rest's restless is judged."""
    pose = correct_pose("constructive_rest")
    from formcheck.engine.landmarks import PoseLandmark as P  # noqa: PLC0415

    def wiggle(t: float):  # noqa: ANN202
        xy = pose.xy.copy()
        for i in (P.LEFT_ANKLE, P.LEFT_HEEL, P.LEFT_FOOT_INDEX, P.LEFT_KNEE):
            xy[i, 1] += 25 * np.sin(2 * np.pi * 1.5 * t)
        return replace(pose, xy=xy)

    results = feed_all(engine("constructive_rest"), wiggle, seconds=5.0, fps=30)
    assert not any(r.settling for r in results if r.timestamp_s > 2.0)


# --------------------------------------------------------------------------- unseen rules


def test_a_rule_the_view_cannot_see_is_hinted_once_and_reported() -> None:
    """Tree pose from the front: a bent standing knee cannot be seen; say once how to turn."""
    results = feed_all(engine(TREE), correct_pose(TREE), seconds=12.0, fps=15)
    hints = [r for r in results if r.cue.kind == CueKind.HINT]
    assert hints, "the user is told how to turn"
    assert "turn your side or a three-quarter view" in hints[0].cue.text
    assert hints[-1].timestamp_s - hints[0].timestamp_s <= 2.5  # shown once, for its minimum time
    sb = SummaryBuilder()
    for r in results:
        sb.update(r)
    unseen = sb.finish().unseen_s
    assert unseen["standing_knee_bent"] > 8.0
    assert "foot_on_knee" not in unseen


@pytest.mark.parametrize("exercise", ["psoas_stretch", "boat_pose", "constructive_rest", "pyramid_pose"])
def test_side_view_exercises_give_no_hint_from_the_side(exercise: str) -> None:
    results = feed_all(engine(exercise), correct_pose(exercise), seconds=5.0, fps=15)
    assert not any(r.cue.kind == CueKind.HINT for r in results)


def test_tree_pose_from_the_side_sees_the_standing_knee() -> None:
    side = build_pose(tree_body(standing_knee=150.0), "oblique")
    r = feed_all(engine(TREE), side, seconds=3.0, fps=15)[-1]
    assert "standing_knee_bent" in r.faults
