"""Place a posed body in the room: whole-body rotation, resting on the floor, clothing colours."""

from __future__ import annotations

import numpy as np

from formcheck.synth.body import BodySpec, PosedBody
from formcheck.synth.kinematics import Pose, placement


def place_on_floor(body: PosedBody, pose: Pose, lift_m: float = 0.0) -> PosedBody:
    """Rotate the body by the pose's placement and drop it so its lowest vertex is on z = 0.

    Args:
        body: Body in anny's model frame.
        pose: Pose whose ``pitch``/``roll``/``yaw`` place the body.
        lift_m: Extra height above the floor (e.g. a jump; normally 0).

    Returns:
        The body in room coordinates (the pelvis above the origin in x, y).
    """
    rot = placement(pose)
    verts = body.vertices @ rot.T
    joints = {k: rot @ v for k, v in body.joints.items()}
    shift = np.array([-joints["pelvis"][0], -joints["pelvis"][1], -verts[:, 2].min() + lift_m])
    return PosedBody(verts + shift, {k: v + shift for k, v in joints.items()})


def vertex_colors(rest_vertices: np.ndarray, spec: BodySpec) -> np.ndarray:
    """Skin colour with shorts and a sports top, decided once on the rest-pose vertices.

    Args:
        rest_vertices: (V, 3) rest-pose vertices in anny's frame (Z up, pelvis at the origin).
        spec: The body (skin and clothes colours).

    Returns:
        (V, 3) float colours.
    """
    z = rest_vertices[:, 2]
    x = np.abs(rest_vertices[:, 0])
    colors = np.tile(np.asarray(spec.skin_rgb, float), (len(z), 1))
    shorts = (z > -0.28) & (z < 0.12)
    top = (z > 0.12) & (z < 0.46) & (x < 0.2)
    colors[shorts | top] = np.asarray(spec.clothes_rgb, float)
    return colors
