"""The one landmark container of formcheck: named landmarks and a validated per-frame pose.

Every other module receives poses as :class:`PoseFrame`; only :mod:`formcheck.pose.estimator`
builds them from MediaPipe results (and tests build them with ``make_pose``-style helpers).
Pure numpy + stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

import numpy as np

NUM_LANDMARKS = 33


class PoseLandmark(IntEnum):
    """MediaPipe Pose (BlazePose GHUM) landmark indices; left/right are anatomical."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Lower-case names used in specs, e.g. ``"left_knee"``.
LANDMARK_NAMES: tuple[str, ...] = tuple(lm.name.lower() for lm in PoseLandmark)

#: Virtual landmarks: the mean of two real ones. Usable in specs like real names.
VIRTUAL_LANDMARKS: dict[str, tuple[PoseLandmark, PoseLandmark]] = {
    "mid_shoulder": (PoseLandmark.LEFT_SHOULDER, PoseLandmark.RIGHT_SHOULDER),
    "mid_hip": (PoseLandmark.LEFT_HIP, PoseLandmark.RIGHT_HIP),
    "mid_knee": (PoseLandmark.LEFT_KNEE, PoseLandmark.RIGHT_KNEE),
    "mid_ankle": (PoseLandmark.LEFT_ANKLE, PoseLandmark.RIGHT_ANKLE),
    "mid_wrist": (PoseLandmark.LEFT_WRIST, PoseLandmark.RIGHT_WRIST),
    "mid_ear": (PoseLandmark.LEFT_EAR, PoseLandmark.RIGHT_EAR),
    "left_midfoot": (PoseLandmark.LEFT_HEEL, PoseLandmark.LEFT_FOOT_INDEX),
    "right_midfoot": (PoseLandmark.RIGHT_HEEL, PoseLandmark.RIGHT_FOOT_INDEX),
}

ALL_POINT_NAMES: tuple[str, ...] = LANDMARK_NAMES + tuple(VIRTUAL_LANDMARKS)


def _mirror_permutation() -> np.ndarray:
    """Index permutation that swaps every left landmark with its right twin."""
    perm = np.arange(NUM_LANDMARKS)
    for lm in PoseLandmark:
        if "LEFT" in lm.name:
            twin = PoseLandmark[lm.name.replace("LEFT", "RIGHT")]
            perm[lm], perm[twin] = twin, lm
    return perm


MIRROR_PERMUTATION: np.ndarray = _mirror_permutation()

#: The bones drawn as a skeleton (pairs of landmarks).
SKELETON_EDGES: tuple[tuple[PoseLandmark, PoseLandmark], ...] = tuple(
    (PoseLandmark[a], PoseLandmark[b])
    for a, b in [
        ("LEFT_SHOULDER", "RIGHT_SHOULDER"),
        ("LEFT_HIP", "RIGHT_HIP"),
        ("LEFT_SHOULDER", "LEFT_HIP"),
        ("RIGHT_SHOULDER", "RIGHT_HIP"),
        ("LEFT_SHOULDER", "LEFT_ELBOW"),
        ("LEFT_ELBOW", "LEFT_WRIST"),
        ("RIGHT_SHOULDER", "RIGHT_ELBOW"),
        ("RIGHT_ELBOW", "RIGHT_WRIST"),
        ("LEFT_HIP", "LEFT_KNEE"),
        ("LEFT_KNEE", "LEFT_ANKLE"),
        ("LEFT_ANKLE", "LEFT_HEEL"),
        ("LEFT_HEEL", "LEFT_FOOT_INDEX"),
        ("LEFT_ANKLE", "LEFT_FOOT_INDEX"),
        ("RIGHT_HIP", "RIGHT_KNEE"),
        ("RIGHT_KNEE", "RIGHT_ANKLE"),
        ("RIGHT_ANKLE", "RIGHT_HEEL"),
        ("RIGHT_HEEL", "RIGHT_FOOT_INDEX"),
        ("RIGHT_ANKLE", "RIGHT_FOOT_INDEX"),
        ("NOSE", "LEFT_EYE"),
        ("NOSE", "RIGHT_EYE"),
        ("LEFT_EYE", "LEFT_EAR"),
        ("RIGHT_EYE", "RIGHT_EAR"),
    ]
)


class PoseValidationError(ValueError):
    """A PoseFrame was built from arrays of the wrong shape, type or range."""


def _check_array(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape != shape:
        raise PoseValidationError(f"PoseFrame.{name}: expected shape {shape}, got {arr.shape}")
    return arr


@dataclass(frozen=True)
class PoseFrame:
    """One person's pose in one frame.

    Attributes:
        xy: (33, 2) float64 image coordinates in pixels, origin top-left, y pointing down.
            May lie outside the image for landmarks MediaPipe extrapolates.
        z: (33,) float64 relative depth in pixels (MediaPipe's normalised z times the image
            width; smaller = nearer the camera, the hips' midpoint near 0).
        world: (33, 3) float64 world landmarks in metres, origin between the hips,
            y pointing down (MediaPipe's world landmarks).
        visibility: (33,) float64 in [0, 1], MediaPipe's visibility score.
        presence: (33,) float64 in [0, 1], MediaPipe's presence score.
        timestamp_s: time of the frame in seconds on the source's own clock.
        image_size: (width, height) of the frame in pixels.
        mask: optional (h, w) float32 person-segmentation mask in [0, 1] covering the whole
            frame, possibly downscaled; ``mask_scale`` = h / image height.
        num_people: how many people the estimator saw (the pose is of the main one).
    """

    xy: np.ndarray
    z: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    timestamp_s: float
    image_size: tuple[int, int]
    mask: np.ndarray | None = field(default=None, repr=False)
    num_people: int = 1

    def __post_init__(self) -> None:
        n = NUM_LANDMARKS
        object.__setattr__(self, "xy", _check_array("xy", self.xy, (n, 2)))
        object.__setattr__(self, "z", _check_array("z", self.z, (n,)))
        object.__setattr__(self, "world", _check_array("world", self.world, (n, 3)))
        object.__setattr__(self, "visibility", _check_array("visibility", self.visibility, (n,)))
        object.__setattr__(self, "presence", _check_array("presence", self.presence, (n,)))
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise PoseValidationError(f"PoseFrame.image_size must be positive, got {self.image_size}")
        if not np.isfinite(self.timestamp_s):
            raise PoseValidationError(f"PoseFrame.timestamp_s must be finite, got {self.timestamp_s}")
        if self.mask is not None and np.asarray(self.mask).ndim != 2:
            raise PoseValidationError(f"PoseFrame.mask must be 2-D, got shape {np.shape(self.mask)}")

    @property
    def mask_scale(self) -> float:
        """Mask pixels per image pixel (1.0 when the mask has the frame's size)."""
        if self.mask is None:
            return 1.0
        return self.mask.shape[0] / self.image_size[1]

    def visible(self, min_visibility: float = 0.5) -> np.ndarray:
        """Return a (33,) bool mask of landmarks seen well enough and inside the frame.

        Args:
            min_visibility: lowest visibility score counted as seen.
        """
        return self.inside_frame() & (self.visibility >= min_visibility)

    def inside_frame(self) -> np.ndarray:
        """(33,) bool: landmarks with finite coordinates inside the frame (2 % margin)."""
        w, h = self.image_size
        margin = 0.02 * max(w, h)
        # A NaN coordinate fails both comparisons, so it is not inside.
        return ((self.xy >= -margin) & (self.xy <= (w + margin, h + margin))).all(axis=1)

    def with_coordinates(self, xy: np.ndarray, world: np.ndarray) -> PoseFrame:
        """A copy with new image and world coordinates; every other field is shared.

        For per-frame stages such as smoothing: only the two new arrays are checked (float64,
        shapes (33, 2) and (33, 3)), the rest was validated when this frame was built.
        """
        new = object.__new__(PoseFrame)
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "xy", _check_array("xy", xy, (NUM_LANDMARKS, 2)))
        object.__setattr__(new, "world", _check_array("world", world, (NUM_LANDMARKS, 3)))
        return new

    def mirrored(self) -> PoseFrame:
        """Swap anatomical left and right labels (for a mirrored selfie image).

        A mirrored image shows the person's left side where an unmirrored camera would show
        the right, so MediaPipe labels the sides the wrong way round; this puts them back.
        Coordinates are kept as drawn.
        """
        p = MIRROR_PERMUTATION
        return replace(
            self,
            xy=self.xy[p],
            z=self.z[p],
            world=self.world[p],
            visibility=self.visibility[p],
            presence=self.presence[p],
        )


@dataclass(frozen=True)
class FrameLists:
    """A frame's arrays as Python lists, for per-frame scalar code (see :func:`frame_lists`)."""

    xy: list[list[float]]
    world: list[list[float]]
    visibility: list[float]
    inside: list[bool]

    def visible(self, min_visibility: float) -> list[bool]:
        """The same as :meth:`PoseFrame.visible`, as a list."""
        return [ok and v >= min_visibility for ok, v in zip(self.inside, self.visibility, strict=True)]


#: The last frame's lists (frames are immutable; matched by identity, so threads only recompute).
_last_lists: tuple[PoseFrame, FrameLists] | None = None


def frame_lists(frame: PoseFrame) -> FrameLists:
    """``frame``'s coordinates, visibility and inside-frame test as lists, cached for the last frame.

    The engine reads a handful of values per landmark per frame; Python floats are much cheaper
    to read one by one than numpy scalars.
    """
    global _last_lists
    last = _last_lists
    if last is None or last[0] is not frame:
        lists = FrameLists(frame.xy.tolist(), frame.world.tolist(), frame.visibility.tolist(),
                           frame.inside_frame().tolist())
        last = _last_lists = (frame, lists)
    return last[1]
