"""One exercise, frame by frame: side, view, position, rules, cue, hold time, score.

:class:`ExerciseSession` takes already-smoothed poses (see :class:`formcheck.engine.engine.Engine`)
and keeps the per-exercise state. Pure numpy + stdlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from formcheck.engine.baseline import BaselineState, BaselineTracker
from formcheck.engine.feedback import GOOD_FORM_TEXT, Cue, CueKind, CueOptions, CueSelector
from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.metrics import POINT_INDEX, MetricEvaluator, resolve_points
from formcheck.engine.rules import RuleResult, RuleState, RuleTracker, form_score
from formcheck.engine.specs import CounterSpec, ExerciseSpec, MetricKind, ReportSpec
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

#: A view hint waits until the person has held the position this long, in seconds: the first
#: seconds belong to getting into the pose and its own cues.
HINT_AFTER_S = 4.0
#: Out of position longer than this, the next entry is a new attempt with its own baselines, in
#: seconds (a landmark dropout or a moment's fidget is shorter).
NEW_ATTEMPT_S = 1.5
#: How a rule's unknown reason starts when the camera view cannot see it.
UNSEEN_PREFIX = "cannot be seen from the"
#: Shown while the rules wait for the person to settle into the pose.
SETTLING_CUE = Cue("Hold the pose…", CueKind.SETUP, "settling", 0)
#: Shown while a personal baseline is measured (and no fault is pending).
BASELINE_CUE = Cue("Good. Hold still a moment: measuring your own starting position.", CueKind.GOOD, "baseline", 50)
#: Frame gaps longer than this do not add to the hold time, in seconds.
MAX_HOLD_STEP_S = 0.5
#: Landmarks whose movement tells a transition or a camera cut from a still hold.
_BODY_PAIRS = tuple(
    (POINT_INDEX[f"left_{part}"], POINT_INDEX[f"right_{part}"])
    for part in ("shoulder", "hip", "knee", "ankle", "wrist", "elbow")
)


@dataclass(frozen=True)
class SessionOptions:
    """Per-session settings.

    Attributes:
        instant: judge every frame on its own (photos): no debounce or hysteresis.
        enter_s: the position must hold this long before rules run, in seconds.
        exit_s: the position must be lost this long before rules stop, in seconds.
        side_margin: how much better (in the side metric's unit) the other side must read
            before the side switches.
        settle_s: no correction for this long after entering the position, in seconds: the
            frames of getting into a pose are not the pose.
        resettle_s: no correction for this long after a transition or a camera cut within
            the position, in seconds (the smoothed landmarks lag behind a cut). Shorter than
            ``settle_s``: a fault that develops is itself a movement, and it must be told.
        transition_speed: the speed that a quarter of the body's landmarks (shoulders,
            elbows, wrists, hips, knees, ankles) exceed while the person moves between poses,
            adjusts one (a hand lifting the foot higher in tree pose) or the camera cuts, in
            body lengths per second (the longest seen of torso, shoulder line and thighs).
            One limb alone (a restless foot) is not a transition; rules about movement itself
            (``motion`` metrics: restlessness) are never held back by it.
        cues: cue pacing.
    """

    instant: bool = False
    enter_s: float = 0.3
    exit_s: float = 0.6
    side_margin: float = 0.15
    settle_s: float = 1.0
    resettle_s: float = 0.5
    transition_speed: float = 3.0
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
        baselines: the personal baselines' states (value captured, or capturing now).
        settling: in position, but rules wait (just entered, moving, or a camera cut).
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
    baselines: tuple[BaselineState, ...] = ()
    settling: bool = False

    @property
    def faults(self) -> tuple[str, ...]:
        """Ids of the rules in fault on this frame."""
        return tuple(r.id for r in self.rules if r.state == RuleState.FAULT)

    @property
    def baseline_capturing(self) -> bool:
        """Whether a personal baseline is being measured now (the person should hold still)."""
        return any(b.capturing for b in self.baselines)


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
        self.baselines = {bid: BaselineTracker(b) for bid, b in spec.baselines.items()}
        #: Rules about movement itself: a transition does not hold them back (only entering).
        self._moving_ok = {r.id: spec.metrics[r.metric].kind == MetricKind.MOTION for r in spec.rules}
        self.cues = CueSelector(self.options.cues)
        # Landmarks the position checks need, per side, to explain what is out of view (a
        # condition that may be unknown needs none: the kneeling shin hidden from the front).
        self._position_points = {
            side: sorted({i for c in spec.position if not c.unknown_ok for i in self._metric_points(c.metric, side)})
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
        for b in self.baselines.values():
            b.reset()
        self.hold_s = 0.0
        self._in_position = False
        self._pos_change_since: float | None = None
        self._last_t: float | None = None
        self._settle_from: float | None = None  # rules judge from settle_s after this time
        self._entered_at: float | None = None  # when the position was entered
        self._last_body: tuple[float, list[tuple[float, float]]] | None = None
        self._side = ""
        self._hinted: set[str] = set()  # view hints already given
        self._out_s = 0.0  # time out of position since leaving it

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

    def _moving(self, frame: PoseFrame, t: float) -> bool:
        """Whether the body moves like a transition or a camera cut (see ``transition_speed``).

        Each left/right pair of landmarks is matched to the last frame's either way round, so
        MediaPipe swapping the two sides' labels (common for a body lying sideways to the
        camera) is not movement.
        """
        rows = self.metrics.point_rows(frame)
        pts = [(rows[a], rows[b]) for a, b in _BODY_PAIRS]
        last, self._last_body = self._last_body, (t, pts)
        if last is None or t <= last[0]:
            return False
        scale = _body_scale_px(rows)
        if not math.isfinite(scale) or scale <= 0:
            return False
        speeds: list[float] = []
        for (l_now, r_now), (l_was, r_was) in zip(pts, last[1], strict=True):
            if all(math.isfinite(p[0]) for p in (l_now, r_now, l_was, r_was)):
                same = _dist(l_now, l_was) + _dist(r_now, r_was)
                swapped = _dist(l_now, r_was) + _dist(r_now, l_was)
                speeds += [min(same, swapped) / 2] * 2
            else:
                speeds += [_dist(a, b) for a, b in ((l_now, l_was), (r_now, r_was)) if math.isfinite(a[0] + b[0])]
        if len(speeds) < 4:
            return False
        speeds.sort()
        return speeds[(3 * len(speeds)) // 4] / scale / (t - last[0]) > self.options.transition_speed

    def _breaking_rules(self, values: dict[str, float]) -> list[str]:
        """Rules whose fault explains why the position conditions fail (``RuleSpec.breaks``).

        Judged on the spec's own thresholds (a rule that breaks the position reads a body part
        far from where the position puts it, not a small change from a personal baseline).
        """
        found = []
        for r in self.spec.rules:
            if not r.breaks:
                continue
            value = values.get(r.metric, float("nan"))
            held = [c.holds(values) for c in r.broken_position(self.spec.position)]
            if all(h is True for h in held) and r.fault_when.holds(value, r.threshold):
                found.append(r.id)
        return found

    def _count_out(self, in_position: bool, dt: float) -> None:
        """Out of position long enough, the next entry is a new attempt: new baselines."""
        self._out_s = 0.0 if in_position else self._out_s + dt
        if self._out_s > NEW_ATTEMPT_S:
            for b in self.baselines.values():
                b.reset()

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

    def update(
        self, frame: PoseFrame | None, timestamp_s: float | None = None, *, attempting: bool = True
    ) -> FrameResult:
        """Judge one frame.

        Args:
            frame: the smoothed pose, or None when nobody is in view.
            timestamp_s: the frame time (taken from ``frame`` when given).
            attempting: the person is doing this exercise (chosen, or recognised and
                followed): a fault that breaks a position condition it declares
                (``RuleSpec.breaks``) is judged instead of "not in position".
        """
        spec = self.spec
        t = frame.timestamp_s if frame is not None else float(timestamp_s or 0.0)
        dt = 0.0 if self._last_t is None else min(max(0.0, t - self._last_t), MAX_HOLD_STEP_S)
        self._last_t = t
        unknown_rules = tuple(RuleResult(r.id, RuleState.UNKNOWN, float("nan"), r.threshold, reason="no person")
                              for r in spec.rules)
        if frame is None:
            self._count_out(self._update_position(False, t), dt)
            for tr in self.trackers:
                tr.update(float("nan"), t, "no person")
            cue = self.cues.update([Cue(SETUP_CUES["no_person"], CueKind.SETUP, "no_person", 0)], t)
            return FrameResult(t, spec.id, None, rules=unknown_rules, cue=cue, hold_s=self.hold_s,
                               rounds=self.counter.rounds if self.counter else 0)

        side = ""
        if self.side_tracker and spec.side:
            side = self.side_tracker.update(*self.metrics.side_values(frame))
        if side != self._side:  # the other side: its own baseline (of a metric that depends on the side)
            self._side = side
            for b in self.baselines.values():
                if spec.metrics[b.spec.metric].sided:
                    b.reset()
        values = self.metrics.update(frame, side or "left")
        view = self.view_tracker.update(frame)
        vis_reason = self._visibility_reason(frame, side)
        holds = not vis_reason and all(c.holds(values) for c in spec.position)
        if not holds and not vis_reason and attempting and not self.options.instant:
            holds = bool(self._breaking_rules(values))
        in_position = self._update_position(holds, t)
        self._count_out(in_position, dt)
        entering, settling = self._settle(in_position, self._moving(frame, t), t)
        # A photo has no baseline: one frame cannot show the person's own reference posture.
        bases = () if self.options.instant else tuple(
            tr.update(values.get(tr.spec.metric, float("nan")), t,
                      reference=in_position and not entering and view.value in spec.views)
            for tr in self.baselines.values()
        )

        setup = self._setup_cues(vis_reason, view, in_position, settling)
        results = self._judge_rules(values, view, t, in_position=in_position, settling=settling, entering=entering)

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
        quiet = in_position and not setup and not faults and t - (self._entered_at or t) >= HINT_AFTER_S
        hint = self._view_hint(results, view, t) if quiet else None
        if hint is not None:
            candidates.append(hint)
        known = any(res.state != RuleState.UNKNOWN for res in results)
        if in_position and not setup and not faults and known:
            capturing = any(b.capturing for b in bases)
            candidates.append(BASELINE_CUE if capturing else Cue(GOOD_FORM_TEXT, CueKind.GOOD, "good", 50))
        cue = self.cues.update(candidates, t)
        if cue.kind == CueKind.HINT:
            self._hinted.add(cue.key)
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
            baselines=bases,
            settling=settling,
        )

    def _settle(self, in_position: bool, moving: bool, t: float) -> tuple[bool, bool]:
        """(entering, settling): just entered the position; rules wait (entering, moving, or
        just after a transition). See ``SessionOptions.settle_s`` and ``resettle_s``."""
        if not in_position:
            self._settle_from = self._entered_at = None
        elif moving or self._settle_from is None:
            self._settle_from = t
        if in_position and self._entered_at is None:
            self._entered_at = t
        judging = in_position and not self.options.instant
        entering = judging and t - self._entered_at < self.options.settle_s
        settling = judging and (entering or moving or t - self._settle_from < self.options.resettle_s)
        return entering, settling

    def _setup_cues(self, vis_reason: str, view: View, in_position: bool, settling: bool) -> list[Cue]:
        """The setup cue that comes before any form cue (in view, facing, in position, settling)."""
        spec = self.spec
        if vis_reason:
            return [Cue(SETUP_CUES[vis_reason], CueKind.SETUP, vis_reason, 0)]
        if view.value not in spec.views and view != View.UNKNOWN:
            want = spec.views[0]
            return [Cue(SETUP_CUES[want], CueKind.SETUP, f"view_{want}", 0)]
        if not in_position:
            return [Cue(spec.position_cue, CueKind.SETUP, "position", 0)]
        return [SETTLING_CUE] if settling else []

    def _judge_rules(
        self, values: dict[str, float], view: View, t: float, *, in_position: bool, settling: bool, entering: bool
    ) -> list[RuleResult]:
        """Every rule's result on this frame, each gated by position, settling, view and ``when``."""
        base_of = {r.id: self.baselines[r.baseline].value for r in self.spec.rules if r.baseline}
        results = []
        for tr in self.trackers:
            r = tr.rule
            gate = ""
            if not in_position:
                gate = "not in position"
            elif settling and not (self._moving_ok[r.id] and not entering):
                gate = "settling"
            elif view.value not in r.views:
                gate = f"{UNSEEN_PREFIX} {view.value}" if view != View.UNKNOWN else "view unknown"
            else:
                applies = [c.holds(values) for c in r.when]
                if False in applies:  # known not to apply (e.g. the foot is nowhere near the knee)
                    results.append(tr.not_applicable(t))
                    continue
                if None in applies:
                    gate = "landmarks not visible"
            threshold = r.threshold_from(base_of.get(r.id, math.nan))
            results.append(tr.update(values.get(r.metric, float("nan")), t, gate, threshold))
        return results

    def _view_hint(self, results: list[RuleResult], view: View, t: float) -> Cue | None:
        """A once-per-session cue saying how to turn so that an unseen rule can be judged."""
        for res in results:
            rule = next(r for r in self.spec.rules if r.id == res.id)
            if res.state != RuleState.UNKNOWN or view == View.UNKNOWN or view.value in rule.views:
                continue
            key = f"hint_{'_'.join(rule.views)}"
            cur = self.cues.current
            if key in self._hinted and (cur.key != key or t - cur.since_s >= self.options.cues.min_show_s):
                continue  # said once, for its minimum showing time
            want = {"side": "your side", "front": "your front", "oblique": "a three-quarter view"}
            turn = " or ".join(want[v] for v in rule.views)
            what = rule.id.replace("_", " ")
            return Cue(f"To check '{what}', turn {turn} to the camera for a moment.", CueKind.HINT, key, 40)
        return None

    @staticmethod
    def _report_label(rep: ReportSpec, values: dict[str, float]) -> str:
        for case in rep.cases:
            if all(c.holds(values) is True for c in case.when):
                return case.label
        return rep.default


def _dist(a: list[float], b: list[float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _body_scale_px(rows: list) -> float:
    """The body's size in the image, in pixels: its longest seen segment among the torso, the
    shoulder line and the thighs (the torso alone shrinks when it points at the camera, as on
    hands and knees seen from the front). NaN when none is seen."""
    pairs = (("mid_shoulder", "mid_hip"), ("left_shoulder", "right_shoulder"), ("left_hip", "left_knee"),
             ("right_hip", "right_knee"))
    lengths = [
        math.hypot(a[0] - b[0], a[1] - b[1])
        for a, b in ((rows[POINT_INDEX[i]], rows[POINT_INDEX[j]]) for i, j in pairs)
        if math.isfinite(a[0]) and math.isfinite(b[0])
    ]
    return max(lengths) if lengths else float("nan")
