"""Personal baselines: a metric measured on the person themselves, for rules to compare with.

A person's body differs from the next person's more than a fault changes it (a flat back reads
a back-to-floor gap of 0.04 torso lengths on one body and 0.14 on another; an arch adds about
0.06 on both), so some rules compare the person with themselves: the value captured while they
hold the reference posture (:class:`BaselineTracker`), then the change from it
(:meth:`formcheck.engine.specs.RuleSpec.threshold_from`). Pure stdlib.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from formcheck.engine.specs import BaselineSpec, Capture


@dataclass(frozen=True)
class BaselineState:
    """A baseline's state on one frame.

    Attributes:
        id: the baseline id.
        metric: the metric it measures.
        value: the value rules compare with: the measured one clamped into the baseline's
            ``range`` (NaN while not captured yet).
        measured: the person's own value as measured (NaN while not captured yet).
        capturing: the person is holding still and the value is being measured now.
        captured_at_s: when the value was captured (NaN while not captured yet).
    """

    id: str
    metric: str
    value: float
    measured: float = math.nan
    capturing: bool = False
    captured_at_s: float = math.nan


class BaselineTracker:
    """Captures one baseline from a stream of metric values. ``update``/``reset``."""

    def __init__(self, spec: BaselineSpec) -> None:
        self.spec = spec
        self.reset()

    def reset(self) -> None:
        """Forget the captured value (a new session, or the other side)."""
        self.measured = math.nan
        self.captured_at_s = math.nan
        self._samples: list[tuple[float, float]] = []  # (time, value) since the value became steady

    @property
    def captured(self) -> bool:
        """Whether a value has been captured."""
        return math.isfinite(self.measured)

    @property
    def value(self) -> float:
        """The measured value clamped into the spec's range (NaN while none is captured)."""
        lo, hi = self.spec.range
        return min(max(self.measured, lo), hi) if self.captured else math.nan

    def _state(self, capturing: bool = False) -> BaselineState:
        return BaselineState(self.spec.id, self.spec.metric, self.value, self.measured, capturing, self.captured_at_s)

    def update(self, value: float, t: float, reference: bool) -> BaselineState:
        """Feed one frame.

        Args:
            value: the metric's value on this frame (NaN when unknown).
            t: the frame time, in seconds.
            reference: whether the person holds the reference posture now (in position,
                settled, seen from a view that can measure it).
        """
        s = self.spec
        if s.capture == Capture.MAX:
            if reference and math.isfinite(value) and (not self.captured or value > self.measured):
                self.measured, self.captured_at_s = value, t
            return self._state()
        if self.captured:
            return self._state()
        if not reference or not math.isfinite(value):
            self._samples.clear()
            return self._state()
        self._samples.append((t, value))
        values = [v for _, v in self._samples]
        if max(values) - min(values) > s.steady:  # not still: start again from this frame
            self._samples = [(t, value)]
        start = self._samples[0][0]
        if t - start >= s.settle_s + s.capture_s:
            self.measured = statistics.median(v for ts, v in self._samples if ts >= start + s.settle_s)
            self.captured_at_s = t
            return self._state()
        return self._state(capturing=True)
