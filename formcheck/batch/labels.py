"""Read and validate a ``labels.csv`` (format in FORM_RULES.md), with errors naming file, row and column."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from formcheck.errors import FormcheckError

#: The exercise id of a row that should get no fault at all.
NONE = "none"
#: Columns a label file must have; the others (view, start_s, end_s, notes) are optional.
REQUIRED_COLUMNS = ("file", "exercise", "faults")
OPTIONAL_COLUMNS = ("view", "start_s", "end_s", "notes")
VIEWS = ("side", "front", "oblique")
#: At most this many problems are listed in one error message.
_MAX_LISTED = 20


class LabelError(FormcheckError):
    """A label file is missing or invalid; the message lists every problem (file, row, column)."""


@dataclass(frozen=True)
class LabelRow:
    """One row of a label file: a clip, or a time window of it.

    Attributes:
        file: the clip, relative to the label file's folder, with ``/`` separators.
        exercise: an exercise id, or ``"none"``.
        faults: the labelled fault ids (sorted; empty = correct form).
        view: ``side``/``front``/``oblique`` or ``""``.
        start_s: window start in seconds (None = start of the clip).
        end_s: window end in seconds (None = end of the clip).
        notes: free text.
        row: the line number in the label file (the header is line 1).
    """

    file: str
    exercise: str
    faults: tuple[str, ...] = ()
    view: str = ""
    start_s: float | None = None
    end_s: float | None = None
    notes: str = ""
    row: int = 0

    @property
    def window(self) -> str:
        """The window as text: ``"all"`` or ``"1.8-3.042"``."""
        if self.start_s is None and self.end_s is None:
            return "all"
        a = "" if self.start_s is None else f"{self.start_s:g}"
        b = "" if self.end_s is None else f"{self.end_s:g}"
        return f"{a}-{b}"


def read_labels(
    path: str | Path, fault_ids: dict[str, Iterable[str]], root: str | Path | None = None
) -> list[LabelRow]:
    """Read, validate and return the rows of a label file.

    Args:
        path: the ``labels.csv``.
        fault_ids: exercise id → its fault ids (from the loaded specs).
        root: the folder ``file`` is relative to (default: the label file's folder). Every
            named file must exist inside it.

    Raises:
        LabelError: the file is missing or unreadable, or any row is invalid. The message
            lists each problem as ``labels.csv:ROW: column 'COL': what is wrong; what to do``.
    """
    p = Path(path)
    base = Path(root) if root is not None else p.parent
    if not p.is_file():
        raise LabelError(f"{p}: label file not found; pass --labels PATH, or --no-labels to only analyse")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{p}: cannot read the label file as UTF-8 text: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise LabelError(
            f"{p}:1: missing column(s) {', '.join(missing)}; the header must be "
            f"{','.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)} (see FORM_RULES.md)"
        )
    known = {k: tuple(v) for k, v in fault_ids.items()}
    rows: list[LabelRow] = []
    problems: list[str] = []
    for raw in reader:
        line = reader.line_num  # the file line the row ends on (a quoted note may span lines)
        rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str | None)}
        if not any(rec.values()):
            continue  # blank line
        row, errs = _parse_row(rec, line, known, base)
        problems += [f"{p.name}:{line}: {e}" for e in errs]
        if row is not None:
            rows.append(row)
    if problems:
        more = f"\n  ... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
        raise LabelError(
            f"{p}: {len(problems)} problem(s) in the label file:\n  " + "\n  ".join(problems[:_MAX_LISTED]) + more
        )
    return rows


def _parse_row(
    rec: dict[str, str], line: int, known: dict[str, tuple[str, ...]], base: Path
) -> tuple[LabelRow | None, list[str]]:
    errs: list[str] = []
    file = rec.get("file", "")
    errs += _check_file(file, base)
    exercise = rec.get("exercise", "")
    if exercise != NONE and exercise not in known:
        errs.append(f"column 'exercise': unknown exercise '{exercise}'; use one of {', '.join(sorted(known))} or none")
    faults = tuple(sorted({f.strip() for f in rec.get("faults", "").split(";") if f.strip()}))
    if exercise == NONE and faults:
        listed = ";".join(faults)
        errs.append(f"column 'faults': a 'none' row cannot list faults ({listed}); empty it or name the exercise")
    elif exercise in known:
        for f in faults:
            if f not in known[exercise]:
                errs.append(
                    f"column 'faults': '{f}' is not a fault of {exercise}; use one of {', '.join(known[exercise])}"
                )
    view = rec.get("view", "")
    if view and view not in VIEWS:
        errs.append(f"column 'view': '{view}' is not one of {', '.join(VIEWS)} (or empty)")
    start, end = _time(rec, "start_s", errs), _time(rec, "end_s", errs)
    if start is not None and end is not None and end <= start:
        errs.append(f"columns 'start_s','end_s': the window {start:g}-{end:g} s is empty; end_s must be after start_s")
    if errs:
        return None, errs
    return LabelRow(PurePosixPath(file).as_posix(), exercise, faults, view, start, end, rec.get("notes", ""), line), []


def _check_file(file: str, base: Path) -> list[str]:
    if not file:
        return ["column 'file': empty; name the clip relative to the label file"]
    posix = PurePosixPath(file.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        return [f"column 'file': '{file}' must be a path inside the label file's folder (no absolute path, no '..')"]
    if not (base / posix).is_file():
        return [f"column 'file': '{file}' not found in {base}; fix the name or remove the row"]
    return []


def _time(rec: dict[str, str], col: str, errs: list[str]) -> float | None:
    raw = rec.get(col, "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errs.append(f"column '{col}': '{raw}' is not a number of seconds (or empty for the whole clip)")
        return None
    if not value >= 0 or value == float("inf"):
        errs.append(f"column '{col}': {raw} must be a finite time >= 0 seconds")
        return None
    return value
