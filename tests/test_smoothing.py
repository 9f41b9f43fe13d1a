"""Tests of formcheck.engine.smoothing: a golden One Euro output plus properties.

The golden file ``tests/golden/one_euro.csv`` holds a fixed input (a step plus deterministic
pseudo-noise, at irregular timestamps) and the filter's output with the default options.
Regenerate it after a deliberate change of the filter with::

    FORMCHECK_UPDATE_GOLDEN=1 pytest tests/test_smoothing.py

and review the diff before committing.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from poses import at, correct_pose

from formcheck.engine.smoothing import OneEuroFilter, OneEuroOptions, PoseSmoother

GOLDEN = Path(__file__).parent / "golden" / "one_euro.csv"
UPDATE = os.environ.get("FORMCHECK_UPDATE_GOLDEN") == "1"


def golden_input() -> tuple[list[float], list[float]]:
    """~3 s of a 0 → 1 step at t = 1 s plus pseudo-noise, at irregular 20-45 ms steps."""
    times, values = [], []
    t, state = 0.0, 12345
    for i in range(100):
        state = (1103515245 * state + 12345) % 2**31  # fixed LCG: the same numbers everywhere
        u = state / 2**31
        times.append(round(t, 6))
        values.append(round((1.0 if t >= 1.0 else 0.0) + 0.02 * (u - 0.5) + 0.01 * math.sin(7.0 * t), 9))
        t += 0.020 + 0.025 * ((i * 7919) % 13) / 12  # irregular, deterministic frame steps
    return times, values


def run_filter(times: list[float], values: list[float]) -> list[float]:
    f = OneEuroFilter()
    return [float(f.update(np.array([v]), t)[0]) for t, v in zip(times, values, strict=True)]


def test_golden_one_euro() -> None:
    times, values = golden_input()
    out = run_filter(times, values)
    if UPDATE or not GOLDEN.exists():
        if not UPDATE:
            pytest.fail(f"{GOLDEN} is missing; generate it with FORMCHECK_UPDATE_GOLDEN=1")
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        with GOLDEN.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["t_s", "input", "output"])
            w.writerows([f"{t:.6f}", f"{v:.9f}", f"{o:.9f}"] for t, v, o in zip(times, values, out, strict=True))
        pytest.skip("golden file regenerated")
    with GOLDEN.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["t_s"]) for r in rows] == pytest.approx(times, abs=1e-6)
    assert [float(r["input"]) for r in rows] == pytest.approx(values, abs=1e-9)
    assert out == pytest.approx([float(r["output"]) for r in rows], abs=1e-6)


def test_golden_shape_is_a_smoothed_step() -> None:
    times, values = golden_input()
    out = np.array(run_filter(times, values))
    t = np.array(times)
    before, after = out[(t > 0.3) & (t < 1.0)], out[t > 2.0]
    assert np.std(before) < np.std(np.array(values)[(t > 0.3) & (t < 1.0)])  # jitter reduced
    assert abs(np.mean(after) - 1.0) < 0.02  # settles on the new level


def test_constant_input_gives_constant_output() -> None:
    f = OneEuroFilter()
    x = np.array([[1.5, -2.0], [3.0, 0.25]])
    for i in range(30):
        np.testing.assert_allclose(f.update(x, i * 0.033), x)


def test_step_lags_then_converges() -> None:
    f = OneEuroFilter(OneEuroOptions(beta=0.0))
    f.update(np.array([0.0]), 0.0)
    outs = [float(f.update(np.array([1.0]), 0.033 * i)[0]) for i in range(1, 60)]
    assert 0.0 < outs[0] < 1.0  # lag on the step
    assert all(b >= a for a, b in zip(outs, outs[1:], strict=False))  # monotone approach
    assert outs[-1] == pytest.approx(1.0, abs=0.01)


def test_higher_beta_lags_less_on_fast_moves() -> None:
    slow, fast = OneEuroFilter(OneEuroOptions(beta=0.0)), OneEuroFilter(OneEuroOptions(beta=20.0))
    for f in (slow, fast):
        f.update(np.array([0.0]), 0.0)
    s = [float(slow.update(np.array([1.0]), 0.033 * i)[0]) for i in range(1, 5)]
    q = [float(fast.update(np.array([1.0]), 0.033 * i)[0]) for i in range(1, 5)]
    assert q[-1] > s[-1]


def test_nan_passes_through_and_keeps_state() -> None:
    f = OneEuroFilter()
    f.update(np.array([0.0, 0.0]), 0.0)
    f.update(np.array([1.0, 1.0]), 0.033)
    out = f.update(np.array([np.nan, 1.0]), 0.066)
    assert math.isnan(out[0]) and math.isfinite(out[1])
    back = f.update(np.array([1.0, 1.0]), 0.1)
    assert math.isfinite(back[0]) and 0.0 < back[0] <= 1.0


def test_element_missing_at_start_restarts_from_raw() -> None:
    f = OneEuroFilter()
    f.update(np.array([np.nan]), 0.0)
    assert f.update(np.array([5.0]), 0.033)[0] == pytest.approx(5.0)


def test_reset_after_a_gap_and_repeated_timestamps() -> None:
    f = OneEuroFilter(OneEuroOptions(reset_after_s=0.5))
    f.update(np.array([0.0]), 0.0)
    assert f.update(np.array([1.0]), 0.0)[0] == pytest.approx(0.0)  # repeat: previous output
    assert f.update(np.array([1.0]), 0.033)[0] < 1.0
    assert f.update(np.array([7.0]), 0.7)[0] == pytest.approx(7.0)  # gap > reset_after_s
    f.reset()
    assert f.update(np.array([3.0]), 0.8)[0] == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e3, 1e3), st.lists(st.floats(0.005, 0.4), min_size=1, max_size=30))
def test_constant_signal_property(value: float, steps: list[float]) -> None:
    f, t = OneEuroFilter(), 0.0
    for dt in steps:
        t += dt
        assert f.update(np.array([value]), t)[0] == pytest.approx(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=2, max_size=40))
def test_output_stays_within_input_range(values: list[float]) -> None:
    f = OneEuroFilter()
    out = [float(f.update(np.array([v]), 0.03 * i)[0]) for i, v in enumerate(values)]
    assert min(values) - 1e-9 <= min(out) and max(out) <= max(values) + 1e-9


def test_pose_smoother_keeps_still_poses_and_passes_low_visibility_raw() -> None:
    sm = PoseSmoother()
    pose = correct_pose("boat_pose")
    for i in range(5):
        out = sm.update(at(pose, i / 30))
    np.testing.assert_allclose(out.xy, pose.xy)
    np.testing.assert_allclose(out.world, pose.world)
    jumped = pose.xy.copy()
    jumped[15] += [200.0, 0.0]
    vis = pose.visibility.copy()
    vis[15] = 0.1
    out = sm.update(replace(pose, xy=jumped, visibility=vis, timestamp_s=6 / 30))
    np.testing.assert_allclose(out.xy[15], jumped[15])  # low visibility: raw, unsmoothed
    moved = pose.xy + [30.0, 0.0]
    out = sm.update(replace(pose, xy=moved, timestamp_s=7 / 30))
    assert np.all(out.xy[:, 0] < moved[:, 0]) and np.all(out.xy[:, 0] > pose.xy[:, 0])
