"""The metric-kind registry: every kind has one entry, and the loader, evaluator and overlay obey it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from test_specs import error_of, raw

from formcheck.engine.kinds import KINDS, MetricKind
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


def _with_metric(kind: MetricKind, **fields: Any) -> dict[str, Any]:
    data = raw("tree_pose")
    data["metrics"]["torso_lean"] = {"kind": kind.value, "unit": "", **fields}
    return data


@pytest.mark.parametrize("kind", [k for k, info in KINDS.items() if info.points is not None])
def test_the_loader_takes_the_registered_point_count(kind: MetricKind) -> None:
    n = KINDS[kind].points
    assert n is not None
    extra = {"forward": ["left_heel", "left_foot_index"]} if kind in (
        MetricKind.SIGNED_JOINT_ANGLE, MetricKind.FORWARD_OFFSET) else {}
    parse_spec(_with_metric(kind, points=POINTS[:n], **extra), "tree_pose.toml")
    assert f"'{kind.value}' takes {n} points, got {n + 1}" in error_of(_with_metric(kind, points=POINTS[: n + 1],
                                                                                     **extra))


@pytest.mark.parametrize("kind", [k for k, info in KINDS.items() if info.points is not None and not info.combines])
def test_world_space_only_where_registered(kind: MetricKind) -> None:
    n = KINDS[kind].points
    assert n is not None
    extra = {"forward": ["left_heel", "left_foot_index"]} if kind in (
        MetricKind.SIGNED_JOINT_ANGLE, MetricKind.FORWARD_OFFSET) else {}
    data = _with_metric(kind, points=POINTS[:n], space="world", **extra)
    if KINDS[kind].world:
        parse_spec(data, "tree_pose.toml")
    else:
        assert "is measured in the image only" in error_of(data)


@pytest.mark.parametrize("kind", [k for k, info in KINDS.items() if info.kernel is not None])
def test_the_evaluator_uses_the_registered_formula(kind: MetricKind) -> None:
    """The value on a pose is the kernel on its points, divided by the torso where registered."""
    from poses import standing_pose  # noqa: PLC0415 - the tests' pose builder

    n = KINDS[kind].points
    assert n is not None
    extra = {"forward": ["left_heel", "left_foot_index"]} if kind in (
        MetricKind.SIGNED_JOINT_ANGLE, MetricKind.FORWARD_OFFSET) else {}
    spec = parse_spec(_with_metric(kind, points=POINTS[:n], **extra), "tree_pose.toml")
    frame = standing_pose()
    got = MetricEvaluator(spec).update(frame, "left")["torso_lean"]
    names = {name: i for i, name in enumerate(frame_names())}
    xy = frame.xy.tolist()
    pts = [xy[names[p]] for p in POINTS[:n]]
    fwd = [xy[names["left_heel"]], xy[names["left_foot_index"]]]
    want = KINDS[kind].kernel(pts, fwd)  # type: ignore[misc]
    if KINDS[kind].per_torso:
        mid = lambda a, b: [(u + v) / 2 for u, v in zip(xy[names[a]], xy[names[b]], strict=True)]  # noqa: E731
        torso = math.dist(mid("left_shoulder", "right_shoulder"), mid("left_hip", "right_hip"))
        assert math.isfinite(want) and got == pytest.approx(want / torso, rel=0.3)  # image torso may be the 3-D one
        assert np.sign(got) == np.sign(want)
    else:
        assert math.isfinite(want) and got == pytest.approx(want)


def frame_names() -> list[str]:
    from formcheck.engine.landmarks import LANDMARK_NAMES  # noqa: PLC0415

    return list(LANDMARK_NAMES)
