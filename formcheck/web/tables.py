"""Tables for ``st.dataframe``: one type per column, so pyarrow never refuses a column."""

from __future__ import annotations

import math
from typing import Any


def arrow_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose every column holds one type.

    A column of numbers with blanks ('' or None) becomes numbers with None; any other mix
    (numbers and text, lists, dicts) becomes text. Row order and keys are kept.
    """
    columns: dict[str, set[str]] = {}
    for row in rows:
        for k, v in row.items():
            columns.setdefault(k, set()).add(_kind(v))
    out = []
    for row in rows:
        fixed = {}
        for k, v in row.items():
            kinds = columns[k] - {"blank"}
            if kinds <= {"number"}:
                fixed[k] = v if "blank" not in columns[k] else (None if _kind(v) == "blank" else float(v))
            elif kinds == {"bool"}:
                fixed[k] = None if _kind(v) == "blank" else bool(v)
            elif kinds == {"text"}:
                fixed[k] = "" if v is None else v
            else:
                fixed[k] = "" if _kind(v) == "blank" else str(v)
        out.append(fixed)
    return out


def _kind(v: Any) -> str:
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return "blank"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "text"
    return "other"
