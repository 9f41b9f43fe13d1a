"""The metric kinds: one registry entry per kind (pure Python).

Each entry says everything the rest of the code needs to know about a kind: its formula (a
stateless kernel on the metric's points, or None when the evaluator computes it: stateful,
mask-based or combining), how many points it takes, whether it may be measured in world
space, whether its value is divided by the torso length, whether it combines other metrics,
and where the overlay writes its value. The spec loader (:mod:`.specs`), the evaluator
(:mod:`.metrics`) and the overlay (:mod:`formcheck.annotate`) read only this table, so adding
a kind is one entry here (plus its kernel in :mod:`.geometry`) and its test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from formcheck.engine import geometry as g

Point = list[float]
#: A kind's formula: value from the metric's points ``p`` (in its space) and its forward
#: points ``f`` (image).
Kernel = Callable[[list[Point], list[Point]], float]


class MetricKind(StrEnum):
    """The metric formulas a spec can use; :data:`KINDS` describes each."""

    JOINT_ANGLE = "joint_angle"
    SIGNED_JOINT_ANGLE = "signed_joint_angle"
    INCLINATION = "inclination"
    ELEVATION = "elevation"
    LINE_TILT = "line_tilt"
    ANGLE_BETWEEN = "angle_between"
    DISTANCE = "distance"
    HEIGHT_ABOVE = "height_above"
    OFFSET_ABOVE_LINE = "offset_above_line"
    FORWARD_OFFSET = "forward_offset"
    LENGTH_RATIO = "length_ratio"
    MASK_FLOOR_GAP = "mask_floor_gap"
    MOTION = "motion"
    VISIBILITY = "visibility"
    FRONTALITY = "frontality"
    MIN = "min"
    MAX = "max"
    MEAN = "mean"
    RATIO = "ratio"


@dataclass(frozen=True)
class KindInfo:
    """What a metric kind is.

    Attributes:
        kernel: the stateless formula on the points, or None when the evaluator computes the
            kind itself (motion, visibility, frontality, the mask gap, the combining kinds).
        points: exactly how many points the kind takes (None: not fixed).
        min_points: at least this many points (for kinds without a fixed count).
        world: the kind may be measured in 3-D world space (``space = "world"``).
        per_torso: the value is a length divided by the torso length (in its space).
        combines: the kind combines other metrics (``of = [...]``) instead of reading points.
        label_at: the index, among the points, of the joint where the overlay writes the
            value (angles); None: the overlay does not draw it.
    """

    kernel: Kernel | None = None
    points: int | None = None
    min_points: int = 0
    world: bool = False
    per_torso: bool = False
    combines: bool = False
    label_at: int | None = None


def _ratio(num: float, den: float) -> float:
    if den == 0.0:
        return math.inf if num > 0 else float("nan")
    return num / den


K = MetricKind
#: The registry: one entry per kind.
KINDS: dict[MetricKind, KindInfo] = {
    K.JOINT_ANGLE: KindInfo(lambda p, f: g.joint_angle_deg(p[0], p[1], p[2]), 3, world=True, label_at=1),
    K.SIGNED_JOINT_ANGLE: KindInfo(
        lambda p, f: g.signed_joint_angle_deg(p[0], p[1], p[2], f[0], f[1]), 3, label_at=1
    ),
    K.INCLINATION: KindInfo(lambda p, f: g.inclination_from_vertical_deg(p[0], p[1]), 2, world=True),
    K.ELEVATION: KindInfo(lambda p, f: g.elevation_above_horizontal_deg(p[0], p[1]), 2, world=True),
    K.LINE_TILT: KindInfo(lambda p, f: g.line_tilt_from_horizontal_deg(p[0], p[1]), 2),
    K.ANGLE_BETWEEN: KindInfo(lambda p, f: g.angle_between_segments_deg(p[0], p[1], p[2], p[3]), 4, world=True),
    K.DISTANCE: KindInfo(lambda p, f: g.distance(p[0], p[1]), 2, world=True, per_torso=True),
    K.HEIGHT_ABOVE: KindInfo(lambda p, f: g.height_above(p[0], p[1]), 2, per_torso=True),
    K.OFFSET_ABOVE_LINE: KindInfo(lambda p, f: g.offset_above_line(p[0], p[1], p[2]), 3, per_torso=True),
    K.FORWARD_OFFSET: KindInfo(
        lambda p, f: g.horizontal_offset(p[0], p[1], g.facing_sign(f[0], f[1])), 2, per_torso=True
    ),
    K.LENGTH_RATIO: KindInfo(lambda p, f: _ratio(g.distance(p[0], p[1]), g.distance(p[2], p[3])), 4, world=True),
    K.MASK_FLOOR_GAP: KindInfo(points=2, per_torso=True),
    K.MOTION: KindInfo(min_points=1, per_torso=True),
    K.VISIBILITY: KindInfo(min_points=1),
    K.FRONTALITY: KindInfo(),
    K.MIN: KindInfo(combines=True),
    K.MAX: KindInfo(combines=True),
    K.MEAN: KindInfo(combines=True),
    K.RATIO: KindInfo(combines=True),
}
