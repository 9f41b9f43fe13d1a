"""The Live tab: the webcam, the routine panel (steps, good-form hold, countdown, breathing), the cue in
large type, the figures that agree, the guide, and the recap when a session ends."""

from __future__ import annotations

import html
import math
import threading
import time
import uuid

import streamlit as st
import streamlit.components.v1 as components
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from formcheck.coach.live import CoachView
from formcheck.coach.machine import Phase
from formcheck.engine.engine import AUTO
from formcheck.engine.specs import ExerciseSpec
from formcheck.live import LiveSnapshot
from formcheck.web.capacity import BUSY_TEXT, live_slots
from formcheck.web.guide import AUTO_GUIDE, fault_label, guide_markdown, instructor_markdown
from formcheck.web.page import PageSettings, SessionResources, figures_html
from formcheck.web.recap_view import render_recap
from formcheck.web.routine_view import (
    figures_with_help,
    render_controls,
    routine_body_html,
    routine_header_html,
    steps_markdown,
)
from formcheck.web.speech import speech_html
from formcheck.web.streams import CTX_KEY as STREAM_CTX_KEY

WEBRTC_KEY = "fc-live"
#: Ask the browser for a modest camera size: the model works at 256x256 anyway.
MEDIA_CONSTRAINTS = {
    "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 15, "max": 30}},
    "audio": False,
}
CUE_COLOURS = {"fault": "#e74c3c", "setup": "#f39c12", "good": "#2ecc71", "none": "#7f8c8d"}
STATUS_EVERY_S = 0.5


def cue_html(snap: LiveSnapshot, playing: bool) -> str:
    """The big cue banner under the video."""
    if snap.error:
        text, kind = f"Problem: {snap.error}", "fault"
    elif not playing:
        text, kind = "Press START and allow the camera.", "none"
    elif not snap.frames:
        text, kind = "Starting the pose model…", "none"
    else:
        text, kind = snap.cue or "…", snap.cue_kind
    colour = CUE_COLOURS.get(kind, CUE_COLOURS["none"])
    return (
        f'<div class="fc-cue fc-cue-{kind}" style="background:{colour};color:white;border-radius:0.6rem;'
        f'padding:0.8rem 1.1rem;font-size:2.1rem;line-height:1.25;font-weight:600;">{html.escape(text)}</div>'
    )


def _fmt(value: float, pattern: str, empty: str = "–") -> str:
    return empty if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def say_in_browser(snippet: str) -> None:
    """Render the speech snippet in a 1-pixel iframe (``st.iframe``; ``components.html`` before 1.50)."""
    iframe = getattr(st, "iframe", None)
    if iframe is not None:
        iframe(snippet, height=1)
    else:  # older Streamlit
        components.html(snippet, height=0)


def stats_html(snap: LiveSnapshot, spec: ExerciseSpec | None, cv: CoachView | None = None) -> str:
    """A row of figures: good-form hold, in position, form score, Cat-Cow rounds (only where counted),
    FPS, latency. The first three come from the coach's running recap, so they agree."""
    cv = cv or CoachView()
    figures, _ = figures_with_help(cv, snap.rounds if spec is not None and spec.counter is not None else None)
    figures += [("FPS", _fmt(snap.fps, "{:.1f}")), ("Latency", _fmt(snap.latency_ms, "{:.0f} ms"))]
    return figures_html(figures)


def recognised_html(snap: LiveSnapshot, specs: dict[str, ExerciseSpec]) -> str:
    """Auto mode: the recognised exercise in large type."""
    spec = specs.get(snap.exercise) if snap.exercise else None
    text = f"Recognised: {spec.name}" if spec else "Looking for one of the routine's exercises…"
    return (f'<div class="fc-recognised" style="font-size:2.2rem;font-weight:700;line-height:1.2;margin:0.2rem 0">'
            f"{html.escape(text)}</div>")


#: A spoken cue's snippet stays on the page this long, so a slow browser still loads and runs it
#: (the fragment redraws every 0.5 s; an identical snippet in the same place is not run again).
SPEECH_KEEP_S = 3.0


def _speak(res: SessionResources, snap: LiveSnapshot, cv: CoachView) -> None:
    """Say the newest routine instruction once, else the cue, else the breathing pace."""
    now = time.monotonic()
    text = ""
    if cv.announcement and res.state.get("spoken_announcement") != cv.announcement_id:
        res.state["spoken_announcement"] = cv.announcement_id
        text = cv.announcement
        res.speech.reset()  # an instruction goes first; the next cue may follow it
    elif res.speech.should_speak(snap.cue, snap.cue_kind, now):
        text = snap.cue
    elif cv.step is not None and cv.step.breath and res.state.get("spoken_breath") != cv.step.breath:
        res.state["spoken_breath"] = cv.step.breath
        text = "Breathe in" if cv.step.breath == "in" else "Breathe out"
    if text:
        res.state["speech"] = (speech_html(text, uuid.uuid4().hex), now + SPEECH_KEEP_S)
    snippet, until = res.state.get("speech", ("", 0.0))
    if snippet and now < until:
        say_in_browser(snippet)


def render_status(res: SessionResources, specs: dict[str, ExerciseSpec], settings: PageSettings,
                  playing: bool) -> None:
    """The routine panel, the cue banner, the figures (and speech, if on)."""
    snap = res.processor.snapshot()
    cv = res.coach.view()
    if playing and cv.recap is not None and res.state.get("recap_seen") != cv.recap.session_id:
        res.state["recap_seen"] = cv.recap.session_id
        st.rerun(scope="app")  # the routine ended while playing: show its recap below the video
    step_index = cv.step.index if cv.step is not None else None
    if playing and res.state.get("step_seen", step_index) != step_index:
        res.state["step_seen"] = step_index
        st.rerun(scope="app")  # a new step: the guide column follows it
    res.state["step_seen"] = step_index
    if settings.speak and playing and snap.frames:
        _speak(res, snap, cv)  # first, so its place on the page does not move
    if cv.step is not None:
        st.markdown(routine_header_html(cv.step, specs) + routine_body_html(cv.step, specs), unsafe_allow_html=True)
        if playing:
            render_controls(res.coach, cv.step)
    elif settings.routine is None and settings.exercise == AUTO and playing:
        st.markdown(recognised_html(snap, specs), unsafe_allow_html=True)
    if cv.step is not None and cv.step.phase == Phase.DONE:
        st.markdown("Your recap is below. Press **STOP** to finish; the next **START** begins a new session.")
        return
    st.markdown(cue_html(snap, playing), unsafe_allow_html=True)
    spec = specs.get(snap.exercise) if snap.exercise else None
    st.markdown(stats_html(snap, spec, cv), unsafe_allow_html=True)
    _, help_lines = figures_with_help(cv, None)
    if cv.score_note:
        st.markdown(f"**Why the score:** {html.escape(cv.score_note)}.")
    st.caption(" ".join(help_lines))
    if snap.faults:
        st.caption("Correcting now: " + ", ".join(fault_label(f, snap.exercise) for f in snap.faults))


def render_guide(specs: dict[str, ExerciseSpec], settings: PageSettings, res: SessionResources) -> None:
    """The guide column: the routine's steps (routine mode) and the exercise's guide."""
    routine = settings.routine
    spec = specs.get(settings.exercise) if settings.exercise != AUTO else None
    if routine is not None:
        cv = res.coach.view()
        current = cv.step.index if cv.step is not None else None
        st.markdown(steps_markdown(routine, specs, current))
        step = routine.steps[current or 0]
        spec = specs.get(step.exercise)
    if spec is None:
        st.markdown(AUTO_GUIDE)
        return
    st.markdown(guide_markdown(spec))
    with st.expander("For instructors: thresholds, units and limits"):
        st.markdown(instructor_markdown(spec))


def render(specs: dict[str, ExerciseSpec], settings: PageSettings, res: SessionResources) -> None:
    """Draw the Live tab."""
    video_col, guide_col = st.columns([3, 2], gap="large")
    with video_col:
        ctx = webrtc_streamer(
            key=WEBRTC_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=settings.ice.rtc_configuration,
            media_stream_constraints=MEDIA_CONSTRAINTS,
            video_frame_callback=res.callback,
            async_processing=True,
            video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}},
        )
        res.state[STREAM_CTX_KEY] = ctx  # closed by the janitor when the session is gone (web/streams.py)
        state = getattr(ctx, "state", None)
        playing = bool(getattr(state, "playing", False))
        signalling = bool(getattr(state, "signalling", False))
        was_playing = res.state.get("live_playing", False)
        if was_playing and not playing and not signalling:
            res.processor.release()  # free the model; the next START is a new session
            live_slots().release(res.slot_key)
            res.speech.reset()
            res.coach.stop()  # the session's recap (saved to the history)
        busy = live_slots().full_for(res.slot_key)  # over the live-session cap (formcheck/web/capacity.py)
        if busy:
            st.warning(BUSY_TEXT.format(n=live_slots().cap) + " The Upload tab works meanwhile.")
        if (playing or signalling) and not res.processor.warm and not busy:
            # Load the model while the browser negotiates the stream (about 3 s on a small CPU).
            threading.Thread(target=res.processor.warm_up, name="formcheck-warm-up", daemon=True).start()
        res.state["live_playing"] = playing
        status = st.fragment(run_every=STATUS_EVERY_S if playing else None)(render_status)
        status(res, specs, settings, playing)
    with guide_col:
        render_guide(specs, settings, res)
    cv = res.coach.view()
    if cv.recap is not None and not cv.active:  # after STOP, or the routine ended
        res.state["recap_seen"] = cv.recap.session_id
        render_recap(cv.recap, cv.saved, cv.save_error, key="live_recap")
