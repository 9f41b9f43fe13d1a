"""Synthetic poses for the engine's unit tests (no model, no images).

Two ways to build a :class:`~formcheck.engine.landmarks.PoseFrame`:

* :func:`make_pose` takes named landmark positions in pixels (the rest are hidden).
* :func:`build_pose` poses a stick figure with realistic proportions from joint angles
  (:class:`Body`, :class:`Leg`, :class:`Arm`) and projects it orthographically for a camera
  view (``"side"``, ``"side_left"``, ``"front"``, ``"oblique"`` or a yaw in degrees).

The figure is posed in a *scene frame* of three axes, in metres, origin at the mid-hip:
``F`` (the horizontal direction the person's sagittal plane points to), ``U`` (up) and
``L = U × F`` (the person's left). Sagittal angles are measured from ``U`` toward ``F``:
0 = up, 90 = forward/horizontal, 180 = down, -90 = backward. So a standing person has
``torso=0`` and legs at 180, a forward fold or hands-and-knees has ``torso=90``, and lying on
the back with the head toward ``-F`` has ``torso=-90`` (the legs then lie at 90).

The camera looks along its +z axis (x right, y down, like MediaPipe). Yaw 0 = the person's
``F`` points at the camera (front view: shoulder and hip lines at full width, frontality 1);
yaw 90 = ``F`` points to image-right (side view: the shoulder/hip lines point along the camera
axis, frontality 0, the person's right side nearest the camera). World landmarks are the camera
coordinates in metres with the origin at the mid-hip and y down, consistent with the image.

Also here: :func:`feed` runs a pose (or a function of time) through an
:class:`~formcheck.engine.engine.Engine` or :class:`~formcheck.engine.session.ExerciseSession` for a given
time at a given fps, so debounce and position enter delays pass.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from formcheck.engine.engine import Engine, EngineOptions
from formcheck.engine.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, PoseFrame, PoseLandmark
from formcheck.engine.session import ExerciseSession, FrameResult
from formcheck.engine.specs import DEFAULT_SPEC_DIR, ExerciseSpec, RuleSpec, load_specs

#: Segment lengths in metres.
TORSO = 0.5
THIGH = 0.45
SHIN = 0.42
UPPER_ARM = 0.30
FOREARM = 0.27
HIP_HALF_WIDTH = 0.10
SHOULDER_HALF_WIDTH = 0.18

IMAGE_SIZE = (1280, 720)
PX_PER_M = 300.0
VIS = 0.99

Vec = np.ndarray
Point3 = tuple[float, float, float]

VIEW_YAW = {"front": 0.0, "side": 90.0, "side_left": -90.0, "oblique": 55.0, "back": 180.0}


# --------------------------------------------------------------------------- spec helpers


@functools.cache
def shipped_specs() -> dict[str, ExerciseSpec]:
    """The six shipped specs (loaded once per test run)."""
    return load_specs(DEFAULT_SPEC_DIR)


def spec(exercise: str) -> ExerciseSpec:
    """One shipped spec by id."""
    return shipped_specs()[exercise]


def rule(exercise: str, fault_id: str) -> RuleSpec:
    """One rule of a shipped spec, so tests read thresholds instead of copying numbers."""
    return next(r for r in spec(exercise).rules if r.id == fault_id)


# --------------------------------------------------------------------------- make_pose


def make_pose(
    points: Mapping[str, Sequence[float]],
    *,
    image_size: tuple[int, int] = IMAGE_SIZE,
    px_per_m: float = PX_PER_M,
    timestamp_s: float = 0.0,
    visibility: float | Mapping[str, float] = VIS,
    hidden: Iterable[str] = (),
    world: Mapping[str, Sequence[float]] | None = None,
    mask: np.ndarray | None = None,
    num_people: int = 1,
) -> PoseFrame:
    """Build a valid PoseFrame from named landmark positions.

    Args:
        points: landmark name → (x, y) or (x, y, z) in pixels (z: depth, larger = farther).
            Landmarks not named sit at the image centre with visibility 0.
        image_size: (width, height) in pixels.
        px_per_m: pixels per metre, used to derive world landmarks when ``world`` is None.
        timestamp_s: the frame time.
        visibility: one score for every named landmark, or name → score (others 0.99).
        hidden: names whose visibility is set to 0.
        world: optional name → (x, y, z) world metres; default: from the pixels, centred on
            the mid-hip (or the image centre when a hip is missing).
        mask: optional segmentation mask.
        num_people: people seen.

    Raises:
        KeyError: a name is not a landmark.
    """
    w, h = image_size
    xy = np.tile([w / 2.0, h / 2.0], (NUM_LANDMARKS, 1))
    z = np.zeros(NUM_LANDMARKS)
    vis = np.zeros(NUM_LANDMARKS)
    for name, p in points.items():
        i = PoseLandmark[name.upper()]
        xy[i] = p[:2]
        z[i] = p[2] if len(p) > 2 else 0.0
        vis[i] = visibility if isinstance(visibility, int | float) else visibility.get(name, VIS)
    for name in hidden:
        vis[PoseLandmark[name.upper()]] = 0.0
    cam = np.column_stack([xy, z]) / px_per_m
    lh, rh = PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP
    origin = (cam[lh] + cam[rh]) / 2.0 if {"left_hip", "right_hip"} <= set(points) else cam.mean(axis=0) * 0
    wld = cam - origin
    if world is not None:
        for name, p in world.items():
            wld[PoseLandmark[name.upper()]] = p
    hip_z = (z[lh] + z[rh]) / 2.0 if {"left_hip", "right_hip"} <= set(points) else 0.0
    return PoseFrame(
        xy=xy, z=z - hip_z, world=wld, visibility=vis, presence=vis.copy(), timestamp_s=timestamp_s,
        image_size=image_size, mask=mask, num_people=num_people,
    )


# --------------------------------------------------------------------------- kinematic builder


def sag(phi_deg: float) -> Vec:
    """Unit vector in the sagittal plane at ``phi_deg`` from up toward forward (F, U, L)."""
    p = math.radians(phi_deg)
    return np.array([math.sin(p), math.cos(p), 0.0])


def _direction(phi: float, lateral: float, side_sign: float) -> Vec:
    lam = math.radians(lateral)
    return math.cos(lam) * sag(phi) + math.sin(lam) * np.array([0.0, 0.0, side_sign])


def _unit(v: Vec) -> Vec:
    return v / np.linalg.norm(v)


def _bend(t: Vec, toward: Vec, flex_deg: float) -> Vec:
    """Rotate unit vector t by flex_deg toward the direction ``toward`` (made perpendicular)."""
    b = toward - np.dot(toward, t) * t
    if np.linalg.norm(b) < 1e-9:  # pragma: no cover - degenerate pole
        b = np.cross(t, [0.0, 0.0, 1.0])
    b = _unit(b)
    f = math.radians(flex_deg)
    return math.cos(f) * t + math.sin(f) * b


def _sag_angle(v: Vec) -> float:
    return math.degrees(math.atan2(v[0], v[1]))


def two_link_ik(root: Vec, target: Vec, a: float, b: float, pole: Vec) -> tuple[Vec, Vec]:
    """Middle joint and end point of a two-segment limb reaching for ``target``.

    Args:
        root: the limb's root (hip, shoulder).
        target: where the end (ankle, wrist) should be; clamped to the reachable range.
        a: first segment length.
        b: second segment length.
        pole: direction the middle joint (knee, elbow) should bulge toward.

    Returns:
        (joint, end) positions.
    """
    d_vec = target - root
    d = float(np.linalg.norm(d_vec))
    u = d_vec / d
    d = min(max(d, abs(a - b) + 1e-6), a + b - 1e-6)
    x = (a * a - b * b + d * d) / (2 * d)
    h = math.sqrt(max(a * a - x * x, 0.0))
    p = _unit(pole - np.dot(pole, u) * u)
    joint = root + x * u + h * p
    return joint, root + d * u


@dataclass(frozen=True)
class Leg:
    """One leg's posture.

    Attributes:
        hip: thigh direction, sagittal degrees from up toward F (180 = straight down).
        knee: knee joint angle (180 = straight), bending the shin toward the back of the thigh.
        abduct: thigh (and shin) angle out of the sagittal plane toward the leg's own side.
        foot: heel→toes direction in sagittal degrees; None = perpendicular to the shin.
        ankle: IK target for the ankle (F, U, L metres from the mid-hip); overrides the angles.
        pole: where the knee bulges when ``ankle`` is given (F, U, L; L counted outward).
        shin_abduct: the shin's own lateral angle (None = as the thigh).
    """

    hip: float = 180.0
    knee: float = 180.0
    abduct: float = 0.0
    foot: float | None = None
    ankle: Point3 | None = None
    pole: Point3 = (1.0, 0.0, 0.0)
    shin_abduct: float | None = None


@dataclass(frozen=True)
class Arm:
    """One arm's posture.

    Attributes:
        shoulder: upper-arm direction in sagittal degrees (180 = hanging, 90 = reaching forward).
        elbow: elbow joint angle (180 = straight), bending the forearm forward.
        abduct: arm angle out of the sagittal plane toward its own side.
        wrist: IK target for the wrist (F, U, L metres from the mid-hip; L counted outward).
        pole: where the elbow bulges when ``wrist`` is given (L counted outward).
    """

    shoulder: float = 180.0
    elbow: float = 180.0
    abduct: float = 0.0
    wrist: Point3 | None = None
    pole: Point3 = (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class Body:
    """A whole-body posture in the scene frame (see the module docstring).

    Attributes:
        torso: mid-hip → mid-shoulder direction in sagittal degrees (0 upright, 90 folded
            forward or on all fours, -90 lying on the back with the head toward -F).
        lean: sideways lean of the trunk toward the person's left, degrees.
        pelvis_tilt: the left hip raised above the right along the trunk axis, degrees.
        head: head pitch against the trunk, degrees (+ = flexion: chin to chest / head drops
            on all fours; - = extension).
        torso_length: mid-hip to mid-shoulder in metres (shrink it for a rounded spine).
        left_leg, right_leg, left_arm, right_arm: the limbs.
    """

    torso: float = 0.0
    lean: float = 0.0
    pelvis_tilt: float = 0.0
    head: float = 0.0
    torso_length: float = TORSO
    left_leg: Leg = field(default_factory=Leg)
    right_leg: Leg = field(default_factory=Leg)
    left_arm: Arm = field(default_factory=Arm)
    right_arm: Arm = field(default_factory=Arm)

    def leg(self, side: str) -> Leg:
        """The leg of ``side`` ("left"/"right")."""
        return self.left_leg if side == "left" else self.right_leg

    def with_leg(self, side: str, leg: Leg) -> Body:
        """A copy with one leg replaced."""
        return replace(self, **{f"{side}_leg": leg})

    def with_arm(self, side: str, arm: Arm) -> Body:
        """A copy with one arm replaced."""
        return replace(self, **{f"{side}_arm": arm})

    def with_arms(self, arm: Arm) -> Body:
        """A copy with both arms set to ``arm`` (mirrored)."""
        return replace(self, left_arm=arm, right_arm=arm)


def scene_points(body: Body) -> dict[str, Vec]:
    """All 33 landmarks of ``body`` in scene coordinates (F, U, L), metres, mid-hip at 0."""
    pts: dict[str, Vec] = {}
    left = np.array([0.0, 0.0, 1.0])
    lean = math.radians(body.lean)
    cranial = math.cos(lean) * sag(body.torso) + math.sin(lean) * left
    lateral = _unit(left - np.dot(left, cranial) * cranial)  # the shoulder line, perpendicular to the trunk
    tilt = math.radians(body.pelvis_tilt)
    hip_axis = math.cos(tilt) * left + math.sin(tilt) * sag(body.torso)
    pts["left_hip"] = HIP_HALF_WIDTH * hip_axis
    pts["right_hip"] = -HIP_HALF_WIDTH * hip_axis
    mid_sh = body.torso_length * cranial
    pts["left_shoulder"] = mid_sh + SHOULDER_HALF_WIDTH * lateral
    pts["right_shoulder"] = mid_sh - SHOULDER_HALF_WIDTH * lateral

    # Head: a ball ahead of the neck; the nose on its front.
    h_up = _direction(body.torso + body.head, body.lean, 1.0)
    h_front = sag(body.torso + body.head + 90)
    center = mid_sh + 0.20 * h_up + 0.07 * sag(body.torso + body.head - 90)
    nose = center + 0.10 * h_front
    pts["nose"] = nose
    for side, s in (("left", 1.0), ("right", -1.0)):
        pts[f"{side}_eye_inner"] = nose + 0.03 * h_up - 0.01 * h_front + s * 0.015 * lateral
        pts[f"{side}_eye"] = nose + 0.03 * h_up - 0.015 * h_front + s * 0.032 * lateral
        pts[f"{side}_eye_outer"] = nose + 0.03 * h_up - 0.02 * h_front + s * 0.045 * lateral
        pts[f"{side}_ear"] = center + s * 0.075 * lateral
        pts[f"mouth_{side}"] = nose - 0.035 * h_up - 0.01 * h_front + s * 0.025 * lateral

    for side, s in (("left", 1.0), ("right", -1.0)):
        leg = body.leg(side)
        hip = pts[f"{side}_hip"]
        side_axis = np.array([1.0, 1.0, s])
        if leg.ankle is not None:
            knee, ankle = two_link_ik(hip, np.array(leg.ankle) * side_axis, THIGH, SHIN, np.array(leg.pole) * side_axis)
        else:
            t = _direction(leg.hip, leg.abduct, s)
            shin_dir = _bend(t, sag(leg.hip + 90), 180.0 - leg.knee)
            if leg.shin_abduct is not None:
                shin_dir = _direction(_sag_angle(shin_dir), leg.shin_abduct, s)
            knee = hip + THIGH * t
            ankle = knee + SHIN * shin_dir
        shin_phi = _sag_angle(ankle - knee)
        foot = leg.foot if leg.foot is not None else shin_phi - 90.0
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = ankle + 0.06 * sag(foot + 90) - 0.05 * sag(foot)
        pts[f"{side}_foot_index"] = ankle + 0.06 * sag(foot + 90) + 0.14 * sag(foot)

        arm = (body.left_arm if side == "left" else body.right_arm)
        sh = pts[f"{side}_shoulder"]
        if arm.wrist is not None:
            elbow, wrist = two_link_ik(sh, np.array(arm.wrist) * side_axis, UPPER_ARM, FOREARM,
                                       np.array(arm.pole) * side_axis)
        else:
            ua = _direction(arm.shoulder, arm.abduct, s)
            fa = _bend(ua, sag(arm.shoulder - 90), 180.0 - arm.elbow)
            elbow = sh + UPPER_ARM * ua
            wrist = elbow + FOREARM * fa
        hand = _unit(wrist - elbow)
        pts[f"{side}_elbow"] = elbow
        pts[f"{side}_wrist"] = wrist
        pts[f"{side}_index"] = wrist + 0.08 * hand
        pts[f"{side}_pinky"] = wrist + 0.07 * hand + s * 0.02 * left
        pts[f"{side}_thumb"] = wrist + 0.05 * hand - s * 0.02 * left
    return pts


def camera_axes(yaw_deg: float, pitch_deg: float = 0.0) -> np.ndarray:
    """3×3 matrix whose rows are F, U, L in camera coordinates (x right, y down, z away).

    Args:
        yaw_deg: 0 = F points at the camera (front view), 90 = F points to image-right.
        pitch_deg: the camera looks down by this much (it is raised above the body).
    """
    y = math.radians(yaw_deg)
    axes = np.array([[math.sin(y), 0.0, -math.cos(y)], [0.0, -1.0, 0.0], [math.cos(y), 0.0, math.sin(y)]])
    p = math.radians(pitch_deg)
    # New image-down axis (0, cos p, -sin p) and viewing axis (0, sin p, cos p).
    rot = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(p), math.sin(p)], [0.0, -math.sin(p), math.cos(p)]])
    return axes @ rot


def build_pose(
    body: Body,
    view: str | float = "side",
    *,
    pitch_deg: float = 0.0,
    image_size: tuple[int, int] = IMAGE_SIZE,
    px_per_m: float = PX_PER_M,
    origin_px: tuple[float, float] | None = None,
    offset_px: tuple[float, float] = (0.0, 0.0),
    timestamp_s: float = 0.0,
    visibility: float | Mapping[str, float] = VIS,
    hidden: Iterable[str] = (),
    mask: np.ndarray | None = None,
    num_people: int = 1,
) -> PoseFrame:
    """Pose ``body`` and project it (orthographic) for a camera view.

    Args:
        body: the posture.
        view: "front", "side" (F → image right), "side_left" (F → image left), "oblique",
            "back", or a yaw in degrees (0 = front, 90 = side).
        pitch_deg: how far the camera looks down on the body (0 = at the body's height).
        image_size: (width, height) in pixels.
        px_per_m: image scale.
        origin_px: where the mid-hip lands in the image; default: centre the body's box.
        offset_px: shift added after placing (e.g. to push the feet out of the frame).
        timestamp_s: the frame time.
        visibility: one score for all landmarks, or name → score (others 0.99).
        hidden: landmark names given visibility 0.
        mask: optional segmentation mask (see :func:`lying_mask`).
        num_people: people seen.
    """
    yaw = VIEW_YAW[view] if isinstance(view, str) else float(view)
    pts = scene_points(body)
    axes = camera_axes(yaw, pitch_deg)
    cam = np.array([pts[n] @ axes for n in LANDMARK_NAMES])  # metres, camera axes, mid-hip at 0
    xy = cam[:, :2] * px_per_m
    if origin_px is None:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        origin = np.array(image_size, float) / 2.0 - (lo + hi) / 2.0
    else:
        origin = np.asarray(origin_px, float)
    xy = xy + origin + np.asarray(offset_px, float)
    vis = np.full(NUM_LANDMARKS, VIS)
    if isinstance(visibility, int | float):
        vis[:] = visibility
    else:
        for name, v in visibility.items():
            vis[PoseLandmark[name.upper()]] = v
    for name in hidden:
        vis[PoseLandmark[name.upper()]] = 0.0
    return PoseFrame(
        xy=xy, z=cam[:, 2] * px_per_m, world=cam, visibility=vis, presence=vis.copy(), timestamp_s=timestamp_s,
        image_size=image_size, mask=mask, num_people=num_people,
    )


def hide(frame: PoseFrame, *names: str, visibility: float = 0.0) -> PoseFrame:
    """A copy of ``frame`` with the named landmarks' visibility set (default 0: hidden)."""
    vis = frame.visibility.copy()
    for name in names:
        vis[PoseLandmark[name.upper()]] = visibility
    return replace(frame, visibility=vis)


def at(frame: PoseFrame, t: float) -> PoseFrame:
    """A copy of ``frame`` stamped at time ``t``."""
    return replace(frame, timestamp_s=t)


def point(frame: PoseFrame, name: str) -> np.ndarray:
    """The image position of a landmark."""
    return frame.xy[PoseLandmark[name.upper()]]


# --------------------------------------------------------------------------- segmentation mask


def lying_mask(
    frame: PoseFrame,
    *,
    arch_m: float = 0.0,
    px_per_m: float = PX_PER_M,
    scale: float = 1.0,
    thickness_m: float = 0.20,
) -> np.ndarray:
    """A person-segmentation mask of a body lying on its back on a floor, seen from the side.

    The trunk is a slab between the hips and the shoulders whose underside rests on the floor
    (a line ``thickness_m / 2`` below the hip and shoulder landmarks); with ``arch_m`` > 0 the
    underside lifts off the floor in the lumbar region (a smooth bump peaking at ``arch_m``,
    a third of the way from the hips to the shoulders). Limbs and the head are capsules.

    Args:
        frame: a lying pose (side view) whose landmarks place the silhouette.
        arch_m: the lumbar gap between the floor and the back, metres.
        px_per_m: the pose's image scale.
        scale: mask pixels per image pixel (the mask may be downscaled).
        thickness_m: body thickness at the trunk.

    Returns:
        (h, w) float32 mask in {0, 1}.
    """
    w_img, h_img = frame.image_size
    h, w = round(h_img * scale), round(w_img * scale)
    mask = np.zeros((h, w), bool)
    xy = frame.xy

    def grid(x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice, np.ndarray, np.ndarray]:
        """Mask slices covering an image-pixel box and the image coordinates of their pixel centres."""
        c0, c1 = max(0, int(x0 * scale) - 1), min(w, int(x1 * scale) + 2)
        r0, r1 = max(0, int(y0 * scale) - 1), min(h, int(y1 * scale) + 2)
        yy, xx = np.mgrid[r0:r1, c0:c1]
        return slice(r0, r1), slice(c0, c1), (xx + 0.5) / scale, (yy + 0.5) / scale

    def capsule(a: np.ndarray, b: np.ndarray, r: float) -> None:
        rs, cs, xs, ys = grid(min(a[0], b[0]) - r, min(a[1], b[1]) - r, max(a[0], b[0]) + r, max(a[1], b[1]) + r)
        ab = b - a
        t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / max(float(ab @ ab), 1e-9), 0, 1)
        d2 = (xs - a[0] - t * ab[0]) ** 2 + (ys - a[1] - t * ab[1]) ** 2
        mask[rs, cs] |= d2 <= r * r

    lm = PoseLandmark
    hip = (xy[lm.LEFT_HIP] + xy[lm.RIGHT_HIP]) / 2
    sh = (xy[lm.LEFT_SHOULDER] + xy[lm.RIGHT_SHOULDER]) / 2
    half = thickness_m / 2 * px_per_m
    # Trunk slab: top and floor are lines through the landmarks, offset by half the thickness.
    if abs(sh[0] - hip[0]) > 1.0:
        pad = 0.05 * px_per_m
        x0, x1 = sorted((hip[0], sh[0]))
        rs, cs, xs, ys = grid(x0 - pad, min(hip[1], sh[1]) - half, x1 + pad, max(hip[1], sh[1]) + half)
        t = (xs - hip[0]) / (sh[0] - hip[0])
        mid_y = hip[1] + t * (sh[1] - hip[1])
        bump = arch_m * px_per_m * np.exp(-(((t - 0.4) / 0.18) ** 2))
        mask[rs, cs] |= (ys >= mid_y - half) & (ys <= mid_y + half - bump)
    r_limb = 0.06 * px_per_m
    for a, b in (
        (lm.LEFT_HIP, lm.LEFT_KNEE), (lm.LEFT_KNEE, lm.LEFT_ANKLE), (lm.RIGHT_HIP, lm.RIGHT_KNEE),
        (lm.RIGHT_KNEE, lm.RIGHT_ANKLE), (lm.LEFT_ANKLE, lm.LEFT_FOOT_INDEX), (lm.RIGHT_ANKLE, lm.RIGHT_FOOT_INDEX),
        (lm.LEFT_SHOULDER, lm.LEFT_ELBOW), (lm.LEFT_ELBOW, lm.LEFT_WRIST), (lm.RIGHT_SHOULDER, lm.RIGHT_ELBOW),
        (lm.RIGHT_ELBOW, lm.RIGHT_WRIST),
    ):
        capsule(xy[a], xy[b], r_limb)
    capsule(sh, xy[lm.NOSE], 0.09 * px_per_m)
    return mask.astype(np.float32)


# --------------------------------------------------------------------------- feeding


Source = PoseFrame | Callable[[float], PoseFrame | None] | None


def frame_times(seconds: float, fps: float, start_s: float = 0.0) -> list[float]:
    """Timestamps of ``seconds`` of video at ``fps`` starting at ``start_s``."""
    n = max(1, round(seconds * fps))
    return [start_s + i / fps for i in range(n)]


def feed_all(
    target: Engine | ExerciseSession,
    source: Source,
    *,
    seconds: float = 1.5,
    fps: float = 30.0,
    start_s: float = 0.0,
    times: Sequence[float] | None = None,
) -> list[FrameResult]:
    """Feed a pose for a while and return every FrameResult.

    Args:
        target: an Engine (smoothing included) or an ExerciseSession (poses used as given).
        source: one pose (re-stamped at each frame time), a function time → pose (or None for
            "nobody in view"), or None (nobody in view throughout).
        seconds: how long to feed.
        fps: frames per second.
        start_s: the first timestamp.
        times: explicit timestamps (irregular frame times); overrides seconds/fps/start_s.
    """
    out = []
    for t in times if times is not None else frame_times(seconds, fps, start_s):
        if source is None:
            frame = None
        elif isinstance(source, PoseFrame):
            frame = at(source, t)
        else:
            frame = source(t)
            frame = at(frame, t) if frame is not None else None
        out.append(target.update(frame, t))
    return out


def feed(target: Engine | ExerciseSession, source: Source, **kwargs: float) -> FrameResult:
    """Like :func:`feed_all` but return only the last FrameResult."""
    return feed_all(target, source, **kwargs)[-1]  # type: ignore[arg-type]


def engine(exercise: str = "auto", specs: dict[str, ExerciseSpec] | None = None, **options: object) -> Engine:
    """An Engine on the shipped specs (or ``specs``) for one exercise or "auto"."""
    return Engine(specs if specs is not None else shipped_specs(), EngineOptions(exercise=exercise, **options))


def judge(exercise: str, pose: PoseFrame, seconds: float = 3.5, fps: float = 15.0) -> FrameResult:
    """Feed ``pose`` to a fresh engine for ``exercise`` and return the last result."""
    return feed(engine(exercise), pose, seconds=seconds, fps=fps)


def states(result: FrameResult) -> dict[str, str]:
    """Fault id → "pass"/"fault"/"unknown" for one frame."""
    return {r.id: r.state.value for r in result.rules}


def rule_result(result: FrameResult, fault_id: str):  # noqa: ANN201 - RuleResult
    """The RuleResult of one fault id in a FrameResult."""
    return next(r for r in result.rules if r.id == fault_id)


def ids_other_than(exercise: str, *fault_ids: str) -> list[str]:
    """Fault ids of an exercise except those given."""
    return [r.id for r in spec(exercise).rules if r.id not in fault_ids]


def spec_dir() -> Path:
    """The shipped spec folder."""
    return DEFAULT_SPEC_DIR


# --------------------------------------------------------------------------- reference poses
# One builder per exercise: its defaults are correct form; each keyword moves one quantity
# the spec measures, so a test can trip exactly one fault by a threshold-derived amount.

OTHER = {"left": "right", "right": "left"}


def _leg_to(spread_deg: float, knee: float, foot: float | None = 90.0) -> Leg:
    """A leg whose hip→ankle line points ``spread_deg`` forward of straight down (negative =
    backward), with the given knee angle (> 180 = hyperextended, the knee pushed back)."""
    flex = 180.0 - knee
    k = math.radians(180.0 - abs(flex))
    d = math.sqrt(THIGH**2 + SHIN**2 - 2 * THIGH * SHIN * math.cos(k))
    delta = math.degrees(math.acos(min(1.0, (THIGH**2 + d * d - SHIN**2) / (2 * THIGH * d))))
    line = 180.0 - spread_deg
    return Leg(hip=line - math.copysign(delta, flex) if flex else line, knee=knee, foot=foot)


def psoas_body(
    drawn: str = "left", hip_flexion: float = 45.0, drawn_knee: float = 80.0, long_knee: float = 180.0,
    long_hip: float = 180.0,
) -> Body:
    """Psoas Stretch: lying on the back, ``drawn`` knee toward the chest, the other leg long.

    Args:
        drawn: the leg drawn to the chest.
        hip_flexion: torso–thigh angle of the drawn leg.
        drawn_knee: knee angle of the drawn leg.
        long_knee: knee angle of the long leg (bent: the knee rises, the heel stays down).
        long_hip: torso–thigh angle of the long leg (< 180 = the thigh lifted off the floor).
    """
    lift = 180.0 - long_hip
    # A bent long knee rises off the floor with the heel down: tilt the thigh up by half the bend.
    long_leg = Leg(hip=90.0 - lift - (180.0 - long_knee) / 2, knee=long_knee, foot=0.0)
    drawn_leg = Leg(hip=-90.0 + hip_flexion, knee=drawn_knee)
    arms = Arm(shoulder=-30.0, elbow=110.0)
    return Body(torso=-90.0, left_arm=arms, right_arm=arms).with_leg(drawn, drawn_leg).with_leg(OTHER[drawn], long_leg)


def boat_body(
    recline: float = 25.0, thigh_lift: float = 45.0, knee: float = 175.0, arm_from_level: float = 0.0,
    spine: float = 1.0, feet_down: bool = False,
) -> Body:
    """Boat Pose: seated on the sit bones, torso reclined, legs lifted, arms reaching forward.

    Args:
        recline: torso inclination from vertical (leaning back).
        thigh_lift: thigh angle above the horizontal.
        knee: knee angle (175 = the full V; ~135 = half boat, shins parallel to the floor).
        arm_from_level: arm angle above the level (negative = below).
        spine: torso length as a fraction of the upright 0.5 m (a rounded back shrinks it).
        feet_down: seated with the feet on the floor (knees up, shins down).
    """
    if feet_down:
        leg = Leg(hip=90.0 - thigh_lift, knee=knee, foot=90.0)
    else:
        leg = Leg(hip=90.0 - thigh_lift, knee=knee)
    arm = Arm(shoulder=90.0 - arm_from_level)
    return Body(torso=-recline, torso_length=TORSO * spine, left_leg=leg, right_leg=leg, left_arm=arm, right_arm=arm)


def gate_body(
    extended: str = "left", ext_knee: float = 180.0, leg_back: float = 0.0, arm_tilt: float = 0.0,
    thigh_tilt: float = 0.0, head: float = 0.0,
) -> Body:
    """Modified Gate Pose: on the hands and one knee, the ``extended`` leg long out to the side.

    Args:
        extended: the leg out to the side.
        ext_knee: knee angle of the extended leg.
        leg_back: how far the extended leg swings from the side toward behind, degrees.
        arm_tilt: arms' angle from vertical, hands ahead of the shoulders.
        thigh_tilt: supporting thigh's angle from vertical, knee behind the hip.
        head: head pitch (+ = cat: head drops; - = cow: head lifts).
    """
    # The long leg reaches the floor 31 deg below the horizontal; leg_back turns it behind.
    drop = 31.0
    out = math.radians(90.0 - leg_back)
    lateral = math.degrees(math.asin(math.cos(math.radians(drop)) * math.sin(out)))
    d = math.radians(drop)
    sag_phi = 180.0 + math.degrees(math.atan2(math.cos(d) * math.cos(out), math.sin(d)))
    ext = Leg(hip=sag_phi, knee=ext_knee, abduct=lateral, foot=sag_phi - 90.0)
    support = Leg(hip=180.0 + thigh_tilt, knee=90.0 + thigh_tilt, foot=270.0)
    arm = Arm(shoulder=180.0 - arm_tilt)
    body = Body(torso=90.0, head=head, left_arm=arm, right_arm=arm)
    return body.with_leg(extended, ext).with_leg(OTHER[extended], support)


def pyramid_body(
    front: str = "left", front_knee: float = 168.0, fold: float = 70.0, back_heel_lift: float = 0.0,
    stance: float = 0.9, front_spread: float | None = None,
) -> Body:
    """Pyramid Pose: split stance, ``front`` foot ahead, torso folded over the front leg.

    Args:
        front: the front leg.
        front_knee: signed front knee angle (< 180 soft/bent, > 180 hyperextended).
        fold: torso inclination from vertical.
        back_heel_lift: back heel height above the back toes, torso lengths.
        stance: ankle-to-ankle distance in straight-leg lengths (hip to ankle).
        front_spread: the front leg's angle forward of vertical (default: half the stance).
    """
    half = math.degrees(math.asin(min(0.99, stance / 2)))
    fs = half if front_spread is None else front_spread
    # The back ankle lands on the floor (the front ankle's height), ``stance`` front-leg lengths
    # (hip to ankle) behind the front ankle; the back knee straightens as far as it can.
    front_leg = _leg_to(fs, front_knee)
    fa = scene_points(Body(left_leg=front_leg))["left_ankle"]
    front_len = math.hypot(fa[0], fa[1])
    bx = fa[0] - stance * front_len
    lift = math.degrees(math.asin(min(1.0, back_heel_lift * TORSO / 0.19)))
    back_leg = Leg(ankle=(bx, fa[1], HIP_HALF_WIDTH), pole=(1.0, 0.0, 0.0), foot=90.0 + lift)
    arm = Arm(shoulder=160.0)
    return Body(torso=fold, left_arm=arm, right_arm=arm).with_leg(front, front_leg).with_leg(OTHER[front], back_leg)


def tree_body(
    standing: str = "right", foot_height: float = 0.35, standing_knee: float = 180.0, lean: float = 0.0,
    pelvis_tilt: float = 0.0, arms: str = "hips", foot_on_floor: bool = False,
) -> Body:
    """Tree Pose: standing on one leg, the other foot's sole on the standing leg.

    Args:
        standing: the standing leg.
        foot_height: lifted mid-foot height above the standing knee in standing-thigh heights
            (> 0.15 inner thigh, < -0.15 calf, about 0 on the knee).
        standing_knee: standing knee angle (bent forward, toward the camera in a front view).
        lean: sideways trunk lean, degrees (toward the lifted leg).
        pelvis_tilt: the lifted leg's hip raised, degrees.
        arms: "hips", "prayer" or "overhead".
        foot_on_floor: the other foot stays on the floor beside the standing foot, its knee
            turned out (the standing knee is bent so the hips come down).
    """
    lifted = OTHER[standing]
    s = 1.0 if standing == "left" else -1.0  # the standing leg's L sign
    stand = _leg_to(0.0, standing_knee)
    sp = scene_points(Body(left_leg=stand))
    knee_u, ankle_u = sp["left_knee"][1], sp["left_ankle"][1]
    thigh_h = -knee_u
    if foot_on_floor:
        target = (0.0, ankle_u + 0.01, -0.02)
    else:
        # Mid-foot = ankle − 0.045 (toes point down); it sits on the inner side of the standing leg.
        target = (0.03, knee_u + foot_height * thigh_h + 0.045, -0.02)
    # Outward L for the lifted leg is away from the standing leg; the target is across the midline.
    lifted_leg = Leg(ankle=(target[0], target[1], target[2]), pole=(0.35, 0.0, 1.0), foot=180.0)
    if arms == "overhead":
        arm = Arm(shoulder=0.0, abduct=8.0)
    elif arms == "prayer":
        arm = Arm(wrist=(0.25, 0.35, 0.02), pole=(0.0, -1.0, 1.0))
    else:
        arm = Arm(wrist=(0.0, 0.02, 0.15), pole=(-0.3, 0.0, 1.0))
    tilt = pelvis_tilt if lifted == "left" else -pelvis_tilt
    body = Body(torso=0.0, lean=lean * -s, pelvis_tilt=tilt, left_arm=arm, right_arm=arm)
    return body.with_leg(standing, stand).with_leg(lifted, lifted_leg)


def rest_body(
    knees: float = 90.0, second_knee: float | None = None, heel_lift: float = 0.0, hip_lift: float = 0.0,
    arm: float = 0.0,
) -> Body:
    """Constructive Rest: lying on the back, knees bent, feet flat on the floor.

    Args:
        knees: knee angle of both legs (the left one when ``second_knee`` is given).
        second_knee: the right knee's angle (one leg long is allowed).
        heel_lift: how far the feet are lifted off the floor, metres.
        hip_lift: how far the hips are raised off the floor (a bridge), metres.
        arm: arm angle from reaching to the ceiling toward the head, degrees (for movement).
    """
    def leg(k: float) -> Leg:
        if k >= 179.0:
            return Leg(hip=90.0 + math.degrees(math.atan2(hip_lift, THIGH + SHIN)), knee=180.0, foot=0.0)
        d = math.sqrt(THIGH**2 + SHIN**2 - 2 * THIGH * SHIN * math.cos(math.radians(k)))
        up = -hip_lift - 0.02 + heel_lift  # the ankle's height against the hip landmark
        return Leg(ankle=(math.sqrt(max(d * d - up * up, 1e-6)), up, 0.0), pole=(0.0, 1.0, 0.0), foot=90.0)

    right = second_knee if second_knee is not None else knees
    a = Arm(shoulder=-arm)
    return Body(torso=-90.0 - math.degrees(math.asin(min(1.0, hip_lift / TORSO))), left_arm=a, right_arm=a,
                left_leg=leg(knees), right_leg=leg(right))


#: The camera view each reference pose is judged from.
CORRECT_VIEW = {
    "psoas_stretch": "side",
    "boat_pose": "side",
    "modified_gate_pose": "side",
    "pyramid_pose": "side",
    "tree_pose": "front",
    "constructive_rest": "side",
}

BUILDERS: dict[str, Callable[..., Body]] = {
    "psoas_stretch": psoas_body,
    "boat_pose": boat_body,
    "modified_gate_pose": gate_body,
    "pyramid_pose": pyramid_body,
    "tree_pose": tree_body,
    "constructive_rest": rest_body,
}


def correct_pose(exercise: str, view: str | float | None = None, **kwargs: object) -> PoseFrame:
    """The reference pose of an exercise in correct form (kwargs tweak the builder)."""
    body = BUILDERS[exercise](**kwargs)
    frame = build_pose(body, CORRECT_VIEW[exercise] if view is None else view)
    if exercise == "psoas_stretch":
        frame = replace(frame, mask=lying_mask(frame, arch_m=0.03))
    return frame


def standing_pose(view: str | float = "front") -> PoseFrame:
    """A person standing plainly, arms by the sides (no exercise)."""
    return build_pose(Body(left_leg=Leg(foot=90.0), right_leg=Leg(foot=90.0)), view)
