"""labels.csv rows in the FORM_RULES.md format, with time windows per clip."""

from __future__ import annotations

import csv
from pathlib import Path

from formcheck.synth.catalog import ClipSpec
from formcheck.synth.motion import Timing
from formcheck.synth.poses import LYING_ARM_VARIANTS

COLUMNS = ("file", "exercise", "faults", "view", "start_s", "end_s", "notes")


def clip_rows(spec: ClipSpec, timing: Timing) -> list[dict[str, str]]:
    """Label windows of one clip.

    The entry (before the body is in position) is a ``none`` window; a fault clip has a correct
    window before the fault starts and a fault window once it is fully developed; the ramp in
    between (``timing.fault_ramp_s``) is left unlabelled because it is neither. A fault present
    from the start (it develops with the move into position) has no correct window: its fault
    window starts when the body is in position.

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
    elif spec.arms in LYING_ARM_VARIANTS.get(spec.activity, ()):
        base += f"; arms={spec.arms}"
    if spec.activity == "boat_pose":
        base += "; stage=" + ("half" if spec.fault == "knees_bent" else "full")
    if spec.exercise == "none":
        return [_row(file, "none", "", view, 0.0, timing.duration_s, f"{base}; {spec.activity}")]
    entry = "entry, moving into position"
    if timing.entry_hold_s >= 2.0:
        entry = f"entry held {timing.entry_hold_s:.1f} s, moving into position"
    rows = [_row(file, "none", "", view, 0.0, timing.in_position_s, f"{base}; {entry}")]
    if spec.fault is None:
        rows.append(_row(file, spec.exercise, "", view, timing.in_position_s, timing.duration_s, base))
        return rows
    start = timing.fault_start_s or 0.0
    ramp_s = timing.fault_ramp_s
    if timing.fault_from_start:
        rows.append(_row(file, spec.exercise, spec.fault, view, timing.in_position_s, timing.duration_s,
                         base + f"; {spec.fault} present from the start (develops with the move into position)"))
        return rows
    rows.append(_row(file, spec.exercise, "", view, timing.in_position_s, start, base + "; before the fault"))
    ramp = f"ramp {start:.1f}-{start + ramp_s:.1f} s unlabelled"
    rows.append(_row(file, spec.exercise, spec.fault, view, start + ramp_s, timing.duration_s,
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
