"""labels.csv rows in the FORM_RULES.md format, with time windows per clip."""

from __future__ import annotations

import csv
from pathlib import Path

from formcheck.synth.catalog import ClipSpec
from formcheck.synth.motion import FAULT_RAMP_S, Timing

COLUMNS = ("file", "exercise", "faults", "view", "start_s", "end_s", "notes")


def clip_rows(spec: ClipSpec, timing: Timing) -> list[dict[str, str]]:
    """Label windows of one clip.

    The entry (before the body is in position) is a ``none`` window; a fault clip has a correct
    window before the fault starts and a fault window once it is fully developed; the ramp in
    between (``FAULT_RAMP_S``) is left unlabelled because it is neither.

    Args:
        spec: The clip.
        timing: Its timing.

    Returns:
        Rows for labels.csv.
    """
    file = f"{spec.name}.mp4"
    view = spec.label_view
    base = f"synthetic render; body={spec.body}; side={spec.side}"
    if spec.activity == "tree_pose":
        base += f"; arms={spec.arms}; foot={'knee' if spec.fault == 'foot_on_knee' else spec.foot}"
    if spec.activity == "boat_pose":
        base += "; stage=" + ("half" if spec.fault == "knees_bent" else "full")
    if spec.exercise == "none":
        return [_row(file, "none", "", view, 0.0, timing.duration_s, f"{base}; {spec.activity}")]
    rows = [_row(file, "none", "", view, 0.0, timing.in_position_s, f"{base}; entry, moving into position")]
    if spec.fault is None:
        rows.append(_row(file, spec.exercise, "", view, timing.in_position_s, timing.duration_s, base))
        return rows
    start = timing.fault_start_s or 0.0
    rows.append(_row(file, spec.exercise, "", view, timing.in_position_s, start, base + "; before the fault"))
    ramp = f"ramp {start:.1f}-{start + FAULT_RAMP_S:.1f} s unlabelled"
    rows.append(_row(file, spec.exercise, spec.fault, view, start + FAULT_RAMP_S, timing.duration_s,
                     base + f"; {spec.fault} fully developed ({ramp})"))
    return rows


def _row(file: str, exercise: str, faults: str, view: str, start: float, end: float, notes: str) -> dict[str, str]:
    return {"file": file, "exercise": exercise, "faults": faults, "view": view,
            "start_s": f"{start:.2f}", "end_s": f"{end:.2f}", "notes": notes}


def write_labels(path: Path, rows: list[dict[str, str]]) -> None:
    """Write labels.csv (UTF-8, header = :data:`COLUMNS`)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
