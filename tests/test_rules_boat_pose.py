"""Rules of boat_pose on synthetic poses: correct form, each fault, stage report, unknown cases."""

from __future__ import annotations

import pytest
from poses import correct_pose, hide, judge, rule, standing_pose, states

from formcheck.engine.feedback import CueKind

EX = "boat_pose"


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


def test_full_boat_all_pass() -> None:
    r = judge(EX, correct_pose(EX))
    assert r.exercise == EX and r.in_position
    assert set(states(r).values()) == {"pass"}
    assert r.reports == {"stage": "full"}
    assert r.cue.kind == CueKind.GOOD
    assert r.score == pytest.approx(100.0)


def test_half_boat_reports_half_and_a_low_priority_knee_cue() -> None:
    r = judge(EX, correct_pose(EX, knee=_th("knees_bent") - 15))
    assert r.reports == {"stage": "half"}
    assert r.faults == ("knees_bent",)
    assert rule(EX, "knees_bent").priority > max(rule(EX, f).priority for f in ("feet_on_floor", "spine_rounded"))


FAULTS = {
    "spine_rounded": lambda: {"spine": _th("spine_rounded") - 0.1},
    "torso_too_reclined": lambda: {"recline": _th("torso_too_reclined") + 10},
    "legs_too_low": lambda: {"thigh_lift": _th("legs_too_low") - 10},
    "knees_bent": lambda: {"knee": _th("knees_bent") - 15},
    "arms_not_forward": lambda: {"arm_from_level": _th("arms_not_forward") + 15},
    "feet_on_floor": lambda: {"feet_down": True, "thigh_lift": 30.0, "knee": 70.0, "recline": 15.0},
}


def test_arms_pointing_down_also_fault() -> None:
    r = judge(EX, correct_pose(EX, arm_from_level=-(_th("arms_not_forward") + 15)))
    assert r.faults == ("arms_not_forward",)


def test_feet_on_floor_makes_the_leg_rules_not_apply() -> None:
    """Their ``when`` (feet lifted) is known to be false: they pass silently, only feet_on_floor cues."""
    r = judge(EX, correct_pose(EX, **FAULTS["feet_on_floor"]()))
    s = states(r)
    assert s["legs_too_low"] == s["knees_bent"] == "pass"
    assert r.faults == ("feet_on_floor",)


def test_hidden_wrists_make_only_the_arm_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_wrist", "right_wrist"))
    s = states(r)
    assert s.pop("arms_not_forward") == "unknown"
    assert set(s.values()) == {"pass"}


def test_hidden_legs_make_every_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_knee", "right_knee"))
    assert not r.in_position
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.text == "Step back so your feet are in view."


def test_front_view_asks_to_turn_sideways() -> None:
    r = judge(EX, correct_pose(EX, view="front"))
    assert r.view.value == "front"
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP and r.cue.text == "Turn your side to the camera."


def test_out_of_position_all_unknown() -> None:
    r = judge(EX, standing_pose("side"))
    assert not r.in_position and r.reports == {}
    assert set(states(r).values()) == {"unknown"}
