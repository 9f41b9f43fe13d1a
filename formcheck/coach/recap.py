"""The session recap: per exercise and side, good-form hold, score, faults, key measures, balance.

:class:`RecapBuilder` is fed one :class:`FrameSample` per judged frame (timestamps from any
clock) and gives a :class:`Recap`. The figures agree by construction: every in-position second
is either good form or under at least one correction, so ``good_s + fault_s == in_position_s``;
the score is the time-weighted frame score over the in-position time, and a correction active
for a large share of that time is named next to it. Pure stdlib.
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from formcheck.coach.words import NOTABLE_FAULT_SHARE, fault_name, id_words

#: Frame gaps longer than this count as this long, in seconds (the stream stalled).
MAX_STEP_S = 0.5
#: Without a baseline from the engine, the back gap's baseline is its mean over the first
#: this many seconds in position.
BASELINE_S = 2.0
RECAP_VERSION = 1


@dataclass(frozen=True)
class FrameSample:
    """One judged frame, as the recap needs it.

    Attributes:
        t: the frame time, in seconds (any monotonic clock).
        exercise: the exercise judged (None: nothing recognised).
        side: "left"/"right"/"" (no side or unknown).
        in_position: in the exercise's position.
        faults: ids of the faults active.
        score: the frame's 0–100 form score (NaN when unknown).
        metrics: metric id → value (NaN when unknown).
        reports: report id → label (e.g. tree foot placement).
        rounds: completed Cat-Cow rounds.
    """

    t: float
    exercise: str | None
    side: str = ""
    in_position: bool = False
    faults: tuple[str, ...] = ()
    score: float = float("nan")
    metrics: dict[str, float] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    rounds: int = 0


def sample_from_result(result: Any) -> FrameSample:
    """A :class:`FrameSample` from an engine ``FrameResult``."""
    metrics = result.metrics
    bases = {f"{b.metric}_baseline": b.value for b in getattr(result, "baselines", ()) if math.isfinite(b.value)}
    if bases:  # the engine's personal baselines (the psoas stretch's flat back: back_gap_baseline)
        metrics = {**metrics, **bases}
    return FrameSample(
        t=result.timestamp_s, exercise=result.exercise, side=result.side, in_position=result.in_position,
        faults=result.faults, score=result.score, metrics=metrics, reports=result.reports,
        rounds=result.rounds,
    )


@dataclass(frozen=True)
class MeasureDef:
    """A key measure of an exercise.

    Attributes:
        id: the measure id (stored in the history).
        exercise: the exercise it belongs to.
        label: its name in words.
        unit: "deg", "%" (share of torso length) or "" .
        compute: metrics → value (NaN when unknown).
        noun: the body part named in a balance sentence ("knee").
        more: words for a larger value in a balance sentence ("further from the chest").
        less: words for a smaller value.
        digits: decimals shown.
    """

    id: str
    exercise: str
    label: str
    unit: str
    compute: Callable[[dict[str, float]], float]
    noun: str = ""
    more: str = "more"
    less: str = "less"
    digits: int = 0


def _m(name: str) -> Callable[[dict[str, float]], float]:
    return lambda m: m.get(name, math.nan)


def _boat_v(m: dict[str, float]) -> float:
    # Torso leans back r° from vertical, thighs rise θ° above the floor: the angle between
    # them at the hip is 90 + r − θ (a closed V is small).
    return 90.0 + m.get("torso_recline", math.nan) - m.get("thigh_lift", math.nan)


#: The key measures, per exercise (the first is the one compared between sides).
KEY_MEASURES: dict[str, tuple[MeasureDef, ...]] = {
    "psoas_stretch": (
        MeasureDef("knee_to_chest", "psoas_stretch", "Knee-to-chest angle at the hip", "deg", _m("hip_flexion"),
                   "knee", "further from the chest", "closer to the chest"),
        MeasureDef("back_gap", "psoas_stretch", "Gap under the lower back", "%",
                   lambda m: 100.0 * m.get("back_gap", math.nan), "lower back", "higher off the floor",
                   "closer to the floor", 1),
    ),
    "boat_pose": (
        MeasureDef("v_angle", "boat_pose", "Boat V angle (torso to thighs)", "deg", _boat_v, "V", "more open",
                   "more closed"),
    ),
    "modified_gate_pose": (
        MeasureDef("side_leg_knee", "modified_gate_pose", "Side leg knee angle", "deg", _m("side_knee"),
                   "side leg", "straighter", "more bent"),
    ),
    "pyramid_pose": (
        MeasureDef("fold", "pyramid_pose", "Forward fold (from upright)", "deg", _m("torso_fold"), "fold",
                   "deeper", "shallower"),
    ),
    "tree_pose": (
        MeasureDef("foot_height", "tree_pose", "Foot height on the standing leg (thigh heights; below 0 = calf)",
                   "", _m("foot_height_on_leg"), "foot", "higher", "lower", 2),
    ),
    "constructive_rest": (
        MeasureDef("movement", "constructive_rest", "Movement (torso lengths per second)", "",
                   _m("motion"), "body", "more restless", "stiller", 3),
    ),
}
#: Report ids shown in the recap (the most frequent label in position).
KEY_REPORTS = {"tree_pose": ("foot", "arms"), "boat_pose": ("stage",)}


@dataclass(frozen=True)
class FaultStat:
    """One correction over a recap entry.

    Attributes:
        fault: the fault id.
        name: its plain name.
        times: how many times it was called (onsets).
        total_s: how long it was active in total, in seconds.
        share: total_s over the time in position (0–1).
    """

    fault: str
    name: str
    times: int
    total_s: float
    share: float


@dataclass(frozen=True)
class MeasureStat:
    """A key measure's mean over the time in position.

    Attributes:
        id: the measure id.
        label: its name in words.
        value: the mean.
        unit: its unit ("deg", "%", "").
        baseline: the person's own baseline when the measure has one (back gap), else None.
    """

    id: str
    label: str
    value: float
    unit: str
    baseline: float | None = None


@dataclass(frozen=True)
class RecapEntry:
    """One exercise and side of a session.

    Attributes:
        exercise: the exercise id.
        exercise_name: its name.
        side: "left", "right" or "" (no side).
        target_s: the routine's hold target (None outside a routine).
        good_s: good-form hold: in position with no correction active, in seconds.
        in_position_s: time in position, in seconds.
        fault_s: time in position with at least one correction active (in_position_s − good_s).
        score: time-weighted form score over the time in position (None: never judged).
        score_note: why the score is what it is, when a correction lasted a large share.
        faults: each correction, most time first.
        measures: the key measures.
        reports: report id → the most frequent label (e.g. foot placement "thigh").
        rounds: Cat-Cow rounds (0 where not counted).
    """

    exercise: str
    exercise_name: str
    side: str
    target_s: float | None
    good_s: float
    in_position_s: float
    fault_s: float
    score: float | None
    score_note: str
    faults: tuple[FaultStat, ...] = ()
    measures: tuple[MeasureStat, ...] = ()
    reports: dict[str, str] = field(default_factory=dict)
    rounds: int = 0

    @property
    def reached(self) -> bool | None:
        """Whether the target was held (None without a target)."""
        return None if self.target_s is None else self.good_s + 1e-6 >= self.target_s


@dataclass(frozen=True)
class Recap:
    """A session's recap.

    Attributes:
        session_id: a unique id (the history's key).
        started_at: ISO 8601 UTC time of the first frame.
        ended_at: ISO 8601 UTC time of the end.
        mode: "routine" or "single".
        routine: the routine id (routine mode).
        completed: every step of the routine was held.
        entries: per exercise and side, in the order first seen.
        balance: one sentence per sided exercise done on both sides.
    """

    session_id: str
    started_at: str
    ended_at: str
    mode: str
    routine: str | None
    completed: bool
    entries: tuple[RecapEntry, ...]
    balance: tuple[str, ...] = ()
    version: int = RECAP_VERSION

    @property
    def empty(self) -> bool:
        """Nothing was judged in position."""
        return not any(e.in_position_s > 0 or e.good_s > 0 for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        """The recap as a JSON-ready dict."""
        return asdict(self)

    def to_json(self) -> str:
        """The recap as JSON text."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=str)

    def to_csv(self) -> str:
        """One row per exercise and side; faults and measures in columns."""
        buf = io.StringIO()
        fields = ["session_id", "started_at", "mode", "routine", "exercise", "side", "target_s", "good_form_s",
                  "in_position_s", "with_corrections_s", "score", "score_note", "rounds", "faults", "measures",
                  "reports"]
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for e in self.entries:
            w.writerow({
                "session_id": self.session_id, "started_at": self.started_at, "mode": self.mode,
                "routine": self.routine or "", "exercise": e.exercise, "side": e.side,
                "target_s": "" if e.target_s is None else f"{e.target_s:g}", "good_form_s": f"{e.good_s:.1f}",
                "in_position_s": f"{e.in_position_s:.1f}", "with_corrections_s": f"{e.fault_s:.1f}",
                "score": "" if e.score is None else f"{e.score:.1f}", "score_note": e.score_note,
                "rounds": e.rounds,
                "faults": "; ".join(f"{f.fault} x{f.times} {f.total_s:.1f}s" for f in e.faults),
                "measures": "; ".join(f"{m.id}={m.value:.3g}" for m in e.measures),
                "reports": "; ".join(f"{k}={v}" for k, v in e.reports.items()),
            })
        return buf.getvalue()


def recap_from_dict(d: dict[str, Any]) -> Recap:
    """Rebuild a :class:`Recap` from :meth:`Recap.to_dict`."""
    entries = tuple(
        RecapEntry(**{**e, "faults": tuple(FaultStat(**f) for f in e["faults"]),
                      "measures": tuple(MeasureStat(**m) for m in e["measures"])})
        for e in d["entries"]
    )
    return Recap(**{**d, "entries": entries, "balance": tuple(d.get("balance", ()))})


@dataclass
class _Acc:
    """Running sums of one (exercise, side)."""

    in_position_s: float = 0.0
    good_s: float = 0.0
    fault_s: float = 0.0
    score_sum: float = 0.0
    score_s: float = 0.0
    fault_total: Counter = field(default_factory=Counter)
    fault_times: Counter = field(default_factory=Counter)
    active: frozenset = frozenset()
    measure_sum: dict = field(default_factory=lambda: defaultdict(float))
    measure_s: dict = field(default_factory=lambda: defaultdict(float))
    baseline_sum: float = 0.0
    baseline_s: float = 0.0
    engine_baseline: float = math.nan
    reports: dict = field(default_factory=lambda: defaultdict(Counter))
    rounds: int = 0


def _now_iso(wall: Callable[[], datetime]) -> str:
    return wall().astimezone(UTC).isoformat(timespec="seconds")


class RecapBuilder:
    """Accumulates frames into a :class:`Recap`. ``update``/``finish``.

    Args:
        names: exercise id → name.
        mode: "routine" or "single".
        routine: the routine id in routine mode.
        targets: (exercise, side) → the hold target (summed over the routine's steps).
        wall: the wall clock for the recap's times (injectable for tests).
    """

    def __init__(self, names: dict[str, str], mode: str = "single", routine: str | None = None,
                 targets: dict[tuple[str, str], float] | None = None,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.names = names
        self.mode = mode
        self.routine = routine
        self.targets = dict(targets or {})
        self._wall = wall
        self._accs: dict[tuple[str, str], _Acc] = {}
        self._last: dict[tuple[str, str], float] = {}
        self._last_t: float | None = None
        self.started_at = _now_iso(wall)
        self.session_id = uuid.uuid4().hex
        for key in self.targets:  # a routine's steps appear even when never reached
            self._accs[key] = _Acc()

    def update(self, s: FrameSample, side: str | None = None, dt: float | None = None) -> None:
        """Add one frame.

        Args:
            s: the frame.
            side: the side to file it under (the routine step's); default the frame's side.
            dt: the frame's duration when the caller knows it (the routine's step machine, so
                that the recap and the step's hold count the same time); default the time
                since the previous frame, at most ``MAX_STEP_S``.
        """
        if dt is None:
            dt = 0.0 if self._last_t is None else min(max(0.0, s.t - self._last_t), MAX_STEP_S)
        self._last_t = s.t
        if s.exercise is None:
            return
        key = (s.exercise, s.side if side is None else side)
        acc = self._accs.get(key)
        if acc is None:
            acc = self._accs[key] = _Acc()
        if not s.in_position:
            acc.active = frozenset()
            return
        acc.in_position_s += dt
        faults = frozenset(s.faults)
        for f in faults - acc.active:
            acc.fault_times[f] += 1
        acc.active = faults
        if faults:
            acc.fault_s += dt
            for f in faults:
                acc.fault_total[f] += dt
        else:
            acc.good_s += dt
        if not math.isnan(s.score):
            acc.score_sum += s.score * dt
            acc.score_s += dt
        for m in KEY_MEASURES.get(s.exercise, ()):
            v = m.compute(s.metrics)
            if math.isfinite(v):
                acc.measure_sum[m.id] += v * dt
                acc.measure_s[m.id] += dt
        gap = s.metrics.get("back_gap", math.nan)
        base = s.metrics.get("back_gap_baseline", math.nan)
        if math.isfinite(base):
            acc.engine_baseline = base
        elif math.isfinite(gap) and acc.in_position_s < BASELINE_S:
            acc.baseline_sum += gap * dt
            acc.baseline_s += dt
        for rid in KEY_REPORTS.get(s.exercise, ()):
            if rid in s.reports:
                acc.reports[rid][s.reports[rid]] += dt
        acc.rounds = max(acc.rounds, s.rounds)

    def entry(self, key: tuple[str, str]) -> RecapEntry:
        """The figures of one (exercise, side) so far."""
        exercise, side = key
        acc = self._accs.get(key) or _Acc()
        pos = acc.in_position_s
        faults = tuple(sorted(
            (FaultStat(f, fault_name(f, exercise), acc.fault_times[f], round(t, 2), t / pos if pos else 0.0)
             for f, t in acc.fault_total.items()),
            key=lambda f: -f.total_s,
        ))
        score = acc.score_sum / acc.score_s if acc.score_s > 0 else None
        note = ""
        big = [f for f in faults if f.share >= NOTABLE_FAULT_SHARE]
        if big:
            note = "; ".join(f"{f.name.lower()} {f.share:.0%} of the time" for f in big)
            note = note[:1].upper() + note[1:]
        measures = []
        for m in KEY_MEASURES.get(exercise, ()):
            if acc.measure_s.get(m.id, 0.0) <= 0:
                continue
            value = acc.measure_sum[m.id] / acc.measure_s[m.id]
            baseline = None
            if m.id == "back_gap":
                b = acc.engine_baseline if math.isfinite(acc.engine_baseline) else (
                    acc.baseline_sum / acc.baseline_s if acc.baseline_s > 0 else math.nan)
                baseline = round(100.0 * b, 2) if math.isfinite(b) else None
            measures.append(MeasureStat(m.id, m.label, round(value, 4), m.unit, baseline))
        return RecapEntry(
            exercise=exercise, exercise_name=self.names.get(exercise, id_words(exercise)), side=side,
            target_s=self.targets.get(key), good_s=round(acc.good_s, 2), in_position_s=round(pos, 2),
            fault_s=round(pos - acc.good_s, 2) if pos else 0.0,
            score=None if score is None else round(score, 1), score_note=note, faults=faults,
            measures=tuple(measures), reports={k: c.most_common(1)[0][0] for k, c in acc.reports.items() if c},
            rounds=acc.rounds,
        )

    def finish(self, completed: bool = False) -> Recap:
        """The recap of everything fed so far."""
        entries = tuple(self.entry(k) for k in self._accs)
        return Recap(
            session_id=self.session_id, started_at=self.started_at, ended_at=_now_iso(self._wall),
            mode=self.mode, routine=self.routine, completed=completed, entries=entries,
            balance=tuple(balance_sentences(entries)),
        )


def _fmt_measure(m: MeasureDef, diff: float) -> str:
    unit = {"deg": "°", "%": "% of torso length"}.get(m.unit, "")
    return f"{abs(diff):.{m.digits}f}{unit}"


def balance_sentences(entries: tuple[RecapEntry, ...] | list[RecapEntry]) -> list[str]:
    """Left/right balance of each sided exercise done on both sides, in words.

    E.g. "Psoas Stretch: right side held 18 s less; knee 12° further from the chest."
    """
    by_ex: dict[str, dict[str, RecapEntry]] = defaultdict(dict)
    for e in entries:
        if e.side in ("left", "right") and e.in_position_s > 0:
            by_ex[e.exercise][e.side] = e
    out = []
    for ex, sides in by_ex.items():
        if len(sides) < 2:
            continue
        left, right = sides["left"], sides["right"]
        diff = right.good_s - left.good_s
        weaker = "right" if diff < 0 else "left"
        parts = []
        if abs(diff) >= 1.0:
            parts.append(f"{weaker} side held {abs(diff):.0f} s less")
        else:
            parts.append("both sides held about as long")
            weaker = "right"
        defs = KEY_MEASURES.get(ex, ())
        if defs:
            m = defs[0]
            vals = {s: {x.id: x.value for x in sides[s].measures}.get(m.id) for s in ("left", "right")}
            if vals["left"] is not None and vals["right"] is not None:
                other = "left" if weaker == "right" else "right"
                d = vals[weaker] - vals[other]
                if abs(d) >= 10 ** -m.digits:
                    words = m.more if d > 0 else m.less
                    prefix = "" if abs(diff) >= 1.0 else f"{weaker} side: "
                    parts.append(f"{prefix}{m.noun} {_fmt_measure(m, d)} {words}")
        name = left.exercise_name
        out.append(f"{name}: " + "; ".join(parts) + ".")
    return out
