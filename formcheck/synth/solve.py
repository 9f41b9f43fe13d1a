"""Small numeric solvers that make a pose meet contact constraints (feet flat, hands down...).

Each evaluates the real posed skeleton (forward kinematics + floor placement), so ground truth
always comes from the body actually rendered, never from the requested numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from formcheck.synth.body import BodyModel, PosedBody
from formcheck.synth.kinematics import Pose, bone_rotations
from formcheck.synth.scene import place_on_floor


def posed(model: BodyModel, pose: Pose) -> PosedBody:
    """Pose the body and rest it on the floor."""
    return place_on_floor(model.pose(bone_rotations(pose)), pose)


def solve_scalar(
    model: BodyModel,
    pose: Pose,
    key: str,
    residual: Callable[[PosedBody], float],
    lo: float,
    hi: float,
    iterations: int = 9,
) -> Pose:
    """Bisect one pose parameter in [lo, hi] until ``residual`` changes sign (0 = satisfied).

    Args:
        model: The body.
        pose: Starting pose (not modified).
        key: Parameter to adjust.
        residual: Function of the placed body; assumed monotonic in the parameter.
        lo: Lower bound.
        hi: Upper bound.
        iterations: Bisection steps.

    Returns:
        A copy of ``pose`` with ``key`` set to the best value found.
    """
    out = dict(pose)

    def f(value: float) -> float:
        out[key] = value
        return residual(posed(model, out))

    f_lo = f(lo)
    if f_lo * f(hi) > 0:  # no sign change: keep the end with the smaller residual
        out[key] = lo if abs(f_lo) < abs(f(hi)) else hi
        return out
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if f(mid) * f_lo > 0:
            lo, f_lo = mid, f(mid)
        else:
            hi = mid
    out[key] = 0.5 * (lo + hi)
    return out


def height_of(joint: str, target_m: float) -> Callable[[PosedBody], float]:
    """Residual: the joint's height above the floor minus ``target_m``."""
    return lambda body: float(body.joints[joint][2] - target_m)


def level(joint_a: str, joint_b: str, offset_m: float = 0.0) -> Callable[[PosedBody], float]:
    """Residual: height of ``joint_a`` minus height of ``joint_b`` minus ``offset_m``."""
    return lambda body: float(body.joints[joint_a][2] - body.joints[joint_b][2] - offset_m)


def foot_down(joint: str, pelvis_rest_m: float, target_m: float = 0.075) -> Callable[[PosedBody], float]:
    """Residual for a lying body: the foot rests on the floor without lifting the pelvis.

    Positive while the foot hangs above ``target_m``; negative once the foot would push the
    pelvis up off its resting height ``pelvis_rest_m``.
    """
    return lambda body: float(
        body.joints[joint][2] - target_m - 4.0 * max(0.0, body.joints["pelvis"][2] - pelvis_rest_m - 0.003)
    )
