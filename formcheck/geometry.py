"""Vectorised angle and distance functions (pure numpy).

Every function takes points as arrays whose last axis holds the coordinates (2 for image
pixels with y pointing down, 3 for world metres with y pointing down) and any leading shape,
and returns one value per leading index. A NaN in any input point gives NaN in the output:
missing landmarks are passed as NaN, never handled with exceptions.
"""

from __future__ import annotations

import numpy as np


def _up(dims: int) -> np.ndarray:
    """Unit vector pointing up in image (2-D) or world (3-D) coordinates (y grows downward)."""
    up = np.zeros(dims)
    up[1] = -1.0
    return up


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt((v * v).sum(axis=-1))


def _angle_between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors u and v in degrees, 0..180 (NaN for a zero vector).

    Uses atan2(|u × v|, u · v), which stays accurate near 0 and 180 where arccos does not.
    """
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = _norm(np.cross(u, v))
    angle = np.degrees(np.arctan2(cross, (u * v).sum(axis=-1)))
    return np.where((_norm(u) > 0) & (_norm(v) > 0), angle, np.nan)


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at the middle point b between segments b→a and b→c, in degrees.

    180 = straight (e.g. a straight knee for hip, knee, ankle); 0 = fully folded.

    Args:
        a: (..., D) first point.
        b: (..., D) the joint.
        c: (..., D) last point.
    """
    return _angle_between_deg(np.asarray(a) - b, np.asarray(c) - b)


def signed_joint_angle_deg(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, back: np.ndarray, front: np.ndarray
) -> np.ndarray:
    """Joint angle at b in degrees, past 180 when the joint bends backwards (2-D points).

    The unsigned 3-point angle cannot tell a soft knee from a hyperextended one (both ~170).
    This uses the side of the a–c line on which b lies, compared with a forward direction
    (``back`` → ``front``, e.g. heel → toes): a joint that bends toward the front gives the
    usual angle (< 180); one that bends toward the back gives 360 − angle (> 180, e.g. 185 =
    5 deg hyperextension).

    Args:
        a: (..., 2) proximal point (hip).
        b: (..., 2) the joint (knee).
        c: (..., 2) distal point (ankle).
        back: (..., 2) rear point of the forward direction (heel).
        front: (..., 2) front point of the forward direction (foot index).
    """
    a, b, c = np.asarray(a, float), np.asarray(b, float), np.asarray(c, float)
    angle = joint_angle_deg(a, b, c)
    line = c - a
    rel = b - a
    # z of the 2-D cross product: which side of the a→c line b is on, and which side the
    # forward direction points to.
    side_b = line[..., 0] * rel[..., 1] - line[..., 1] * rel[..., 0]
    fwd = np.asarray(front, float) - back
    side_fwd = line[..., 0] * fwd[..., 1] - line[..., 1] * fwd[..., 0]
    backwards = (side_b * side_fwd) < 0
    out = np.where(backwards, 360.0 - angle, angle)
    return np.where(np.isnan(side_b * side_fwd), np.nan, out)


def inclination_from_vertical_deg(base: np.ndarray, tip: np.ndarray) -> np.ndarray:
    """Angle of the segment base→tip from straight up, in degrees, 0..180 (2-D or 3-D points).

    0 = tip straight above base (an upright torso from hip to shoulder), 90 = horizontal,
    180 = tip straight below base (a torso folded head-down).
    """
    tip = np.asarray(tip, float)
    return _angle_between_deg(tip - base, np.broadcast_to(_up(tip.shape[-1]), tip.shape))


def elevation_above_horizontal_deg(base: np.ndarray, tip: np.ndarray) -> np.ndarray:
    """Angle of the segment base→tip above the horizontal, in degrees, −90..90 (2-D or 3-D).

    Positive = tip higher than base in the image (e.g. a lifted thigh from hip to knee).
    """
    return 90.0 - inclination_from_vertical_deg(base, tip)


def line_tilt_from_horizontal_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tilt of the undirected line a–b from the horizontal, in degrees, 0..90 (2-D points).

    E.g. the hip line (left hip–right hip) of a level pelvis seen from the front reads 0.
    """
    d = np.asarray(b, float) - a
    return np.degrees(np.arctan2(np.abs(d[..., 1]), np.abs(d[..., 0])))


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between a and b, in the points' units."""
    return _norm(np.asarray(b, float) - a)


def height_above(point: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """How far ``point`` lies above ``ref`` in the image, in the points' units (2-D, y down).

    NaN when any coordinate of either point is NaN.
    """
    point, ref = np.asarray(point, float), np.asarray(ref, float)
    missing = np.isnan(point).any(axis=-1) | np.isnan(ref).any(axis=-1)
    return np.where(missing, np.nan, ref[..., 1] - point[..., 1])


def offset_above_line(point: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vertical distance of ``point`` above the line through a and b (2-D, y down).

    Positive when the point lies higher in the image than the line at the point's x.
    NaN when the line is vertical.
    """
    point, a, b = np.asarray(point, float), np.asarray(a, float), np.asarray(b, float)
    dx = b[..., 0] - a[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (point[..., 0] - a[..., 0]) / dx
    line_y = a[..., 1] + t * (b[..., 1] - a[..., 1])
    return np.where(np.abs(dx) > 1e-9, line_y - point[..., 1], np.nan)


def angle_between_segments_deg(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """Unsigned angle between directions a→b and c→d in degrees, 0..180 (2-D or 3-D)."""
    return _angle_between_deg(np.asarray(b, float) - a, np.asarray(d, float) - c)


def horizontal_offset(point: np.ndarray, ref: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """Horizontal distance of ``point`` ahead of ``ref`` along the facing direction (2-D).

    Args:
        point: (..., 2) the point measured.
        ref: (..., 2) the reference point.
        facing: (...,) +1 when the person faces image-right, −1 when facing image-left.
    """
    return (np.asarray(point, float)[..., 0] - np.asarray(ref, float)[..., 0]) * facing


def torso_length(
    left_shoulder: np.ndarray, right_shoulder: np.ndarray, left_hip: np.ndarray, right_hip: np.ndarray
) -> np.ndarray:
    """Distance from mid-shoulder to mid-hip, in the points' units: the body's length scale."""
    mid_shoulder = (np.asarray(left_shoulder, float) + right_shoulder) / 2.0
    mid_hip = (np.asarray(left_hip, float) + right_hip) / 2.0
    return distance(mid_shoulder, mid_hip)
