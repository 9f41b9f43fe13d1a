"""Rules of tree_pose on synthetic poses: correct form, faults, views, arm and foot reports."""

from __future__ import annotations

import pytest
from poses import correct_pose, hide, judge, rule, standing_pose, states

from formcheck.engine.feedback import CueKind

EX = "tree_pose"


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


@pytest.mark.parametrize("standing", ["left", "right"])
def test_correct_form_front_view(standing: str) -> None:
    r = judge(EX, correct_pose(EX, standing=standing))
    assert r.in_position and r.side == standing and r.view.value == "front"
    s = states(r)
    # Contract: the standing knee is nearly invisible from the front -> unknown, not a guess.
    assert s.pop("standing_knee_bent") == "unknown"
    assert set(s.values()) == {"pass"}
    assert r.cue.kind == CueKind.GOOD


def test_correct_form_oblique_view_judges_the_standing_knee() -> None:
    r = judge(EX, correct_pose(EX, view="oblique"))
    assert r.view.value == "oblique"
    s = states(r)
    assert s["standing_knee_bent"] == "pass"
    assert "fault" not in s.values()


def test_bent_standing_knee_is_silent_from_the_front() -> None:
    r = judge(EX, correct_pose(EX, standing_knee=_th("standing_knee_bent") - 15))
    assert r.in_position
    assert rule(EX, "standing_knee_bent").views and "front" not in rule(EX, "standing_knee_bent").views
    assert states(r)["standing_knee_bent"] == "unknown"
    assert not r.faults


def test_bent_standing_knee_faults_from_an_oblique_view() -> None:
    r = judge(EX, correct_pose(EX, view="oblique", standing_knee=_th("standing_knee_bent") - 15))
    assert r.metrics["standing_knee"] < _th("standing_knee_bent")
    assert r.faults == ("standing_knee_bent",)
    assert r.cue.key == "standing_knee_bent"


FAULTS = {
    "foot_on_knee": lambda: {"foot_height": 0.0},
    "foot_not_lifted": lambda: {"foot_on_floor": True, "standing_knee": 130.0},
    "hips_uneven": lambda: {"pelvis_tilt": _th("hips_uneven") + 8},
    "torso_leaning": lambda: {"lean": _th("torso_leaning") + 10},
}


@pytest.mark.parametrize(("arms", "label"), [("hips", "hips"), ("prayer", "prayer"), ("overhead", "overhead")])
def test_arms_report(arms: str, label: str) -> None:
    r = judge(EX, correct_pose(EX, arms=arms))
    assert r.reports["arms"] == label
    assert not r.faults


@pytest.mark.parametrize(("height", "label"), [(0.5, "thigh"), (-0.6, "calf"), (0.0, "knee")])
def test_foot_report(height: float, label: str) -> None:
    r = judge(EX, correct_pose(EX, foot_height=height))
    assert r.metrics["foot_height_on_leg"] == pytest.approx(height, abs=0.02)
    assert r.reports["foot"] == label


def test_calf_placement_never_faults_foot_on_knee() -> None:
    r = judge(EX, correct_pose(EX, foot_height=-0.6))
    assert states(r)["foot_on_knee"] in ("pass", "unknown")
    assert not r.faults


def test_hidden_feet_make_every_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_ankle", "right_ankle"))
    assert not r.in_position and set(states(r).values()) == {"unknown"}
    assert r.cue.text == "Step back so your feet are in view."


def test_side_view_asks_to_face_the_camera() -> None:
    r = judge(EX, correct_pose(EX, view="side"))
    if r.in_position:
        assert r.cue.text == "Face the camera."
    assert "hips_uneven" not in r.faults


def test_plain_standing_is_told_to_lift_the_foot() -> None:
    """Tree pose chosen, both feet down: the fault that breaks the position is called."""
    r = judge(EX, standing_pose("front"))
    assert r.in_position and r.faults == ("foot_not_lifted",)
    assert r.cue.key == "foot_not_lifted"


def test_plain_standing_is_not_a_tree_pose_in_auto_mode() -> None:
    r = judge("auto", standing_pose("front"))
    assert r.exercise is None and not r.faults
