"""Rules of constructive_rest on synthetic poses: correct form, faults, restlessness over time."""

from __future__ import annotations

import math

import pytest
from poses import build_pose, correct_pose, engine, feed, feed_all, hide, judge, rest_body, rule, standing_pose, states

from formcheck.engine.feedback import CueKind
from formcheck.engine.session import FrameResult

EX = "constructive_rest"


def _th(fault_id: str) -> float:
    return rule(EX, fault_id).threshold


def _still(seconds: float = 4.0, **kwargs: object):  # noqa: ANN202
    return feed(engine(EX), correct_pose(EX, **kwargs), seconds=seconds, fps=10)


def test_correct_form_all_pass() -> None:
    r = _still()
    assert r.in_position
    assert set(states(r).values()) == {"pass"}
    assert r.cue.kind == CueKind.GOOD


def test_one_long_leg_is_allowed() -> None:
    r = _still(knees=90.0, second_knee=180.0)
    assert set(states(r).values()) == {"pass"}


FAULTS = {
    "knees_not_bent": lambda: {"knees": 180.0},
    "feet_off_floor": lambda: {"heel_lift": 0.3},
    "hips_lifted": lambda: {"hip_lift": 0.25},
}


def fault_result(fault_id: str) -> FrameResult:
    """The engine's verdict on a still pose showing ``fault_id`` (tests/test_rules_each_fault.py)."""
    return _still(**FAULTS[fault_id]())


def _moving(t: float):  # noqa: ANN202
    return build_pose(rest_body(arm=70.0 * math.sin(2 * math.pi * t / 1.5)), "side", origin_px=(640.0, 400.0))


def test_restless_faults_when_the_body_keeps_moving() -> None:
    results = feed_all(engine(EX), _moving, seconds=6.0, fps=15)
    r = results[-1]
    assert r.metrics["motion"] > _th("restless")
    assert r.faults == ("restless",)
    # Debounce: not reported before the window has filled and min_duration_s has passed.
    first = next(x.timestamp_s for x in results if "restless" in x.faults)
    assert first >= rule(EX, "restless").min_duration_s


def test_still_body_is_not_restless() -> None:
    r = _still(seconds=6.0)
    assert r.metrics["motion"] == pytest.approx(0.0, abs=1e-9)
    assert states(r)["restless"] == "pass"


def test_motion_is_unknown_until_it_has_some_history() -> None:
    """The body speed needs MOTION_MIN_HISTORY_S of frames; before that restless cannot judge."""
    assert math.isnan(_still(seconds=0.2).metrics["motion"])
    r = _still(seconds=0.8)
    assert r.in_position
    assert not math.isnan(r.metrics["motion"])
    assert states(_still(seconds=1.6))["restless"] == "pass"  # once settled (SessionOptions.settle_s)


def test_hidden_legs_make_every_rule_unknown() -> None:
    r = judge(EX, hide(correct_pose(EX), "left_hip", "right_hip"))
    assert not r.in_position and set(states(r).values()) == {"unknown"}
    assert r.cue.kind == CueKind.SETUP


def test_standing_is_out_of_position() -> None:
    r = judge(EX, standing_pose("side"))
    assert not r.in_position and set(states(r).values()) == {"unknown"}
