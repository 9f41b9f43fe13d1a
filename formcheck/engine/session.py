"""One exercise, frame by frame: side, view, position, rules, cue, hold time, score.

:class:`ExerciseSession` takes already-smoothed poses (see :class:`formcheck.engine.engine.Engine`)
and keeps the per-exercise state. Pure numpy + stdlib.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from formcheck.engine.feedback import GOOD_FORM_TEXT, Cue, CueKind, CueOptions, CueSelector
from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.metrics import POINT_INDEX, MetricEvaluator, resolve_points
from formcheck.engine.rules import RuleResult, RuleState, RuleTracker, form_score
from formcheck.engine.specs import CounterSpec, ExerciseSpec, ReportSpec
from formcheck.engine.view import View, ViewTracker

#: Setup cues, by reason.
SETUP_CUES = {
    "no_person": "Step into the camera's view.",
    "feet": "Step back so your feet are in view.",
    "head": "Move back so your head is in view.",
    "body": "Move so your whole body is in view.",
    "front": "Face the camera.",
    "side": "Turn your side to the camera.",
    "oblique": "Turn a little so the camera sees you at an angle.",
}

#: Frame gaps longer than this do not add to the hold time, in seconds.
MAX_HOLD_STEP_S = 0.5


@dataclass(frozen=True)
class SessionOptions:
    """Per-session settings.

    Attributes:
        instant: judge every frame on its own (photos): no debounce or hysteresis.
        enter_s: the position must hold this long before rules run, in seconds.
        exit_s: the position must be lost this long before rules stop, in seconds.
        side_margin: how much better (in the side metric's unit) the other side must read
            before the side switches.
        cues: cue pacing.
    """

    instant: bool = False
    enter_s: float = 0.3
    exit_s: float = 0.6
    side_margin: float = 0.15
    cues: CueOptions = field(default_factory=CueOptions)


@dataclass(frozen=True)
class FrameResult:
    """Everything the engine concluded about one frame.

    Attributes:
        timestamp_s: the frame time.
        exercise: the exercise id judged (None when nothing is recognised).
        pose: the smoothed pose (None when nobody is in view).
        side: "left"/"right" or "" when the exercise has no side or it is unknown.
        view: the camera view.
        in_position: whether the person is in the exercise's position.
        metrics: metric id → value (NaN when unknown).
        rules: every rule's result, in spec order.
        cue: the one cue to show.
        score: this frame's 0–100 form score (NaN when no rule is known).
        hold_s: the hold time so far (in position, no fault), in seconds.
        rounds: completed rounds of the spec's counter (Cat-Cow), or 0.
        reports: report id → label for this frame (e.g. boat stage).
        num_people: people seen in the frame.
    """

    timestamp_s: float
    exercise: str | None
    pose: PoseFrame | None
    side: str = ""
    view: View = View.UNKNOWN
    in_position: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    rules: tuple[RuleResult, ...] = ()
    cue: Cue = field(default_factory=lambda: Cue("", CueKind.NONE, ""))
    score: float = float("nan")
    hold_s: float = 0.0
    rounds: int = 0
    reports: dict[str, str] = field(default_factory=dict)
    num_people: int = 0

    @property
    def faults(self) -> tuple[str, ...]:
        """Ids of the rules in fault on this frame."""
        return tuple(r.id for r in self.rules if r.state == RuleState.FAULT)


class SideTracker:
    """Keeps the exercise side stable: switches only when the other side clearly wins."""

    def __init__(self, choose: str, margin: float) -> None:
        self.choose = choose
        self.margin = margin
        self.reset()

    def reset(self) -> None:
        """Forget the side."""
        self.side = ""

    def update(self, left: float, right: float) -> str:
        """Return the side given the side metric for each side (NaN when unseen)."""
        if math.isnan(left) and math.isnan(right):
            return self.side
        if math.isnan(left) or math.isnan(right):
            best = "right" if math.isnan(left) else "left"
            self.side = self.side or best
            return self.side
        diff = (left - right) if self.choose == "max" else (right - left)  # > 0 favours left
        candidate = "left" if diff > 0 else "right"
        if not self.side or (candidate != self.side and abs(diff) > self.margin):
            self.side = candidate
        return self.side


class RoundCounter:
    """Counts rounds of a metric swinging past ``low`` and ``high`` (one round = both)."""

    def __init__(self, spec: CounterSpec) -> None:
        self.spec = spec
        self.reset()

    def reset(self) -> None:
        """Start counting from zero."""
        self.rounds = 0
        self._seen: set[str] = set()
        self._last = ""

    def update(self, value: float) -> int:
        """Feed one value; return completed rounds."""
        if math.isnan(value):
            return self.rounds
        phase = "low" if value <= self.spec.low else "high" if value >= self.spec.high else ""
        if phase and phase != self._last:
            self._seen.add(phase)
            self._last = phase
            if len(self._seen) == 2:  # one flexion and one extension since the last round
                self.rounds += 1
                self._seen = set()
        return self.rounds


class ExerciseSession:
    """Judges one exercise over a stream of smoothed poses. ``update``/``reset``."""

    def __init__(self, spec: ExerciseSpec, options: SessionOptions | None = None) -> None:
        self.spec = spec
        self.options = options or SessionOptions()
        self.metrics = MetricEvaluator(spec)
        instant = self.options.instant
        self.trackers = [RuleTracker(r, instant=instant) for r in spec.rules]
        self.weights = {r.id: r.weight for r in spec.rules}
        self.view_tracker = ViewTracker(instant=instant)
        self.side_tracker = SideTracker(spec.side.choose, self.options.side_margin) if spec.side else None
        self.counter = RoundCounter(spec.counter) if spec.counter else None
        self.cues = CueSelector(self.options.cues)
        # Landmarks the position checks need, per side, to explain what is out of view.
        self._position_points = {
            side: sorted({i for c in spec.position for i in self._metric_points(c.metric, side)})
            for side in ("left", "right")
        }
        self.reset()

    def _metric_points(self, metric_id: str, side: str) -> set[int]:
        m = self.spec.metrics[metric_id]
        pts = set(resolve_points(m.points, side).tolist())
        for ref in m.of:
            pts |= self._metric_points(ref, side)
        return pts

    def reset(self) -> None:
        """Start a new session: hold time, rounds, faults, cues and trackers from zero."""
        self.metrics.reset()
        for tr in self.trackers:
            tr.reset()
        self.view_tracker.reset()
        if self.side_tracker:
            self.side_tracker.reset()
        if self.counter:
            self.counter.reset()
        self.cues.reset()
        self.hold_s = 0.0
        self._in_position = False
        self._pos_change_since: float | None = None
        self._last_t: float | None = None

    # ------------------------------------------------------------------ helpers

    def _visibility_reason(self, frame: PoseFrame, side: str) -> str:
        """'' when the position landmarks are visible, else which part is missing."""
        rows = self.metrics.point_rows(frame)
        missing = [i for i in self._position_points[side or "left"] if not math.isfinite(rows[i][0])]
        if not missing:
            return ""
        names = {n for n, i in POINT_INDEX.items() if i in missing}
        if any(("ankle" in n or "heel" in n or "foot" in n or "knee" in n) for n in names):
            return "feet"
        if any(("nose" in n or "ear" in n or "eye" in n) for n in names):
            return "head"
        return "body"

    def _update_position(self, holds: bool, t: float) -> bool:
        if self.options.instant:
            self._in_position = holds
            return holds
        if holds == self._in_position:
            self._pos_change_since = None
        else:
            if self._pos_change_since is None:
                self._pos_change_since = t
            wait = self.options.enter_s if holds else self.options.exit_s
            if t - self._pos_change_since >= wait:
                self._in_position = holds
                self._pos_change_since = None
        return self._in_position

    # ------------------------------------------------------------------ update

    def update(self, frame: PoseFrame | None, timestamp_s: float | None = None) -> FrameResult:
        """Judge one frame.

        Args:
            frame: the smoothed pose, or None when nobody is in view.
            timestamp_s: the frame time (taken from ``frame`` when given).
        """
        spec = self.spec
        t = frame.timestamp_s if frame is not None else float(timestamp_s or 0.0)
        dt = 0.0 if self._last_t is None else min(max(0.0, t - self._last_t), MAX_HOLD_STEP_S)
        self._last_t = t
        unknown_rules = tuple(RuleResult(r.id, RuleState.UNKNOWN, float("nan"), r.threshold, reason="no person")
                              for r in spec.rules)
        if frame is None:
            self._update_position(False, t)
            for tr in self.trackers:
                tr.update(float("nan"), t, "no person")
            cue = self.cues.update([Cue(SETUP_CUES["no_person"], CueKind.SETUP, "no_person", 0)], t)
            return FrameResult(t, spec.id, None, rules=unknown_rules, cue=cue, hold_s=self.hold_s,
                               rounds=self.counter.rounds if self.counter else 0)

        side = ""
        if self.side_tracker and spec.side:
            side = self.side_tracker.update(*self.metrics.side_values(frame))
        values = self.metrics.update(frame, side or "left")
        view = self.view_tracker.update(frame)
        vis_reason = self._visibility_reason(frame, side)
        holds = not vis_reason and all(c.holds(values) for c in spec.position)
        in_position = self._update_position(holds, t)

        setup: list[Cue] = []
        if vis_reason:
            setup.append(Cue(SETUP_CUES[vis_reason], CueKind.SETUP, vis_reason, 0))
        elif view.value not in spec.views and view != View.UNKNOWN:
            want = spec.views[0]
            setup.append(Cue(SETUP_CUES[want], CueKind.SETUP, f"view_{want}", 0))
        elif not in_position:
            setup.append(Cue(spec.position_cue, CueKind.SETUP, "position", 0))

        results = []
        for tr in self.trackers:
            r = tr.rule
            gate = ""
            if not in_position:
                gate = "not in position"
            elif view.value not in r.views:
                gate = f"cannot be seen from the {view.value}" if view != View.UNKNOWN else "view unknown"
            else:
                applies = [c.holds(values) for c in r.when]
                if False in applies:  # known not to apply (e.g. the foot is nowhere near the knee)
                    results.append(tr.not_applicable(t))
                    continue
                if None in applies:
                    gate = "landmarks not visible"
            results.append(tr.update(values.get(r.metric, float("nan")), t, gate))

        faults = [res for res in results if res.state == RuleState.FAULT]
        if in_position and not faults:
            self.hold_s += dt
        rounds = self.counter.update(values[self.counter.spec.metric]) if self.counter and in_position else (
            self.counter.rounds if self.counter else 0
        )
        reports = {rep.id: self._report_label(rep, values) for rep in spec.reports} if in_position else {}

        candidates = list(setup)
        by_id = {r.id: r for r in spec.rules}
        candidates += [Cue(by_id[f.id].cue, CueKind.FAULT, f.id, by_id[f.id].priority) for f in faults]
        known = any(res.state != RuleState.UNKNOWN for res in results)
        if in_position and not setup and not faults and known:
            candidates.append(Cue(GOOD_FORM_TEXT, CueKind.GOOD, "good", 50))
        cue = self.cues.update(candidates, t)
        return FrameResult(
            timestamp_s=t,
            exercise=spec.id,
            pose=frame,
            side=side,
            view=view,
            in_position=in_position,
            metrics=values,
            rules=tuple(results),
            cue=cue,
            score=form_score(results, self.weights) if in_position else float("nan"),
            hold_s=self.hold_s,
            rounds=rounds,
            reports=reports,
            num_people=frame.num_people,
        )

    @staticmethod
    def _report_label(rep: ReportSpec, values: dict[str, float]) -> str:
        for case in rep.cases:
            if all(c.holds(values) is True for c in case.when):
                return case.label
        return rep.default


def majority(labels: list[str]) -> str:
    """The most common label ('' for none)."""
    return Counter(labels).most_common(1)[0][0] if labels else ""
