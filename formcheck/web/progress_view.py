"""The Progress page: sessions kept on this computer, trends per exercise and side, the streak,
CSV export and "delete all history"."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from formcheck.coach.recap import KEY_MEASURES
from formcheck.coach.words import FIGURE_HELP, id_words
from formcheck.engine.specs import ExerciseSpec
from formcheck.history import EntryRow, HistoryError, HistoryStore, SessionRow, default_store
from formcheck.web.guide import ordered_ids

CALENDAR_WEEKS = 6


def session_day(started_at: str) -> date:
    """The local calendar day of an ISO 8601 time."""
    return datetime.fromisoformat(started_at).astimezone().date()


def streak(days: set[date], today: date) -> int:
    """Consecutive days with a session, ending today (or yesterday when today has none yet)."""
    day = today if today in days else today - timedelta(days=1)
    n = 0
    while day in days:
        n += 1
        day -= timedelta(days=1)
    return n


def calendar_html(days: set[date], today: date, weeks: int = CALENDAR_WEEKS) -> str:
    """The last weeks as a grid of days (Monday first), a green square for each day with a session."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    cell = "width:1.4rem;height:1.4rem;border-radius:0.25rem;font-size:0.7rem;text-align:center"
    head = "".join(f'<div style="{cell}">{d}</div>' for d in "MTWTFSS")
    cells = []
    for k in range(7 * weeks):
        day = start + timedelta(days=k)
        colour = "#27ae60" if day in days else ("#dfe4ea" if day <= today else "transparent")
        cells.append(f'<div title="{day.isoformat()}" style="{cell};background:{colour}"></div>')
    return (f'<div class="fc-calendar" style="display:grid;grid-template-columns:repeat(7,1.4rem);gap:0.2rem">'
            f'{head}{"".join(cells)}</div>')


def entries_frame(entries: list[EntryRow]) -> pd.DataFrame:
    """One row per session, exercise and side with numbers only (no mixed-type columns)."""
    rows = []
    for e in entries:
        row = {"session": e.uid, "time": pd.Timestamp(e.started_at).tz_convert(None), "exercise": e.exercise,
               "side": e.side or "both", "good_s": float(e.good_s), "in_position_s": float(e.in_position_s),
               "score": float("nan") if e.score is None else float(e.score),
               "corrections": float(sum(t for t, _ in e.faults.values()))}
        for mid, value in e.measures.items():
            row[f"m_{mid}"] = float(value)  # no dot: Vega-Lite reads "a.b" as a nested field
        rows.append(row)
    return pd.DataFrame(rows)


def trend_chart(df: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """One figure over sessions, one line per side (column names must hold no dot)."""
    data = df.dropna(subset=[column])
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("time:T", title="session", axis=alt.Axis(format="%d %b", labelAngle=0)),
        y=alt.Y(f"{column}:Q", title=None, scale=alt.Scale(zero=column in ("good_s", "corrections"))),
        color=alt.Color("side:N", title="side"),
        tooltip=[alt.Tooltip("time:T", title="when"), alt.Tooltip(f"{column}:Q", format=".1f", title=title),
                 alt.Tooltip("side:N")],
    ).properties(height=200, title=alt.TitleParams(title, anchor="start"))


def _sessions_table(rows: list[SessionRow]) -> str:
    head = "<tr><th align=left>When</th><th align=left>What</th><th align=left>Good-form hold</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(datetime.fromisoformat(r.started_at).astimezone().strftime('%a %d %b %Y %H:%M'))}"
        f"</td><td>{html.escape(id_words(r.routine) if r.routine else 'single exercises')}"
        f"{' ✓ completed' if r.completed else ''}</td><td>{r.good_s:.0f} s</td></tr>"
        for r in rows
    )
    return f"<table class='fc-sessions' style='width:100%'>{head}{body}</table>"


def render_delete(store: HistoryStore) -> None:
    """"Delete all history", behind a confirmation."""
    with st.expander("Delete all history"):
        st.write("This deletes every saved session from this computer. It cannot be undone.")
        sure = st.checkbox("Yes, delete every saved session", key="fc_history_confirm")
        if st.button("Delete all history", type="primary", disabled=not sure, key="fc_history_delete"):
            n = store.delete_all()
            st.success(f"Deleted {n} session(s).")


def render(specs: dict[str, ExerciseSpec], today: date | None = None) -> None:
    """Draw the Progress page."""
    st.title("Your progress")
    store = default_store()
    if store is None:
        st.info("History is switched off on this computer (FORMCHECK_HISTORY=off): sessions are not saved.")
        return
    try:
        sessions = store.sessions()
        entries = store.entries()
    except HistoryError as exc:
        st.error(f"The history cannot be opened: {exc}")
        return
    if store.set_aside is not None:
        st.warning(f"The history file was damaged or not formcheck's; it was set aside as {store.set_aside.name} "
                   "and a new history started.")
    st.caption(f"Kept on this computer only: {store.path}")
    if not sessions:
        st.info("No sessions yet. Finish a session on the Live camera tab (complete the routine or press STOP) "
                "and it appears here.")
        return
    today = today or datetime.now(UTC).astimezone().date()
    days = {session_day(s.started_at) for s in sessions}
    c1, c2, c3 = st.columns(3)
    c1.metric("Sessions", len(sessions))
    c2.metric("Day streak", streak(days, today))
    c3.metric("Sessions in the last 7 days", sum(1 for s in sessions if session_day(s.started_at) > today
                                                 - timedelta(days=7)))
    st.markdown(calendar_html(days, today), unsafe_allow_html=True)
    df = entries_frame(entries)
    present = [e for e in ordered_ids(specs) if e in set(df["exercise"])] + sorted(
        set(df["exercise"]) - set(specs))
    st.subheader("Trends")
    exercise = st.selectbox("Exercise", present, key="fc_progress_exercise",
                            format_func=lambda e: specs[e].name if e in specs else id_words(e))
    sub = df[df["exercise"] == exercise]
    st.caption(" ".join([FIGURE_HELP["good_form"], FIGURE_HELP["score"]]))
    left, right = st.columns(2)
    left.altair_chart(trend_chart(sub, "good_s", "Good-form hold (s)"), width="stretch")
    right.altair_chart(trend_chart(sub, "score", "Form score (0–100)"), width="stretch")
    charts = [("corrections", "Corrections called per session")]
    units = {"deg": " (°)", "%": " (% of torso length)"}
    charts += [(f"m_{m.id}", m.label + units.get(m.unit, "")) for m in KEY_MEASURES.get(exercise, ())
               if f"m_{m.id}" in sub]
    cols = st.columns(2)
    for k, (column, title) in enumerate(charts):
        cols[k % 2].altair_chart(trend_chart(sub, column, title), width="stretch")
    st.subheader("Sessions")
    st.markdown(_sessions_table(sessions[:20]), unsafe_allow_html=True)
    st.download_button("All history (CSV)", store.export_csv(), file_name="formcheck-history.csv", mime="text/csv",
                       on_click="ignore", key="fc_history_csv")
    render_delete(store)
