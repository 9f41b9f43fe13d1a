"""Tests of formcheck.engine.geometry: known angles, NaN propagation, input types and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from formcheck.engine import geometry as g

coord = st.floats(-1000, 1000, allow_nan=False, allow_infinity=False)
point2 = st.tuples(coord, coord).map(np.array)
point3 = st.tuples(coord, coord, coord).map(np.array)


def _far(*pts: np.ndarray, min_d: float = 1e-2) -> bool:
    return all(np.linalg.norm(a - b) > min_d for i, a in enumerate(pts) for b in pts[i + 1:])


def test_known_joint_angles() -> None:
    b = np.array([0.0, 0.0])
    assert g.joint_angle_deg([1.0, 0.0], b, [-1.0, 0.0]) == pytest.approx(180.0)
    assert g.joint_angle_deg([1.0, 0.0], b, [0.0, 1.0]) == pytest.approx(90.0)
    assert g.joint_angle_deg([1.0, 0.0], b, [1.0, 1.0]) == pytest.approx(45.0)
    assert g.joint_angle_deg([1.0, 0.0], b, [2.0, 0.0]) == pytest.approx(0.0)
    assert g.joint_angle_deg([1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 3.0]) == pytest.approx(90.0)


def test_known_inclinations_and_elevations() -> None:
    o = np.array([0.0, 0.0])
    assert g.inclination_from_vertical_deg(o, [0.0, -1.0]) == pytest.approx(0.0)  # y down: tip above
    assert g.inclination_from_vertical_deg(o, [1.0, 0.0]) == pytest.approx(90.0)
    assert g.inclination_from_vertical_deg(o, [0.0, 1.0]) == pytest.approx(180.0)
    assert g.inclination_from_vertical_deg(o, [1.0, -1.0]) == pytest.approx(45.0)
    assert g.elevation_above_horizontal_deg(o, [1.0, -1.0]) == pytest.approx(45.0)
    assert g.elevation_above_horizontal_deg(o, [-1.0, 1.0]) == pytest.approx(-45.0)
    assert g.inclination_from_vertical_deg(np.zeros(3), [0.0, -1.0, 1.0]) == pytest.approx(45.0)


def test_line_tilt_distance_height_offset() -> None:
    assert g.line_tilt_from_horizontal_deg([0.0, 0.0], [-2.0, 2.0]) == pytest.approx(45.0)
    assert g.line_tilt_from_horizontal_deg([0.0, 0.0], [2.0, 0.0]) == pytest.approx(0.0)
    assert g.distance([0.0, 0.0], [3.0, 4.0]) == pytest.approx(5.0)
    assert g.height_above([0.0, 2.0], [0.0, 5.0]) == pytest.approx(3.0)
    assert g.offset_above_line([1.0, -1.0], [0.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert math.isnan(g.offset_above_line([1.0, -1.0], [0.0, 0.0], [0.0, 5.0]))  # vertical line
    assert g.horizontal_offset([5.0, 0.0], [2.0, 0.0], -1.0) == pytest.approx(-3.0)
    assert g.angle_between_segments_deg([0, 0], [1, 0], [5, 5], [5, 8]) == pytest.approx(90.0)


def test_signed_angle_tells_soft_from_hyperextended() -> None:
    hip, ankle = np.array([0.0, 0.0]), np.array([0.0, 100.0])
    heel, toe = np.array([-5.0, 105.0]), np.array([15.0, 105.0])  # facing image-right
    soft = np.array([8.0, 50.0])  # knee ahead of the hip-ankle line (toward the toes)
    hyper = np.array([-8.0, 50.0])  # knee pushed back
    a_soft = g.signed_joint_angle_deg(hip, soft, ankle, heel, toe)
    a_hyper = g.signed_joint_angle_deg(hip, hyper, ankle, heel, toe)
    assert g.joint_angle_deg(hip, soft, ankle) == pytest.approx(g.joint_angle_deg(hip, hyper, ankle))
    assert a_soft < 180 < a_hyper
    assert a_soft + a_hyper == pytest.approx(360.0)
    assert g.signed_joint_angle_deg(hip, [0.0, 50.0], ankle, heel, toe) == pytest.approx(180.0)


@pytest.mark.parametrize(
    "fn, n",
    [
        (g.joint_angle_deg, 3), (g.inclination_from_vertical_deg, 2), (g.elevation_above_horizontal_deg, 2),
        (g.line_tilt_from_horizontal_deg, 2), (g.distance, 2), (g.height_above, 2), (g.offset_above_line, 3),
        (g.angle_between_segments_deg, 4), (g.signed_joint_angle_deg, 5),
    ],
)
def test_nan_propagates(fn, n: int) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    for _ in range(20):
        pts = [(rng.normal(size=2) * 10).tolist() for _ in range(n)]
        assert math.isfinite(fn(*pts))
        for k in range(n):  # a missing landmark: the whole point is NaN
            p = [list(x) for x in pts]
            p[k] = [math.nan, math.nan]
            assert math.isnan(fn(*p)), k


def test_scalar_functions_take_arrays_lists_and_tuples() -> None:
    for a, b, c in (([1.0, 0.0], [0.0, 0.0], [0.0, 1.0]), ((1, 0), (0, 0), (0, 1)),
                    (np.array([1.0, 0.0]), np.zeros(2), np.array([0.0, 1.0]))):
        assert g.joint_angle_deg(a, b, c) == pytest.approx(90.0)
        assert isinstance(g.joint_angle_deg(a, b, c), float)


def test_nan_in_one_coordinate_propagates() -> None:
    assert np.isnan(g.height_above([np.nan, 1.0], [0.0, 0.0]))
    assert np.isnan(g.height_above([0.0, 1.0], [0.0, np.nan]))
    assert np.isnan(g.horizontal_offset([1.0, 0.0], [0.0, 0.0], g.facing_sign([0.0, 0.0], [np.nan, 0.0])))
    assert g.facing_sign([5.0, 0.0], [1.0, 0.0]) == -1.0


def test_zero_length_segment_gives_nan() -> None:
    assert math.isnan(g.joint_angle_deg([1.0, 1.0], [1.0, 1.0], [2.0, 2.0]))
    assert math.isnan(g.inclination_from_vertical_deg([1.0, 1.0], [1.0, 1.0]))


@settings(max_examples=60, deadline=None)
@given(point3, point3, point3)
def test_joint_angle_in_range_and_symmetric(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    assume(_far(a, b, c))
    angle = float(g.joint_angle_deg(a, b, c))
    assert 0.0 <= angle <= 180.0
    assert angle == pytest.approx(float(g.joint_angle_deg(c, b, a)), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(point2, point2, point2, point2, st.floats(0.1, 10), st.floats(-math.pi, math.pi))
def test_joint_angle_invariant_to_translation_scale_rotation(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, shift: np.ndarray, scale: float, theta: float
) -> None:
    assume(_far(a, b, c, min_d=1.0))
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])

    def tf(p: np.ndarray) -> np.ndarray:
        return rot @ p * scale + shift

    assert float(g.joint_angle_deg(tf(a), tf(b), tf(c))) == pytest.approx(float(g.joint_angle_deg(a, b, c)), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.floats(5, 175), st.floats(-180, 180), st.booleans(), st.floats(0.5, 5))
def test_signed_angle_past_180_only_when_bent_backwards(bend: float, rot_deg: float, backwards: bool, s: float) -> None:
    """Build hip/knee/ankle with a known bend toward the front or the back, in any rotation."""
    th = math.radians(rot_deg)
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    # Leg along +y (down), forward = +x; the knee sits off the hip-ankle line by the bend.
    half = math.radians(bend) / 2
    offset = math.sin(half) * (-1 if backwards else 1)
    hip, ankle = np.array([0.0, 0.0]), np.array([0.0, 2 * math.cos(half)])
    knee = np.array([offset, math.cos(half)])
    heel, toe = ankle + [-0.1, 0.1], ankle + [0.3, 0.1]
    pts = [rot @ p * s for p in (hip, knee, ankle, heel, toe)]
    signed = float(g.signed_joint_angle_deg(*pts))
    unsigned = float(g.joint_angle_deg(pts[0], pts[1], pts[2]))
    assert unsigned == pytest.approx(180.0 - bend, abs=1e-6)
    if backwards:
        assert signed == pytest.approx(360.0 - unsigned, abs=1e-6) and signed > 180.0
    else:
        assert signed == pytest.approx(unsigned, abs=1e-6) and signed < 180.0
