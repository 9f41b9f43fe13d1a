"""Pose library: for each exercise an entry pose, the correct position and one pose per fault.

Poses use ``_a`` for the exercise's active side (FORM_RULES "Side": the drawn leg, the extended
leg, the front leg, the standing leg) and ``_o`` for the other; :func:`sided` maps them to
``_l``/``_r``. Every fault is a real change of the body (joint angles), never a label alone.
Contact constraints (feet flat, hands and knee on the floor) are solved in :mod:`.contacts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from formcheck.synth.kinematics import Pose

#: Parameters whose sign flips when the active side is the right one.
_MIRRORED = ("spine_lat", "pelvis_lat", "roll")


@dataclass(frozen=True)
class Script:
    """Everything needed to animate one exercise.

    Attributes:
        entry: Starting (neutral) pose.
        position: Correct form.
        faults: Fault id -> parameter overrides applied to ``position``.
        cycle: Parameter -> amplitude (deg) of a slow oscillation during the hold (cat-cow).
    """

    entry: Pose
    position: Pose
    faults: dict[str, Pose] = field(default_factory=dict)
    cycle: dict[str, float] = field(default_factory=dict)


def sided(pose: Pose, side: str) -> Pose:
    """Map ``_a``/``_o`` keys to anatomical ``_l``/``_r`` for ``side`` ("left"/"right")."""
    act, oth = ("_l", "_r") if side == "left" else ("_r", "_l")
    out: Pose = {}
    for key, value in pose.items():
        if key.endswith("_a"):
            key = key[:-2] + act
        elif key.endswith("_o"):
            key = key[:-2] + oth
        if side == "right" and key in _MIRRORED:
            value = -value
        out[key] = value
    return out


def both(**kwargs: float) -> Pose:
    """Expand ``name=value`` to the same value on both sides (``name_a`` and ``name_o``)."""
    out: Pose = {}
    for key, value in kwargs.items():
        out[f"{key}_a"] = value
        out[f"{key}_o"] = value
    return out


def both_lr(**kwargs: float) -> dict[str, float]:
    """Expand ``name=value`` to anatomical ``name_l`` and ``name_r`` (for cycles, not sided)."""
    return {f"{key}_{s}": value for key, value in kwargs.items() for s in ("l", "r")}


ARMS_AT_SIDES = both(shoulder_abd=8.0, elbow_flex=8.0)
# anny's rest elbow is bent ~42 deg (elbow_flex 0 reads ~138 deg); lying arms straighten it so
# the forearms rest on the floor instead of pointing at the ceiling.
ARMS_ON_FLOOR = both(shoulder_abd=22.0, elbow_flex=-45.0)
LYING = {"pitch": -90.0, "neck_flex": 8.0}
STANDING: Pose = {**ARMS_AT_SIDES, **both(ankle_flex=0.0)}
KNEES_BENT_LYING: Pose = {**LYING, **ARMS_ON_FLOOR, **both(hip_flex=50.0, knee_flex=100.0)}
ALL_FOURS: Pose = {
    "pitch": 88.0,
    "neck_flex": -15.0,
    # Straight arms (elbow ~172 deg); shoulder flexion is solved so the wrists sit under the
    # shoulders (contacts._hands_under_shoulders).
    **both(shoulder_flex=90.0, elbow_flex=-55.0, hip_flex=90.0, knee_flex=90.0, ankle_flex=70.0),
}
ARCH = 28.0  # lumbar extension (deg) of the arched back

#: Lying arms out to the side on the floor (constructive rest / savasana ``arms="wide"``).
ARMS_WIDE_ON_FLOOR = both(shoulder_abd=70.0, elbow_flex=-45.0)

#: Arm variants of the lying exercises besides their default (psoas: hands hug the shin;
#: constructive rest and savasana: arms resting on the floor near the body).
LYING_ARM_VARIANTS: dict[str, tuple[str, ...]] = {
    "psoas_stretch": ("floor",),
    "constructive_rest": ("wide",),
    "savasana": ("wide",),
}

ARM_VARIANTS: dict[str, Pose] = {
    # Hands together in front of the chest: shoulder_rot is solved (contacts._prayer_hands).
    "prayer": both(shoulder_flex=28.0, shoulder_abd=14.0, elbow_flex=105.0, shoulder_rot=90.0),
    "overhead": both(shoulder_flex=172.0, shoulder_abd=8.0, elbow_flex=5.0),
    # Hands on the waist: rotation, elbow and abduction solved (contacts._hands_on_hips).
    "hips": both(shoulder_flex=-10.0, shoulder_abd=38.0, elbow_flex=95.0, shoulder_rot=100.0),
}


def psoas_stretch(arms: str = "shin") -> Script:
    """Lying on the back, active knee to the chest, other leg long on the floor.

    ``arms="floor"``: the arms rest on the floor beside the body instead of hugging the shin.
    """
    position = {
        **LYING,
        **ARMS_ON_FLOOR,
        "hip_flex_a": 135.0,
        "knee_flex_a": 135.0,
        "ankle_flex_a": 15.0,
        "ankle_flex_o": 20.0,
        # Hands hug the shin below the knee: arm angles are solved (contacts._hands_on_shin).
        **both(shoulder_flex=60.0, shoulder_abd=10.0, elbow_flex=60.0, shoulder_rot=40.0),
    }
    if arms == "floor":
        position = {**position, **both(shoulder_flex=0.0, shoulder_rot=0.0), **ARMS_ON_FLOOR}
    return Script(
        entry=KNEES_BENT_LYING,
        position=position,
        faults={
            # Anterior pelvic tilt + lumbar extension; thorax and legs keep their floor angles,
            # so pelvis and shoulders stay down while the lower back lifts.
            "lower_back_arched": {
                "lumbar_flex": -ARCH,
                "pitch": -90.0 + ARCH,
                "hip_flex_a": 135.0 + ARCH,
                "hip_flex_o": ARCH,
            },
            "knee_not_to_chest": {"hip_flex_a": 68.0, "knee_flex_a": 85.0},
            "extended_leg_bent": {"knee_flex_o": 38.0},
            "extended_leg_lifted": {"hip_flex_o": 42.0, "knee_flex_o": 3.0},
        },
    )


def boat_pose() -> Script:
    """Seated V: torso reclined ~25 deg, thighs ~50 deg up, legs straight, arms forward."""
    recline = 25.0
    return Script(
        entry={"pitch": -5.0, **ARMS_AT_SIDES, **both(hip_flex=115.0, knee_flex=120.0, ankle_flex=20.0)},
        position={
            "pitch": -recline,
            **both(hip_flex=140.0 - recline, knee_flex=4.0, ankle_flex=25.0),
            **both(shoulder_flex=70.0 - recline, shoulder_abd=4.0, elbow_flex=3.0),
        },
        faults={
            "spine_rounded": {
                "lumbar_flex": 38.0,
                "thoracic_flex": 48.0,
                "neck_flex": 25.0,
                "pitch": -recline - 30.0,
                **both(hip_flex=140.0 - recline - 30.0, shoulder_flex=60.0),
            },
            "torso_too_reclined": {
                "pitch": -68.0,
                **both(hip_flex=140.0 - 68.0, shoulder_flex=90.0 - 68.0),
            },
            "legs_too_low": both(hip_flex=90.0 + 8.0 - recline),
            "feet_on_floor": {"pitch": -8.0, **both(hip_flex=112.0, knee_flex=105.0, ankle_flex=15.0)},
            "knees_bent": both(hip_flex=140.0 - recline, knee_flex=75.0),
            "arms_not_forward": both(shoulder_flex=5.0, shoulder_abd=12.0, elbow_flex=20.0),
        },
    )


def modified_gate_pose() -> Script:
    """Hands and one knee on the floor, the active leg straight out to the side."""
    position = {
        **ALL_FOURS,
        "hip_abd_a": 72.0,
        "hip_flex_a": 38.0,
        "hip_rot_a": -15.0,
        "knee_flex_a": 2.0,
        "ankle_flex_a": 10.0,
    }
    return Script(
        entry=ALL_FOURS,
        position=position,
        faults={
            "extended_leg_bent": {"knee_flex_a": 55.0},
            "leg_not_to_side": {"hip_abd_a": 4.0, "hip_rot_a": 0.0, "ankle_flex_a": 60.0},
            "hands_not_under_shoulders": both(shoulder_flex=130.0),
            # Hips sit back with the hands planted: the kneeling thigh tips back (correct form
            # solves ~66), so the arms slope forward too (~28 deg).
            "hips_not_over_knee": {"hip_flex_o": 95.0, "knee_flex_o": 118.0},
        },
        # The shoulders flex with the spine so the planted arms stay vertical through cat-cow.
        cycle={"lumbar_flex": 16.0, "thoracic_flex": 10.0, "neck_flex": -10.0, **both_lr(shoulder_flex=26.0)},
    )


def pyramid_pose() -> Script:
    """Split stance, torso folded ~60 deg, front knee soft (~168 deg), both feet down."""
    fold = 62.0

    def stance(half_angle: float, knee: float = 12.0, pitch: float = fold) -> Pose:
        return {
            "pitch": pitch,
            "hip_flex_a": pitch + half_angle + knee * 0.5,
            "knee_flex_a": knee,
            "ankle_flex_a": -(half_angle - knee * 0.5),
            "hip_flex_o": pitch - half_angle,
            "knee_flex_o": 0.0,
            "ankle_flex_o": -half_angle,
            "hip_rot_o": 25.0,
            **both(shoulder_flex=fold - 10.0, shoulder_abd=15.0, elbow_flex=10.0),
        }

    return Script(
        entry=STANDING,
        position=stance(24.0),
        faults={
            "front_knee_locked": {
                "knee_flex_a": -9.0,
                "hip_flex_a": fold + 24.0 - 4.5,
                "ankle_flex_a": -(24.0 + 4.5),
            },
            "front_knee_bent_too_much": stance(24.0, knee=58.0),
            "torso_not_folded": stance(24.0, pitch=18.0),
            "back_heel_lifted": {"ankle_flex_o": 22.0},
            "stance_too_short": stance(7.0),
            "stance_too_long": stance(46.0),
        },
    )


def tree_pose(arms: str = "prayer") -> Script:
    """Standing on the active leg, the other sole on the inner thigh (foot target solved)."""
    abd = 50.0  # lifted hip abduction
    # Knee out to the side (abduction kept by the solver), thigh turned out; flexion, rotation
    # and knee bend are solved so the sole rests on the inner thigh/calf (contacts._tree_foot).
    lifted = {"hip_flex_o": 30.0, "hip_abd_o": abd, "hip_rot_o": 60.0, "knee_flex_o": 140.0,
              "ankle_flex_o": 30.0}
    # anny's rest knee is bent ~9 deg; -9 straightens the standing leg (true knee ~179 deg).
    straight = {"knee_flex_a": -9.0}
    return Script(
        entry=STANDING,
        position={**STANDING, **straight, **lifted, **ARM_VARIANTS[arms]},
        faults={
            "foot_on_knee": {"hip_abd_o": abd - 5.0},
            "foot_not_lifted": {
                **both(hip_flex=0.0, hip_abd=3.0, hip_rot=8.0, knee_flex=2.0, ankle_flex=0.0)
            },
            "standing_knee_bent": {"knee_flex_a": 32.0, "hip_flex_a": 16.0, "ankle_flex_a": -16.0},
            "hips_uneven": {"pelvis_lat": -14.0},
            "torso_leaning": {"spine_lat": 34.0},
        },
    )


def constructive_rest(arms: str = "floor") -> Script:
    """Lying on the back, knees bent, feet flat; arms resting on the floor (``wide``: out to the side)."""
    arm_pose = ARMS_WIDE_ON_FLOOR if arms == "wide" else ARMS_ON_FLOOR
    return Script(
        entry={**LYING, **arm_pose, **both(ankle_flex=15.0)},
        position={**KNEES_BENT_LYING, **arm_pose},
        faults={
            "knees_not_bent": both(hip_flex=0.0, knee_flex=2.0, ankle_flex=15.0),
            "feet_off_floor": both(hip_flex=88.0, knee_flex=88.0, ankle_flex=10.0),
            "hips_lifted": {"pitch": -118.0, "neck_flex": 35.0, **both(hip_flex=22.0)},
            "restless": {},  # motion, see motion.RESTLESS
        },
    )


def none_scripts(arms: str = "floor") -> dict[str, Script]:
    """Near-miss activities that must get no fault: idle standing, plain cat-cow, savasana."""
    savasana = {**LYING, **(ARMS_WIDE_ON_FLOOR if arms == "wide" else ARMS_ON_FLOOR), **both(ankle_flex=20.0)}
    return {
        "standing_idle": Script(entry=STANDING, position={**STANDING, "spine_lat": 2.0}),
        "cat_cow": Script(
            entry=ALL_FOURS, position=ALL_FOURS,
            cycle={"lumbar_flex": 18.0, "thoracic_flex": 12.0, "neck_flex": -12.0, **both_lr(shoulder_flex=30.0)},
        ),
        "savasana": Script(entry=savasana, position=savasana),
    }


def script_for(exercise: str, arms: str = "prayer") -> Script:
    """The script of an exercise id of FORM_RULES.md, or of a ``none`` activity name."""
    table = {
        "boat_pose": boat_pose,
        "modified_gate_pose": modified_gate_pose,
        "pyramid_pose": pyramid_pose,
    }
    if exercise == "tree_pose":
        return tree_pose(arms)
    if exercise == "psoas_stretch":
        return psoas_stretch(arms)
    if exercise == "constructive_rest":
        return constructive_rest(arms)
    if exercise in table:
        return table[exercise]()
    return none_scripts(arms)[exercise]
