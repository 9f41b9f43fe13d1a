"""Plain language for people: fault names, measure names (chart axes), the figures explained.

The specs keep their ids, units and thresholds (shown to instructors under an expander); the
page, the recap and the charts use these words. Unknown ids fall back to a readable form of
the id, so a new spec still reads acceptably.
"""

from __future__ import annotations

import math

#: Fault id → what a person would call it. ``(exercise, fault)`` entries override the plain id.
FAULT_NAMES: dict[str, str] = {
    "lower_back_arched": "Lower back arching off the floor",
    "knee_not_to_chest": "Knee not drawn to the chest",
    "extended_leg_bent": "Long leg bent",
    "extended_leg_lifted": "Long leg lifted off the floor",
    "spine_rounded": "Back rounding",
    "torso_too_reclined": "Leaning back too far",
    "legs_too_low": "Legs too low",
    "feet_on_floor": "Feet on the floor",
    "knees_bent": "Knees bent",
    "arms_not_forward": "Arms not reaching forward",
    "leg_not_to_side": "Leg not out to the side",
    "hands_not_under_shoulders": "Hands not under the shoulders",
    "hips_not_over_knee": "Hips not over the knee",
    "front_knee_locked": "Front knee locked straight",
    "front_knee_bent_too_much": "Front knee bent too much",
    "torso_not_folded": "Not folding forward",
    "back_heel_lifted": "Back heel lifted",
    "stance_too_short": "Feet too close together",
    "stance_too_long": "Feet too far apart",
    "foot_on_knee": "Foot pressing on the knee",
    "foot_not_lifted": "Foot not lifted",
    "standing_knee_bent": "Standing knee bent",
    "hips_uneven": "Hips not level",
    "torso_leaning": "Leaning to the side",
    "knees_not_bent": "Both legs straight",
    "feet_off_floor": "Feet off the floor",
    "hips_lifted": "Hips lifted",
    "restless": "Moving around",
}
_FAULT_OVERRIDES: dict[tuple[str, str], str] = {
    ("modified_gate_pose", "extended_leg_bent"): "Side leg bent",
}

#: ``exercise.metric`` (or a bare metric id) → an axis label in words, unit in brackets.
MEASURE_LABELS: dict[str, str] = {
    "psoas_stretch.back_gap": "Gap under the lower back (share of torso length)",
    "psoas_stretch.hip_flexion": "Knee-to-chest angle at the hip (°, smaller = closer)",
    "psoas_stretch.long_knee": "Long leg knee angle (°, 180 = straight)",
    "psoas_stretch.long_hip": "Long leg on the floor (°, 180 = flat)",
    "boat_pose.heel_above_hip": "Heels above the hips (torso lengths)",
    "boat_pose.spine_height": "Back length, tall = 1",
    "boat_pose.torso_recline": "Lean back from upright (°)",
    "boat_pose.thigh_lift": "Thighs above the floor (°)",
    "boat_pose.knee": "Knee angle (°, 180 = straight)",
    "boat_pose.arm_from_level": "Arms from level (°)",
    "modified_gate_pose.side_knee": "Side leg knee angle (°, 180 = straight)",
    "modified_gate_pose.leg_off_axis": "Leg away from the side (°, 0 = straight out)",
    "modified_gate_pose.arm_from_vertical": "Arms from vertical (°)",
    "modified_gate_pose.support_thigh_from_vertical": "Kneeling thigh from vertical (°)",
    "pyramid_pose.front_knee": "Front knee angle (°, over 180 = pushed back)",
    "pyramid_pose.torso_fold": "Forward fold (° from upright, 90 = flat)",
    "pyramid_pose.back_heel_lift": "Back heel off the floor (torso lengths)",
    "pyramid_pose.stance": "Stance length (leg lengths)",
    "tree_pose.foot_height_on_leg": "Foot height on the standing leg (above 0 = thigh, below = calf)",
    "tree_pose.foot_lift": "Lifted foot above the floor (torso lengths)",
    "tree_pose.standing_knee": "Standing knee angle (°, 180 = straight)",
    "tree_pose.hip_tilt": "Hip line tilt (°)",
    "tree_pose.torso_lean": "Sideways lean (°)",
    "constructive_rest.knee_min": "Most bent knee (°)",
    "constructive_rest.heel_up": "Heels above the floor (torso lengths)",
    "constructive_rest.hip_rise": "Hips lifted (torso lengths)",
    "constructive_rest.motion": "Movement (torso lengths per second)",
}

#: Report id → what it tells, in words.
REPORT_WORDS: dict[str, str] = {
    "stage": "the stage you reached",
    "arms": "where your arms are",
    "foot": "where your foot rests",
}

#: One line per figure, shown next to it on the page and in the recap.
FIGURE_HELP: dict[str, str] = {
    "good_form": "Good-form hold: seconds in position with no correction active. Only this fills the target.",
    "in_position": "In position: seconds you were in the exercise's position, with or without a correction.",
    "score": "Form score: 0–100 over the time in position, 100 = no correction; lower the longer and the "
             "further a correction lasted.",
    "faults": "Corrections: how many times each was called and for how long in total.",
}

#: A correction active at least this share of the time in position is named next to the score.
NOTABLE_FAULT_SHARE = 0.25


def id_words(identifier: str) -> str:
    """``knee_not_to_chest`` → ``Knee not to chest``."""
    words = identifier.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def fault_name(fault_id: str, exercise: str | None = None) -> str:
    """The plain-language name of a fault."""
    if exercise is not None and (exercise, fault_id) in _FAULT_OVERRIDES:
        return _FAULT_OVERRIDES[(exercise, fault_id)]
    return FAULT_NAMES.get(fault_id) or id_words(fault_id)


def measure_label(exercise: str, metric: str, unit: str = "") -> str:
    """The axis label of a metric in words (falls back to the id and its unit)."""
    label = MEASURE_LABELS.get(f"{exercise}.{metric}") or MEASURE_LABELS.get(metric)
    if label:
        return label
    return id_words(metric) + (f" ({unit})" if unit else "")


def score_text(score: float | None, any_fault: bool) -> str:
    """The score as shown: rounded down when a correction was called, so 100 always means none."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "–"
    shown = math.floor(score) if any_fault else round(score)
    return f"{min(shown, 99) if any_fault else shown:.0f}/100"


def seconds_text(seconds: float) -> str:
    """``75.2`` → ``1:15``; under a minute ``12.3 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"
