"""The routine on the Live tab: current and next step, the big good-form hold with its bar,
countdown, breathing pace, side switch, hold still, and the Back / Pause / Next buttons."""

from __future__ import annotations

import html
import math

import streamlit as st

from formcheck.coach.live import CoachView, LiveCoach, side_words
from formcheck.coach.machine import Phase, StepView
from formcheck.coach.routine import Routine, RoutineStep, load_routines
from formcheck.coach.words import FIGURE_HELP, score_text, seconds_text
from formcheck.engine.specs import ExerciseSpec

GREEN, AMBER, BLUE, GREY = "#27ae60", "#e67e22", "#2c7be5", "#7f8c8d"


@st.cache_resource(show_spinner=False)
def cached_routines(_specs: dict[str, ExerciseSpec]) -> tuple[dict[str, Routine], list[str]]:
    """The shipped routines and the user's own (with one message per invalid user file)."""
    return load_routines(_specs)


def step_title(step: RoutineStep, specs: dict[str, ExerciseSpec]) -> str:
    """"Psoas Stretch · left side"."""
    name = specs[step.exercise].name if step.exercise in specs else step.exercise
    side = side_words(step.side)
    return f"{name} · {side}" if side else name


def hold_bar_html(good_s: float, target_s: float, colour: str = GREEN) -> str:
    """The big good-form counter and a bar filling toward the target."""
    share = min(1.0, good_s / target_s) if target_s > 0 else 0.0
    return (
        f'<div class="fc-hold" style="margin:0.2rem 0 0.6rem 0">'
        f'<div style="font-size:3.6rem;font-weight:700;line-height:1.05">'
        f'<span class="fc-hold-value">{good_s:.{1 if target_s < 10 else 0}f}</span>'
        f'<span style="font-size:1.6rem;opacity:0.75"> / {target_s:g} s good form</span></div>'
        f'<div style="background:#dfe4ea;border-radius:0.6rem;height:1.4rem;overflow:hidden">'
        f'<div class="fc-hold-bar" style="width:{share * 100:.1f}%;background:{colour};height:100%"></div></div></div>'
    )


def _banner(text: str, colour: str, size: str = "2.0rem", css: str = "fc-routine-banner") -> str:
    return (f'<div class="{css}" style="background:{colour};color:white;border-radius:0.6rem;padding:0.6rem 1rem;'
            f'font-size:{size};font-weight:600;line-height:1.25;margin:0.3rem 0">{html.escape(text)}</div>')


def routine_header_html(v: StepView, specs: dict[str, ExerciseSpec]) -> str:
    """Step n of N, the current step large, and what comes next."""
    if v.step is None:
        return _banner("Routine complete. Well done!", GREEN, "2.4rem", "fc-routine-done")
    nxt = f"Then: {step_title(v.next_step, specs)}" if v.next_step is not None else "Last step"
    return (
        f'<div class="fc-step" style="margin-top:0.3rem"><div style="font-size:1rem;opacity:0.75">'
        f'Step {v.index + 1} of {v.total} · {html.escape(nxt)}</div>'
        f'<div class="fc-step-title" style="font-size:2.4rem;font-weight:700;line-height:1.15">'
        f'{html.escape(step_title(v.step, specs))}</div></div>'
    )


def routine_body_html(v: StepView, specs: dict[str, ExerciseSpec]) -> str:
    """The phase's own panel: countdown with the instruction, or the hold with its prompts."""
    if v.step is None:
        return ""
    parts = []
    if v.paused:
        parts.append(_banner("Paused: press Resume to carry on.", GREY))
    if v.phase == Phase.COUNTDOWN or v.phase == Phase.READY:
        if v.switch_sides:
            parts.append(_banner(f"Switch sides: now your {v.step.side} side", AMBER, "2.2rem", "fc-switch"))
        parts.append(_banner(f"Get ready: {math.ceil(v.countdown_s)}", BLUE, "2.6rem", "fc-countdown"))
        parts.append(f'<div class="fc-say" style="font-size:1.5rem;line-height:1.35">{html.escape(v.step.say)}</div>')
        return "".join(parts)
    if v.wrong_side:
        parts.append(_banner(f"Other side, please: {v.step.say}", AMBER, css="fc-switch"))
    if v.hold_still:
        parts.append(_banner("Hold still: measuring your starting position…", BLUE, css="fc-hold-still"))
    parts.append(hold_bar_html(v.good_s, v.target_s))
    if v.breath:
        word = "Breathe in" if v.breath == "in" else "Breathe out"
        parts.append(f'<div class="fc-breath" style="font-size:1.8rem;font-weight:600;color:{BLUE}">'
                     f'{word} · {math.ceil(v.breath_left_s)}</div>')
    return "".join(parts)


def figures_with_help(cv: CoachView, rounds: int | None) -> tuple[list[tuple[str, str]], list[str]]:
    """The three figures that agree (good form, in position, score) and one line explaining each."""
    figures = [("Good-form hold", seconds_text(cv.good_s)), ("In position", seconds_text(cv.in_position_s)),
               ("Form score", score_text(cv.score, cv.any_fault))]
    if rounds is not None:
        figures.append(("Cat-Cow rounds", str(rounds)))
    lines = [FIGURE_HELP["good_form"], FIGURE_HELP["in_position"], FIGURE_HELP["score"]]
    return figures, lines


def render_controls(coach: LiveCoach, v: StepView) -> None:
    """Back, Pause/Resume and Next."""
    if v.step is None:
        return
    back, pause, nxt = st.columns(3)
    if back.button("← Back", key="fc_routine_back", width="stretch",
                   help="Hold this step again from zero (or go to the previous one)."):
        coach.back()
    if v.paused:
        if pause.button("Resume", key="fc_routine_resume", width="stretch"):
            coach.resume()
    elif pause.button("Pause", key="fc_routine_pause", width="stretch"):
        coach.pause()
    if nxt.button("Next →", key="fc_routine_next", width="stretch",
                  help="Skip to the next step (or start this one now)."):
        coach.next()


def steps_markdown(routine: Routine, specs: dict[str, ExerciseSpec], current: int | None) -> str:
    """The routine's steps as a list, the current one marked."""
    lines = [f"### {routine.name}", routine.description, ""]
    for i, s in enumerate(routine.steps):
        mark = "**▶ " if i == current else ""
        end = "**" if i == current else ""
        breath = f", breathe {s.breathing.in_s:g} s in / {s.breathing.out_s:g} s out" if s.breathing else ""
        lines.append(f"{i + 1}. {mark}{step_title(s, specs)}{end}: hold {s.hold_s:g} s{breath}")
    return "\n".join(lines)
