"""Angle and distance functions of single points (pure Python ``math``).

Every function takes points as sequences of coordinates: 2 for image pixels, 3 for world
metres, with y pointing down in both. A NaN coordinate (a missing landmark) gives NaN, never
an exception: NaN flows through the arithmetic and every comparison with it is false.

These run per metric per frame. They are scalar on purpose: a pose has 33 landmarks and a
spec a few dozen metrics, and at that size numpy's per-call overhead (~2-3 µs a call on the
2-CPU benchmark machine, ~15 calls per vectorised angle) cost ~50 µs per metric kind where
the scalar functions take ~1-2 µs per metric (``benchmarks/run.py``, section ``engine``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

NAN = float("nan")
#: A point: (x, y) image pixels or (x, y, z) world metres, y down. NaN coordinates = missing.
Point = Sequence[float]


def _angle_between_deg(u: Point, v: Point) -> float:
    """Unsigned angle between vectors u and v in degrees, 0..180 (NaN for a zero vector).

    Uses atan2(|u × v|, u · v), which stays accurate near 0 and 180 where acos does not.
    """
    if len(u) == 2:
        cross = abs(u[0] * v[1] - u[1] * v[0])
        dot = u[0] * v[0] + u[1] * v[1]
    else:
        cx = u[1] * v[2] - u[2] * v[1]
        cy = u[2] * v[0] - u[0] * v[2]
        cz = u[0] * v[1] - u[1] * v[0]
        cross = math.sqrt(cx * cx + cy * cy + cz * cz)
        dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
    if cross == 0.0 and dot == 0.0:  # only when u or v has zero length
        return NAN
    return math.degrees(math.atan2(cross, dot))


def _minus(a: Point, b: Point) -> tuple[float, ...]:
    if len(a) == 2:
        return (a[0] - b[0], a[1] - b[1])
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def joint_angle_deg(a: Point, b: Point, c: Point) -> float:
    """Angle at the middle point b between segments b→a and b→c, in degrees.

    180 = straight (e.g. a straight knee for hip, knee, ankle); 0 = fully folded.
    """
    return _angle_between_deg(_minus(a, b), _minus(c, b))


def signed_joint_angle_deg(a: Point, b: Point, c: Point, back: Point, front: Point) -> float:
    """Joint angle at b in degrees, past 180 when the joint bends backwards (2-D points).

    The unsigned 3-point angle cannot tell a soft knee from a hyperextended one (both ~170).
    This uses the side of the a–c line on which b lies, compared with a forward direction
    (``back`` → ``front``, e.g. heel → toes): a joint that bends toward the front gives the
    usual angle (< 180); one that bends toward the back gives 360 − angle (> 180, e.g. 185 =
    5 deg hyperextension).

    Args:
        a: proximal point (hip).
        b: the joint (knee).
        c: distal point (ankle).
        back: rear point of the forward direction (heel).
        front: front point of the forward direction (foot index).
    """
    angle = joint_angle_deg(a, b, c)
    lx, ly = c[0] - a[0], c[1] - a[1]
    # z of the 2-D cross product: which side of the a→c line b is on, and which side the
    # forward direction points to.
    side_b = lx * (b[1] - a[1]) - ly * (b[0] - a[0])
    side_fwd = lx * (front[1] - back[1]) - ly * (front[0] - back[0])
    product = side_b * side_fwd
    if math.isnan(product):
        return NAN
    return 360.0 - angle if product < 0 else angle


def inclination_from_vertical_deg(base: Point, tip: Point) -> float:
    """Angle of the segment base→tip from straight up, in degrees, 0..180 (2-D or 3-D points).

    0 = tip straight above base (an upright torso from hip to shoulder), 90 = horizontal,
    180 = tip straight below base (a torso folded head-down).
    """
    up = (0.0, -1.0) if len(tip) == 2 else (0.0, -1.0, 0.0)
    return _angle_between_deg(_minus(tip, base), up)


def elevation_above_horizontal_deg(base: Point, tip: Point) -> float:
    """Angle of the segment base→tip above the horizontal, in degrees, −90..90 (2-D or 3-D).

    Positive = tip higher than base in the image (e.g. a lifted thigh from hip to knee).
    """
    return 90.0 - inclination_from_vertical_deg(base, tip)


def line_tilt_from_horizontal_deg(a: Point, b: Point) -> float:
    """Tilt of the undirected line a–b from the horizontal, in degrees, 0..90 (2-D points).

    E.g. the hip line (left hip–right hip) of a level pelvis seen from the front reads 0.
    """
    return math.degrees(math.atan2(abs(b[1] - a[1]), abs(b[0] - a[0])))


def distance(a: Point, b: Point) -> float:
    """Euclidean distance between a and b, in the points' units."""
    return math.dist(a, b)


def height_above(point: Point, ref: Point) -> float:
    """How far ``point`` lies above ``ref`` in the image, in the points' units (2-D, y down).

    NaN when any coordinate of either point is NaN.
    """
    if math.isnan(point[0]) or math.isnan(ref[0]):
        return NAN
    return ref[1] - point[1]


def offset_above_line(point: Point, a: Point, b: Point) -> float:
    """Vertical distance of ``point`` above the line through a and b (2-D, y down).

    Positive when the point lies higher in the image than the line at the point's x.
    NaN when the line is vertical.
    """
    dx = b[0] - a[0]
    if not abs(dx) > 1e-9:
        return NAN
    line_y = a[1] + (point[0] - a[0]) / dx * (b[1] - a[1])
    return line_y - point[1]


def angle_between_segments_deg(a: Point, b: Point, c: Point, d: Point) -> float:
    """Unsigned angle between directions a→b and c→d in degrees, 0..180 (2-D or 3-D)."""
    return _angle_between_deg(_minus(b, a), _minus(d, c))


def horizontal_offset(point: Point, ref: Point, facing: float) -> float:
    """Horizontal distance of ``point`` ahead of ``ref`` along the facing direction (2-D).

    Args:
        point: the point measured.
        ref: the reference point.
        facing: +1 when the person faces image-right, −1 when facing image-left (NaN: unknown).
    """
    return (point[0] - ref[0]) * facing


def facing_sign(back: Point, front: Point) -> float:
    """+1 when ``back`` → ``front`` points image-right, −1 image-left, 0 vertical, NaN unknown."""
    dx = front[0] - back[0]
    if math.isnan(dx):
        return NAN
    return float((dx > 0) - (dx < 0))

