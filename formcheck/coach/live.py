"""The live coach: routine steps, the running recap and saving, fed by the live processor.

:class:`LiveCoach` knows nothing about Streamlit. The live processor calls
:meth:`LiveCoach.on_result` with every judged frame in its worker thread; the page reads
:meth:`LiveCoach.view` and presses :meth:`next`/:meth:`back`/:meth:`pause`/:meth:`resume`/
:meth:`stop` from its own thread. One lock guards the state; the clock is injectable.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from formcheck.coach.machine import FrameFigures, Phase, StepMachine, StepView
from formcheck.coach.recap import Recap, RecapBuilder, sample_from_result
from formcheck.coach.routine import Routine, RoutineStep
from formcheck.engine.session import FrameResult

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoachView:
    """What the page shows from the coach.

    Attributes:
        routine: the routine's name ('' in single-exercise mode).
        active: a session is being recorded.
        step: the routine's state (None in single-exercise mode).
        exercise: the exercise of the current figures (None: none yet).
        side: its side ("" when none).
        good_s: good-form hold of the current exercise and side (the step's in routine mode).
        in_position_s: time in position of the current exercise and side.
        score: time-weighted form score over that time (None: not judged yet).
        score_note: the correction that lasted a large share of that time, if any.
        any_fault: a correction was called for the current exercise and side.
        announcement: the instruction for the transition now ('' when none).
        announcement_id: changes whenever a new announcement starts (to speak it once).
        recap: the last finished session's recap.
        saved: where the recap was saved ('' when not saved).
        save_error: why it was not saved ('' when fine).
    """

    routine: str = ""
    active: bool = False
    step: StepView | None = None
    exercise: str | None = None
    side: str = ""
    good_s: float = 0.0
    in_position_s: float = 0.0
    score: float | None = None
    score_note: str = ""
    any_fault: bool = False
    announcement: str = ""
    announcement_id: int = 0
    recap: Recap | None = None
    saved: str = ""
    save_error: str = ""


def side_words(side: str) -> str:
    """"left" → "left side"; "" → ""."""
    return f"{side} side" if side in ("left", "right") else ""


class LiveCoach:
    """Runs a routine (or records single exercises) over live frames and keeps the recap.

    Args:
        names: exercise id → name.
        sided: exercise id → whether it is done one side at a time.
        set_exercise: tells the live processor which exercise to judge (routine mode).
        store_factory: gives the history store, or None when history is off.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, names: dict[str, str], sided: dict[str, bool], set_exercise: Callable[[str], None],
                 store_factory: Callable[[], object | None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.names = names
        self.sided = sided
        self._set_exercise = set_exercise
        self._store_factory = store_factory
        self._clock = clock
        self._lock = threading.Lock()
        self._routine: Routine | None = None
        self._machine: StepMachine | None = None
        self._builder: RecapBuilder | None = None
        self._last: FrameResult | None = None
        self._announcement = ""
        self._announcement_id = 0
        self._recap: Recap | None = None
        self._saved = ""
        self._save_error = ""
        self._exercise = ""

    # -- configuration (page thread) ----------------------------------------------------------

    @property
    def routine(self) -> Routine | None:
        """The routine being coached (None: single-exercise mode)."""
        return self._routine

    def configure(self, routine: Routine | None) -> None:
        """Coach this routine (None: single exercises). A change ends the session being recorded."""
        with self._lock:
            same = (routine is None and self._routine is None) or (
                routine is not None and self._routine is not None and routine.id == self._routine.id
                and routine.steps == self._routine.steps)
            if same:
                return
            self._finish_locked(completed=False)
            self._routine = routine
            self._machine = None
            self._exercise = routine.steps[0].exercise if routine else ""
        if routine is not None:
            self._set_exercise(routine.steps[0].exercise)

    def exercise_for(self, default: str) -> str:
        """The exercise the processor should judge: the routine step's, else ``default``."""
        with self._lock:
            return self._exercise if self._routine is not None and self._exercise else default

    # -- frames (worker thread) ---------------------------------------------------------------

    def _announce(self, text: str) -> None:
        self._announcement = text
        self._announcement_id += 1

    def _step_text(self, step: RoutineStep) -> str:
        side = side_words(step.side)
        return f"{self.names.get(step.exercise, step.exercise)}{' · ' + side if side else ''}: {step.say}"

    def _start_locked(self, now: float) -> list:
        if self._routine is None:
            self._builder = RecapBuilder(self.names, mode="single")
            return []
        targets: dict[tuple[str, str], float] = {}
        for s in self._routine.steps:
            key = (s.exercise, s.side if s.sided else "")
            targets[key] = targets.get(key, 0.0) + s.hold_s
        self._builder = RecapBuilder(self.names, mode="routine", routine=self._routine.id, targets=targets)
        self._machine = StepMachine(self._routine)
        return self._machine.start(now)

    def _handle(self, events: list) -> str | None:
        """React to step events; return the exercise the processor must switch to (or None)."""
        m = self._machine
        if m is None:
            return None
        switch = None
        for ev in events:
            if ev.kind in ("countdown", "back") and m.step is not None:
                self._announce(self._step_text(m.step))
                if m.step.exercise != self._exercise:
                    self._exercise = switch = m.step.exercise
            elif ev.kind == "done":
                self._announce("Routine complete. Well done!")
                self._finish_locked(completed=all(g + 1e-6 >= s.hold_s for g, s in zip(m.good_s, m.routine.steps,
                                                                                       strict=True)))
        return switch

    def on_result(self, result: FrameResult) -> None:
        """Feed one judged frame (called by the live processor's worker thread)."""
        now = self._clock()
        with self._lock:
            self._last = result
            if self._machine is not None and self._machine.phase == Phase.DONE:
                return  # the routine is over: nothing more to record until the next START
            events = self._start_locked(now) if self._builder is None else []
            sample = sample_from_result(result)
            ex = result.exercise
            m = self._machine
            if m is None:
                assert self._builder is not None
                self._builder.update(sample, side=result.side if ex and self.sided.get(ex) else "")
            else:
                step = m.step
                figures = FrameFigures(exercise=ex, side=result.side if ex and self.sided.get(ex) else "",
                                       in_position=result.in_position, faulted=bool(result.faults),
                                       baseline_capturing=bool(getattr(result, "baseline_capturing", False)))
                events += m.update(figures, now)
                if m.last_counted and step is not None:  # the recap counts what the step's hold counts
                    assert self._builder is not None
                    self._builder.update(sample, side=step.side if step.sided else "", dt=m.last_dt)
            switch = self._handle(events)
        if switch is not None:
            self._set_exercise(switch)

    # -- controls (page thread) ---------------------------------------------------------------

    def _control(self, action: str) -> None:
        now = self._clock()
        with self._lock:
            m = self._machine
            if m is None:
                return
            if action == "pause":
                m.pause(now)
                return
            if action == "resume":
                m.resume(now)
                return
            events = m.next(now) if action == "next" else m.back(now)
            switch = self._handle(events)
        if switch is not None:
            self._set_exercise(switch)

    def next(self) -> None:
        """Skip to the next step (or end the countdown now)."""
        self._control("next")

    def back(self) -> None:
        """Go back a step (or restart the one being held)."""
        self._control("back")

    def pause(self) -> None:
        """Pause the routine."""
        self._control("pause")

    def resume(self) -> None:
        """Resume the routine."""
        self._control("resume")

    def stop(self) -> Recap | None:
        """End the session (STOP): the recap, saved to the history. None when nothing was recorded."""
        with self._lock:
            recap = self._finish_locked(completed=False)
            if self._routine is not None:
                self._machine = None
                self._exercise = self._routine.steps[0].exercise
        if self._routine is not None:
            self._set_exercise(self._routine.steps[0].exercise)
        return recap

    def _finish_locked(self, completed: bool) -> Recap | None:
        builder, self._builder = self._builder, None
        if builder is None:
            return None
        recap = builder.finish(completed=completed)
        self._recap = recap
        self._saved, self._save_error = "", ""
        if recap.empty:
            return recap
        try:
            store = self._store_factory()
            if store is not None:
                store.save(recap)  # type: ignore[attr-defined]
                self._saved = str(store.path)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a history problem must not lose the recap on screen
            _LOG.exception("could not save the session to the history")
            self._save_error = str(exc)
        return recap

    # -- reading (page thread) ----------------------------------------------------------------

    def view(self) -> CoachView:
        """The coach's state now."""
        now = self._clock()
        with self._lock:
            m = self._machine
            step_view = m.view(now) if m is not None else None
            r = self._last
            ex = r.exercise if r is not None else None
            side = r.side if r is not None and ex and self.sided.get(ex) else ""
            if step_view is not None and step_view.step is not None:
                ex, side = step_view.step.exercise, (step_view.step.side if step_view.step.sided else "")
            entry = self._builder.entry((ex, side)) if self._builder is not None and ex else None
            good = step_view.good_s if step_view is not None else (entry.good_s if entry else 0.0)
            return CoachView(
                routine=self._routine.name if self._routine else "", active=self._builder is not None,
                step=step_view, exercise=ex, side=side, good_s=good,
                in_position_s=entry.in_position_s if entry else 0.0,
                score=entry.score if entry and entry.score is not None and math.isfinite(entry.score) else None,
                score_note=entry.score_note if entry else "", any_fault=bool(entry and entry.faults),
                announcement=self._announcement, announcement_id=self._announcement_id, recap=self._recap,
                saved=self._saved, save_error=self._save_error,
            )

    def clear_recap(self) -> None:
        """Forget the last recap (the page shows none)."""
        with self._lock:
            self._recap = None
