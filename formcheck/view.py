"""Which way the camera sees the person: front, side or oblique (pure numpy).

The shoulder and hip lines are compared in the image and in the world landmarks: seen from
the front they appear at full width, seen from the side they collapse. The image scale
(pixels per metre) is taken from the limb segment that is least foreshortened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from formcheck.landmarks import PoseFrame
from formcheck.landmarks import PoseLandmark as L


class View(StrEnum):
    """Camera view of the person."""

    FRONT = "front"
    SIDE = "side"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"


_AXES = np.array([(L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)])
_LIMBS = np.array([
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
])


def _lengths(coords: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    d = coords[pairs[:, 0]] - coords[pairs[:, 1]]
    return np.sqrt((d * d).sum(axis=-1))


#: The last frame's scale (frames are immutable; matched by identity, so threads only recompute).
_last_scale: tuple[PoseFrame, float, float] | None = None


def image_scale_px_per_m(frame: PoseFrame, min_visibility: float = 0.3) -> float:
    """Image pixels per world metre at the person: the least foreshortened limb's 2-D/3-D ratio.

    NaN when no limb with both ends visible has a usable 3-D length.
    """
    global _last_scale
    last = _last_scale
    if last is not None and last[0] is frame and last[1] == min_visibility:
        return last[2]
    vis = frame.visible(min_visibility)
    limbs = _LIMBS[vis[_LIMBS[:, 0]] & vis[_LIMBS[:, 1]]]
    d3 = _lengths(frame.world, limbs)
    ok = d3 > 0.05
    value = float((_lengths(frame.xy, limbs)[ok] / d3[ok]).max()) if ok.any() else float("nan")
    _last_scale = (frame, min_visibility, value)
    return value


def frontality(frame: PoseFrame, min_visibility: float = 0.3) -> float:
    """How square-on the body is to the camera: |cos(yaw)|, 1 = front/back, 0 = side.

    The image scale (pixels per metre) is the largest 2-D/3-D length ratio over the limbs (the
    least foreshortened limb); the shoulder and hip lines' 2-D lengths over their 3-D lengths at
    that scale give |cos(yaw)|. NaN when the shoulders and hips are not visible.
    """
    px_per_m = image_scale_px_per_m(frame, min_visibility)
    if math.isnan(px_per_m):
        return float("nan")
    half = frame.visibility >= min_visibility * 0.5
    axes = _AXES[half[_AXES[:, 0]] & half[_AXES[:, 1]]]
    a3 = _lengths(frame.world, axes)
    ok = a3 > 0.05
    if not ok.any():
        return float("nan")
    ratios = _lengths(frame.xy, axes)[ok] / (a3[ok] * px_per_m)
    return float(min(1.0, ratios.mean()))


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
