"""Summarise a run of FrameResults: faults with time ranges, hold time, rounds, score (stdlib).

The summary is what ``formcheck analyze`` writes as JSON and what the batch scorer compares
with labels. A fault "is shown" in a window when it is active at least ``MIN_FAULT_S`` in total
there (FORM_RULES.md).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from formcheck.engine.rules import RuleState
from formcheck.engine.session import FrameResult

#: A fault counts when active at least this long in total inside a window, in seconds.
MIN_FAULT_S = 0.5
#: Gaps shorter than this between fault frames are bridged into one interval, in seconds.
MERGE_GAP_S = 0.35


@dataclass
class _Interval:
    start_s: float
    end_s: float


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
        for res in r.rules:
            if res.state != RuleState.FAULT:
                continue
            spans = self._faults[res.id]
            end = r.timestamp_s + (self.frame_step_s if not self.instant else 0.0)
            if spans and r.timestamp_s - spans[-1].end_s <= MERGE_GAP_S:
                spans[-1].end_s = end
            else:
                spans.append(_Interval(r.timestamp_s, end))

    def _duration_s(self) -> float:
        if not self._frames:
            return 0.0
        return (self._last_t or 0.0) - (self._first_t or 0.0) + self.frame_step_s

    def finish(self) -> dict:
        """The summary as a JSON-ready dict."""
        exercise = self._exercise_time.most_common(1)[0][0] if self._exercise_time else None
        faults = {}
        for fid, spans in self._faults.items():
            total = sum(s.end_s - s.start_s for s in spans)
            faults[fid] = {
                "total_s": round(total, 3),
                "intervals": [[round(s.start_s, 3), round(s.end_s, 3)] for s in spans],
            }
        return {
            "exercise": exercise,
            "side": self._side.most_common(1)[0][0] if self._side else None,
            "view": self._view.most_common(1)[0][0] if self._view else None,
            "frames": self._frames,
            "frames_with_person": self._person_frames,
            "frames_with_several_people": self._multi_people,
            "duration_s": round(self._duration_s(), 3),
            "in_position_s": round(self._position_s, 3),
            "exercise_time_s": {k: round(v, 3) for k, v in self._exercise_time.items()},
            "faults": faults,
            "hold_s": round(self._hold.get(exercise, 0.0), 3) if exercise else 0.0,
            "rounds": self._rounds.get(exercise, 0) if exercise else 0,
            "reports": {k: c.most_common(1)[0][0] for k, c in self._reports.items()},
            "score": round(sum(self._scores) / len(self._scores), 1) if self._scores else None,
            "metric_means": {
                mid: round(total / n, 4) for (ex, mid), (total, n) in self._metric_sums.items() if ex == exercise and n
            },
        }

