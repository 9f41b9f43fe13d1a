"""Summarise a run of FrameResults: faults with time ranges, hold time, rounds, score (stdlib).

The summary is what ``formcheck analyze`` writes as JSON and what the batch scorer compares
with labels. A fault "is shown" in a window when it is active at least ``MIN_FAULT_S`` in total
there (FORM_RULES.md).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

from formcheck.engine.baseline import BaselineState
from formcheck.engine.rules import RuleState
from formcheck.engine.session import UNSEEN_PREFIX, FrameResult

#: A fault counts when active at least this long in total inside a window, in seconds.
MIN_FAULT_S = 0.5
#: Gaps shorter than this between fault frames are bridged into one interval, in seconds.
MERGE_GAP_S = 0.35


@dataclass
class _Interval:
    start_s: float
    end_s: float


@dataclass(frozen=True)
class FaultSummary:
    """One fault over a clip.

    Attributes:
        total_s: how long it was active in all, in seconds.
        intervals: when it was active, ``(start_s, end_s)`` pairs in time order.
    """

    total_s: float
    intervals: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"total_s": ..., "intervals": [[start, end], ...]}``."""
        return {"total_s": self.total_s, "intervals": [[a, b] for a, b in self.intervals]}


@dataclass
class BaselineSummary:
    """A personal baseline over a clip (:mod:`formcheck.engine.baseline`).

    Attributes:
        metric: the metric it measures.
        measured: the person's own value as measured (the latest capture).
        value: the value the rules compared with (``measured`` clamped into the spec's range).
        captured_at_s: when it was captured.
        max_change: the largest rise of the metric above ``value`` afterwards, while in position.
        min_change: the largest drop below ``value`` afterwards (negative), while in position.
    """

    metric: str
    measured: float
    value: float
    captured_at_s: float
    max_change: float = 0.0
    min_change: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, rounded to 4 decimals."""
        return {f.name: round(v, 4) if isinstance(v := getattr(self, f.name), float) else v for f in fields(self)}


@dataclass(frozen=True)
class Summary:
    """A clip's summary (what ``formcheck analyze`` writes as JSON, with the run's details).

    Attributes:
        exercise: the exercise judged longest in position (None: none recognised).
        side: the side judged longest ("left"/"right"; None when unknown or not sided).
        view: the camera view seen longest while in position.
        frames: frames analysed.
        frames_with_person: frames in which a person was found.
        frames_with_several_people: frames in which more than one person was found.
        duration_s: the clip's length, first to last frame plus one frame step, in seconds.
        in_position_s: time in position of any exercise, in seconds.
        exercise_time_s: exercise id → time in its position, in seconds.
        faults: fault id → when it was active.
        hold_s: the judged exercise's last hold time, in seconds.
        rounds: the judged exercise's Cat-Cow rounds (0 without a counter).
        reports: report name → the value reported longest (e.g. ``stage``).
        score: the mean form score while in position (None when never scored).
        metric_means: metric id → its mean while in position (the spec's ``summary_metrics``).
        baselines: baseline id → the person's own reference value and the change from it.
        unseen_s: fault id → seconds in position during which the camera's view could not see
            the rule (e.g. a bent standing knee from the front).
    """

    exercise: str | None
    side: str | None
    view: str | None
    frames: int
    frames_with_person: int
    frames_with_several_people: int
    duration_s: float
    in_position_s: float
    exercise_time_s: dict[str, float]
    faults: dict[str, FaultSummary]
    hold_s: float
    rounds: int
    reports: dict[str, str]
    score: float | None
    metric_means: dict[str, float]
    baselines: dict[str, BaselineSummary] = field(default_factory=dict)
    unseen_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (keys in field order)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["faults"] = {fid: f.to_dict() for fid, f in self.faults.items()}
        out["baselines"] = {bid: b.to_dict() for bid, b in self.baselines.items()}
        return out


@dataclass
class SummaryBuilder:
    """Accumulates per-frame results into a clip summary. ``update``/``reset``/``finish``.

    Attributes:
        instant: a photo (one frame): faults count on their one frame.
        frame_step_s: the nominal frame duration, used for the last frame's length.
        summary_metrics: exercise id → metric ids whose mean while in position is reported
            (``metric_means``; e.g. constructive rest's body speed, its stillness).
    """

    instant: bool = False
    frame_step_s: float = 1 / 30
    summary_metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _frames: int = 0
    _person_frames: int = 0
    _multi_people: int = 0
    _last_t: float | None = None
    _first_t: float | None = None
    _exercise_time: Counter = field(default_factory=Counter)
    _side: Counter = field(default_factory=Counter)
    _view: Counter = field(default_factory=Counter)
    _reports: dict = field(default_factory=lambda: defaultdict(Counter))
    _faults: dict = field(default_factory=lambda: defaultdict(list))
    _scores: list = field(default_factory=list)
    _hold: dict = field(default_factory=dict)
    _rounds: dict = field(default_factory=dict)
    _position_s: float = 0.0
    _metric_sums: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    _baselines: dict = field(default_factory=dict)
    _unseen_s: Counter = field(default_factory=Counter)

    def reset(self) -> None:
        """Start a new summary."""
        self.__init__(  # type: ignore[misc]
            instant=self.instant, frame_step_s=self.frame_step_s, summary_metrics=self.summary_metrics
        )

    def update(self, r: FrameResult) -> None:
        """Add one frame's result."""
        dt = self.frame_step_s if self._last_t is None else min(max(0.0, r.timestamp_s - self._last_t), 0.5)
        if self._first_t is None:
            self._first_t = r.timestamp_s
        self._last_t = r.timestamp_s
        self._frames += 1
        if r.pose is not None:
            self._person_frames += 1
            self._multi_people += r.num_people > 1
        if r.exercise is None or not r.in_position:
            return
        self._exercise_time[r.exercise] += dt
        self._position_s += dt
        if r.side:
            self._side[r.side] += dt
        self._view[r.view.value] += dt
        for k, v in r.reports.items():
            self._reports[k][v] += dt
        if not math.isnan(r.score):
            self._scores.append(r.score)
        self._hold[r.exercise] = r.hold_s
        for mid in self.summary_metrics.get(r.exercise, ()):
            v = r.metrics.get(mid, float("nan"))
            if not math.isnan(v):
                acc = self._metric_sums[(r.exercise, mid)]
                acc[0] += v
                acc[1] += 1
        self._rounds[r.exercise] = r.rounds
        for b in r.baselines:
            self._add_baseline(b, r.metrics.get(b.metric, math.nan))
        for res in r.rules:
            if res.state == RuleState.UNKNOWN and res.reason.startswith(UNSEEN_PREFIX):
                self._unseen_s[res.id] += dt
            if res.state != RuleState.FAULT:
                continue
            spans = self._faults[res.id]
            end = r.timestamp_s + (self.frame_step_s if not self.instant else 0.0)
            if spans and r.timestamp_s - spans[-1].end_s <= MERGE_GAP_S:
                spans[-1].end_s = end
            else:
                spans.append(_Interval(r.timestamp_s, end))

    def _add_baseline(self, b: BaselineState, value: float) -> None:
        """Keep the latest captured baseline and the largest changes from it."""
        if not math.isfinite(b.value):
            return
        entry = self._baselines.get(b.id)
        if entry is None or entry.captured_at_s != b.captured_at_s:  # a new attempt measures anew
            entry = self._baselines[b.id] = BaselineSummary(b.metric, b.measured, b.value, b.captured_at_s)
        if math.isfinite(value):
            entry.max_change = max(entry.max_change, value - b.value)
            entry.min_change = min(entry.min_change, value - b.value)

    def _duration_s(self) -> float:
        if not self._frames:
            return 0.0
        return (self._last_t or 0.0) - (self._first_t or 0.0) + self.frame_step_s

    def finish(self) -> Summary:
        """The summary of the frames added so far."""
        exercise = self._exercise_time.most_common(1)[0][0] if self._exercise_time else None
        faults = {
            fid: FaultSummary(
                round(sum(s.end_s - s.start_s for s in spans), 3),
                tuple((round(s.start_s, 3), round(s.end_s, 3)) for s in spans),
            )
            for fid, spans in self._faults.items()
        }
        return Summary(
            exercise=exercise,
            side=self._side.most_common(1)[0][0] if self._side else None,
            view=self._view.most_common(1)[0][0] if self._view else None,
            frames=self._frames,
            frames_with_person=self._person_frames,
            frames_with_several_people=self._multi_people,
            duration_s=round(self._duration_s(), 3),
            in_position_s=round(self._position_s, 3),
            exercise_time_s={k: round(v, 3) for k, v in self._exercise_time.items()},
            faults=faults,
            hold_s=round(self._hold.get(exercise, 0.0), 3) if exercise else 0.0,
            rounds=self._rounds.get(exercise, 0) if exercise else 0,
            reports={k: c.most_common(1)[0][0] for k, c in self._reports.items()},
            score=round(sum(self._scores) / len(self._scores), 1) if self._scores else None,
            metric_means={
                mid: round(total / n, 4) for (ex, mid), (total, n) in self._metric_sums.items() if ex == exercise and n
            },
            baselines=dict(self._baselines),
            unseen_s={fid: round(v, 3) for fid, v in self._unseen_s.items()},
        )
