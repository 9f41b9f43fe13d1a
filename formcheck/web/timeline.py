"""Metric timelines for an analysed clip: each rule's metric over time, its threshold and fault band,
and the intervals where the fault was reported.

:class:`TimelineWriter` keeps the analysis's frames in memory; :func:`rule_timelines` turns
them and the summary into plain data;
:func:`timeline_chart` draws one with Altair (which ships with Streamlit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from formcheck.coach.words import measure_label
from formcheck.engine.specs import ExerciseSpec
from formcheck.engine.summary import Summary
from formcheck.web.guide import fault_label

if TYPE_CHECKING:
    from formcheck.analyze import Analysis
    from formcheck.outputs import ClipInfo, Frame

FAULT_RED = "#e74c3c"
PASS_GREEN = "#2ecc71"


@dataclass
class RuleTimeline:
    """One rule's timeline.

    Attributes:
        rule_id: the fault id.
        title: a readable title.
        metric: the metric id.
        unit: the metric's unit.
        threshold: the fault threshold.
        fault_when: the operator meaning "fault" ("<", ">", ...).
        points: DataFrame with columns ``t_s`` and ``value`` (NaN where unknown).
        intervals: reported fault intervals ``(start_s, end_s)``.
        y_min: lower end of the value axis.
        y_max: upper end of the value axis.
        cue: the cue spoken for the fault.
        axis: the value axis title in words.
    """

    rule_id: str
    title: str
    metric: str
    unit: str
    threshold: float
    fault_when: str
    points: pd.DataFrame
    intervals: list[tuple[float, float]] = field(default_factory=list)
    y_min: float = 0.0
    y_max: float = 1.0
    cue: str = ""
    axis: str = ""

    @property
    def measured(self) -> bool:
        """Whether the metric was known on at least one frame."""
        return bool(self.points["value"].notna().any())

    @property
    def fault_band(self) -> tuple[float, float]:
        """The value range (low, high) that means a fault, clipped to the axis."""
        if self.fault_when in ("<", "<="):
            return (self.y_min, self.threshold)
        return (self.threshold, self.y_max)


class TimelineWriter:
    """An in-memory output writer (:class:`formcheck.outputs.OutputWriter`) for the Upload tab.

    Keeps each frame's time, exercise, metric values and rule states; :attr:`frames` is then the
    table that :func:`rule_timelines` reads (the per-frame CSV's columns, unrounded).
    """

    def __init__(self) -> None:
        """Start with no frames."""
        self._rows: list[dict[str, Any]] = []
        self.frames = pd.DataFrame()

    def open(self, clip: ClipInfo) -> None:
        """Start a clip."""
        self._rows = []

    def write(self, frame: Frame) -> None:
        """Keep the frame's row."""
        r = frame.result
        row: dict[str, Any] = {"t_s": frame.timestamp_s, "exercise": r.exercise or ""}
        if r.exercise:
            row.update({f"{r.exercise}.{k}": v for k, v in r.metrics.items()})
            row.update({f"{r.exercise}.{res.id}": res.state.value for res in r.rules})
        self._rows.append(row)

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Make the table (nothing is written to disk)."""
        self.frames = pd.DataFrame(self._rows)
        self._rows = []
        return {}


def rule_timelines(frames: pd.DataFrame, summary: Summary, spec: ExerciseSpec) -> list[RuleTimeline]:
    """Build a timeline per rule of ``spec`` from the per-frame table and the summary.

    Values are taken only from frames judged as this exercise (others are NaN).
    """
    t = pd.to_numeric(frames.get("t_s"), errors="coerce") if "t_s" in frames else pd.Series(dtype=float)
    judged = frames["exercise"].astype(str) == spec.id if "exercise" in frames else pd.Series(False, index=frames.index)
    faults = summary.faults
    out = []
    for rule in spec.rules:
        col = f"{spec.id}.{rule.metric}"
        if col in frames:
            values = pd.to_numeric(frames[col], errors="coerce")
        else:
            values = pd.Series(math.nan, index=frames.index)
        values = values.where(judged)
        pts = pd.DataFrame({"t_s": t, "value": values})
        finite = values.dropna()
        lo = min(finite.min(), rule.threshold) if len(finite) else rule.threshold
        hi = max(finite.max(), rule.threshold) if len(finite) else rule.threshold
        pad = max((hi - lo) * 0.15, abs(rule.threshold) * 0.05, 1e-3)
        intervals = [(float(a), float(b)) for a, b in faults[rule.id].intervals] if rule.id in faults else []
        metric = spec.metrics[rule.metric]
        out.append(
            RuleTimeline(
                rule_id=rule.id,
                title=fault_label(rule.id, spec.id),
                metric=rule.metric,
                unit=metric.unit,
                threshold=rule.threshold,
                fault_when=rule.fault_when.value,
                axis=measure_label(spec.id, rule.metric, metric.unit),
                points=pts,
                intervals=intervals,
                y_min=float(lo - pad),
                y_max=float(hi + pad),
                cue=rule.cue,
            )
        )
    return out


def timeline_chart(tl: RuleTimeline, duration_s: float | None = None) -> Any:
    """An Altair chart: the metric line, the threshold (dashed), the fault band, fault intervals.

    Args:
        tl: the timeline.
        duration_s: the x-axis end (default: the last frame time).
    """
    import altair as alt  # noqa: PLC0415 - Altair only for the page

    t_max = duration_s if duration_s else float(tl.points["t_s"].max() or 1.0)
    x = alt.Scale(domain=[0, max(t_max, 1e-3)])
    y = alt.Scale(domain=[tl.y_min, tl.y_max], nice=False)
    y_title: str | list[str] = tl.axis or (f"{tl.metric} ({tl.unit})" if tl.unit else tl.metric)
    if " (" in y_title:  # two lines: the name, then the unit in brackets
        name, rest = y_title.split(" (", 1)
        y_title = [name, "(" + rest]
    lo, hi = tl.fault_band
    band = alt.Chart(pd.DataFrame({"y": [lo], "y2": [hi]})).mark_rect(color=FAULT_RED, opacity=0.08).encode(
        y=alt.Y("y:Q", scale=y), y2="y2:Q"
    )
    threshold = alt.Chart(pd.DataFrame({"y": [tl.threshold]})).mark_rule(
        color=FAULT_RED, strokeDash=[6, 4]
    ).encode(y=alt.Y("y:Q", scale=y), tooltip=[alt.Tooltip("y:Q", title="threshold")])
    layers = [band, threshold]
    if tl.intervals:
        spans = pd.DataFrame([{"start": a, "end": b, "fault": tl.title} for a, b in tl.intervals])
        layers.insert(0, alt.Chart(spans).mark_rect(color=FAULT_RED, opacity=0.25).encode(
            x=alt.X("start:Q", scale=x), x2="end:Q",
            tooltip=[alt.Tooltip("start:Q", format=".1f", title="fault from (s)"),
                     alt.Tooltip("end:Q", format=".1f", title="to (s)")],
        ))
    line = alt.Chart(tl.points).mark_line(color="#34495e", strokeWidth=2).encode(
        x=alt.X("t_s:Q", scale=x, title="time (s)"),
        y=alt.Y("value:Q", scale=y, title=y_title),
        tooltip=[alt.Tooltip("t_s:Q", format=".2f", title="t (s)"), alt.Tooltip("value:Q", format=".1f")],
    )
    layers.append(line)
    return alt.layer(*layers).properties(height=170, title=alt.TitleParams(tl.title, subtitle=tl.cue, anchor="start"))
