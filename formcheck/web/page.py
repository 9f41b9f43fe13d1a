"""Page-wide pieces: the specs, the sidebar settings and the per-session objects."""

from __future__ import annotations

import functools
import html
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.runtime import exists as runtime_exists
from streamlit.runtime.scriptrunner import get_script_run_ctx

from formcheck.coach.live import LiveCoach
from formcheck.coach.routine import Routine, is_sided
from formcheck.engine.engine import AUTO
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.history import default_store
from formcheck.live import LiveOptions, LiveProcessor, make_frame_callback
from formcheck.models import MODEL_NAMES
from formcheck.quiet import quiet_streamlit
from formcheck.web.capacity import gated_callback, live_slots
from formcheck.web.files import SessionFiles
from formcheck.web.guide import ordered_ids
from formcheck.web.heap import trim_heap
from formcheck.web.janitor import SessionJanitor
from formcheck.web.settings import IceConfig, ice_config, ice_text_from_env
from formcheck.web.speech import SpeechCooldown
from formcheck.web.streams import CTX_KEY as STREAM_CTX_KEY
from formcheck.web.streams import stop_stream

MODELS = MODEL_NAMES
_SESSION = "fc_session"


@st.cache_resource(show_spinner=False)
def cached_specs() -> dict[str, ExerciseSpec]:
    """The shipped exercise specs, loaded once per server process (which is then made quiet)."""
    quiet_streamlit()
    return load_specs()


def specs_or_stop() -> dict[str, ExerciseSpec]:
    """The specs, or an error on the page and a stop when they cannot be loaded."""
    from formcheck.errors import FormcheckError  # noqa: PLC0415

    try:
        return cached_specs()
    except FormcheckError as exc:
        st.error(f"The exercise specs could not be loaded: {exc}")
        st.stop()
        raise  # st.stop() raises; this line is never reached


@dataclass(frozen=True)
class PageSettings:
    """What the sidebar chose.

    Attributes:
        exercise: an exercise id or "auto".
        live_model: the model variant for the webcam.
        mirror_view: show the webcam as a mirror (selfie view).
        speak: speak cues aloud in the browser.
        speak_repeat_s: the same cue is not repeated within this many seconds.
        ice: the ICE servers for WebRTC.
        routine: the routine coached on the Live tab (None: one exercise at a time).
        save_history: save each session's recap on this computer.
    """

    exercise: str
    live_model: str = "lite"
    mirror_view: bool = True
    speak: bool = False
    speak_repeat_s: float = 8.0
    ice: IceConfig = IceConfig([])
    routine: Routine | None = None
    save_history: bool = True


#: The picker's value for a routine: this prefix and the routine id.
ROUTINE_PREFIX = "routine:"


def exercise_label(specs: dict[str, ExerciseSpec], exercise: str,
                   routines: dict[str, Routine] | None = None) -> str:
    """The picker's label for an exercise id, "auto" or a routine."""
    if exercise.startswith(ROUTINE_PREFIX):
        r = (routines or {}).get(exercise[len(ROUTINE_PREFIX):])
        return f"Guided routine: {r.name if r else exercise[len(ROUTINE_PREFIX):]}"
    return "Auto-detect" if exercise == AUTO else specs[exercise].name


def sidebar(specs: dict[str, ExerciseSpec], routines: dict[str, Routine] | None = None) -> PageSettings:
    """Draw the sidebar and return the choices."""
    routines = routines or {}
    with st.sidebar:
        st.header("Exercise")
        options = [*ordered_ids(specs), AUTO]
        choices = [ROUTINE_PREFIX + rid for rid in routines] + options
        picked = st.selectbox(
            "What to do", choices, index=0, key="fc_exercise",
            format_func=lambda e: exercise_label(specs, e, routines),
            help="A guided routine takes you through its exercises in order, both sides, with a target for each. "
                 "Or pick one exercise; Auto-detect recognises it.",
        )
        routine = routines.get(picked[len(ROUTINE_PREFIX):]) if picked.startswith(ROUTINE_PREFIX) else None
        exercise = AUTO if routine is not None else picked
        st.header("Live camera")
        live_model = st.selectbox(
            "Pose model", MODELS, index=0, key="fc_live_model",
            help="lite keeps up on small CPUs; full is steadier; heavy is slow on a CPU.",
        )
        mirror_view = st.checkbox(
            "Mirror view (selfie)", value=True, key="fc_mirror",
            help="Show the camera like a mirror. Left and right in the cues always mean your own left and right.",
        )
        speak = st.toggle("Speak cues aloud", value=False, key="fc_speak",
                          help="Uses your browser's speech synthesis; nothing is recorded.")
        repeat = st.slider("Repeat a spoken cue after (s)", 3, 30, 8, key="fc_speak_repeat", disabled=not speak)
        save_history = st.toggle(
            "Save sessions on this computer", value=True, key="fc_save_history",
            help="Each session's recap goes to a history file on the computer running this page (the Progress "
                 "page shows it). Nothing leaves that computer.",
        )
        with st.expander("Connection (ICE servers)"):
            text = st.text_area(
                "ICE servers (JSON)", value=ice_text_from_env(), key="fc_ice",
                help='Empty for a page on this computer or LAN. Over the internet add STUN/TURN servers, e.g. '
                     '[{"urls": ["stun:stun.example.org:3478"]}]. Default from FORMCHECK_ICE_SERVERS.',
                placeholder="[]",
            )
            ice = ice_config(text)
            if ice.error:
                st.error(f"{ice.error}. Using no ICE servers.")
        st.divider()
        st.caption("Privacy: video is processed on the server running this page and never stored; uploads "
                   "are deleted when your session ends. No usage statistics are collected.")
    return PageSettings(exercise, live_model, mirror_view, speak, float(repeat), ice, routine, save_history)


def figures_html(figures: list[tuple[str, str]], css_class: str = "fc-stats") -> str:
    """A wrapping row of small label/value figures (st.metric truncates long values in narrow columns)."""
    cells = "".join(
        f'<div style="flex:1;min-width:5.5rem"><div style="font-size:0.8rem;opacity:0.7">{html.escape(k)}</div>'
        f'<div class="fc-stat" style="font-size:1.6rem;font-weight:600">{html.escape(v)}</div></div>'
        for k, v in figures
    )
    return f'<div class="{css_class}" style="display:flex;gap:0.8rem;flex-wrap:wrap;margin:0.6rem 0">{cells}</div>'


class SessionResources:
    """One browser session's objects: the live processor, its frame callback, the temp files.

    Stored in ``st.session_state``; when the session ends and its state is dropped, a finalizer
    frees the pose model and removes the session's files.
    """

    def __init__(self, specs: dict[str, ExerciseSpec], settings: PageSettings) -> None:
        self.processor = LiveProcessor(
            specs, LiveOptions(exercise=settings.exercise, model=settings.live_model,
                               mirror_view=settings.mirror_view)
        )
        #: This session's key for the live-session cap (formcheck/web/capacity.py).
        self.slot_key = uuid.uuid4().hex
        self.callback = gated_callback(make_frame_callback(self.processor), self.slot_key)
        self.files = SessionFiles()
        self.speech = SpeechCooldown(repeat_s=settings.speak_repeat_s)
        self.state: dict[str, Any] = {}
        # A holder, not ``self``: the processor keeps the coach, which must not keep this object alive.
        self._save_history = save = [settings.save_history]
        self.coach = LiveCoach(
            {k: v.name for k, v in specs.items()}, {k: is_sided(v) for k, v in specs.items()},
            functools.partial(_set_exercise, self.processor),
            lambda: default_store() if save[0] else None,
        )
        self.processor.on_result = self.coach.on_result
        self._finalizer = weakref.finalize(self, _release, self.processor, self.files, self.slot_key, self.coach)

    def release_all(self) -> None:
        """Save the session being recorded, free the pose model, the live slot and the session's files
        now (all come back on demand)."""
        self.coach.stop()  # a tab closed mid-session still leaves its recap in the history
        stop_stream(self.state.get(STREAM_CTX_KEY))  # a killed tab's WebRTC connection, now (web/streams.py)
        self.processor.release()
        live_slots().release(self.slot_key)
        trim_heap()  # the landmarker's freed memory back to the OS (formcheck/web/heap.py)
        self.files.cleanup()
        self.state.clear()


def _set_exercise(processor: LiveProcessor, exercise: str) -> None:
    """The coach's routine switches the exercise judged (bound to the processor, not the session)."""
    processor.set_options(exercise=exercise)


def _release(processor: LiveProcessor, files: SessionFiles, slot_key: str, coach: LiveCoach) -> None:
    coach.stop()
    processor.close()
    live_slots().release(slot_key)
    trim_heap()
    files.cleanup()


@st.cache_resource(show_spinner=False)
def session_janitor() -> SessionJanitor:
    """The process-wide janitor that frees the resources of sessions gone for the reconnect TTL."""
    from streamlit import runtime  # noqa: PLC0415

    def is_active(session_id: str) -> bool:
        return runtime.exists() and runtime.get_instance().is_active_session(session_id)

    ttl = float(st.get_option("server.disconnectedSessionTTL") or 120)
    janitor = SessionJanitor(is_active, ttl_s=ttl, interval_s=min(5.0, max(0.5, ttl / 4)))
    janitor.start()
    return janitor


def session_resources(specs: dict[str, ExerciseSpec], settings: PageSettings) -> SessionResources:
    """This session's resources (created on first use), with the sidebar's settings applied."""
    res = st.session_state.get(_SESSION)
    if res is None:
        res = SessionResources(specs, settings)
        st.session_state[_SESSION] = res
    ctx = get_script_run_ctx()
    if ctx is not None and runtime_exists():
        session_janitor().register(ctx.session_id, res)
    res._save_history[0] = settings.save_history
    res.coach.configure(settings.routine)
    res.processor.set_options(exercise=res.coach.exercise_for(settings.exercise), model=settings.live_model,
                              mirror_view=settings.mirror_view)
    res.speech.repeat_s = settings.speak_repeat_s
    return res
