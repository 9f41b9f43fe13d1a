"""The batch tab's adapter to the batch scorer (``formcheck.batch``), whose API is not final.

What is assumed (the smallest interface): ``formcheck.batch`` exposes a function named one of
:data:`RUNNER_NAMES`, callable as ``fn(folder, **kwargs)`` where ``folder`` is a
:class:`~pathlib.Path` to a folder holding ``labels.csv``. Keyword arguments are passed only
when the function's signature names them: ``out_dir`` (a folder for its outputs), ``model``
("lite"/"full"/"heavy") and ``on_progress`` (called as ``on_progress(done, total, name)``).
Its return value is read by duck typing (:func:`read_outcome`): a table of per-clip rows
(a list of dicts, a pandas DataFrame, or an object/dict with ``rows``/``results``/``table``),
and a report (Markdown/HTML text, or a path) from ``report``/``report_md``/``report_path``.
Report-type files it wrote at the top of ``out_dir`` (HTML, CSV, JSON, Markdown) are offered
as downloads. Without such a function the tab says
that batch scoring is not available.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Function names looked up in ``formcheck.batch``, in order.
RUNNER_NAMES = ("run_batch", "run_folder", "score_folder")
_ROW_ATTRS = ("rows", "results", "table", "clips")
_REPORT_ATTRS = ("report_md", "report", "report_path", "report_html")
#: Output files offered as downloads (top level of ``out_dir`` only: not the per-clip videos).
DOWNLOAD_SUFFIXES = (".html", ".csv", ".json", ".md", ".txt")


def find_runner(module_name: str = "formcheck.batch") -> Callable[..., Any] | None:
    """The batch scorer's folder function, or None when it is not installed (yet)."""
    try:
        mod = importlib.import_module(module_name)
    except ImportError:
        return None
    for name in RUNNER_NAMES:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    return None


def call_runner(
    fn: Callable[..., Any],
    folder: Path,
    out_dir: Path,
    model: str,
    on_progress: Callable[[int, int, str], None] | None = None,
    exercise: str | None = None,
) -> Any:
    """Call ``fn(folder, ...)`` passing only the keyword arguments its signature accepts."""
    offered: dict[str, Any] = {"out_dir": out_dir, "model": model, "on_progress": on_progress, "exercise": exercise}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in offered.items() if v is not None and (takes_any or k in params)}
    return fn(folder, **kwargs)


@dataclass
class BatchOutcome:
    """What the tab shows.

    Attributes:
        rows: per-clip result rows (column → value).
        report: the report as Markdown ('' when none).
        report_html: the report as HTML ('' when none).
        files: output files to offer as downloads.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    report: str = ""
    report_html: str = ""
    files: list[Path] = field(default_factory=list)


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_rows(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame
        return value.to_dict("records")
    if callable(value):
        value = value()
    if isinstance(value, list | tuple):
        rows = []
        for item in value:
            if isinstance(item, dict):
                rows.append(dict(item))
            elif hasattr(item, "__dataclass_fields__"):
                rows.append({k: getattr(item, k) for k in item.__dataclass_fields__})
            else:
                return None
        return rows
    return None


def read_outcome(result: Any, out_dir: Path | None = None) -> BatchOutcome:
    """Read the batch scorer's return value (and its output folder) into a :class:`BatchOutcome`."""
    outcome = BatchOutcome()
    rows = _as_rows(result)
    if rows is None:
        for attr in (*_ROW_ATTRS, "to_rows"):
            rows = _as_rows(_get(result, attr))
            if rows is not None:
                break
    outcome.rows = rows or []
    for attr in _REPORT_ATTRS:
        value = _get(result, attr)
        if value is None:
            continue
        if isinstance(value, Path) or (isinstance(value, str) and len(value) < 400 and Path(value).is_file()):
            path = Path(value)
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
            if path.suffix.lower() in (".html", ".htm"):
                outcome.report_html = outcome.report_html or text
            else:
                outcome.report = outcome.report or text
        elif isinstance(value, str):
            if attr == "report_html" or value.lstrip().lower().startswith(("<!doctype", "<html")):
                outcome.report_html = outcome.report_html or value
            else:
                outcome.report = outcome.report or value
    if out_dir is not None and Path(out_dir).is_dir():
        outcome.files = sorted(
            p for p in Path(out_dir).iterdir()
            if p.is_file() and p.suffix.lower() in DOWNLOAD_SUFFIXES and p.stat().st_size < 50_000_000
        )
        if not outcome.report:
            md = [p for p in outcome.files if p.suffix.lower() == ".md"]
            if md:
                outcome.report = md[0].read_text(encoding="utf-8", errors="replace")
    return outcome
