"""The routine step machine: countdown, hold toward the target, advance, pause, back (pure).

Fed one :class:`FrameFigures` per judged frame and the time of each call (any monotonic clock;
tests pass a fake one). Only *good-form* time fills a step's hold: in position, no active
fault, the step's exercise and side, and not while the engine is capturing the person's
baseline ("hold still"). The countdown between steps runs on the clock alone, so it also
ends when no frame arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from formcheck.coach.routine import Routine, RoutineStep

#: Frame gaps longer than this add nothing to the hold, in seconds (the stream stalled).
MAX_STEP_S = 0.5
#: The wrong side must be seen this long before the page asks to switch, in seconds.
WRONG_SIDE_S = 1.0
#: Back restarts the step being held once this much of it is held, else goes to the previous step.
RESTART_AFTER_S = 1.0


class Phase(StrEnum):
    """Where the routine is."""

    READY = "ready"          # not started
    COUNTDOWN = "countdown"  # getting into the next step
    HOLD = "hold"            # the step is on: hold good form toward the target
    DONE = "done"            # every step completed


@dataclass(frozen=True)
class FrameFigures:
    """What the step machine needs from one frame's engine result.

    Attributes:
        exercise: the exercise judged (None when nothing is recognised).
        side: "left"/"right", or "" when unknown or the exercise has no side.
        in_position: whether the person is in the exercise's position.
        faulted: whether any fault is active.
        baseline_capturing: the engine is capturing the person's own baseline (hold still).
    """

    exercise: str | None
    side: str = ""
    in_position: bool = False
    faulted: bool = False
    baseline_capturing: bool = False


@dataclass(frozen=True)
class StepEvent:
    """Something that happened at one call.

    Attributes:
        kind: "started" (a step's hold began), "completed" (its target was reached),
            "countdown" (a countdown began), "done" (the routine ended), "skipped", "back".
        index: the step concerned.
    """

    kind: str
    index: int


@dataclass(frozen=True)
class StepView:
    """What the page shows about the routine now.

    Attributes:
        phase: the phase.
        paused: the routine is paused.
        index: the current step (during a countdown: the step that comes next).
        total: the number of steps.
        step: the current step (None when done).
        next_step: the step after it (None when last).
        good_s: good-form hold of the current step so far, in seconds.
        target_s: its target, in seconds.
        countdown_s: seconds left in the countdown (0 outside one).
        hold_still: the engine is capturing the baseline: the person should hold still.
        wrong_side: the person is doing the other side.
        breath: "in" or "out" during a step with a breathing pace, else "".
        breath_left_s: seconds left in this breath.
        switch_sides: the coming step is the same exercise as the last one, on the other side.
    """

    phase: Phase
    paused: bool
    index: int
    total: int
    step: RoutineStep | None
    next_step: RoutineStep | None
    good_s: float
    target_s: float
    countdown_s: float = 0.0
    hold_still: bool = False
    wrong_side: bool = False
    breath: str = ""
    breath_left_s: float = 0.0
    switch_sides: bool = False

    @property
    def progress(self) -> float:
        """Share of the target held, 0–1."""
        return min(1.0, self.good_s / self.target_s) if self.target_s > 0 else 0.0


class StepMachine:
    """Runs a routine step by step. ``start``/``update``/``next``/``back``/``pause``/``resume``/``view``.

    Args:
        routine: the routine to run.
    """

    def __init__(self, routine: Routine) -> None:
        self.routine = routine
        self.phase = Phase.READY
        self.index = 0
        self.paused = False
        self.good_s: list[float] = [0.0] * len(routine.steps)
        self._phase_end = 0.0           # countdown end time
        self._paused_left = 0.0         # countdown seconds left when paused
        self._hold_started = 0.0        # for the breathing pace
        self._last_frame_t: float | None = None
        self._wrong_since: float | None = None
        self._hold_still = False
        #: The last frame's time step and whether it was judged for the step (what a recap records).
        self.last_dt = 0.0
        self.last_counted = False

    # -- helpers -----------------------------------------------------------------------------

    @property
    def step(self) -> RoutineStep | None:
        """The current step (None when done)."""
        return self.routine.steps[self.index] if self.index < len(self.routine.steps) else None

    def _countdown(self, now: float, seconds: float, events: list[StepEvent]) -> None:
        self.phase = Phase.COUNTDOWN
        self._phase_end = now + seconds
        self._last_frame_t = None
        self._wrong_since = None
        events.append(StepEvent("countdown", self.index))

    def _begin_hold(self, now: float, events: list[StepEvent]) -> None:
        self.phase = Phase.HOLD
        self._hold_started = now
        self._last_frame_t = None
        events.append(StepEvent("started", self.index))

    def _complete(self, now: float, events: list[StepEvent]) -> None:
        step = self.routine.steps[self.index]
        events.append(StepEvent("completed", self.index))
        self.index += 1
        if self.index >= len(self.routine.steps):
            self.phase = Phase.DONE
            events.append(StepEvent("done", self.index - 1))
        else:
            self._countdown(now, step.rest_s, events)

    # -- driving -----------------------------------------------------------------------------

    def start(self, now: float) -> list[StepEvent]:
        """Start at the first step with the routine's countdown."""
        self.index, self.paused = 0, False
        self.good_s = [0.0] * len(self.routine.steps)
        events: list[StepEvent] = []
        self._countdown(now, self.routine.countdown_s, events)
        return events

    def tick(self, now: float) -> list[StepEvent]:
        """Let time pass: end a countdown that is over."""
        events: list[StepEvent] = []
        if not self.paused and self.phase == Phase.COUNTDOWN and now >= self._phase_end:
            self._begin_hold(now, events)
        return events

    def update(self, frame: FrameFigures, now: float) -> list[StepEvent]:
        """Feed one frame's figures at time ``now``; return what happened."""
        events = self.tick(now)
        self.last_dt, self.last_counted = 0.0, False
        if self.paused or self.phase != Phase.HOLD:
            return events
        step = self.routine.steps[self.index]
        dt = 0.0 if self._last_frame_t is None else min(max(0.0, now - self._last_frame_t), MAX_STEP_S)
        self._last_frame_t = now
        right_exercise = frame.exercise == step.exercise
        wrong_side = right_exercise and step.sided and frame.side not in ("", step.side) and frame.in_position
        if wrong_side:
            self._wrong_since = now if self._wrong_since is None else self._wrong_since
        else:
            self._wrong_since = None
        self._hold_still = right_exercise and frame.baseline_capturing
        self.last_dt = dt
        self.last_counted = right_exercise and not wrong_side and not frame.baseline_capturing
        good = right_exercise and frame.in_position and not frame.faulted and not wrong_side \
            and not frame.baseline_capturing
        if good:
            self.good_s[self.index] += dt
            if self.good_s[self.index] >= step.hold_s:
                self._complete(now, events)
        return events

    def next(self, now: float) -> list[StepEvent]:
        """Skip to the next step (its countdown); the current step keeps what it held."""
        if self.phase in (Phase.READY, Phase.DONE):
            return []
        events = [StepEvent("skipped", self.index)]
        if self.phase == Phase.COUNTDOWN:  # skip the countdown: start the step now
            self._begin_hold(now, events)
            return events
        self.index += 1
        if self.index >= len(self.routine.steps):
            self.phase = Phase.DONE
            events.append(StepEvent("done", self.index - 1))
        else:
            self._countdown(now, self.routine.steps[self.index - 1].rest_s, events)
        return events

    def back(self, now: float) -> list[StepEvent]:
        """Go back and hold again from zero: this step when held a while, else the previous one."""
        if self.phase == Phase.READY:
            return []
        if self.phase == Phase.DONE:
            self.index = len(self.routine.steps) - 1
        elif not (self.phase == Phase.HOLD and self.good_s[self.index] >= RESTART_AFTER_S):
            self.index = max(0, self.index - 1)  # else: restart the step being held
        self.paused = False
        self.good_s[self.index] = 0.0
        events = [StepEvent("back", self.index)]
        self._countdown(now, self.routine.countdown_s, events)
        return events

    def pause(self, now: float) -> None:
        """Freeze the countdown and the hold."""
        if self.paused or self.phase in (Phase.READY, Phase.DONE):
            return
        self.paused = True
        self._paused_left = max(0.0, self._phase_end - now)

    def resume(self, now: float) -> None:
        """Carry on where the routine was paused."""
        if not self.paused:
            return
        self.paused = False
        self._phase_end = now + self._paused_left
        self._last_frame_t = None

    # -- reading -----------------------------------------------------------------------------

    def view(self, now: float) -> StepView:
        """The routine's state for the page at time ``now``."""
        steps = self.routine.steps
        step = self.step
        nxt = steps[self.index + 1] if self.index + 1 < len(steps) else None
        countdown = 0.0
        if self.phase == Phase.COUNTDOWN:
            countdown = self._paused_left if self.paused else max(0.0, self._phase_end - now)
        breath, left = "", 0.0
        if self.phase == Phase.HOLD and step is not None and step.breathing is not None:
            b = step.breathing
            t = (now - self._hold_started) % b.cycle_s
            breath, left = ("in", b.in_s - t) if t < b.in_s else ("out", b.cycle_s - t)
        wrong = self._wrong_since is not None and now - self._wrong_since >= WRONG_SIDE_S
        prev = steps[self.index - 1] if 0 < self.index < len(steps) else None
        switch = (self.phase == Phase.COUNTDOWN and step is not None and prev is not None
                  and prev.exercise == step.exercise and prev.side != step.side)
        return StepView(
            phase=self.phase, paused=self.paused, index=min(self.index, len(steps) - 1), total=len(steps),
            step=step, next_step=nxt, good_s=self.good_s[self.index] if step is not None else 0.0,
            target_s=step.hold_s if step is not None else 0.0, countdown_s=countdown,
            hold_still=self._hold_still and self.phase == Phase.HOLD, wrong_side=wrong, breath=breath,
            breath_left_s=left, switch_sides=switch,
        )
