"""Tests of the per-frame fast paths: the point-metric plan, frame lists, mask on demand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.engine import geometry as g
from formcheck.engine.landmarks import PoseValidationError, frame_lists
from formcheck.engine.metrics import MetricEvaluator, PointMetricPlan, _rows, extended_points, point_tables
from formcheck.engine.specs import MetricKind
from tests.poses import correct_pose, engine, feed, hide, shipped_specs, standing_pose


def test_plan_values_are_the_evaluators_and_the_geometry_functions() -> None:
    specs = shipped_specs()
    spec = specs["tree_pose"]
    ev = MetricEvaluator(spec)
    frame = correct_pose("tree_pose")
    for side in ("left", "right"):
        rows = _rows(ev._order, side)
        plan = PointMetricPlan(spec.min_visibility, rows).evaluate(frame)
        assert plan.keys() == {mid for mid, _ in rows}
        values = ev.update(frame, side)
        for mid, v in plan.items():
            want = abs(v) if spec.metrics[mid].absolute else v
            assert values[mid] == want or (math.isnan(values[mid]) and math.isnan(want)), mid
    # One kernel checked against the geometry function on the table's points.
    knee = next(m for m in spec.metrics.values() if m.kind == MetricKind.JOINT_ANGLE and m.space == "image")
    pts = point_tables(frame, spec.min_visibility)["image"].points[list(_rows([knee], "left")[0][1].idx)]
    assert ev.update(frame, "left")[knee.id] == pytest.approx(g.joint_angle_deg(*pts))
    left, right = ev.side_values(frame)
    assert (left, right) == (ev.update(frame, "left")[spec.side.metric], ev.update(frame, "right")[spec.side.metric])


def test_point_metrics_are_nan_when_a_landmark_is_hidden() -> None:
    spec = shipped_specs()["tree_pose"]
    ev = MetricEvaluator(spec)
    frame = hide(correct_pose("tree_pose"), "left_knee", "right_knee")
    values = ev.update(frame, "left")
    knee_metrics = [m.id for m in spec.metrics.values()
                    if m.kind == MetricKind.JOINT_ANGLE and any("knee" in p for p in m.points)]
    assert knee_metrics and all(math.isnan(values[mid]) for mid in knee_metrics)


@pytest.mark.parametrize("min_vis", [0.0, 0.2, 0.5, 0.9])
def test_frame_lists_match_the_arrays(min_vis: float) -> None:
    frame = hide(standing_pose(), "left_ankle", visibility=0.3)
    lists = frame_lists(frame)
    assert lists.visible(min_vis) == frame.visible(min_vis).tolist()
    assert lists.xy == frame.xy.tolist()
    table = point_tables(frame, min_vis)["image"]
    np.testing.assert_array_equal(table.points, extended_points(frame.xy, frame.visible(min_vis)))
    assert frame_lists(frame) is lists, "cached for the last frame"


def test_with_coordinates_checks_shapes_and_shares_the_rest() -> None:
    frame = standing_pose()
    moved = frame.with_coordinates(frame.xy + 1.0, frame.world)
    assert moved.visibility is frame.visibility and moved.image_size == frame.image_size
    np.testing.assert_array_equal(moved.xy, frame.xy + 1.0)
    assert frame.xy[0, 0] + 1.0 == moved.xy[0, 0]
    with pytest.raises(PoseValidationError, match="xy"):
        frame.with_coordinates(frame.xy[:5], frame.world)


def test_engine_wants_the_mask_only_while_judging_an_exercise_that_reads_it() -> None:
    specs = shipped_specs()
    assert specs["psoas_stretch"].needs_mask and not specs["tree_pose"].needs_mask
    assert engine("psoas_stretch").wants_mask
    assert not engine("tree_pose").wants_mask
    auto = engine("auto")
    assert not auto.wants_mask, "nothing recognised yet"
    feed(auto, correct_pose("tree_pose"), seconds=2.0)
    assert not auto.wants_mask
    auto = engine("auto")
    result = feed(auto, correct_pose("psoas_stretch"), seconds=3.0)
    assert result.exercise == "psoas_stretch" and auto.wants_mask
