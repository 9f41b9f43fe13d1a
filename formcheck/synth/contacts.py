"""Solve each keyframe's floor contacts on the real skeleton of the body being rendered."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from formcheck.synth.body import BodyModel
from formcheck.synth.kinematics import Pose
from formcheck.synth.solve import foot_down, height_of, level, posed, solve_scalar

FOOT_DOWN_M = 0.075  # ankle joint height of a foot resting flat on the floor
TREE_TARGETS = {"thigh": 0.55, "calf": 1.35, "knee": 1.0}  # along hip->knee(1)->ankle(2)


def _feet_flat_lying(model: BodyModel, pose: Pose, sides: tuple[str, ...]) -> Pose:
    """Lying, knees bent: bend each knee until its foot rests on the floor, sole flat."""
    flat = dict(pose, **{f"{k}_{s}": 0.0 for k in ("hip_flex", "knee_flex") for s in sides})
    pelvis_rest = float(posed(model, flat).joints["pelvis"][2])
    for s in sides:
        if pose.get(f"knee_flex_{s}", 0.0) < 30.0 or pose.get(f"hip_flex_{s}", 0.0) > 80.0:
            continue
        ankle = f"{'left' if s == 'l' else 'right'}_ankle"
        pose = solve_scalar(model, pose, f"knee_flex_{s}", foot_down(ankle, pelvis_rest), 20.0, 150.0)
        shank = pose[f"knee_flex_{s}"] - pose.get(f"hip_flex_{s}", 0.0) - (pose.get("pitch", -90.0) + 90.0)
        pose[f"ankle_flex_{s}"] = float(np.clip(90.0 - shank, -10.0, 60.0))
    return pose


def _tree_foot(model: BodyModel, pose: Pose, standing: str, where: str) -> Pose:
    """Move the lifted foot so the ankle reaches the standing-leg target, the knee kept out.

    The lifted hip keeps its abduction from the script (the knee points out to the side, as
    in the pose); hip flexion, external rotation and knee flexion are solved so that the ankle
    rests on the inner side of the standing leg at ``where`` (``thigh``, ``calf`` or ``knee``).
    """
    lifted = "r" if standing == "l" else "l"
    sname = "left" if standing == "l" else "right"
    lname = "left" if lifted == "l" else "right"
    base = posed(model, pose).joints
    hip, knee, ankle = base[f"{sname}_hip"], base[f"{sname}_knee"], base[f"{sname}_ankle"]
    u = TREE_TARGETS[where]
    target = hip + u * (knee - hip) if u <= 1.0 else knee + (u - 1.0) * (ankle - knee)
    medial = base[f"{lname}_hip"] - hip
    medial[2] = 0.0
    target = target + 0.06 * medial / np.linalg.norm(medial) + np.array([0.0, 0.0, 0.03])
    keys = [f"hip_flex_{lifted}", f"hip_rot_{lifted}", f"knee_flex_{lifted}"]

    # Keep the thigh low and out (a tree, not a knee raised in front): 1 cm of cost per degree
    # of hip flexion beyond 45.
    flex = f"hip_flex_{lifted}"
    return _reach(model, pose, f"{lname}_ankle", target, keys,
                  penalty=lambda p: 0.01 * max(0.0, p[flex] - 45.0))


def _reach(
    model: BodyModel,
    pose: Pose,
    joint: str,
    target: np.ndarray,
    keys: list[str],
    penalty: Callable[[Pose], float] | None = None,
) -> Pose:
    """Coordinate descent on ``keys`` (deg) until ``joint`` reaches ``target`` (room frame, m).

    Args:
        model: The body.
        pose: Starting pose (its values of ``keys`` are the initial guess).
        joint: Joint that should reach the target.
        target: Target position.
        keys: Pose parameters to adjust.
        penalty: Optional extra cost (metres) of a pose, to prefer natural solutions.

    Returns:
        The adjusted pose.
    """

    def cost(p: Pose) -> float:
        extra = penalty(p) if penalty else 0.0
        return float(np.linalg.norm(posed(model, p).joints[joint] - target)) + extra

    best, best_cost = dict(pose), cost(pose)
    for step in (12.0, 6.0, 3.0, 1.5):
        improved = True
        while improved:
            improved = False
            for key in keys:
                for sign in (1.0, -1.0):
                    trial = dict(best)
                    trial[key] = best.get(key, 0.0) + sign * step
                    c = cost(trial)
                    if c < best_cost - 1e-4:
                        best, best_cost, improved = trial, c, True
    return best


def _hands_on_hips(model: BodyModel, pose: Pose) -> Pose:
    """Elbows out, forearms turned in and down until each wrist rests on the side of the waist."""
    for s, name in (("l", "left"), ("r", "right")):
        j = posed(model, pose).joints
        hip, other = j[f"{name}_hip"], j[f"{'right' if s == 'l' else 'left'}_hip"]
        out = (hip - other) / np.linalg.norm(hip - other)
        target = hip + 0.07 * out + np.array([0.0, 0.0, 0.13])
        pose = _reach(model, pose, f"{name}_wrist", target,
                      [f"shoulder_rot_{s}", f"elbow_flex_{s}", f"shoulder_abd_{s}"])
    return pose


def _hands_on_shin(model: BodyModel, pose: Pose, leg: str) -> Pose:
    """Both hands hug the drawn knee: each wrist on its side of the shin just below the knee."""
    lname = "left" if leg == "l" else "right"
    for s, name in (("l", "left"), ("r", "right")):
        j = posed(model, pose).joints
        knee, ankle = j[f"{lname}_knee"], j[f"{lname}_ankle"]
        across = j["left_hip"] - j["right_hip"]
        across /= np.linalg.norm(across)
        offset = 0.055 if s == "l" else -0.055
        target = knee + 0.3 * (ankle - knee) + offset * across
        pose = _reach(model, pose, f"{name}_wrist", target,
                      [f"shoulder_flex_{s}", f"shoulder_abd_{s}", f"elbow_flex_{s}", f"shoulder_rot_{s}"])
    return pose


def _hands_under_shoulders(model: BodyModel, pose: Pose) -> Pose:
    """On hands and knees: flex each shoulder until the wrist is straight below the shoulder."""
    for s, name in (("l", "left"), ("r", "right")):
        pose = solve_scalar(
            model, pose, f"shoulder_flex_{s}",
            lambda body, n=name: float(body.joints[f"{n}_wrist"][1] - body.joints[f"{n}_shoulder"][1]),
            50.0, 130.0,
        )
    return pose


#: Height of the knee joint of a knee resting on the floor (anny bodies, measured ~0.11 m).
KNEE_DOWN_M = 0.12
#: Wrist joint above the kneeling knee joint when the fingertips and the knee touch the floor.
WRIST_OVER_KNEE_M = 0.1


def _on_hands_and_knees(model: BodyModel, pose: Pose, key: str, exercise: str, a: str, o: str) -> Pose:
    """Hands, kneeling knee(s) and, in the gate pose, the extended foot all on the floor.

    Pitch sets the hands' height against the kneeling knee; the extended leg's hip flexion puts
    its foot down at the knee's level. Correct form also puts the wrists under the shoulders and
    the kneeling thigh vertical (skipped in the faults that change them).
    """
    an, on = ("left", "right") if a == "l" else ("right", "left")
    kneeling = (o,) if exercise == "modified_gate_pose" and key != "entry" else (a, o)
    hands_down = level(f"{an}_wrist", f"{on}_knee", WRIST_OVER_KNEE_M)
    for _ in range(3):
        pose = solve_scalar(model, pose, "pitch", hands_down, 40.0, 120.0)
        if key not in ("hands_not_under_shoulders", "hips_not_over_knee"):
            pose = _hands_under_shoulders(model, pose)
            pose = _thighs_vertical(model, pose, kneeling)
        pose = solve_scalar(model, pose, "pitch", hands_down, 40.0, 120.0)
        if exercise == "modified_gate_pose" and key != "entry":  # extended foot up until the knee is down
            pose = solve_scalar(model, pose, f"hip_flex_{a}", height_of(f"{on}_knee", KNEE_DOWN_M), 0.0, 90.0)
    return pose


def _thighs_vertical(model: BodyModel, pose: Pose, sides: tuple[str, ...]) -> Pose:
    """On hands and knees: flex each kneeling hip until the knee is straight below the hip."""
    for s in sides:
        name = "left" if s == "l" else "right"
        pose = solve_scalar(
            model, pose, f"hip_flex_{s}",
            lambda body, n=name: float(body.joints[f"{n}_knee"][1] - body.joints[f"{n}_hip"][1]),
            50.0, 130.0,
        )
    return pose


def _prayer_hands(model: BodyModel, pose: Pose) -> Pose:
    """Turn both upper arms in until the wrists meet in front of the chest (palms together)."""
    for s, name in (("l", "left"), ("r", "right")):
        pose = solve_scalar(
            model, pose, f"shoulder_rot_{s}",
            lambda body, n=name: float(abs(body.joints[f"{n}_wrist"][0] - body.joints["pelvis"][0]) - 0.045),
            0.0, 140.0,
        )
    return pose


def solve_contacts(model: BodyModel, exercise: str, key: str, pose: Pose, side: str, **opts: str) -> Pose:
    """Adjust a sided keyframe so the right body parts rest on the floor.

    Args:
        model: The body.
        exercise: Exercise id or ``none`` activity name.
        key: ``"entry"``, ``"position"`` or a fault id (which keyframe this is).
        pose: The sided keyframe.
        side: Active side, ``"left"``/``"right"``.
        **opts: ``foot`` ("thigh"/"calf") and ``arms`` (tree pose variants; psoas ``floor``:
            the hands stay on the floor instead of hugging the shin).

    Returns:
        The solved pose.
    """
    a = "l" if side == "left" else "r"
    o = "r" if a == "l" else "l"
    an, on = ("left", "right") if a == "l" else ("right", "left")
    pose = dict(pose)
    if exercise in ("constructive_rest", "psoas_stretch", "savasana"):
        if not (exercise == "psoas_stretch" and key != "entry"):
            pose = _feet_flat_lying(model, pose, (a, o))
        if exercise == "psoas_stretch" and key != "entry" and opts.get("arms") != "floor":
            pose = _hands_on_shin(model, pose, a)
        if exercise == "psoas_stretch" and key == "extended_leg_bent":
            flat = dict(pose, **{f"knee_flex_{o}": 0.0, f"hip_flex_{o}": 0.0})
            rest = float(posed(model, flat).joints["pelvis"][2])
            pose = solve_scalar(model, pose, f"hip_flex_{o}", foot_down(f"{on}_ankle", rest), 0.0, 60.0)
    elif exercise in ("modified_gate_pose", "cat_cow"):
        pose = _on_hands_and_knees(model, pose, key, exercise, a, o)
    elif exercise == "pyramid_pose" and key != "entry":
        joint = "foot_index" if key == "back_heel_lifted" else "ankle"
        feet_level = level(f"{on}_{joint}", f"{an}_{joint}")
        solved = solve_scalar(model, pose, f"hip_flex_{o}", feet_level, -30.0, 80.0)
        if abs(feet_level(posed(model, solved))) > 0.02:
            # The residual is not monotonic over the wide bracket (an upright trunk puts the back
            # leg's vertical inside it), so bisection kept an end and the back foot hung ~0.3 m
            # up (torso_not_folded). Search near the script's value, where it is monotonic.
            start = pose.get(f"hip_flex_{o}", 0.0)
            solved = solve_scalar(model, pose, f"hip_flex_{o}", feet_level, start - 25.0, start + 25.0)
        pose = solved
    elif exercise == "tree_pose" and key not in ("entry", "foot_not_lifted"):
        where = "knee" if key == "foot_on_knee" else opts.get("foot", "thigh")
        pose = _tree_foot(model, pose, a, where)
    if exercise == "tree_pose" and key != "entry":
        if opts.get("arms") == "prayer":
            pose = _prayer_hands(model, pose)
        elif opts.get("arms") == "hips":
            pose = _hands_on_hips(model, pose)
    return pose
