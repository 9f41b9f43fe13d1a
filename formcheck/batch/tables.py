"""Deterministic result files: ``clips.csv``, ``evaluation.csv``, ``metrics.json``.

Their bytes depend only on the clips, labels, specs and model: rows are sorted by clip path
and no timing, host or absolute path is written (timings are in ``timing.json``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from formcheck.batch.labels import LabelRow
from formcheck.batch.record import BatchRecord
from formcheck.batch.runner import write_atomic
from formcheck.batch.scoring import RowOutcome
from formcheck.engine.summary import FaultSummary

CLIP_COLUMNS = (
    "file",
    "exercise_mode",
    "kind",
    "exercise",
    "side",
    "view",
    "frames",
    "frames_with_person",
    "duration_s",
    "in_position_s",
    "score",
    "hold_s",
    "rounds",
    "faults",
    "reports",
    "error",
    "annotated",
    "content_sha256",
)
EVAL_COLUMNS = (
    "file",
    "row",
    "window",
    "labelled_exercise",
    "predicted_exercise",
    "position_reached",
    "labelled_faults",
    "predicted_faults",
    "missed",
    "false_alarms",
    "error",
)


def format_faults(faults: Mapping[str, FaultSummary]) -> str:
    """``{"a": FaultSummary(1.2, ((0, 1.2),))}`` → ``"a 0.00-1.20"``; faults joined by ``; ``."""
    parts = []
    for fid in sorted(faults):
        spans = " ".join(f"{a:.2f}-{b:.2f}" for a, b in faults[fid].intervals)
        parts.append(f"{fid} {spans}".strip())
    return "; ".join(parts)


def clip_row(rec: BatchRecord) -> dict:
    """One per-clip table row (flat, CSV-ready)."""
    row = {c: getattr(rec, c) for c in CLIP_COLUMNS}
    row["faults"] = format_faults(rec.faults)
    row["reports"] = "; ".join(f"{k}={v}" for k, v in sorted(rec.reports.items()))
    return {k: "" if v is None else v for k, v in row.items()}


def _csv(columns: Sequence[str], rows: Iterable[Mapping]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def clips_csv(records: Iterable[BatchRecord]) -> str:
    """The per-clip table as CSV text."""
    return _csv(CLIP_COLUMNS, (clip_row(r) for r in records))


def evaluation_row(o: RowOutcome) -> dict:
    """One label row with its prediction, as a flat dict."""
    r: LabelRow = o.row
    p = o.predicted
    reached = "" if p is None or r.exercise == "none" else ("yes" if p.reached(r.exercise) else "no")
    return {
        "file": r.file,
        "row": r.row,
        "window": r.window,
        "labelled_exercise": r.exercise,
        "predicted_exercise": "(pending)" if p is None else p.exercise,
        "position_reached": reached,
        "labelled_faults": ";".join(f"{r.exercise}/{f}" for f in r.faults),
        "predicted_faults": "" if p is None else ";".join(p.faults),
        "missed": ";".join(o.fn),
        "false_alarms": ";".join(o.fp),
        "error": o.error or "",
    }


def evaluation_csv(outcomes: Iterable[RowOutcome]) -> str:
    """Every label row scored, as CSV text (in label-file order)."""
    return _csv(EVAL_COLUMNS, (evaluation_row(o) for o in outcomes))


def write_tables(
    out: Path, records: Sequence[BatchRecord], outcomes: Sequence[RowOutcome] | None, metrics: dict | None
) -> None:
    """Write ``clips.csv`` and, with labels, ``evaluation.csv`` and ``metrics.json`` under ``out``."""
    write_atomic(out / "clips.csv", clips_csv(records))
    if outcomes is not None and metrics is not None:
        write_atomic(out / "evaluation.csv", evaluation_csv(outcomes))
        write_atomic(out / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        for name in ("evaluation.csv", "metrics.json"):
            (out / name).unlink(missing_ok=True)
