"""The metric-kind registry: every kind has one entry, and the loader, evaluator and overlay obey it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from poses import standing_pose
from test_specs import error_of, raw

from formcheck.engine.kinds import KINDS, MetricKind
from formcheck.engine.landmarks import LANDMARK_NAMES
from formcheck.engine.metrics import MetricEvaluator
from formcheck.engine.specs import parse_spec

POINTS = ["left_wrist", "left_hip", "right_knee", "left_ankle", "left_shoulder"]


def test_every_kind_has_exactly_one_entry() -> None:
    assert set(KINDS) == set(MetricKind)
    for kind, info in KINDS.items():
        if info.combines:
            assert info.kernel is None and info.points is None, kind
        if info.label_at is not None:
            assert info.points is not None and 0 <= info.label_at < info.points, kind


FORWARD = {MetricKind.SIGNED_JOINT_ANGLE, MetricKind.FORWARD_OFFSET}  # the kinds that read `forward`


def _with_metric(kind: MetricKind, extra_points: int = 0, **fields: Any) -> dict[str, Any]:
    """The tree pose spec with its ``torso_lean`` metric made of ``kind`` (registered points + extra)."""
    n = (KINDS[kind].points or 0) + extra_points
    if kind in FORWARD:
        fields["forward"] = ["left_heel", "left_foot_index"]
    data = raw("tree_pose")
    data["metrics"]["torso_lean"] = {"kind": kind.value, "unit": "", "points": POINTS[:n], **fields}
    return data


FIXED = [k for k, info in KINDS.items() if info.points is not None]


@pytest.mark.parametrize("kind", FIXED)
def test_the_loader_takes_the_registered_point_count(kind: MetricKind) -> None:
    parse_spec(_with_metric(kind), "tree_pose.toml")
    n = KINDS[kind].points
    assert f"'{kind.value}' takes {n} points, got {n + 1}" in error_of(_with_metric(kind, extra_points=1))  # type: ignore[operator]


@pytest.mark.parametrize("kind", FIXED)
def test_world_space_only_where_registered(kind: MetricKind) -> None:
    data = _with_metric(kind, space="world")
    if KINDS[kind].world:
        parse_spec(data, "tree_pose.toml")
    else:
        assert "is measured in the image only" in error_of(data)


@pytest.mark.parametrize("kind", [k for k, info in KINDS.items() if info.kernel is not None])
def test_the_evaluator_uses_the_registered_formula(kind: MetricKind) -> None:
    """The value on a pose is the kernel on its points, divided by the torso where registered."""
    spec = parse_spec(_with_metric(kind), "tree_pose.toml")
    frame = standing_pose()
    got = MetricEvaluator(spec).update(frame, "left")["torso_lean"]
    index = {name: i for i, name in enumerate(LANDMARK_NAMES)}
    xy = frame.xy.tolist()
    pts = [xy[index[p]] for p in POINTS[: KINDS[kind].points]]
    want = KINDS[kind].kernel(pts, [xy[index["left_heel"]], xy[index["left_foot_index"]]])  # type: ignore[misc]
    assert math.isfinite(want)
    if KINDS[kind].per_torso:
        mid = lambda a, b: [(u + v) / 2 for u, v in zip(xy[index[a]], xy[index[b]], strict=True)]  # noqa: E731
        torso = math.dist(mid("left_shoulder", "right_shoulder"), mid("left_hip", "right_hip"))
        assert got == pytest.approx(want / torso, rel=0.3)  # the image torso may be the 3-D one, scaled
        assert np.sign(got) == np.sign(want)
    else:
        assert got == pytest.approx(want)
