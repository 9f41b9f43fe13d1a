"""Rule states with hysteresis and debounce (pure stdlib).

A rule is ``pass``, ``fault`` or ``unknown``. It is unknown (and silent) while its metric is
NaN, while its gate is closed (not in position, wrong camera view, a ``when`` condition false).
A fault is reported only after the raw condition held ``min_duration_s`` and clears only when
the value is back past the threshold by ``hysteresis``, so cues do not flicker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from formcheck.engine.specs import RuleSpec


class RuleState(StrEnum):
    """The three states every rule can be in."""

    PASS = "pass"
    FAULT = "fault"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome on one frame.

    Attributes:
        id: the fault id.
        state: pass, fault or unknown.
        value: the metric's value (NaN when unknown).
        threshold: the rule's threshold, in the metric's unit.
        severity: 0 when passing; in a fault 0.5..1 growing with the distance past the
            threshold (``severity_scale`` past it = 1).
        reason: why the rule is unknown ("" otherwise).
    """

    id: str
    state: RuleState
    value: float
    threshold: float
    severity: float = 0.0
    reason: str = ""


class RuleTracker:
    """Turns a rule's per-frame metric values into debounced states. ``update``/``reset``."""

    #: An unknown gap shorter than this keeps the previous known state, in seconds.
    GRACE_S = 0.3

    def __init__(self, rule: RuleSpec, instant: bool = False) -> None:
        """Create a tracker.

        Args:
            rule: the rule spec.
            instant: judge each frame on its own (photos): no debounce, no hysteresis.
        """
        self.rule = rule
        self.instant = instant
        self.reset()

    def reset(self) -> None:
        """Forget the fault state and timers."""
        self._active = False
        self._raw_since: float | None = None
        self._last_known: tuple[float, RuleResult] | None = None

    def not_applicable(self, t: float) -> RuleResult:
        """The rule's ``when`` conditions are known to be false: no fault, so it passes."""
        self._active = False
        self._raw_since = None
        result = RuleResult(self.rule.id, RuleState.PASS, float("nan"), self.rule.threshold)
        self._last_known = (t, result)
        return result

    def _past(self, value: float, threshold: float) -> bool:
        return self.rule.fault_when.holds(value, threshold)

    def update(self, value: float, t: float, gate_reason: str = "", threshold: float | None = None) -> RuleResult:
        """Judge one frame.

        Args:
            value: the rule's metric value (NaN when unknown).
            t: the frame time in seconds.
            gate_reason: non-empty when the rule cannot judge now (the reason, shown to users).
            threshold: the threshold to apply now (default: the spec's): a rule with a
                personal baseline passes the threshold derived from it.
        """
        r = self.rule
        thr = r.threshold if threshold is None else threshold
        if gate_reason or math.isnan(value):
            reason = gate_reason or "landmarks not visible"
            if self._last_known is not None and t - self._last_known[0] <= self.GRACE_S and not self.instant:
                return self._last_known[1]
            self._active = False
            self._raw_since = None
            return RuleResult(r.id, RuleState.UNKNOWN, value, thr, reason=reason)
        if self._active and not self.instant:
            # Hysteresis: stay in fault until clearly back on the good side.
            release = thr - r.fault_when.sign * r.hysteresis
            raw = self._past(value, release)
        else:
            raw = self._past(value, thr)
        if not raw:
            self._active = False
            self._raw_since = None
        elif self.instant:
            self._active = True
        else:
            if self._raw_since is None:
                self._raw_since = t
            if t - self._raw_since >= r.min_duration_s:
                self._active = True
        if self._active:
            excess = max(0.0, (value - thr) * r.fault_when.sign)
            severity = 0.5 + 0.5 * min(1.0, excess / r.severity_scale)
            result = RuleResult(r.id, RuleState.FAULT, value, thr, severity)
        else:
            result = RuleResult(r.id, RuleState.PASS, value, thr)
        self._last_known = (t, result)
        return result


def form_score(results: list[RuleResult], weights: dict[str, float]) -> float:
    """The 0–100 form score of one frame: ``100 · (1 − Σ wᵢ·sᵢ / Σ wᵢ)`` over known rules.

    sᵢ is the rule's severity (0 when passing, 0.5–1 in a fault); unknown rules do not count.
    NaN when no rule is known.
    """
    known = [r for r in results if r.state != RuleState.UNKNOWN]
    total = sum(weights.get(r.id, 1.0) for r in known)
    if not known or total <= 0:
        return float("nan")
    penalty = sum(weights.get(r.id, 1.0) * r.severity for r in known)
    return 100.0 * (1.0 - penalty / total)
