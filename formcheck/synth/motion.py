"""Timeline of a clip: entry -> move into position -> hold with sway -> (fault develops)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.synth.kinematics import Pose, blend, smoothstep

FPS = 15
ENTRY_HOLD_S = 0.3
MOVE_S = 1.0
FAULT_START_S = 1.8
FAULT_RAMP_S = 0.6
SWAY_KEYS = {"spine_lat": 1.2, "lumbar_flex": 1.0, "neck_flex": 1.5, "shoulder_abd_l": 1.5,
             "shoulder_abd_r": 1.5, "roll": 0.6}
#: Restless: big, continuing moves of legs, arms and head (deg amplitude, period s).
RESTLESS = {"knee_flex_l": (35.0, 1.7), "hip_flex_r": (20.0, 2.3), "shoulder_abd_l": (30.0, 1.3),
            "shoulder_flex_r": (40.0, 1.9), "neck_flex": (12.0, 1.1)}


@dataclass(frozen=True)
class Timing:
    """Key times of a clip (seconds) and its frame rate.

    Attributes:
        duration_s: Clip length.
        fault_start_s: When the fault starts to develop (None = correct form throughout). A
            fault that starts at or before the end of the entry hold is present from the start:
            it ramps in together with the move into position.
        entry_hold_s: How long the entry pose is held before moving into position.
        move_s: How long the move into position takes.
        fault_ramp_s: How long the fault takes to develop fully.
        fps: Frames per second.
    """

    duration_s: float
    fault_start_s: float | None = None
    entry_hold_s: float = ENTRY_HOLD_S
    move_s: float = MOVE_S
    fault_ramp_s: float = FAULT_RAMP_S
    fps: int = FPS

    @property
    def in_position_s(self) -> float:
        """Time from which the body is in position."""
        return self.entry_hold_s + self.move_s

    @property
    def fault_from_start(self) -> bool:
        """Whether the fault is present from the start (develops with the move into position)."""
        return self.fault_start_s is not None and self.fault_start_s <= self.entry_hold_s

    @property
    def fault_full_s(self) -> float | None:
        """Time from which the fault is fully developed."""
        return None if self.fault_start_s is None else self.fault_start_s + self.fault_ramp_s

    def frame_times(self) -> np.ndarray:
        """Times of all frames."""
        return np.arange(int(round(self.duration_s * self.fps))) / self.fps


def pose_at(
    t: float,
    timing: Timing,
    entry: Pose,
    position: Pose,
    fault: Pose | None,
    cycle: dict[str, float],
    restless: bool,
    seed: int,
) -> tuple[Pose, float]:
    """Pose at time ``t`` and the fault weight (0 = correct form, 1 = fault fully developed).

    Args:
        t: Time in seconds.
        timing: Clip timing.
        entry: Solved entry pose.
        position: Solved correct pose.
        fault: Solved fault pose, or None.
        cycle: Slow oscillation amplitudes (cat-cow) during the hold.
        restless: Add large continuing movement after the fault start.
        seed: Seed for the sway phases.

    Returns:
        The pose and the fault weight.
    """
    pose = blend(entry, position, smoothstep((t - timing.entry_hold_s) / timing.move_s))
    weight = 0.0
    if timing.fault_start_s is not None:
        weight = smoothstep((t - timing.fault_start_s) / timing.fault_ramp_s)
        if fault is not None and not restless:
            pose = blend(pose, fault, weight)
    rng = np.random.default_rng(seed)
    hold = smoothstep((t - timing.in_position_s) / 0.5)
    for key, amp in SWAY_KEYS.items():
        period, phase = rng.uniform(2.5, 4.5), rng.uniform(0, 2 * math.pi)
        pose[key] = pose.get(key, 0.0) + amp * math.sin(2 * math.pi * t / period + phase)
    for key, amp in cycle.items():  # cat-cow: one round every 1.6 s during the hold
        pose[key] = pose.get(key, 0.0) + hold * amp * math.sin(2 * math.pi * (t - timing.in_position_s) / 1.6)
    if restless and weight > 0.0:
        for key, (amp, period) in RESTLESS.items():
            pose[key] = pose.get(key, 0.0) + weight * amp * math.sin(2 * math.pi * t / period)
    return pose, weight
