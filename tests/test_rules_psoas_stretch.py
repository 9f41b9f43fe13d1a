"""Rules of psoas_stretch on synthetic poses: correct form, each fault, unknown cases."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from poses import correct_pose, hide, judge, lying_mask, rule, standing_pose, states

from formcheck.engine.feedback import CueKind
from formcheck.engine.metrics import mask_floor_gap

EX = "psoas_stretch"
TORSO_M = 0.5


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


def test_correct_form_all_pass() -> None:
    r = judge(EX, correct_pose(EX))
    assert r.exercise == EX and r.in_position
    assert r.side == "left"  # the leg drawn to the chest
    assert set(states(r).values()) == {"pass"}
    assert r.cue.kind == CueKind.GOOD
    assert r.score == pytest.approx(100.0)


def test_side_is_the_drawn_leg() -> None:
    assert judge(EX, correct_pose(EX, drawn="right")).side == "right"


FAULTS = {
    "knee_not_to_chest": lambda: {"hip_flexion": _th("knee_not_to_chest") + 15},
    "extended_leg_bent": lambda: {"long_knee": _th("extended_leg_bent") - 15},
    "extended_leg_lifted": lambda: {"long_hip": _th("extended_leg_lifted") - 10},
}


def _arched(gap_torso: float, scale: float = 1.0):  # noqa: ANN202
    pose = correct_pose(EX)
    return replace(pose, mask=lying_mask(pose, arch_m=gap_torso * TORSO_M, scale=scale))


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_mask_floor_gap_measures_the_arch(scale: float) -> None:
    th = _th("lower_back_arched")
    flat, arched = _arched(th - 0.06, scale), _arched(th + 0.07, scale)
    r_flat, r_arched = judge(EX, flat), judge(EX, arched)
    assert r_flat.metrics["back_gap"] == pytest.approx(th - 0.06, abs=0.02)
    assert r_arched.metrics["back_gap"] == pytest.approx(th + 0.07, abs=0.02)
    assert r_arched.metrics["back_gap"] > r_flat.metrics["back_gap"] + 0.1


def test_lower_back_arched_trips_alone() -> None:
    r = judge(EX, _arched(_th("lower_back_arched") + 0.07))
    assert r.faults == ("lower_back_arched",)
    assert r.cue.key == "lower_back_arched" and r.cue.kind == CueKind.FAULT


def test_mask_floor_gap_is_nan_without_a_lying_torso() -> None:
    pose = correct_pose(EX)
    mask = lying_mask(pose)
    hip = pose.xy[23]
    assert math.isnan(mask_floor_gap(mask, hip, hip + [0.0, -150.0], 1.0))  # an upright torso
    assert math.isnan(mask_floor_gap(mask, hip, hip + [3.0, 0.0], 1.0))  # too small to measure
    assert math.isnan(mask_floor_gap(mask, hip, hip * float("nan"), 1.0))  # shoulders unseen


def test_no_mask_makes_only_the_arch_rule_unknown() -> None:
    r = judge(EX, replace(correct_pose(EX), mask=None))
    s = states(r)
    assert s.pop("lower_back_arched") == "unknown"
    assert set(s.values()) == {"pass"}


def test_hidden_legs_make_every_rule_unknown() -> None:
    pose = hide(correct_pose(EX), "left_knee", "right_knee", "left_ankle", "right_ankle")
    r = judge(EX, pose)
    assert not r.in_position
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP and r.cue.text == "Step back so your feet are in view."


def test_front_view_is_never_judged() -> None:
    """Lying feet-first toward the camera: the rules are side/oblique only, so all stay silent."""
    r = judge(EX, correct_pose(EX, view="front"))
    assert r.view.value == "front"
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP


def test_out_of_position_all_unknown() -> None:
    r = judge(EX, standing_pose("side"))
    assert not r.in_position
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP and r.cue.key == "position"
