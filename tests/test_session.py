"""Tests of the per-frame session logic: debounce, hysteresis, grace, cues, setup, hold time,
sides, mirrored input and the clip summary."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from poses import (
    at,
    boat_body,
    build_pose,
    correct_pose,
    engine,
    feed,
    feed_all,
    hide,
    judge,
    rule,
    spec,
    states,
)

from formcheck.engine.feedback import NO_CUE, Cue, CueKind, CueOptions, CueSelector
from formcheck.engine.rules import RuleState, RuleTracker, form_score
from formcheck.engine.session import (
    MAX_HOLD_STEP_S,
    SETUP_CUES,
    ExerciseSession,
    RoundCounter,
    SessionOptions,
    SideTracker,
)
from formcheck.engine.summary import SummaryBuilder

BOAT = "boat_pose"


def boat(**kw: float) -> object:
    return build_pose(boat_body(**kw), "side")


def session(exercise: str = BOAT, **options: float) -> ExerciseSession:
    """A session that judges from the first frame in position (settling has its own tests)."""
    return ExerciseSession(spec(exercise), SessionOptions(**{"settle_s": 0.0, "transition_speed": 1e9, **options}))


def _first(results: list, fault_id: str) -> float | None:
    return next((r.timestamp_s for r in results if fault_id in r.faults), None)


# --------------------------------------------------------------------------- debounce / hysteresis


def test_fault_is_reported_only_after_min_duration() -> None:
    r = rule(BOAT, "torso_too_reclined")
    good, bad = boat(), boat(recline=r.threshold + 10)
    s = session()
    feed_all(s, good, seconds=1.0, fps=30)
    results = feed_all(s, bad, seconds=1.5, fps=30, start_s=1.0)
    first = _first(results, r.id)
    assert first is not None
    assert r.min_duration_s <= first - 1.0 <= r.min_duration_s + 1 / 30 + 1e-9


def test_brief_excursion_shorter_than_min_duration_is_never_reported() -> None:
    r = rule(BOAT, "torso_too_reclined")
    good, bad = boat(), boat(recline=r.threshold + 10)
    s = session()
    out = feed_all(s, lambda t: bad if 1.0 <= t < 1.0 + r.min_duration_s * 0.6 else good, seconds=3.0, fps=30)
    assert _first(out, r.id) is None


def test_hysteresis_prevents_flicker_around_the_threshold() -> None:
    r = rule(BOAT, "torso_too_reclined")
    assert r.hysteresis > 0
    s = session()
    feed_all(s, boat(), seconds=1.0, fps=30)
    feed_all(s, boat(recline=r.threshold + 10), seconds=1.0, fps=30, start_s=1.0)
    near = [boat(recline=r.threshold - r.hysteresis / 2), boat(recline=r.threshold + r.hysteresis / 2)]
    out = feed_all(s, lambda t: near[int(t * 30) % 2], seconds=2.0, fps=30, start_s=2.0)
    assert all(r.id in x.faults for x in out)  # stays in fault: never back past the release point
    out = feed_all(s, boat(recline=r.threshold - 2 * r.hysteresis), seconds=0.5, fps=30, start_s=4.0)
    assert r.id not in out[-1].faults


def test_oscillation_around_the_threshold_from_pass_never_faults() -> None:
    r = rule(BOAT, "torso_too_reclined")
    s = session()
    feed_all(s, boat(), seconds=1.0, fps=30)
    near = [boat(recline=r.threshold - 1), boat(recline=r.threshold + 1)]
    out = feed_all(s, lambda t: near[int(t * 30) % 2], seconds=2.0, fps=30, start_s=1.0)
    assert _first(out, r.id) is None


def test_rule_tracker_units() -> None:
    r = rule(BOAT, "torso_too_reclined")
    tr = RuleTracker(r)
    assert tr.update(r.threshold + 5, 0.0).state == RuleState.PASS  # debounce starts
    res = tr.update(r.threshold + 5, r.min_duration_s)
    assert res.state == RuleState.FAULT and 0.5 <= res.severity <= 1.0
    full = tr.update(r.threshold + r.severity_scale * 2, r.min_duration_s + 0.1)
    assert full.severity == pytest.approx(1.0)
    instant = RuleTracker(r, instant=True)
    assert instant.update(r.threshold + 1, 0.0).state == RuleState.FAULT
    assert instant.update(r.threshold - 1, 0.0).state == RuleState.PASS
    gated = tr.update(r.threshold + 5, 5.0, gate_reason="not in position")
    assert gated.state == RuleState.UNKNOWN and gated.reason == "not in position"


def test_form_score() -> None:
    r = rule(BOAT, "torso_too_reclined")
    tr = RuleTracker(r, instant=True)
    ok, bad = tr.update(r.threshold - 5, 0.0), RuleTracker(r, instant=True).update(r.threshold + 100, 0.0)
    unknown = RuleTracker(r).update(float("nan"), 0.0)
    assert form_score([ok], {}) == 100.0
    assert form_score([ok, bad], {r.id: 1.0}) == pytest.approx(50.0)
    assert form_score([ok, unknown], {}) == 100.0
    assert np.isnan(form_score([unknown], {}))


# --------------------------------------------------------------------------- grace


def test_brief_unknown_keeps_the_last_state_longer_one_goes_unknown() -> None:
    r = rule(BOAT, "arms_not_forward")
    bad = boat(arm_from_level=r.threshold + 15)
    hidden = hide(bad, "left_wrist", "right_wrist")
    s = session()
    feed_all(s, bad, seconds=1.5, fps=30)
    brief = feed_all(s, hidden, seconds=0.2, fps=30, start_s=1.5)
    assert all(r.id in x.faults for x in brief)
    s2 = session()
    feed_all(s2, bad, seconds=1.5, fps=30)
    long = feed_all(s2, hidden, seconds=1.0, fps=30, start_s=1.5)
    assert states(long[-1])[r.id] == "unknown"
    assert r.id not in long[-1].faults


# --------------------------------------------------------------------------- cues


def test_most_important_fault_is_the_cue() -> None:
    rounded, arms = rule(BOAT, "spine_rounded"), rule(BOAT, "arms_not_forward")
    assert rounded.priority < arms.priority
    res = judge(BOAT, boat(spine=rounded.threshold - 0.1, arm_from_level=arms.threshold + 15))
    assert set(res.faults) == {rounded.id, arms.id}
    assert res.cue.key == rounded.id and res.cue.text == rounded.cue


def test_cue_stays_up_for_min_show_then_yields() -> None:
    sel = CueSelector(CueOptions(min_show_s=2.0, repeat_cooldown_s=4.0))
    low = Cue("arms", CueKind.FAULT, "arms", 5)
    high = Cue("spine", CueKind.FAULT, "spine", 1)
    assert sel.update([low], 0.0).key == "arms"
    assert sel.update([low, high], 1.0).key == "arms"  # still within min_show_s
    assert sel.update([low, high], 2.1).key == "spine"
    assert sel.update([], 5.0) == NO_CUE or sel.update([], 5.0).kind == CueKind.NONE


def test_replaced_cue_cools_down_before_it_returns() -> None:
    """A cue that flickers back does not grab the display again within repeat_cooldown_s."""
    sel = CueSelector(CueOptions(min_show_s=1.0, repeat_cooldown_s=4.0))
    a, b = Cue("a", CueKind.FAULT, "a", 1), Cue("b", CueKind.FAULT, "b", 2)
    assert sel.update([a], 0.0).key == "a"
    assert sel.update([b], 1.5).key == "b"  # a cleared: b shows, a cools down
    assert sel.update([a, b], 2.0).key == "b"  # b stays for min_show_s
    assert sel.update([a, b], 2.6).key == "b"  # a is still cooling down (replaced at 1.5 s)
    assert sel.update([a, b], 5.6).key == "a"  # cooled down: the most important cue wins


def test_cooling_cue_shows_when_it_is_the_only_one() -> None:
    sel = CueSelector(CueOptions(min_show_s=1.0, repeat_cooldown_s=4.0))
    a, b = Cue("a", CueKind.FAULT, "a", 1), Cue("b", CueKind.FAULT, "b", 2)
    sel.update([a], 0.0)
    sel.update([b], 1.5)
    assert sel.update([a], 2.6).key == "a"


def test_setup_cue_outranks_fault_cues() -> None:
    sel = CueSelector()
    setup = Cue("step back", CueKind.SETUP, "feet", 0)
    assert sel.update([Cue("x", CueKind.FAULT, "x", 1), setup], 0.0).key == "feet"


def test_setup_cue_when_feet_out_of_view() -> None:
    pose = build_pose(boat_body(), "side", offset_px=(0.0, 400.0))
    res = judge(BOAT, pose)
    assert res.cue.kind == CueKind.SETUP and res.cue.text == SETUP_CUES["feet"] == "Step back so your feet are in view."
    assert set(states(res).values()) == {"unknown"}


def test_setup_cue_when_nobody_is_there() -> None:
    res = feed(engine(BOAT), None, seconds=0.5)
    assert res.cue.text == SETUP_CUES["no_person"] and res.pose is None


def test_setup_cue_for_the_wrong_view_comes_before_faults() -> None:
    res = judge(BOAT, build_pose(boat_body(recline=rule(BOAT, "torso_too_reclined").threshold + 10), "front"))
    assert res.cue.text == "Turn your side to the camera."
    assert not res.faults


# --------------------------------------------------------------------------- hold time


def test_hold_time_counts_only_in_position_without_faults_irregular_times() -> None:
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.02, 0.06, size=120)).tolist()
    s = session()
    out = feed_all(s, boat(), times=times)
    t_in = next(r.timestamp_s for r in out if r.in_position)
    expected = sum(b - a for a, b in zip(times, times[1:], strict=False) if a >= t_in)
    assert out[-1].hold_s == pytest.approx(expected, abs=0.07)
    assert all(b.hold_s >= a.hold_s for a, b in zip(out, out[1:], strict=False))


def test_hold_time_stops_during_a_fault() -> None:
    s = session()
    feed_all(s, boat(), seconds=1.0, fps=30)
    out = feed_all(s, boat(recline=rule(BOAT, "torso_too_reclined").threshold + 10), seconds=1.5, fps=30, start_s=1.0)
    faulted = [r.hold_s for r in out if r.faults]
    assert faulted and max(faulted) == pytest.approx(min(faulted))


def test_dropped_frames_do_not_inflate_the_hold() -> None:
    s = session()
    feed_all(s, boat(), seconds=1.0, fps=30)
    before = feed(s, boat(), times=[1.0])
    after = feed(s, boat(), times=[4.0])  # a 3 s gap: counts at most MAX_HOLD_STEP_S
    assert after.hold_s - before.hold_s == pytest.approx(MAX_HOLD_STEP_S)


def test_hold_time_zero_out_of_position() -> None:
    assert feed(session(), correct_pose("tree_pose", view="side"), seconds=2.0).hold_s == 0.0


# --------------------------------------------------------------------------- sides


def test_side_tracker_switches_only_past_the_margin() -> None:
    tr = SideTracker("max", margin=0.15)
    assert tr.update(1.0, 0.9) == "left"
    assert tr.update(1.0, 1.1) == "left"  # 0.1 better: within the margin
    assert tr.update(1.0, 1.2) == "right"
    assert tr.update(float("nan"), float("nan")) == "right"
    tr.reset()
    assert tr.update(float("nan"), 0.5) == "right"
    mn = SideTracker("min", margin=0.15)
    assert mn.update(0.2, 0.9) == "left"


def test_pyramid_side_follows_the_front_leg_switch() -> None:
    eng = engine("pyramid_pose")
    r1 = feed(eng, correct_pose("pyramid_pose", front="left"), seconds=1.0)
    r2 = feed(eng, correct_pose("pyramid_pose", front="right"), seconds=1.0, start_s=1.0)
    assert (r1.side, r2.side) == ("left", "right")


def test_mirrored_input_keeps_anatomical_sides() -> None:
    """A selfie-mirrored image: coordinates flipped and MediaPipe's labels swapped."""
    pose = correct_pose("tree_pose", standing="right")
    w = pose.image_size[0]
    flipped = replace(pose, xy=np.column_stack([w - pose.xy[:, 0], pose.xy[:, 1]]),
                      world=pose.world * [-1.0, 1.0, 1.0])
    from_estimator = flipped.mirrored()  # the labels MediaPipe gives a mirrored image
    assert judge("tree_pose", from_estimator).side == "left"  # uncorrected: the wrong leg
    assert judge("tree_pose", from_estimator.mirrored()).side == "right"
    np.testing.assert_array_equal(from_estimator.mirrored().xy, flipped.xy)


def test_mirrored_twice_is_identity() -> None:
    pose = correct_pose("tree_pose")
    np.testing.assert_array_equal(pose.mirrored().mirrored().xy, pose.xy)
    assert not np.array_equal(pose.mirrored().xy, pose.xy)


# --------------------------------------------------------------------------- rounds


def test_round_counter_needs_both_phases() -> None:
    c = spec("modified_gate_pose").counter
    assert c is not None
    rc = RoundCounter(c)
    mid = (c.low + c.high) / 2
    for v in (mid, c.high + 0.1, mid, c.high + 0.1):
        rc.update(v)
    assert rc.rounds == 0
    rc.update(c.low - 0.1)
    assert rc.rounds == 1
    assert rc.update(float("nan")) == 1


# --------------------------------------------------------------------------- summary


def test_summary_fault_intervals_and_window_rule() -> None:
    r = rule(BOAT, "torso_too_reclined")
    eng = engine(BOAT, session=SessionOptions(settle_s=0.0, transition_speed=1e9))  # the pose jumps
    bad = boat(recline=r.threshold + 10)
    sb = SummaryBuilder()
    for res in feed_all(eng, lambda t: bad if 2.0 <= t < 3.5 else boat(), seconds=5.0, fps=30):
        sb.update(res)
    out = sb.finish()
    assert out.exercise == BOAT and out.side and out.view == "side"
    assert list(out.faults) == [r.id]
    (start, end), = out.faults[r.id].intervals
    assert 2.0 + r.min_duration_s - 0.05 <= start <= 2.0 + r.min_duration_s + 0.15
    assert 3.5 - 0.05 <= end <= 3.5 + 0.3
    assert out.reports == {"stage": "full"} and 0 < out.hold_s < 5.0
    as_json = out.to_dict()
    assert as_json["faults"][r.id] == {"total_s": out.faults[r.id].total_s, "intervals": [[start, end]]}
    assert list(as_json)[:3] == ["exercise", "side", "view"] and as_json["hold_s"] == out.hold_s


def test_summary_merges_short_gaps() -> None:
    from formcheck.engine.rules import RuleResult
    from formcheck.engine.session import FrameResult
    from formcheck.engine.view import View

    sb = SummaryBuilder()
    pose = correct_pose(BOAT)
    for i in range(60):
        t = i / 30
        state = RuleState.FAULT if (0.5 <= t < 1.0 or 1.2 <= t < 1.6) else RuleState.PASS
        sb.update(FrameResult(t, BOAT, at(pose, t), in_position=True, view=View.SIDE,
                              rules=(RuleResult("f", state, 1.0, 0.0),), score=90.0))
    intervals = sb.finish().faults["f"].intervals
    assert len(intervals) == 1  # the 0.2 s gap is bridged


# --------------------------------------------------------------------------- the pose helpers


@pytest.mark.parametrize(("view", "expected"), [("front", "front"), ("side", "side"), ("side_left", "side"),
                                                ("oblique", "oblique"), ("back", "front")])
def test_builder_views_read_as_intended(view: str, expected: str) -> None:
    from formcheck.engine.view import ViewTracker, frontality

    for exercise in ("tree_pose", "boat_pose", "constructive_rest"):
        pose = correct_pose(exercise, view=view)
        f = frontality(pose)
        assert ViewTracker(instant=True).update(pose).value == expected, (exercise, f)


def test_make_pose_builds_a_valid_frame() -> None:
    from poses import make_pose

    pose = make_pose({"left_hip": (600, 400), "right_hip": (660, 400, 30), "nose": (630, 100)},
                     hidden=["nose"], timestamp_s=1.5)
    assert pose.timestamp_s == 1.5 and pose.image_size == (1280, 720)
    vis = pose.visible()
    assert vis[23] and vis[24] and not vis[0] and not vis[11]  # unnamed landmarks are hidden
    np.testing.assert_allclose((pose.world[23] + pose.world[24]) / 2, 0.0, atol=1e-12)  # origin at mid-hip
    assert pose.world[24, 0] - pose.world[23, 0] == pytest.approx(60 / 300)
