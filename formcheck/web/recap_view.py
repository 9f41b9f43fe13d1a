"""The session recap on the page: per exercise and side, the figures that agree, corrections,
key measures, left/right balance, and CSV/JSON downloads."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from formcheck.coach.recap import KEY_MEASURES, Recap, RecapBuilder, RecapEntry, sample_from_result
from formcheck.coach.words import FIGURE_HELP, score_text, seconds_text
from formcheck.outputs import ClipInfo, Frame

if TYPE_CHECKING:
    from formcheck.analyze import Analysis

_UNITS = {"deg": "°", "%": "% of torso length"}


def measure_text(entry: RecapEntry) -> str:
    """The key measures in words, e.g. "Knee-to-chest angle at the hip 62°"."""
    parts = []
    defs = {d.id: d for d in KEY_MEASURES.get(entry.exercise, ())}
    for m in entry.measures:
        unit = _UNITS.get(m.unit, "")
        digits = defs[m.id].digits if m.id in defs else 2
        text = f"{m.label} {m.value:.{digits}f}{unit}"
        if m.baseline is not None:
            text += f" (your start {m.baseline:.{digits}f}{unit}, {m.value - m.baseline:+.{digits}f})"
        parts.append(text)
    parts += [f"{k}: {v}" for k, v in entry.reports.items()]
    if entry.rounds:
        parts.append(f"Cat-Cow rounds {entry.rounds}")
    return "; ".join(parts)


def entry_row(e: RecapEntry) -> dict[str, str]:
    """One row of the recap table, all text (no mixed types)."""
    side = e.side or "–"
    target = "" if e.target_s is None else f" of {e.target_s:g} s" + (" ✓" if e.reached else "")
    score = score_text(e.score, bool(e.faults))
    if e.score_note:
        score += f" ({e.score_note})"
    faults = "; ".join(f"{f.name} ×{f.times}, {f.total_s:.1f} s" for f in e.faults) or "none"
    return {
        "Exercise": e.exercise_name, "Side": side, "Good-form hold": seconds_text(e.good_s) + target,
        "In position": seconds_text(e.in_position_s), "Form score": score, "Corrections": faults,
        "Key measures": measure_text(e) or "–",
    }


def recap_table_html(recap: Recap) -> str:
    """The recap as an HTML table (wraps long cells; readable in a screenshot)."""
    rows = [entry_row(e) for e in recap.entries]
    if not rows:
        return ""
    head = "".join(f"<th style='text-align:left;padding:0.3rem 0.5rem'>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:0.3rem 0.5rem;vertical-align:top;border-top:1px solid #ddd'>"
                         f"{html.escape(v)}</td>" for v in r.values()) + "</tr>"
        for r in rows
    )
    return f"<table class='fc-recap' style='border-collapse:collapse;width:100%'><tr>{head}</tr>{body}</table>"


def render_recap(recap: Recap, saved: str = "", save_error: str = "", key: str = "recap") -> None:
    """Draw a recap with its downloads."""
    title = "Routine complete" if recap.completed else "Your session"
    st.subheader(f"{title}: recap")
    if recap.empty:
        st.info("Nothing was judged in position in this session, so there is no recap to keep.")
        return
    st.markdown(recap_table_html(recap), unsafe_allow_html=True)
    for sentence in recap.balance:
        st.markdown(f"**Left/right balance.** {sentence}")
    st.caption(" ".join([FIGURE_HELP["good_form"], FIGURE_HELP["in_position"], FIGURE_HELP["score"],
                         FIGURE_HELP["faults"]]))
    c1, c2 = st.columns(2)
    stem = f"formcheck-session-{recap.started_at[:19].replace(':', '')}"
    c1.download_button("Recap (CSV)", recap.to_csv(), file_name=f"{stem}.csv", mime="text/csv",
                       on_click="ignore", key=f"{key}_csv")
    c2.download_button("Recap (JSON)", recap.to_json(), file_name=f"{stem}.json", mime="application/json",
                       on_click="ignore", key=f"{key}_json")
    if saved:
        st.caption("Saved to your history on this computer: see the Progress page.")
    elif save_error:
        st.warning("This session could not be saved to your history (details in the server log).")


class RecapWriter:
    """An output writer that builds an analysed clip's recap from its judged frames.

    The Upload tab passes it to :func:`formcheck.analyze.analyze`; the recap has the same figures,
    with the same definitions, as the live recap.
    """

    def __init__(self, names: dict[str, str], sided: dict[str, bool]) -> None:
        """Args: names: exercise id → name; sided: exercise id → done one side at a time."""
        self.names = names
        self.sided = sided
        self.recap: Recap | None = None
        self._builder = RecapBuilder(names, mode="single")

    def open(self, clip: ClipInfo) -> None:
        """Start a clip."""
        self._builder = RecapBuilder(self.names, mode="single")
        self.recap = None

    def write(self, frame: Frame) -> None:
        """Add one judged frame."""
        sample = sample_from_result(frame.result)
        if not (sample.exercise and self.sided.get(sample.exercise)):
            sample = replace(sample, side="")
        self._builder.update(sample)

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Finish the recap (nothing is written to disk)."""
        self.recap = self._builder.finish()
        return {}
