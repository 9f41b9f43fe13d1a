"""Clip specifications and the compact set committed to ``sample_videos/``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.synth.camera import CameraSpec
from formcheck.synth.motion import ENTRY_HOLD_S, FAULT_START_S, FPS, MOVE_S, Timing
from formcheck.synth.poses import script_for

#: Exercise -> (view, camera height, distance, target height).
VIEWS: dict[str, tuple[str, float, float, float]] = {
    "psoas_stretch": ("side", 0.5, 2.4, 0.25),
    "constructive_rest": ("side", 0.6, 2.4, 0.25),
    "savasana": ("side", 0.6, 2.4, 0.2),
    "boat_pose": ("side", 0.6, 2.4, 0.45),
    "modified_gate_pose": ("front", 0.85, 2.5, 0.35),
    "cat_cow": ("side", 0.8, 2.4, 0.4),
    "pyramid_pose": ("side", 0.9, 2.9, 0.6),
    "tree_pose": ("front", 1.0, 3.0, 0.85),
    "standing_idle": ("front", 1.0, 3.0, 0.85),
}
FAULT_DURATION_S = 4.2
CORRECT_DURATION_S = 3.0


@dataclass(frozen=True)
class ClipSpec:
    """One clip to render.

    Attributes:
        name: File stem.
        activity: Exercise id of FORM_RULES.md, or a ``none`` activity (see ``poses``).
        fault: Fault id that develops midway, or None for correct form.
        body: Body preset name.
        side: Active side ``left``/``right``.
        view: ``side``, ``front`` or ``oblique`` (camera placement and label).
        arms: Arm variant: tree pose ``prayer``/``overhead``/``hips``; psoas stretch ``floor``
            (arms resting on the floor instead of hugging the shin); constructive rest and
            savasana ``wide`` (arms out to the side on the floor). Other values: the default.
        foot: Tree pose foot placement (``thigh``/``calf``).
        seed: Seed for camera jitter and sway.
        duration: Clip length in seconds (None: the default set's lengths).
        fault_start: When the fault starts to develop (None: ``FAULT_START_S``); a value at or
            before the end of the entry hold puts the fault in from the start.
        entry_hold: Seconds the entry pose is held (None: ``ENTRY_HOLD_S``).
        move: Seconds the move into position takes (None: ``MOVE_S``).
        fps: Frame rate (None: ``FPS``).
        cam_height: Camera height in metres (None: the exercise's default, jittered per seed).
        cam_distance: Camera distance in metres (None: the exercise's default, jittered).
        cam_target: Height the camera looks at (None: the exercise's default).
    """

    name: str
    activity: str
    fault: str | None
    body: str
    side: str = "left"
    view: str | None = None
    arms: str = "prayer"
    foot: str = "thigh"
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    duration: float | None = None
    fault_start: float | None = None
    entry_hold: float | None = None
    move: float | None = None
    fps: int | None = None
    cam_height: float | None = None
    cam_distance: float | None = None
    cam_target: float | None = None

    @property
    def exercise(self) -> str:
        """Label exercise id (``none`` for the near-miss activities)."""
        return self.activity if self.activity in _EXERCISES else "none"

    @property
    def duration_s(self) -> float:
        """Clip length."""
        if self.duration is not None:
            return self.duration
        return FAULT_DURATION_S if self.fault else CORRECT_DURATION_S

    def timing(self) -> Timing:
        """Key times of this clip (entry hold, move, fault onset) and its frame rate."""
        entry = ENTRY_HOLD_S if self.entry_hold is None else self.entry_hold
        move = MOVE_S if self.move is None else self.move
        fps = FPS if self.fps is None else self.fps
        if not self.fault:
            return Timing(self.duration_s, None, entry, move, fps=fps)
        start = FAULT_START_S if self.fault_start is None else self.fault_start
        if start <= entry:  # present from the start: it develops with the move into position
            return Timing(self.duration_s, entry, entry, move, fault_ramp_s=move, fps=fps)
        return Timing(self.duration_s, start, entry, move, fps=fps)

    @property
    def label_view(self) -> str:
        """View written to labels.csv."""
        return self.view or VIEWS[self.activity][0]

    def camera(self) -> CameraSpec:
        """Camera for this clip, jittered a little per seed."""
        view, height, dist, target = VIEWS[self.activity]
        view = self.view or view
        rng = np.random.default_rng(self.seed + 1000)
        if view == "front":
            az = 90.0
        elif view == "oblique":
            az = 45.0 if self.side == "left" else 135.0
        else:
            az = 0.0 if self.side == "left" else 180.0
        az, height, dist = az + rng.uniform(-6, 6), height + rng.uniform(-0.08, 0.1), dist + rng.uniform(-0.15, 0.25)
        return CameraSpec(
            azimuth_deg=az,
            height_m=height if self.cam_height is None else self.cam_height,
            distance_m=dist if self.cam_distance is None else self.cam_distance,
            target_height_m=target if self.cam_target is None else self.cam_target,
        )


_EXERCISES = ("psoas_stretch", "boat_pose", "modified_gate_pose", "pyramid_pose", "tree_pose",
              "constructive_rest")
_FAULT_BODIES = ("f_tall", "m_short", "f_slim", "m_stocky")


def default_set() -> list[ClipSpec]:
    """The committed set: each exercise correct on two bodies, every fault once, 3 ``none``."""
    clips: list[ClipSpec] = []
    seed = 0
    for ex in _EXERCISES:
        for i, body in enumerate(("f_slim", "m_stocky")):
            seed += 1
            side = "left" if i == 0 else "right"
            arms = "prayer" if i == 0 else "overhead"
            clips.append(ClipSpec(f"{ex}__correct__{body}", ex, None, body, side, arms=arms, seed=seed))
    clips.append(ClipSpec("modified_gate_pose__correct__f_tall_side", "modified_gate_pose", None,
                          "f_tall", "left", view="side", seed=99))
    k = 0
    for ex in _EXERCISES:
        for fault in script_for(ex).faults:
            seed += 1
            body = _FAULT_BODIES[k % len(_FAULT_BODIES)]
            side = "right" if k % 3 == 2 else "left"
            view = None
            if (ex, fault) in (("modified_gate_pose", "hands_not_under_shoulders"),
                               ("modified_gate_pose", "hips_not_over_knee")):
                view = "side"
            if (ex, fault) == ("tree_pose", "standing_knee_bent"):
                view = "oblique"
            arms = ("hips", "prayer", "overhead")[k % 3]
            clips.append(ClipSpec(f"{ex}__{fault}__{body}", ex, fault, body, side, view, arms, seed=seed))
            k += 1
    for activity, body in (("standing_idle", "f_tall"), ("cat_cow", "m_short"), ("savasana", "f_slim")):
        seed += 1
        clips.append(ClipSpec(f"none__{activity}__{body}", activity, None, body, seed=seed))
    return clips
