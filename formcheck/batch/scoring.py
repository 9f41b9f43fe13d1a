"""Score label rows against the engine's per-frame output: windows → predictions → metrics.

Pure stdlib. A clip's engine output is kept as *segments*: runs of consecutive frames with the
same (exercise, in position, faults), each frame lasting until the next frame's time (the last
one for one frame step). A label row's window [start_s, end_s] (empty = the whole clip) is
scored as follows (FORM_RULES.md):

* predicted exercise: the exercise the engine was in position for during most (more than
  half) of the window, else ``none``;
* predicted faults: ``exercise/fault`` keys active at least ``MIN_FAULT_S`` in total inside
  the window (a photo: on its one frame);
* a labelled exercise row counts TP/FN for its labelled faults and FP for every other
  predicted key (also keys of another exercise); a ``none`` row counts every predicted key as
  a false alarm;
* position reached (rows of exercise E): the engine was in position for E at least
  ``MIN_FAULT_S`` (or half the window, if shorter) inside the window (a photo: its one frame).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from formcheck.batch.labels import NONE, LabelRow
from formcheck.engine.summary import MIN_FAULT_S

if TYPE_CHECKING:
    from formcheck.batch.record import BatchRecord

AUTO = "auto"
LABELS = "labels"
#: Seconds kept in stored segment times.
_DIGITS = 4
_EPS = 1e-9

#: A segment: [start_s, end_s, exercise or None, in position, fault ids].
Segment = list


def segments_from_frames(
    frames: Iterable[tuple[float, str | None, bool, Sequence[str]]], last_step_s: float
) -> list[Segment]:
    """Run-length encode per-frame briefs into segments.

    Args:
        frames: (time, exercise, in position, faults) per frame, in time order.
        last_step_s: how long the last frame lasts (one frame step; 1.0 for a photo).

    Returns:
        ``[start_s, end_s, exercise, in_position, sorted faults]`` lists, times rounded.
    """
    out: list[Segment] = []
    prev: tuple | None = None
    start = last_t = 0.0
    for t, exercise, in_position, faults in frames:
        state = (exercise, bool(in_position), sorted(set(faults)))
        if prev is None:
            start = t
        elif state != prev:
            out.append([round(start, _DIGITS), round(t, _DIGITS), prev[0], prev[1], prev[2]])
            start = t
        prev, last_t = state, t
    if prev is not None:
        out.append([round(start, _DIGITS), round(last_t + last_step_s, _DIGITS), prev[0], prev[1], prev[2]])
    return out


@dataclass(frozen=True)
class WindowPrediction:
    """What the engine showed inside one window.

    Attributes:
        exercise: the predicted exercise id, or ``"none"``.
        faults: predicted ``exercise/fault`` keys, sorted.
        position_s: exercise id → seconds in position inside the window.
        covered_s: seconds of the clip inside the window.
    """

    exercise: str
    faults: tuple[str, ...]
    position_s: dict[str, float] = field(default_factory=dict)
    covered_s: float = 0.0

    def reached(self, exercise: str) -> bool:
        """Whether the engine was in position for ``exercise`` long enough inside the window."""
        need = min(MIN_FAULT_S, 0.5 * self.covered_s)
        return self.position_s.get(exercise, 0.0) >= need - _EPS and self.position_s.get(exercise, 0.0) > 0


def predict_window(
    segments: Sequence[Segment], start_s: float | None = None, end_s: float | None = None, instant: bool = False
) -> WindowPrediction:
    """Predict the exercise and fault keys of one window.

    Args:
        segments: the clip's segments (:func:`segments_from_frames`).
        start_s: window start (None: the clip's start).
        end_s: window end (None: the clip's end).
        instant: a photo: the window is ignored and faults count on the one frame.
    """
    lo = -math.inf if start_s is None or instant else start_s
    hi = math.inf if end_s is None or instant else end_s
    covered = 0.0
    position: dict[str, float] = defaultdict(float)
    fault_s: dict[str, float] = defaultdict(float)
    for a, b, exercise, in_position, faults in segments:
        overlap = max(0.0, min(b, hi) - max(a, lo))
        if overlap <= 0.0:
            continue
        covered += overlap
        if exercise and in_position:
            position[exercise] += overlap
        for f in faults:
            fault_s[f"{exercise}/{f}"] += overlap
    need = 0.0 if instant else MIN_FAULT_S
    predicted = tuple(sorted(k for k, s in fault_s.items() if s >= need - _EPS))
    best = sorted(position.items(), key=lambda kv: (-kv[1], kv[0]))
    exercise = best[0][0] if best and best[0][1] > 0.5 * covered + _EPS else NONE
    rounded = {k: round(v, _DIGITS) for k, v in position.items()}
    return WindowPrediction(exercise, predicted, rounded, round(covered, _DIGITS))


def run_mode(row: LabelRow, mode: str) -> str:
    """The engine mode a row's clip is analysed with: the row's exercise in ``labels`` mode."""
    if mode == LABELS:
        return row.exercise if row.exercise != NONE else AUTO
    return mode


@dataclass(frozen=True)
class RowOutcome:
    """One label row, scored.

    Attributes:
        row: the label row.
        predicted: the engine's prediction in the row's window (None: the clip is not done).
        tp: labelled keys the engine found.
        fn: labelled keys the engine missed.
        fp: keys the engine found that the label does not list (false alarms).
        error: the clip's error message, if any.
    """

    row: LabelRow
    predicted: WindowPrediction | None
    tp: tuple[str, ...] = ()
    fn: tuple[str, ...] = ()
    fp: tuple[str, ...] = ()
    error: str | None = None


def score_row(row: LabelRow, record: BatchRecord | None) -> RowOutcome:
    """Compare one row's labels with the clip record's prediction in its window.

    Args:
        row: the label row.
        record: the clip's result record (``segments``, ``kind``, ``error``), or None when the
            clip has not been analysed (an interrupted batch).
    """
    if record is None:
        return RowOutcome(row, None)
    pred = predict_window(record.segments, row.start_s, row.end_s, record.kind == "image")
    labelled = {f"{row.exercise}/{f}" for f in row.faults} if row.exercise != NONE else set()
    found = set(pred.faults)
    return RowOutcome(
        row,
        pred,
        tp=tuple(sorted(labelled & found)),
        fn=tuple(sorted(labelled - found)),
        fp=tuple(sorted(found - labelled)),
        error=record.error,
    )


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _prf(tp: int, fp: int, fn: int) -> dict:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {"tp": tp, "fp": fp, "fn": fn, "support": tp + fn, "precision": p, "recall": r, "f1": f1}


def compute_metrics(
    outcomes: Sequence[RowOutcome], fault_keys: Sequence[str], exercises: Sequence[str], confusion: bool
) -> dict:
    """Metrics over scored rows (rows whose clip is not done are counted, not scored).

    Args:
        outcomes: the scored rows.
        fault_keys: every ``exercise/fault`` key of the loaded specs, in report order.
        exercises: every exercise id of the loaded specs.
        confusion: include the recognition confusion matrix (``--exercise auto``).

    Returns:
        A JSON-ready dict: ``faults`` (per key P/R/F1/support), ``micro``, ``exercise_accuracy``,
        ``position`` (per exercise), ``confusion`` (or None), ``misses``, ``false_alarms``.
    """
    done = [o for o in outcomes if o.predicted is not None]
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    misses, alarms = [], []
    for o in done:
        for k in o.tp:
            tp[k] += 1
        for k in o.fn:
            fn[k] += 1
            misses.append(_issue(o, k))
        for k in o.fp:
            fp[k] += 1
            alarms.append(_issue(o, k))
    keys = list(fault_keys) + sorted((set(tp) | set(fp) | set(fn)) - set(fault_keys))
    faults = [{"key": k, **_prf(tp[k], fp[k], fn[k])} for k in keys]
    correct = sum(o.predicted.exercise == o.row.exercise for o in done)
    position = []
    for ex in exercises:
        rows = [o for o in done if o.row.exercise == ex]
        reached = sum(o.predicted.reached(ex) for o in rows)
        position.append({"exercise": ex, "rows": len(rows), "reached": reached, "rate": _ratio(reached, len(rows))})
    matrix = None
    if confusion:
        names = [*exercises, NONE]
        index = {n: i for i, n in enumerate(names)}
        counts = [[0] * len(names) for _ in names]
        for o in done:
            counts[index[o.row.exercise]][index.get(o.predicted.exercise, index[NONE])] += 1
        matrix = {"labels": names, "rows_are": "labelled", "columns_are": "predicted", "counts": counts}
    return {
        "rows": len(outcomes),
        "rows_scored": len(done),
        "rows_pending": len(outcomes) - len(done),
        "rows_with_clip_error": sum(o.error is not None for o in done),
        "faults": faults,
        "micro": _prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "exercise_accuracy": {"correct": correct, "total": len(done), "accuracy": _ratio(correct, len(done))},
        "position": position,
        "confusion": matrix,
        "misses": misses,
        "false_alarms": alarms,
    }


def _issue(o: RowOutcome, key: str) -> dict:
    return {
        "file": o.row.file,
        "row": o.row.row,
        "window": o.row.window,
        "key": key,
        "labelled_exercise": o.row.exercise,
        "predicted_exercise": o.predicted.exercise if o.predicted else None,
        "error": o.error,
    }
