"""The Live tab: the webcam through streamlit-webrtc, the current cue in large type, the guide."""

from __future__ import annotations

import html
import math
import threading
import time
import uuid

import streamlit as st
import streamlit.components.v1 as components
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from formcheck.engine.engine import AUTO
from formcheck.engine.specs import ExerciseSpec
from formcheck.live import LiveSnapshot
from formcheck.web.capacity import BUSY_TEXT, live_slots
from formcheck.web.guide import AUTO_GUIDE, guide_markdown
from formcheck.web.page import PageSettings, SessionResources, figures_html
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


def stats_html(snap: LiveSnapshot, spec: ExerciseSpec | None) -> str:
    """A row of small figures: hold, form score, Cat-Cow rounds (when counted), FPS, latency."""
    figures = [("Hold", _fmt(snap.hold_s, "{:.1f} s", "0.0 s")), ("Form", _fmt(snap.score, "{:.0f}/100"))]
    if spec is None or spec.counter is not None:
        figures.append(("Cat-Cow rounds", str(snap.rounds)))
    figures += [("FPS", _fmt(snap.fps, "{:.1f}")), ("Latency", _fmt(snap.latency_ms, "{:.0f} ms"))]
    return figures_html(figures)


def render_status(res: SessionResources, spec: ExerciseSpec | None, settings: PageSettings, playing: bool) -> None:
    """The cue banner, hold timer, score, rounds, FPS and latency (and speech, if on)."""
    snap = res.processor.snapshot()
    st.markdown(cue_html(snap, playing), unsafe_allow_html=True)
    st.markdown(stats_html(snap, spec), unsafe_allow_html=True)
    if snap.faults:
        st.caption("Active faults: " + ", ".join(snap.faults))
    if settings.speak and playing and snap.frames:
        if res.speech.should_speak(snap.cue, snap.cue_kind, time.monotonic()):
            say_in_browser(speech_html(snap.cue, uuid.uuid4().hex))


def render(specs: dict[str, ExerciseSpec], settings: PageSettings, res: SessionResources) -> None:
    """Draw the Live tab."""
    spec = specs.get(settings.exercise) if settings.exercise != AUTO else None
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
        busy = live_slots().full_for(res.slot_key)  # over the live-session cap (formcheck/web/capacity.py)
        if busy:
            st.warning(BUSY_TEXT.format(n=live_slots().cap) + " The Upload tab works meanwhile.")
        if (playing or signalling) and not res.processor.warm and not busy:
            # Load the model while the browser negotiates the stream (about 3 s on a small CPU).
            threading.Thread(target=res.processor.warm_up, name="formcheck-warm-up", daemon=True).start()
        res.state["live_playing"] = playing
        status = st.fragment(run_every=STATUS_EVERY_S if playing else None)(render_status)
        status(res, spec, settings, playing)
    with guide_col:
        st.markdown(guide_markdown(spec) if spec is not None else AUTO_GUIDE)
