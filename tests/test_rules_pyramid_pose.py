"""Rules of pyramid_pose on synthetic poses: correct form, each fault, unknown cases."""

from __future__ import annotations

import pytest
from poses import correct_pose, hide, judge, rule, standing_pose, states

from formcheck.engine.feedback import CueKind

EX = "pyramid_pose"


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


@pytest.mark.parametrize("front", ["left", "right"])
@pytest.mark.parametrize("view", ["side", "side_left"])
def test_correct_form_all_pass(front: str, view: str) -> None:
    r = judge(EX, correct_pose(EX, front=front, view=view))
    assert r.in_position and r.side == front
    assert set(states(r).values()) == {"pass"}
    assert r.cue.kind == CueKind.GOOD


FAULTS = {
    "front_knee_locked": lambda: {"front_knee": 180.0},
    "front_knee_bent_too_much": lambda: {"front_knee": _th("front_knee_bent_too_much") - 15, "front_spread": 10.0},
    "torso_not_folded": lambda: {"fold": _th("torso_not_folded") - 15},
    "back_heel_lifted": lambda: {"back_heel_lift": _th("back_heel_lifted") + 0.08},
    "stance_too_short": lambda: {"stance": _th("stance_too_short") - 0.1},
    "stance_too_long": lambda: {"stance": _th("stance_too_long") + 0.07, "front_spread": 43.0},
}


def test_hyperextended_knee_reads_past_180_and_faults() -> None:
    """Contract: soft and hyperextended both read ~169 unsigned; the signed angle tells them apart."""
    hyper = 360.0 - 169.0
    r = judge(EX, correct_pose(EX, front_knee=hyper))
    assert r.metrics["front_knee"] == pytest.approx(hyper, abs=0.5)
    assert r.faults == ("front_knee_locked",)
    soft = judge(EX, correct_pose(EX, front_knee=169.0))
    assert soft.metrics["front_knee"] == pytest.approx(169.0, abs=0.5)
    assert not soft.faults


def test_hidden_front_foot_makes_the_knee_rules_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_heel", "left_foot_index"))
    s = states(r)
    assert s.pop("front_knee_locked") == s.pop("front_knee_bent_too_much") == "unknown"
    assert set(s.values()) == {"pass"}


def test_hidden_feet_make_every_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_ankle", "right_ankle"))
    assert not r.in_position and set(states(r).values()) == {"unknown"}
    assert r.cue.text == "Step back so your feet are in view."


def test_front_view_is_never_judged() -> None:
    r = judge(EX, correct_pose(EX, view="front", front_knee=180.0))
    assert not r.faults
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP


def test_front_view_asks_to_turn_sideways() -> None:
    r = judge(EX, correct_pose(EX, view="front"))
    assert r.cue.text == "Turn your side to the camera."


def test_out_of_position_all_unknown() -> None:
    r = judge(EX, standing_pose("side"))
    assert not r.in_position and set(states(r).values()) == {"unknown"}
    assert r.cue.key == "position"
