"""Per-frame records: the columns of the metrics CSV (stdlib).

Columns are fixed for a run from the specs it may judge, so every row has the same shape:
``frame, t_s, person, people, exercise, side, view, in_position, score, hold_s, rounds, cue,
faults``, then ``<exercise>.<metric>`` values and ``<exercise>.<fault_id>`` states.
"""

from __future__ import annotations

import math

from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec

BASE_COLUMNS = (
    "frame", "t_s", "person", "people", "exercise", "side", "view", "in_position", "score", "hold_s",
    "rounds", "cue", "faults",
)


def record_columns(specs: list[ExerciseSpec]) -> list[str]:
    """The CSV header for a run that may judge ``specs``."""
    cols = list(BASE_COLUMNS)
    for spec in specs:
        cols += [f"{spec.id}.{m}" for m in spec.metrics]
        cols += [f"{spec.id}.{r.id}" for r in spec.rules]
    return cols


def _fmt(v: float, digits: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def frame_record(index: int, r: FrameResult) -> dict[str, str]:
    """One CSV row (only the columns that apply to this frame are filled)."""
    row = {
        "frame": str(index),
        "t_s": f"{r.timestamp_s:.3f}",
        "person": "1" if r.pose is not None else "0",
        "people": str(r.num_people),
        "exercise": r.exercise or "",
        "side": r.side,
        "view": r.view.value if r.pose is not None else "",
        "in_position": "1" if r.in_position else "0",
        "score": _fmt(r.score, 1),
        "hold_s": f"{r.hold_s:.2f}",
        "rounds": str(r.rounds),
        "cue": r.cue.text,
        "faults": ";".join(r.faults),
    }
    if r.exercise:
        for k, v in r.metrics.items():
            row[f"{r.exercise}.{k}"] = _fmt(v)
        for res in r.rules:
            row[f"{r.exercise}.{res.id}"] = res.state.value
    return row
