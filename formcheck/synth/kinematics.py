"""Anatomical pose parameters -> anny bone rotations, plus placement of the body in the room.

A :data:`Pose` is a flat mapping of named angles in degrees (missing = 0), so that poses can be
blended linearly frame by frame. Sides use ``_l``/``_r`` suffixes (anatomical left/right).
In anny's model frame the body faces -Y, +X is its left and +Z is up; every bone rotation is
expressed in the bone's reference frame (``local-ref``), so a child follows its parents.
"""

from __future__ import annotations

import math

import numpy as np

Pose = dict[str, float]

#: Arm abduction of anny's rest A-pose; ``shoulder_abd = 0`` hangs the arm at the side.
REST_ARM_ABDUCTION = 42.0

#: Direction of anny's rest (A-pose) left upper arm (elbow minus shoulder), model frame; the
#: right arm mirrors x. ``shoulder_rot`` turns the arm about this axis.
REST_UPPER_ARM_L = (0.66, -0.04, -0.75)

#: Share of the lumbar / thoracic bend carried by each spine bone.
LUMBAR_BONES = {"spine05": 0.2, "spine04": 0.4, "spine03": 0.4}
THORACIC_BONES = {"spine02": 0.5, "spine01": 0.5}
NECK_BONES = {"neck01": 0.5, "neck02": 0.5}

#: Every parameter a pose may set, with its meaning (positive direction).
PARAMETERS: dict[str, str] = {
    "pitch": "whole body about the left-right axis; +90 = face down, -90 = face up",
    "roll": "whole body about the front-back axis; + = tips toward the body's left",
    "yaw": "whole body about the vertical axis (room placement)",
    "lumbar_flex": "lumbar spine flexion (+) / extension (-)",
    "thoracic_flex": "thoracic spine flexion (+) / extension (-)",
    "spine_lat": "lateral bend of the whole spine toward the left (+)",
    "pelvis_lat": "pelvic obliquity: lifts the left hip (+) relative to the trunk",
    "neck_flex": "neck flexion (+)",
    "hip_flex": "hip flexion (+): thigh forward",
    "hip_abd": "hip abduction (+): thigh out to the side",
    "hip_rot": "hip external rotation (+): knee and toes turn out",
    "knee_flex": "knee flexion (+); negative = hyperextension",
    "ankle_flex": "ankle plantar flexion (+): toes point away from the shin",
    "shoulder_flex": "shoulder flexion (+): arm forward then overhead",
    "shoulder_abd": "shoulder abduction (+): arm out to the side",
    "shoulder_rot": "humeral internal rotation (+) about the rest upper-arm axis: a bent forearm "
    "swings toward the body's midline",
    "elbow_flex": "elbow flexion (+)",
}


def rot_x(deg: float) -> np.ndarray:
    """Rotation matrix about X by ``deg`` degrees."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation matrix about Y by ``deg`` degrees."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation matrix about Z by ``deg`` degrees."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_axis(axis: tuple[float, float, float], deg: float) -> np.ndarray:
    """Rotation matrix about the unit vector ``axis`` by ``deg`` degrees (Rodrigues)."""
    u = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]])
    a = math.radians(deg)
    return np.eye(3) + math.sin(a) * k + (1.0 - math.cos(a)) * (k @ k)


def blend(a: Pose, b: Pose, w: float) -> Pose:
    """Linear blend of two poses: ``w = 0`` gives ``a``, ``w = 1`` gives ``b``."""
    keys = set(a) | set(b)
    return {k: (1.0 - w) * a.get(k, 0.0) + w * b.get(k, 0.0) for k in keys}


def smoothstep(x: float) -> float:
    """Ease-in/ease-out ramp on [0, 1] (clamped)."""
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def bone_rotations(pose: Pose) -> dict[str, np.ndarray]:
    """Convert an anatomical pose to anny bone rotations (root placement excluded).

    Args:
        pose: Named angles in degrees.

    Returns:
        Bone label -> 3x3 rotation in anny's ``local-ref`` convention.
    """
    g = lambda key: float(pose.get(key, 0.0))  # noqa: E731
    rots: dict[str, np.ndarray] = {}
    for bone, share in LUMBAR_BONES.items():
        rots[bone] = rot_x(share * g("lumbar_flex")) @ rot_y(share * 0.5 * g("spine_lat"))
    for bone, share in THORACIC_BONES.items():
        rots[bone] = rot_x(share * g("thoracic_flex")) @ rot_y(share * 0.5 * g("spine_lat"))
    for bone, share in NECK_BONES.items():
        rots[bone] = rot_x(share * g("neck_flex"))
    for side, suffix, sign in (("l", "L", 1.0), ("r", "R", -1.0)):
        k = lambda name, side=side: g(f"{name}_{side}")  # noqa: E731
        # Pelvic obliquity: tilt each pelvis half so the hip joints move up/down.
        rots[f"pelvis.{suffix}"] = rot_y(-g("pelvis_lat"))
        rots[f"upperleg01.{suffix}"] = (
            rot_y(-sign * k("hip_abd")) @ rot_x(-k("hip_flex")) @ rot_z(sign * k("hip_rot"))
        )
        rots[f"lowerleg01.{suffix}"] = rot_x(k("knee_flex"))
        rots[f"foot.{suffix}"] = rot_x(k("ankle_flex"))
        arm_axis = (sign * REST_UPPER_ARM_L[0], REST_UPPER_ARM_L[1], REST_UPPER_ARM_L[2])
        rots[f"upperarm01.{suffix}"] = (
            rot_x(-k("shoulder_flex"))
            @ rot_y(sign * (REST_ARM_ABDUCTION - k("shoulder_abd")))
            @ rot_axis(arm_axis, sign * k("shoulder_rot"))
        )
        rots[f"lowerarm01.{suffix}"] = rot_x(-k("elbow_flex"))
    return rots


def placement(pose: Pose) -> np.ndarray:
    """Rotation that places the posed body in the room (yaw, then pitch, then roll)."""
    return rot_z(pose.get("yaw", 0.0)) @ rot_x(pose.get("pitch", 0.0)) @ rot_y(pose.get("roll", 0.0))
