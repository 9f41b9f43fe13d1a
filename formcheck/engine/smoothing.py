"""Timestamp-driven One Euro smoothing of landmark arrays (pure numpy).

The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) is a low-pass filter whose cutoff
rises with speed: still poses are smoothed hard (no jitter), fast moves follow with little lag.
It is driven by each frame's own timestamp, so dropped frames and variable frame rates are
handled without assuming an fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.engine.landmarks import PoseFrame


@dataclass(frozen=True)
class OneEuroOptions:
    """One Euro filter settings.

    Attributes:
        min_cutoff_hz: cutoff at rest, in Hz. Lower = smoother still poses, more lag.
        beta: speed coefficient, per (unit/s) of the filtered values (image xy in frame
            widths, world in metres). Higher = less lag on fast moves.
        d_cutoff_hz: cutoff of the speed estimate, in Hz.
        reset_after_s: a gap longer than this (no pose) restarts the filter, in seconds.
    """

    min_cutoff_hz: float = 1.5
    beta: float = 8.0
    d_cutoff_hz: float = 1.0
    reset_after_s: float = 0.5


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over an array of any shape; each element is filtered independently.

    NaN elements (missing values) pass through as NaN and do not disturb that element's state:
    the element resumes from its last value when it comes back.
    """

    def __init__(self, options: OneEuroOptions | None = None) -> None:
        self.options = options or OneEuroOptions()
        self.reset()

    def reset(self) -> None:
        """Forget all state; the next update returns its input unchanged."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def update(self, x: np.ndarray, timestamp_s: float) -> np.ndarray:
        """Filter one sample taken at ``timestamp_s`` and return the smoothed sample.

        Args:
            x: the raw sample; same shape at every call until ``reset``.
            timestamp_s: its time in seconds; must increase (a non-increasing time is treated
                as a repeat and returns the previous output).
        """
        x = np.asarray(x, dtype=np.float64)
        o = self.options
        if self._x is None or self._t is None or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), timestamp_s
            return x.copy()
        dt = timestamp_s - self._t
        if dt <= 0:
            return self._x.copy()
        if dt > o.reset_after_s:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), timestamp_s
            return x.copy()
        prev = self._x
        diff = x - prev
        bad = np.isnan(diff)  # missing now or before
        a_d = _alpha(o.d_cutoff_hz, dt)
        dx = a_d * (diff / dt) + (1.0 - a_d) * self._dx
        a = _alpha(o.min_cutoff_hz + o.beta * np.abs(dx), dt)
        # Elements missing before restart from the raw value; missing ones give NaN (x) and
        # keep their state.
        out = np.where(bad, x, a * x + (1.0 - a) * prev)
        self._dx = np.where(bad, 0.0, dx)
        self._x = np.where(np.isnan(x), prev, out)
        self._t = timestamp_s
        return out


class PoseSmoother:
    """Smooth a stream of PoseFrames: image xy (in units of the frame's longest side) and world.

    Both are filtered together as one (33, 5) array. Landmarks below ``min_visibility`` are
    treated as missing for the filter (their raw value is passed through), so an occluded,
    jumping landmark does not drag the filter.
    """

    def __init__(self, options: OneEuroOptions | None = None, min_visibility: float = 0.3) -> None:
        self.options = options or OneEuroOptions()
        self.min_visibility = min_visibility
        self._filter = OneEuroFilter(self.options)

    def reset(self) -> None:
        """Forget all state (e.g. when the person leaves or the source changes)."""
        self._filter.reset()

    def update(self, frame: PoseFrame) -> PoseFrame:
        """Return ``frame`` with smoothed xy and world coordinates."""
        scale = float(max(frame.image_size))
        raw = np.concatenate([frame.xy / scale, frame.world], axis=1)
        low = (frame.visibility < self.min_visibility)[:, None]
        out = self._filter.update(np.where(low, np.nan, raw), frame.timestamp_s)
        out = np.where(low, raw, out)
        return frame.with_coordinates(out[:, :2] * scale, out[:, 2:])
