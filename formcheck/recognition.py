"""Which of the exercises (or none) the person is doing (pure numpy + stdlib).

Each spec's ``position`` and ``recognize`` conditions are scored softly: a condition
``metric > value`` with ``margin`` m scores ``sigmoid((metric − value) / m · 4)`` (0.5 on the
threshold, ~0.98 one margin past it, 0 when unknown). An exercise's score is the lowest of its
condition scores (a fuzzy AND). Scores are smoothed over time; the best exercise is reported
when its score is above ``min_score``, and a switch needs a clear lead (hysteresis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.landmarks import PoseFrame
from formcheck.metrics import MetricEvaluator
from formcheck.specs import Condition, ExerciseSpec


def condition_score(cond: Condition, values: dict[str, float]) -> float:
    """Soft truth of one condition in [0, 1]; 0 when the metric is unknown (1 if unknown_ok)."""
    v = values.get(cond.metric, float("nan"))
    if math.isnan(v):
        return 1.0 if cond.unknown_ok else 0.0
    z = cond.op.sign * (v - cond.value) / cond.margin * 4.0
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def exercise_score(spec: ExerciseSpec, values: dict[str, float]) -> float:
    """How well the values match the spec's position and recognition conditions, 0..1."""
    conds = spec.position + spec.recognize
    return min((condition_score(c, values) for c in conds), default=0.0)


@dataclass(frozen=True)
class RecognizerOptions:
    """Recognition settings.

    Attributes:
        min_score: the best score must exceed this to name an exercise.
        switch_margin: a new exercise must beat the current one by this much.
        time_constant_s: smoothing of the scores, in seconds.
        score_interval_s: frames are scored at most this often (the scores are smoothed over
            ``time_constant_s`` anyway); frames in between reuse the last scores, in seconds.
        instant: judge each frame on its own (photos).
    """

    min_score: float = 0.5
    switch_margin: float = 0.15
    time_constant_s: float = 0.5
    score_interval_s: float = 0.1
    instant: bool = False


class ExerciseRecognizer:
    """Tells which exercise is being done, frame by frame. ``update``/``reset``."""

    def __init__(self, specs: dict[str, ExerciseSpec], options: RecognizerOptions | None = None) -> None:
        self.specs = specs
        self.options = options or RecognizerOptions()
        self._evaluators = {
            sid: MetricEvaluator(spec, only={c.metric for c in spec.position + spec.recognize})
            for sid, spec in specs.items()
        }
        self.reset()

    def reset(self) -> None:
        """Forget the smoothed scores and the current exercise."""
        self.scores: dict[str, float] = dict.fromkeys(self.specs, 0.0)
        self.current: str | None = None
        self._t: float | None = None
        self._raw: dict[str, float] = dict.fromkeys(self.specs, 0.0)
        self._scored_at: float | None = None

    def frame_scores(self, frame: PoseFrame) -> dict[str, float]:
        """Unsmoothed score of every exercise for one frame."""
        out = {}
        for sid, spec in self.specs.items():
            ev = self._evaluators[sid]
            side = "left"
            if spec.side is not None:
                left, right = ev.side_values(frame)
                if math.isnan(left) and math.isnan(right):
                    out[sid] = 0.0
                    continue
                prefer_left = left > right if spec.side.choose == "max" else left < right
                side = "left" if (prefer_left or math.isnan(right)) else "right"
            out[sid] = exercise_score(spec, ev.update(frame, side))
        return out

    def update(self, frame: PoseFrame | None, timestamp_s: float | None = None) -> str | None:
        """Return the exercise id being done now, or None.

        Args:
            frame: the smoothed pose, or None when nobody is in view.
            timestamp_s: the frame time (taken from ``frame`` when given).
        """
        t = frame.timestamp_s if frame is not None else float(timestamp_s or 0.0)
        o = self.options
        due = o.instant or self._scored_at is None or not 0 <= t - self._scored_at < o.score_interval_s
        if frame is None:
            self._raw, self._scored_at = dict.fromkeys(self.specs, 0.0), None
        elif due:
            self._raw, self._scored_at = self.frame_scores(frame), t
        raw = self._raw
        if o.instant or self._t is None:
            a = 1.0
        else:
            a = 1.0 - math.exp(-max(0.0, t - self._t) / o.time_constant_s)
        self._t = t
        for sid, s in raw.items():
            self.scores[sid] += a * (s - self.scores[sid])
        best = max(self.scores, key=lambda k: self.scores[k]) if self.scores else None
        if best is None or self.scores[best] < o.min_score:
            self.current = None
        elif self.current is None or self.current not in self.scores or self.scores[self.current] < o.min_score:
            self.current = best
        elif best != self.current and self.scores[best] > self.scores[self.current] + o.switch_margin:
            self.current = best
        return self.current
