"""Pinhole camera placed around the body: look-at pose and projection to 640x480 pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class CameraSpec:
    """Where the camera stands, relative to the body's centre on the floor.

    Attributes:
        azimuth_deg: Direction from the body to the camera, in the floor plane; 0 = on the body's
            left (+X in the model frame), 90 = in front of a standing body (-Y), 180 = right.
        height_m: Camera height above the floor.
        distance_m: Horizontal distance from the body's centre.
        target_height_m: Height of the point looked at.
        fov_deg: Vertical field of view.
    """

    azimuth_deg: float = 0.0
    height_m: float = 0.6
    distance_m: float = 3.0
    target_height_m: float = 0.4
    fov_deg: float = 50.0

    def eye(self, center: np.ndarray) -> np.ndarray:
        """World position of the camera for a body centred at ``center`` (x, y)."""
        az = math.radians(self.azimuth_deg)
        offset = np.array([math.cos(az), -math.sin(az), 0.0]) * self.distance_m
        return np.array([center[0], center[1], 0.0]) + offset + np.array([0, 0, self.height_m])

    def pose_matrix(self, center: np.ndarray) -> np.ndarray:
        """Camera-to-world 4x4 (OpenGL convention: camera looks down its -Z, +Y up)."""
        eye = self.eye(center)
        target = np.array([center[0], center[1], self.target_height_m])
        fwd = target - eye
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        mat = np.eye(4)
        mat[:3, 0], mat[:3, 1], mat[:3, 2], mat[:3, 3] = right, up, -fwd, eye
        return mat

    def project(self, points: np.ndarray, center: np.ndarray) -> np.ndarray:
        """Project world points (N, 3) to pixel coordinates (N, 2), origin top-left."""
        cam = np.linalg.inv(self.pose_matrix(center))
        pts = (cam[:3, :3] @ np.asarray(points, float).T).T + cam[:3, 3]
        focal = (HEIGHT / 2.0) / math.tan(math.radians(self.fov_deg) / 2.0)
        x = WIDTH / 2.0 + focal * pts[:, 0] / -pts[:, 2]
        y = HEIGHT / 2.0 - focal * pts[:, 1] / -pts[:, 2]
        return np.stack([x, y], axis=1)
