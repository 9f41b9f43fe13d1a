"""Which of the exercises (or none) the person is doing (pure numpy + stdlib).

Each spec's ``position`` and ``recognize`` conditions are scored softly: a condition
``metric > value`` with ``margin`` m scores ``sigmoid((metric − value) / m · 4)`` (0.5 on the
threshold, ~0.98 one margin past it, 0 when unknown). An exercise's score is the lowest of its
condition scores (a fuzzy AND). Scores are smoothed over time.

An exercise is *entered* on its ``position`` and ``recognize`` conditions (its clear signature)
and then *followed* on its ``position`` conditions alone: a person whose form breaks down
midway (the torso reclines too far, the leg bends) is still judged as doing that exercise, and
told so. Another exercise takes over only with a clear lead (``switch_margin``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.metrics import MetricEvaluator
from formcheck.engine.specs import Condition, ExerciseSpec

#: The soft margin of a fault condition that keeps a followed exercise (``RuleSpec.breaks``):
#: a fault just past its threshold scores 0.5, so staying needs it clearly past.
_BREAK_MARGIN = 1e-6


def condition_score(cond: Condition, values: dict[str, float]) -> float:
    """Soft truth of one condition in [0, 1]; 0 when the metric is unknown (1 if unknown_ok)."""
    v = values.get(cond.metric, math.nan)
    if v != v:  # NaN: unknown
        return 1.0 if cond.unknown_ok else 0.0
    z = cond.op.sign * (v - cond.value) / cond.margin * 4.0
    return 1.0 / (1.0 + math.exp(-(50.0 if z > 50.0 else -50.0 if z < -50.0 else z)))


def exercise_score(spec: ExerciseSpec, values: dict[str, float], *, staying: bool = False) -> float:
    """How well the values match the spec's conditions, 0..1.

    Args:
        spec: the exercise.
        values: its metric values.
        staying: score the ``position`` conditions only (to stay in an exercise already
            recognised); otherwise ``position`` and ``recognize`` (to enter it).
    """
    conds = spec.position if staying else spec.position + spec.recognize
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
            sid: MetricEvaluator(
                spec,
                only={c.metric for c in spec.position + spec.recognize} | {r.metric for r in spec.rules if r.breaks},
            )
            for sid, spec in specs.items()
        }
        self.reset()

    def reset(self) -> None:
        """Forget the smoothed scores and the current exercise."""
        self.scores: dict[str, float] = dict.fromkeys(self.specs, 0.0)
        self.stay_scores: dict[str, float] = dict.fromkeys(self.specs, 0.0)
        self.current: str | None = None
        self._signature_since: float | None = None  # since when the current one's signature holds
        self._committed = False  # its signature held commit_s: follow it on its position alone
        self._t: float | None = None
        self._raw: dict[str, tuple[float, float]] = dict.fromkeys(self.specs, (0.0, 0.0))
        self._scored_at: float | None = None

    @property
    def committed(self) -> bool:
        """Whether the current exercise's signature held long enough for it to be followed."""
        return self.current is not None and self._committed

    def frame_scores(self, frame: PoseFrame) -> dict[str, float]:
        """Unsmoothed entry score of every exercise for one frame."""
        return {sid: entry for sid, (entry, _) in self._frame_scores(frame).items()}

    def _frame_scores(self, frame: PoseFrame) -> dict[str, tuple[float, float]]:
        """Unsmoothed (entry, stay) scores of every exercise for one frame."""
        out = {}
        for sid, spec in self.specs.items():
            ev = self._evaluators[sid]
            side = "left"
            if spec.side is not None:
                left, right = ev.side_values(frame)
                if math.isnan(left) and math.isnan(right):
                    out[sid] = (0.0, 0.0)
                    continue
                prefer_left = left > right if spec.side.choose == "max" else left < right
                side = "left" if (prefer_left or math.isnan(right)) else "right"
            values = ev.update(frame, side)
            position = [condition_score(c, values) for c in spec.position]
            signature = position + [condition_score(c, values) for c in spec.recognize]
            # The same as exercise_score(spec, values) and (..., staying=True), each condition once.
            stay = min(position, default=0.0)
            for r in spec.rules:
                if r.breaks and stay < 0.5:  # a fault that breaks the position keeps a followed exercise
                    fault = Condition(r.metric, r.fault_when, r.threshold, _BREAK_MARGIN)
                    held = [condition_score(c, values) for c in (*r.broken_position(spec.position), fault)]
                    stay = max(stay, min(held))
            out[sid] = (min(signature, default=0.0), stay)
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
            self._raw, self._scored_at = dict.fromkeys(self.specs, (0.0, 0.0)), None
        elif due:
            self._raw, self._scored_at = self._frame_scores(frame), t
        if o.instant or self._t is None:
            a = 1.0
        else:
            a = 1.0 - math.exp(-max(0.0, t - self._t) / o.time_constant_s)
        self._t = t
        for sid, (entry, stay) in self._raw.items():
            self.scores[sid] += a * (entry - self.scores[sid])
            self.stay_scores[sid] += a * (stay - self.stay_scores[sid])
        best = max(self.scores, key=lambda k: self.scores[k]) if self.scores else None
        cur = self.current
        if cur is not None:
            if self.scores[cur] >= o.min_score:
                self._signature_since = self._signature_since if self._signature_since is not None else t
                # The signature must hold the spec's recognize_hold_s before the recogniser
                # follows the exercise on its position alone: a brief match between the reps of
                # another exercise (a pause in a Russian twist, a bridge lowered for a moment)
                # does not commit.
                if t - self._signature_since >= self.specs[cur].recognize_hold_s:
                    self._committed = True
            else:
                self._signature_since = None
        if cur is not None and self._committed and self.stay_scores[cur] >= o.min_score:
            # Clearly recognised: follow the person while they hold the position, faults and all,
            # unless another exercise's signature clearly beats this one's (constructive rest
            # turning into the psoas stretch).
            lead = self.scores[best] - max(self.scores[cur], o.min_score)
            if best != cur and lead > o.switch_margin:
                self._switch(best, t)
        elif best is not None and self.scores[best] >= o.min_score:
            if best != cur:
                self._switch(best, t)
        else:
            self._switch(None, t)
        return self.current

    def _switch(self, sid: str | None, t: float) -> None:
        self.current, self._committed = sid, False
        self._signature_since = t if sid is not None else None
