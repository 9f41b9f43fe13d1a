"""Rules of modified_gate_pose on synthetic poses: correct form, faults, views, Cat-Cow rounds."""

from __future__ import annotations

import math

import pytest
from poses import build_pose, correct_pose, engine, feed, feed_all, gate_body, hide, judge, rule, spec, states

from formcheck.engine.feedback import CueKind
from formcheck.engine.session import FrameResult

EX = "modified_gate_pose"
DROP = 31.0  # the extended leg's slope below the horizontal in gate_body


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


def _leg_back_for(off_axis: float) -> float:
    """gate_body's leg_back that makes leg_off_axis read ``off_axis`` degrees."""
    return math.degrees(math.acos(math.cos(math.radians(off_axis)) / math.cos(math.radians(DROP))))


@pytest.mark.parametrize("extended", ["left", "right"])
@pytest.mark.parametrize("view", ["side", "side_left", "oblique"])
def test_correct_form_all_pass(extended: str, view: str) -> None:
    r = judge(EX, correct_pose(EX, view=view, extended=extended))
    assert r.in_position and r.side == extended
    s = states(r)
    # Seen from the side the extended leg points at the camera: its direction is not judged.
    assert s.pop("leg_not_to_side") == ("unknown" if view.startswith("side") else "pass")
    # The kneeling thigh's 3-D angle is judged from the side only.
    assert s.pop("hips_not_over_knee") == ("pass" if view.startswith("side") else "unknown")
    assert set(s.values()) == {"pass"}
    assert r.cue.kind == CueKind.GOOD


FAULTS = {
    "extended_leg_bent": lambda: {"ext_knee": _th("extended_leg_bent") - 15},
    "leg_not_to_side": lambda: {"leg_back": _leg_back_for(_th("leg_not_to_side") + 10)},
    "hands_not_under_shoulders": lambda: {"arm_tilt": _th("hands_not_under_shoulders") + 10},
    "hips_not_over_knee": lambda: {"thigh_tilt": _th("hips_not_over_knee") + 10},
}


def fault_result(fault_id: str) -> FrameResult:
    """The engine's verdict on a pose showing ``fault_id`` (tests/test_rules_each_fault.py)."""
    view = {"leg_not_to_side": "oblique"}.get(fault_id, "side")  # the leg's direction needs front/oblique
    return judge(EX, correct_pose(EX, view=view, **FAULTS[fault_id]()))


def test_hands_rule_is_unknown_from_the_front() -> None:
    """Contract: hands_not_under_shoulders is visible from the side, not from the front."""
    pose = build_pose(gate_body(arm_tilt=_th("hands_not_under_shoulders") + 10), "front", pitch_deg=8)
    r = judge(EX, pose)
    assert r.view.value == "front" and r.in_position
    s = states(r)
    assert s.pop("hands_not_under_shoulders") == "unknown"
    assert s.pop("hips_not_over_knee") == "unknown"  # side view only too
    assert "unknown" not in s.values()


def test_image_metrics_do_not_blow_up_when_the_torso_points_at_the_camera() -> None:
    """From the front the horizontal torso collapses to a few pixels; torso-relative image
    metrics (wrist_below_shoulder, head_lift) must still read about what the side view reads."""
    side = judge(EX, correct_pose(EX))
    front = judge(EX, build_pose(gate_body(), "front", pitch_deg=15))
    for m in ("wrist_below_shoulder", "head_lift"):
        assert front.metrics[m] == pytest.approx(side.metrics[m], abs=0.3), m


def test_hidden_wrists_make_every_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_wrist", "right_wrist"))
    assert not r.in_position
    assert set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP


def test_standing_is_out_of_position() -> None:
    r = judge(EX, correct_pose("pyramid_pose", fold=0.0))
    assert not r.in_position and set(states(r).values()) == {"unknown"}


def _cat_cow(amplitude: float, period_s: float = 2.0):  # noqa: ANN202
    """Head oscillation: cow (head up) first, then cat (head down)."""
    base = correct_pose(EX)

    def pose(t: float):  # noqa: ANN202
        if t < 0.5:
            return base
        return build_pose(gate_body(head=-amplitude * math.sin(2 * math.pi * (t - 0.5) / period_s)), "side")

    return pose


def test_head_swing_crosses_the_counter_band() -> None:
    c = spec(EX).counter
    assert c is not None
    results = feed_all(engine(EX), _cat_cow(35.0), seconds=2.5, fps=15)
    lifts = [r.metrics[c.metric] for r in results if r.in_position]
    assert max(lifts) > c.high and min(lifts) < c.low


def test_one_cat_cow_cycle_is_one_round() -> None:
    r = feed(engine(EX), _cat_cow(35.0), seconds=0.5 + 2.0, fps=15)  # ends back at neutral
    assert r.rounds == 1


def test_three_cat_cow_cycles_are_three_rounds() -> None:
    r = feed(engine(EX), _cat_cow(35.0), seconds=0.5 + 3 * 2.0, fps=15)
    assert r.rounds == 3


def test_still_head_counts_no_rounds() -> None:
    assert feed(engine(EX), correct_pose(EX), seconds=3.0, fps=10).rounds == 0
