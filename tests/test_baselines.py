"""Personal baselines: the spec format, the tracker, and rules that fire on the change from them."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
from poses import correct_pose, engine, feed_all, lying_mask, rule, spec

from formcheck.engine.baseline import BaselineTracker
from formcheck.engine.specs import BaselineSpec, Capture, SpecError, load_spec, parse_spec
from formcheck.engine.summary import SummaryBuilder

EX = "psoas_stretch"
TORSO_M = 0.5


# --------------------------------------------------------------------------- the tracker


def _feed(
    tracker: BaselineTracker, values: list[float], fps: float = 10.0, reference: bool = True, start_s: float = 0.0
) -> list:
    return [tracker.update(v, start_s + i / fps, reference) for i, v in enumerate(values)]


def test_settled_baseline_is_the_median_after_settling() -> None:
    tr = BaselineTracker(BaselineSpec("b", "m", Capture.SETTLED, settle_s=1.0, capture_s=1.0, steady=0.05))
    states = _feed(tr, [0.10] * 10 + [0.11, 0.12, 0.11, 0.10, 0.11, 0.12, 0.11, 0.10, 0.11, 0.12, 0.11])
    assert all(s.capturing for s in states[:20]) and math.isnan(states[0].value)
    assert states[-1].value == pytest.approx(0.11) and not states[-1].capturing
    assert states[-1].captured_at_s == pytest.approx(2.0)
    # Captured once: later values (an arch) do not move it.
    assert _feed(tr, [0.3] * 5, start_s=3.0)[-1].value == pytest.approx(0.11)


def test_settled_baseline_restarts_when_the_person_moves() -> None:
    tr = BaselineTracker(BaselineSpec("b", "m", Capture.SETTLED, settle_s=0.5, capture_s=0.5, steady=0.02))
    moving = [0.05 + 0.03 * (i % 2) for i in range(20)]  # spread 0.03 > steady
    assert all(math.isnan(s.value) for s in _feed(tr, moving))
    still = _feed(tr, [0.07] * 12, start_s=2.0)
    assert still[-1].value == pytest.approx(0.07)


def test_settled_baseline_waits_for_the_reference_posture() -> None:
    tr = BaselineTracker(BaselineSpec("b", "m", Capture.SETTLED, settle_s=0.2, capture_s=0.2))
    out = _feed(tr, [0.1] * 30, reference=False)
    assert all(math.isnan(s.value) and not s.capturing for s in out)
    assert math.isnan(tr.update(float("nan"), 5.0, True).value)


def test_max_baseline_is_clamped_into_its_range() -> None:
    tr = BaselineTracker(BaselineSpec("b", "m", Capture.MAX, range=(1.1, 1.3)))
    assert math.isnan(tr.update(float("nan"), 0.0, True).value)
    first = tr.update(0.9, 0.1, True)
    assert first.value == pytest.approx(1.1) and first.measured == pytest.approx(0.9)
    assert tr.update(1.2, 0.2, True).value == pytest.approx(1.2)
    assert tr.update(1.25, 0.3, False).value == pytest.approx(1.2)  # not in the reference posture
    assert tr.update(1.5, 0.4, True).value == pytest.approx(1.3)
    tr.reset()
    assert math.isnan(tr.update(float("nan"), 0.0, True).value)


def test_settled_baseline_is_clamped_so_a_fault_from_the_start_cannot_pass_for_correct() -> None:
    tr = BaselineTracker(BaselineSpec("b", "m", Capture.SETTLED, settle_s=0.2, capture_s=0.2, range=(0.0, 0.12)))
    last = _feed(tr, [0.2] * 10)[-1]
    assert last.measured == pytest.approx(0.2) and last.value == pytest.approx(0.12)


# --------------------------------------------------------------------------- the spec format


def _spec(**rule_extra: object) -> dict:
    return {
        "id": "x", "name": "X", "version": 1, "views": ["side"], "camera": "c", "instructions": "i",
        "position_cue": "p",
        "metrics": {"gap": {"kind": "distance", "points": ["left_hip", "left_knee"]}},
        "position": [{"metric": "gap", "op": ">", "value": 0.0}],
        "baselines": {"own": {"metric": "gap", "settle_s": 1.0, "capture_s": 1.0, "steady": 0.02}},
        "rules": [{"id": "f", "metric": "gap", "fault_when": ">", "threshold": 0.5, "cue": "c", **rule_extra}],
    }


def test_rule_threshold_from_baseline() -> None:
    r = parse_spec(_spec(baseline="own", change=0.1)).rules[0]
    assert r.threshold_from(float("nan")) == 0.5  # no baseline yet: absolute
    assert r.threshold_from(0.2) == pytest.approx(0.3)  # own value + change
    assert r.threshold_from(0.45) == pytest.approx(0.55)
    low = parse_spec({**_spec(baseline="own", ratio=0.85), "rules": [
        {"id": "f", "metric": "gap", "fault_when": "<", "threshold": 0.8, "cue": "c", "baseline": "own", "ratio": 0.85}
    ]}).rules[0]
    assert low.threshold_from(1.2) == pytest.approx(1.02)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"baseline": "own"}, "rules[0].baseline: give exactly one of change"),
        ({"baseline": "own", "change": 0.1, "ratio": 0.9}, "give exactly one of change"),
        ({"baseline": "onw", "change": 0.1}, "rules[0].baseline: unknown 'onw' (did you mean 'own'?)"),
        ({"change": 0.1}, "rules[0].change: needs baseline"),
        ({"baseline": "own", "change": -0.1}, "rules[0].change: must be > 0"),
        ({"breaks": {"gapp": -1.0}}, "rules[0].breaks.gapp: unknown 'gapp' (did you mean 'gap'?)"),
        ({"breaks": {"gap": 1.0}}, "rules[0].breaks.gap: 1.0 still satisfies the position condition"),
    ],
)
def test_bad_rule_baselines_are_refused(extra: dict, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(_spec(**extra), "x.toml")


def test_bad_baseline_tables_are_refused() -> None:
    data = _spec()
    data["baselines"] = {"own": {"metric": "gap", "capture": "mean"}}
    with pytest.raises(SpecError, match=r"baselines.own.capture: unknown 'mean'"):
        parse_spec(data, "x.toml")
    data["baselines"] = {"own": {"metric": "gap", "range": [0.5, 0.1]}}
    with pytest.raises(SpecError, match=r"baselines.own.range: expected \[low, high\] with low < high"):
        parse_spec(data, "x.toml")
    data["baselines"] = {"own": {"metric": "gp"}}
    with pytest.raises(SpecError, match=r"baselines.own.metric: unknown 'gp' \(did you mean 'gap'\?\)"):
        parse_spec(data, "x.toml")
    data["metrics"]["gap"]["baseline"] = "session_max"
    with pytest.raises(SpecError, match=r"metrics.gap.baseline: a metric has no baseline"):
        parse_spec(data, "x.toml")


def test_shipped_specs_compare_with_the_person() -> None:
    arch = rule(EX, "lower_back_arched")
    assert arch.baseline == "flat_back" and arch.change > 0
    assert spec(EX).baselines["flat_back"].metric == "back_gap"
    rounded = rule("boat_pose", "spine_rounded")
    assert rounded.baseline == "upright_spine" and rounded.ratio == pytest.approx(0.85)
    assert load_spec(spec(EX).source).baselines == spec(EX).baselines


# --------------------------------------------------------------------------- the back arch


def _with_gap(gap_torso: float):  # noqa: ANN202
    pose = correct_pose(EX)
    return replace(pose, mask=lying_mask(pose, arch_m=gap_torso * TORSO_M))


def _run(gaps: dict[float, float], seconds: float) -> list:
    """Feed the psoas stretch with the back gap given piecewise: {from_s: gap}."""
    poses = {k: _with_gap(v) for k, v in gaps.items()}
    starts = sorted(poses)

    def pose_at(t: float):  # noqa: ANN202
        return poses[max(s for s in starts if s <= t)]

    return feed_all(engine(EX), pose_at, seconds=seconds, fps=15)


def test_an_arch_on_a_body_with_a_high_flat_gap_is_called_against_its_baseline() -> None:
    """A body whose flat back reads 0.10 (under the absolute 0.15) arches to 0.14: still under
    the absolute threshold, but +0.04 over its own flat back."""
    results = _run({0.0: 0.10, 4.5: 0.14}, seconds=7.0)
    before = [r for r in results if r.timestamp_s < 4.5]
    after = [r for r in results if r.timestamp_s > 5.5]
    assert not any("lower_back_arched" in r.faults for r in before)
    base = before[-1].baselines[0]
    assert base.id == "flat_back" and base.value == pytest.approx(before[-1].metrics["back_gap"], abs=0.01)
    assert all("lower_back_arched" in r.faults for r in after)
    assert any(r.baseline_capturing for r in before) and not after[-1].baseline_capturing


def test_a_flat_back_is_never_called_whatever_the_body() -> None:
    for flat in (0.04, 0.09, 0.13):
        results = _run({0.0: flat}, seconds=7.0)
        assert not any(r.faults for r in results), flat
        assert results[-1].baselines[0].measured == pytest.approx(results[-1].metrics["back_gap"], abs=0.01)


def test_a_back_arched_from_the_start_is_caught_by_the_absolute_threshold() -> None:
    results = _run({0.0: 0.22}, seconds=7.0)
    assert "lower_back_arched" in results[-1].faults
    base = results[-1].baselines[0]
    assert base.measured > 0.18 and base.value == pytest.approx(0.12)  # clamped: not taken as flat


def test_the_summary_reports_the_baseline_and_the_change() -> None:
    sb = SummaryBuilder()
    for r in _run({0.0: 0.08, 4.5: 0.14}, seconds=7.0):
        sb.update(r)
    out = sb.finish()
    b = out.baselines["flat_back"]
    assert b.metric == "back_gap"
    assert b.value == pytest.approx(0.08, abs=0.02) and b.measured == pytest.approx(b.value)
    assert b.max_change == pytest.approx(0.06, abs=0.02)
    assert out.to_dict()["baselines"]["flat_back"]["max_change"] == round(b.max_change, 4)


def test_a_new_attempt_measures_a_new_baseline() -> None:
    """Out of the stretch for 2 s (a new attempt, e.g. after a rest): the back is measured again,
    so a flat back that now reads higher (another spot on the mat) is not called arched."""
    from poses import standing_pose  # noqa: PLC0415

    first, later, away = _with_gap(0.05), _with_gap(0.11), standing_pose("side")
    results = feed_all(engine(EX), lambda t: first if t < 4.5 else away if t < 6.5 else later, seconds=12.0, fps=15)
    assert results[60].baselines[0].measured == pytest.approx(0.05, abs=0.02)
    assert not any("lower_back_arched" in r.faults for r in results)
    assert results[-1].baselines[0].measured == pytest.approx(0.11, abs=0.02)
