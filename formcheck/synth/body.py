"""Body presets and the posed anny body: vertices and named joints for one pose.

The anny model (MakeHuman-based, Z up, metres) faces -Y in its rest pose with +X on the body's
left. :class:`BodyModel` poses it from per-bone rotations and returns numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Landmark-like joints read from anny bone heads (the joint sits at the bone's head).
JOINT_BONES: dict[str, str] = {
    "left_hip": "upperleg01.L",
    "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L",
    "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L",
    "right_ankle": "foot.R",
    "left_foot_index": "toe2-1.L",
    "right_foot_index": "toe2-1.R",
    "left_shoulder": "upperarm01.L",
    "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L",
    "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L",
    "right_wrist": "wrist.R",
    "pelvis": "spine05",
    "lumbar_top": "spine03",
    "chest": "spine01",
    "neck": "neck01",
    "head": "head",
}


@dataclass(frozen=True)
class BodySpec:
    """One synthetic person.

    Attributes:
        name: Short id used in clip file names.
        sex: ``"female"`` or ``"male"`` (anny ``gender`` 0 or 1).
        age: anny age phenotype in [0, 1] (0.5 ~ 25 years, 1 ~ 90 years).
        muscle: anny muscle phenotype in [0, 1].
        weight: anny weight phenotype in [0, 1].
        height: anny height phenotype in [0, 1].
        skin_rgb: Skin base colour, floats in [0, 1].
        clothes_rgb: Colour of the shorts/top regions, floats in [0, 1].
    """

    name: str
    sex: str
    age: float
    muscle: float
    weight: float
    height: float
    skin_rgb: tuple[float, float, float]
    clothes_rgb: tuple[float, float, float] = (0.15, 0.18, 0.28)

    def phenotype(self) -> dict[str, float]:
        """Return the anny phenotype keyword arguments."""
        return {
            "gender": 0.0 if self.sex == "female" else 1.0,
            "age": self.age,
            "muscle": self.muscle,
            "weight": self.weight,
            "height": self.height,
            "proportions": 0.5,
        }


BODIES: dict[str, BodySpec] = {
    b.name: b
    for b in (
        BodySpec("f_slim", "female", 0.55, 0.5, 0.35, 0.45, (0.87, 0.70, 0.58), (0.55, 0.18, 0.25)),
        BodySpec("m_stocky", "male", 0.65, 0.55, 0.7, 0.55, (0.55, 0.38, 0.26), (0.12, 0.22, 0.35)),
        BodySpec("f_tall", "female", 0.6, 0.45, 0.5, 0.75, (0.36, 0.24, 0.17), (0.2, 0.35, 0.25)),
        BodySpec("m_short", "male", 0.75, 0.4, 0.45, 0.25, (0.78, 0.60, 0.46), (0.3, 0.3, 0.32)),
        # Held-out bodies of the validation set (formcheck.synth.validation): never in
        # sample_videos/, so rules are not tuned on them.
        BodySpec("f_heavy", "female", 0.62, 0.4, 0.88, 0.45, (0.62, 0.44, 0.31), (0.38, 0.2, 0.45)),
        BodySpec("m_slim", "male", 0.5, 0.45, 0.18, 0.55, (0.93, 0.78, 0.68), (0.1, 0.32, 0.22)),
        BodySpec("m_tall", "male", 0.58, 0.6, 0.5, 0.92, (0.29, 0.19, 0.13), (0.45, 0.12, 0.12)),
        BodySpec("f_short", "female", 0.7, 0.45, 0.55, 0.12, (0.82, 0.66, 0.50), (0.22, 0.26, 0.42)),
        BodySpec("m_older", "male", 0.88, 0.35, 0.72, 0.4, (0.70, 0.52, 0.40), (0.32, 0.28, 0.18)),
    )
}

#: The four bodies of the committed set (``sample_videos/``).
DEFAULT_BODIES = ("f_slim", "m_stocky", "f_tall", "m_short")
#: Bodies only the validation set uses.
VALIDATION_BODIES = ("f_heavy", "m_slim", "m_tall", "f_short", "m_older")


@dataclass
class PosedBody:
    """A posed body in anny's model frame (before placement in the room).

    Attributes:
        vertices: (V, 3) float array, metres.
        joints: Joint name -> (3,) position, see :data:`JOINT_BONES`.
    """

    vertices: np.ndarray
    joints: dict[str, np.ndarray] = field(default_factory=dict)


class BodyModel:
    """An anny body of one :class:`BodySpec`, posed by per-bone rotation matrices."""

    def __init__(self, spec: BodySpec) -> None:
        """Load anny (cached after the first, slow, build) for ``spec``.

        Args:
            spec: The body to build.
        """
        import anny
        import torch

        self.spec = spec
        self._torch = torch
        torch.set_num_threads(1)
        self._model = anny.Anny()
        self._model.eval()
        self.bone_labels: list[str] = list(self._model.bone_labels)
        self.faces: np.ndarray = self._model.faces.detach().cpu().numpy().astype(np.int64)
        self._pheno = {k: float(v) for k, v in spec.phenotype().items()}
        self._index = {name: self.bone_labels.index(bone) for name, bone in JOINT_BONES.items()}
        self.triangles = _triangulate(self.faces)

    def pose(self, rotations: dict[str, np.ndarray]) -> PosedBody:
        """Skin the body for ``rotations`` (bone label -> 3x3 matrix in anny's local-ref frame).

        Args:
            rotations: Per-bone rotations; missing bones stay at rest.

        Returns:
            The posed vertices and joints.
        """
        torch = self._torch
        params = {}
        for bone, rot in rotations.items():
            mat = torch.eye(4, dtype=torch.float64)[None].clone()
            mat[0, :3, :3] = torch.as_tensor(np.asarray(rot), dtype=torch.float64)
            params[bone] = mat
        with torch.no_grad():
            out = self._model(
                pose_parameters=params or None, phenotype_kwargs=self._pheno
            )
        verts = out["vertices"][0].detach().cpu().numpy().astype(np.float64)
        posed = out["bone_poses"][0].detach().cpu().numpy().astype(np.float64)
        rest = out["rest_bone_poses"][0].detach().cpu().numpy().astype(np.float64)
        rest_heads = out["rest_bone_heads"][0].detach().cpu().numpy().astype(np.float64)
        # Each head moves rigidly with its own bone: posed @ rest^-1 @ head.
        moves = posed @ np.linalg.inv(rest)
        heads = np.einsum("bij,bj->bi", moves[:, :3, :3], rest_heads) + moves[:, :3, 3]
        joints = {name: heads[i] for name, i in self._index.items()}
        return PosedBody(vertices=verts, joints=joints)


def _triangulate(faces: np.ndarray) -> np.ndarray:
    """Split quads (F, 4) into triangles (2F, 3); triangles pass through."""
    if faces.shape[1] == 3:
        return faces
    return np.concatenate([faces[:, [0, 1, 2]], faces[:, [0, 2, 3]]], axis=0)
