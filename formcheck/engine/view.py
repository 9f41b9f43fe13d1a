"""Which way the camera sees the person: front, side or oblique (pure Python).

The shoulder and hip lines are compared in the image and in the world landmarks: seen from
the front they appear at full width, seen from the side they collapse. The image scale
(pixels per metre) is taken from the limb segment that is least foreshortened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from formcheck.engine.landmarks import PoseFrame, frame_lists
from formcheck.engine.landmarks import PoseLandmark as L


class View(StrEnum):
    """Camera view of the person."""

    FRONT = "front"
    SIDE = "side"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"


_AXES = [(L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)]
_LIMBS = [
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
]
_PAIRS = _LIMBS + _AXES


def _pair_lengths(frame: PoseFrame) -> tuple[list[float], list[float]]:
    """2-D (pixels) and 3-D (metres) lengths of the limbs then the shoulder and hip lines."""
    lists = frame_lists(frame)
    xy, world = lists.xy, lists.world
    return [math.dist(xy[a], xy[b]) for a, b in _PAIRS], [math.dist(world[a], world[b]) for a, b in _PAIRS]


#: The last frame's measures (frames are immutable; matched by identity, so threads only recompute).
_last: tuple[PoseFrame, float, tuple[float, float]] | None = None


def _measure(frame: PoseFrame, min_visibility: float) -> tuple[float, float]:
    """(image scale in px/m, frontality) of a frame; see the two public functions."""
    global _last
    last = _last
    if last is not None and last[0] is frame and last[1] == min_visibility:
        return last[2]
    l2, l3 = _pair_lengths(frame)
    lists = frame_lists(frame)
    seen = lists.visible(min_visibility)
    ratios = [l2[k] / l3[k] for k, (a, b) in enumerate(_LIMBS) if seen[a] and seen[b] and l3[k] > 0.05]
    vis = lists.visibility
    scale = max(ratios) if ratios else float("nan")
    half = min_visibility * 0.5
    axes = [
        l2[k] / (l3[k] * scale)
        for k, (a, b) in enumerate(_AXES, start=len(_LIMBS))
        if vis[a] >= half and vis[b] >= half and l3[k] > 0.05
    ]
    front = min(1.0, sum(axes) / len(axes)) if axes and ratios else float("nan")
    _last = (frame, min_visibility, (scale, front))
    return scale, front


def image_scale_px_per_m(frame: PoseFrame, min_visibility: float = 0.3) -> float:
    """Image pixels per world metre at the person: the least foreshortened limb's 2-D/3-D ratio.

    NaN when no limb with both ends visible has a usable 3-D length.
    """
    return _measure(frame, min_visibility)[0]


def frontality(frame: PoseFrame, min_visibility: float = 0.3) -> float:
    """How square-on the body is to the camera: |cos(yaw)|, 1 = front/back, 0 = side.

    The image scale (pixels per metre) is the largest 2-D/3-D length ratio over the limbs (the
    least foreshortened limb); the shoulder and hip lines' 2-D lengths over their 3-D lengths at
    that scale give |cos(yaw)|. NaN when the shoulders and hips are not visible.
    """
    return _measure(frame, min_visibility)[1]


@dataclass(frozen=True)
class ViewOptions:
    """View classification thresholds on frontality (|cos yaw|).

    Attributes:
        front_above: frontality above this is a front view (yaw < ~40 deg).
        side_below: frontality below this is a side view (yaw > ~62 deg).
        hysteresis: how far past a boundary the value must go to change view.
        time_constant_s: smoothing of the frontality, in seconds.
    """

    front_above: float = 0.77
    side_below: float = 0.47
    hysteresis: float = 0.05
    time_constant_s: float = 0.3


class ViewTracker:
    """Classifies the view frame by frame with smoothing and hysteresis. ``update``/``reset``."""

    def __init__(self, options: ViewOptions | None = None, instant: bool = False) -> None:
        self.options = options or ViewOptions()
        self.instant = instant
        self.reset()

    def reset(self) -> None:
        """Forget the smoothed value and the current view."""
        self._value: float | None = None
        self._t: float | None = None
        self.view = View.UNKNOWN

    def update(self, frame: PoseFrame) -> View:
        """Return the view for this frame."""
        f = frontality(frame)
        o = self.options
        if math.isnan(f):
            return self.view
        if self._value is None or self._t is None or self.instant:
            self._value = f
        else:
            dt = max(0.0, frame.timestamp_s - self._t)
            a = 1.0 - math.exp(-dt / o.time_constant_s)
            self._value += a * (f - self._value)
        self._t = frame.timestamp_s
        v, h = self._value, (0.0 if self.instant else o.hysteresis)
        current = self.view
        if v > o.front_above + (h if current != View.FRONT else -h):
            self.view = View.FRONT
        elif v < o.side_below - (h if current != View.SIDE else -h):
            self.view = View.SIDE
        elif o.side_below + h < v < o.front_above - h or current == View.UNKNOWN:
            self.view = View.OBLIQUE
        return self.view
