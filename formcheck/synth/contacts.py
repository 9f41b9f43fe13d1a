"""Solve each keyframe's floor contacts on the real skeleton of the body being rendered."""

from __future__ import annotations

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
        pose = solve_scalar(model, pose, f"knee_flex_{s}", foot_down(f"{'left' if s == 'l' else 'right'}_ankle", pelvis_rest), 20.0, 150.0)
        shank = pose[f"knee_flex_{s}"] - pose.get(f"hip_flex_{s}", 0.0) - (pose.get("pitch", -90.0) + 90.0)
        pose[f"ankle_flex_{s}"] = float(np.clip(90.0 - shank, -10.0, 60.0))
    return pose


def _tree_foot(model: BodyModel, pose: Pose, standing: str, where: str) -> Pose:
    """Move the lifted foot (hip flex/abd, knee) so the ankle reaches the standing leg target."""
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
    keys = [f"hip_flex_{lifted}", f"hip_abd_{lifted}", f"knee_flex_{lifted}"]

    def cost(p: Pose) -> float:
        return float(np.linalg.norm(posed(model, p).joints[f"{lname}_ankle"] - target))

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


def solve_contacts(model: BodyModel, exercise: str, key: str, pose: Pose, side: str, **opts: str) -> Pose:
    """Adjust a sided keyframe so the right body parts rest on the floor.

    Args:
        model: The body.
        exercise: Exercise id or ``none`` activity name.
        key: ``"entry"``, ``"position"`` or a fault id (which keyframe this is).
        pose: The sided keyframe.
        side: Active side, ``"left"``/``"right"``.
        **opts: ``foot`` ("thigh"/"calf") for the tree pose.

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
        if exercise == "psoas_stretch" and key == "extended_leg_bent":
            flat = dict(pose, **{f"knee_flex_{o}": 0.0, f"hip_flex_{o}": 0.0})
            rest = float(posed(model, flat).joints["pelvis"][2])
            pose = solve_scalar(model, pose, f"hip_flex_{o}", foot_down(f"{on}_ankle", rest), 0.0, 60.0)
    elif exercise in ("modified_gate_pose", "cat_cow"):
        pose = solve_scalar(model, pose, "pitch", level(f"{an}_wrist", f"{on}_knee", -0.03), 60.0, 120.0)
    elif exercise == "pyramid_pose" and key != "entry":
        joint = "foot_index" if key == "back_heel_lifted" else "ankle"
        pose = solve_scalar(
            model, pose, f"hip_flex_{o}", level(f"{on}_{joint}", f"{an}_{joint}"), -30.0, 80.0
        )
    elif exercise == "tree_pose" and key not in ("entry", "foot_not_lifted"):
        where = "knee" if key == "foot_on_knee" else opts.get("foot", "thigh")
        pose = _tree_foot(model, pose, a, where)
    return pose
