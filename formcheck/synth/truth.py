"""Ground truth per frame: true 3D joint angles from the posed skeleton, their 2D projections
in the camera image, and the true lumbar extension / back-to-floor gap."""

from __future__ import annotations

import numpy as np

from formcheck.synth.body import PosedBody
from formcheck.synth.camera import CameraSpec


def angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle at ``b`` (deg) of the triangle a-b-c; 180 = straight."""
    u, v = a - b, c - b
    cos = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def from_vertical(vec: np.ndarray) -> float:
    """Angle (deg) of a 3D vector from the vertical axis (0 = pointing straight up or down)."""
    cos = abs(vec[2]) / (np.linalg.norm(vec) + 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, 0.0, 1.0))))


def elevation(vec: np.ndarray) -> float:
    """Signed angle (deg) of a vector above the floor plane."""
    return float(np.degrees(np.arcsin(np.clip(vec[2] / (np.linalg.norm(vec) + 1e-12), -1, 1))))


def frame_truth(body: PosedBody, camera: CameraSpec, upright_spine_m: float, lumbar_ext_deg: float) -> dict[str, float]:
    """All ground-truth values of one frame.

    Args:
        body: The placed body (room coordinates).
        camera: Camera of the clip.
        upright_spine_m: Mid-hip to mid-shoulder length of this body standing upright.
        lumbar_ext_deg: Lumbar extension applied in this frame (deg, + = extension).

    Returns:
        Column name -> value (angles in degrees, lengths in metres or torso-relative).
    """
    j = body.joints
    mid_sh = 0.5 * (j["left_shoulder"] + j["right_shoulder"])
    mid_hip = 0.5 * (j["left_hip"] + j["right_hip"])
    out: dict[str, float] = {}
    for s in ("left", "right"):
        sh, hip, knee, ank = j[f"{s}_shoulder"], j[f"{s}_hip"], j[f"{s}_knee"], j[f"{s}_ankle"]
        out[f"{s}_knee"] = angle(hip, knee, ank)
        out[f"{s}_hip"] = angle(sh, hip, knee)
        out[f"{s}_elbow"] = angle(sh, j[f"{s}_elbow"], j[f"{s}_wrist"])
        out[f"{s}_thigh_elevation"] = elevation(knee - hip)
        out[f"{s}_thigh_from_vertical"] = from_vertical(knee - hip)
        out[f"{s}_arm_from_vertical"] = from_vertical(j[f"{s}_wrist"] - sh)
        out[f"{s}_upper_arm_elevation"] = elevation(j[f"{s}_elbow"] - sh)
        out[f"{s}_ankle_height_m"] = float(ank[2])
        out[f"{s}_foot_index_height_m"] = float(j[f"{s}_foot_index"][2])
    out["torso_inclination"] = from_vertical(mid_sh - mid_hip)
    hip_line = j["left_hip"] - j["right_hip"]
    out["hip_line_tilt"] = float(np.degrees(np.arctan2(abs(hip_line[2]), np.linalg.norm(hip_line[:2]))))
    spine = float(np.linalg.norm(mid_sh - mid_hip))
    out["spine_length_ratio"] = spine / upright_spine_m
    leg = np.mean([np.linalg.norm(j[f"{s}_knee"] - j[f"{s}_hip"]) + np.linalg.norm(j[f"{s}_ankle"] - j[f"{s}_knee"])
                   for s in ("left", "right")])
    out["ankle_distance_over_leg"] = float(np.linalg.norm(j["left_ankle"] - j["right_ankle"]) / leg)
    out["lumbar_extension_deg"] = lumbar_ext_deg
    out["lumbar_bend_deg"] = 180.0 - angle(j["pelvis"], j["lumbar_top"], j["chest"])
    out["back_gap_m"] = _back_gap(body, mid_hip, mid_sh)
    uv = camera.project(np.array([j[k] for k in _NAMES]), np.zeros(2))
    p = dict(zip(_NAMES, uv, strict=True))
    for s in ("left", "right"):
        out[f"{s}_knee_2d"] = angle(p[f"{s}_hip"], p[f"{s}_knee"], p[f"{s}_ankle"])
        out[f"{s}_hip_2d"] = angle(p[f"{s}_shoulder"], p[f"{s}_hip"], p[f"{s}_knee"])
        out[f"{s}_elbow_2d"] = angle(p[f"{s}_shoulder"], p[f"{s}_elbow"], p[f"{s}_wrist"])
    for k in _NAMES:
        out[f"{k}_x"], out[f"{k}_y"] = float(p[k][0]), float(p[k][1])
    return out


_NAMES = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
          "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
          "right_ankle")


def _back_gap(body: PosedBody, mid_hip: np.ndarray, mid_sh: np.ndarray) -> float:
    """Lowest body height over the lumbar slice (30-55% from hip to shoulder), metres.

    Meaningful when lying on the back: the gap between the floor and the lower back.
    """
    axis = mid_sh - mid_hip
    length = np.linalg.norm(axis)
    u = (body.vertices - mid_hip) @ (axis / length) / length
    sel = (u > 0.30) & (u < 0.55)
    return float(body.vertices[sel, 2].min()) if sel.any() else float("nan")
