"""CPU rendering of a posed body in a plain room (floor + back wall) with pyrender + OSMesa."""

from __future__ import annotations

import os

import numpy as np

from formcheck.synth.camera import HEIGHT, WIDTH, CameraSpec

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
if not hasattr(np, "infty"):  # pyrender still uses the alias removed in numpy 2
    np.infty = np.inf  # type: ignore[attr-defined]

FLOOR_RGB = (0.62, 0.52, 0.42)
MAT_RGB = (0.30, 0.42, 0.50)
WALL_RGB = (0.86, 0.85, 0.82)
SUPERSAMPLE = 1


class RoomRenderer:
    """Renders frames of one body mesh in a room; one instance per clip (keeps GL context)."""

    def __init__(self, camera: CameraSpec, center: np.ndarray, triangles: np.ndarray) -> None:
        """Build the static scene.

        Args:
            camera: Camera placement.
            center: Body centre on the floor (x, y) the camera aims at.
            triangles: (F, 3) mesh faces of the body.
        """
        import pyrender
        import trimesh

        self._pyrender, self._trimesh = pyrender, trimesh
        self.camera, self.center, self.triangles = camera, np.asarray(center, float), triangles
        self.scene = pyrender.Scene(bg_color=[*WALL_RGB, 1.0], ambient_light=[0.28, 0.28, 0.28])
        self._add_room()
        cam = pyrender.PerspectiveCamera(yfov=np.radians(camera.fov_deg), aspectRatio=WIDTH / HEIGHT)
        cam_pose = camera.pose_matrix(self.center)
        self.scene.add(cam, pose=cam_pose)
        key = pyrender.DirectionalLight(color=[1.0, 0.98, 0.94], intensity=2.6)
        self.scene.add(key, pose=_look_from(cam_pose[:3, 3] + np.array([0.0, 0.0, 2.0]), self.center))
        fill = pyrender.PointLight(color=[0.9, 0.93, 1.0], intensity=6.0)
        self.scene.add(fill, pose=_translation(np.array([self.center[0], self.center[1], 2.6])))
        self._body_node = None
        self._renderer = pyrender.OffscreenRenderer(WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE)

    def _add_room(self) -> None:
        """Floor, an exercise mat under the body and a back wall facing the camera."""
        pyrender, trimesh = self._pyrender, self._trimesh
        floor = trimesh.creation.box(extents=[30.0, 30.0, 0.02])
        floor.apply_translation([self.center[0], self.center[1], -0.011])
        self.scene.add(pyrender.Mesh.from_trimesh(floor, material=_material(pyrender, FLOOR_RGB)))
        mat = trimesh.creation.box(extents=[0.65, 1.85, 0.006])
        mat.apply_translation([self.center[0], self.center[1], -0.0025])
        az = np.radians(self.camera.azimuth_deg)
        # Lay the mat along the body: across the line of sight for a side view.
        mat.apply_transform(_about(self.center, np.pi / 2 if abs(np.cos(az)) < 0.5 else 0.0))
        self.scene.add(pyrender.Mesh.from_trimesh(mat, material=_material(pyrender, MAT_RGB)))
        away = -np.array([np.cos(az), -np.sin(az), 0.0])
        wall = trimesh.creation.box(extents=[30.0, 0.05, 8.0])
        wall.apply_transform(_about(self.center, np.arctan2(away[1], away[0]) - np.pi / 2))
        wall.apply_translation(away * 3.2 + np.array([0.0, 0.0, 4.0]))
        self.scene.add(pyrender.Mesh.from_trimesh(wall, material=_material(pyrender, WALL_RGB)))

    def render(self, vertices: np.ndarray, colors: np.ndarray) -> np.ndarray:
        """Render one frame.

        Args:
            vertices: (V, 3) world positions of the body.
            colors: (V, 3) float vertex colours.

        Returns:
            (480, 640, 3) uint8 RGB image.
        """
        import cv2

        pyrender, trimesh = self._pyrender, self._trimesh
        if self._body_node is not None:
            self.scene.remove_node(self._body_node)
        mesh = trimesh.Trimesh(vertices, self.triangles, vertex_colors=colors, process=False)
        body = pyrender.Mesh.from_trimesh(mesh, smooth=True)
        self._body_node = self.scene.add(body)
        rgb, _ = self._renderer.render(self.scene)
        return cv2.resize(rgb, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)

    def close(self) -> None:
        """Release the GL context."""
        self._renderer.delete()


def _material(pyrender, rgb: tuple[float, float, float]):
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[float(c) for c in rgb] + [1.0], metallicFactor=0.0, roughnessFactor=0.9
    )


def _translation(t: np.ndarray) -> np.ndarray:
    mat = np.eye(4)
    mat[:3, 3] = t
    return mat


def _about(center: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by ``angle`` about the vertical axis through ``center``."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    shift = _translation(np.array([center[0], center[1], 0.0]))
    return shift @ rot @ np.linalg.inv(shift)


def _look_from(eye: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Pose of a light at ``eye`` pointing at the body centre (light shines down its -Z)."""
    target = np.array([center[0], center[1], 0.3])
    fwd = target - eye
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    mat = np.eye(4)
    mat[:3, 0], mat[:3, 1], mat[:3, 2], mat[:3, 3] = right, up, -fwd, eye
    return mat
