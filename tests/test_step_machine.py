"""The routine step machine with a fake clock: countdown, hold by good form only, advance,
pause, next, back, side switch, breathing pace and the hold-still moment."""

from __future__ import annotations

import pytest

from formcheck.coach.machine import WRONG_SIDE_S, FrameFigures, Phase, StepMachine
from formcheck.coach.routine import Breathing, Routine, RoutineStep

STEP_DT = 0.125  # exact in binary: the fake clock adds up without rounding


def routine() -> Routine:
    return Routine(
        id="t", name="T", version=1, description="", countdown_s=3.0,
        steps=(
            RoutineStep("psoas_stretch", "left", 2.0, 4.0, "Left knee to chest.", Breathing(4.0, 6.0)),
            RoutineStep("psoas_stretch", "right", 2.0, 5.0, "Switch sides: right knee."),
            RoutineStep("boat_pose", "none", 1.0, 0.0, "Sit tall."),
        ),
    )


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def good(ex: str = "psoas_stretch", side: str = "left", **kw) -> FrameFigures:
    return FrameFigures(exercise=ex, side=side, in_position=True, **kw)


def feed(m: StepMachine, clock: Clock, fig: FrameFigures, seconds: float) -> list:
    events = []
    for _ in range(round(seconds / STEP_DT)):
        clock.t += STEP_DT
        events += m.update(fig, clock.t)
    return events


@pytest.fixture
def started():
    clock = Clock()
    m = StepMachine(routine())
    events = m.start(clock.t)
    assert [e.kind for e in events] == ["countdown"] and m.phase == Phase.COUNTDOWN
    return m, clock


def test_countdown_then_hold_counts_only_good_form_time(started):
    m, clock = started
    feed(m, clock, good(), 2.9)
    assert m.phase == Phase.COUNTDOWN and m.good_s[0] == 0.0  # the countdown holds nothing
    assert m.view(clock.t).countdown_s == pytest.approx(0.125)
    feed(m, clock, good(), 0.2)
    assert m.phase == Phase.HOLD
    before = m.good_s[0]
    feed(m, clock, good(faulted=True), 1.0)          # a fault: nothing
    feed(m, clock, FrameFigures("psoas_stretch", "left", in_position=False), 1.0)  # out of position
    feed(m, clock, good(ex="boat_pose", side=""), 1.0)  # another exercise
    feed(m, clock, good(baseline_capturing=True), 1.0)  # hold still: baseline capture
    assert m.good_s[0] == pytest.approx(before)
    assert m.index == 0 and m.phase == Phase.HOLD
    events = feed(m, clock, good(), 2.2)
    kinds = [e.kind for e in events]
    assert kinds == ["completed", "countdown"], kinds
    assert m.index == 1 and m.phase == Phase.COUNTDOWN
    assert 3.0 < m.view(clock.t).countdown_s <= 4.0  # step 0's rest


def test_frame_gaps_do_not_fill_the_hold(started):
    m, clock = started
    clock.t += 3.0
    m.tick(clock.t)
    m.update(good(), clock.t)
    clock.t += 5.0  # the stream stalled for 5 s
    m.update(good(), clock.t)
    assert m.good_s[0] <= 0.5 + 1e-9


def test_whole_routine_advances_to_done_and_switches_sides(started):
    m, clock = started
    feed(m, clock, good(), 3.0 + 2.2)
    view = m.view(clock.t)
    assert view.step.side == "right" and view.phase == Phase.COUNTDOWN and view.step.say.startswith("Switch sides")
    assert view.switch_sides, "the page is told to prompt the side switch"
    feed(m, clock, good(side="right"), 4.0)
    assert m.phase == Phase.HOLD and m.index == 1
    # still doing the left side: no hold, and after WRONG_SIDE_S the page is told to switch
    held = m.good_s[1]
    feed(m, clock, good(side="left"), WRONG_SIDE_S + 0.3)
    assert m.good_s[1] == held and m.view(clock.t).wrong_side
    feed(m, clock, good(side="right"), 2.2)
    assert m.index == 2 and not m.view(clock.t).wrong_side
    assert not m.view(clock.t).switch_sides
    feed(m, clock, good(ex="boat_pose", side=""), 0.5)
    assert m.phase == Phase.COUNTDOWN and not m.view(clock.t).switch_sides, "another exercise: no side switch"
    events = feed(m, clock, good(ex="boat_pose", side=""), 4.5 + 1.2)
    assert m.phase == Phase.DONE and [e.kind for e in events][-1] == "done"
    assert m.good_s == pytest.approx([2.0, 2.0, 1.0], abs=0.13)


def test_pause_freezes_countdown_and_hold(started):
    m, clock = started
    feed(m, clock, good(), 1.0)
    m.pause(clock.t)
    left = m.view(clock.t).countdown_s
    feed(m, clock, good(), 10.0)
    assert m.phase == Phase.COUNTDOWN and m.view(clock.t).countdown_s == pytest.approx(left)
    m.resume(clock.t)
    feed(m, clock, good(), 2.1)
    assert m.phase == Phase.HOLD
    feed(m, clock, good(), 1.0)
    held = m.good_s[0]
    m.pause(clock.t)
    feed(m, clock, good(), 5.0)
    assert m.good_s[0] == held and m.view(clock.t).paused
    m.resume(clock.t)
    feed(m, clock, good(), 0.5)
    assert m.good_s[0] == pytest.approx(held + 0.4, abs=0.13)  # the first frame after resuming adds nothing


def test_next_skips_countdown_then_step_and_back_goes_back(started):
    m, clock = started
    assert [e.kind for e in m.next(clock.t)] == ["skipped", "started"]
    assert m.phase == Phase.HOLD and m.index == 0
    feed(m, clock, good(), 0.5)
    m.next(clock.t)
    assert m.index == 1 and m.phase == Phase.COUNTDOWN and m.good_s[0] == pytest.approx(0.4, abs=0.13)
    m.back(clock.t)  # from a countdown: back to the previous step, from zero
    assert m.index == 0 and m.good_s[0] == 0.0 and m.phase == Phase.COUNTDOWN
    feed(m, clock, good(), 3.0 + 1.5)
    m.back(clock.t)  # held a while: restart this step
    assert m.index == 0 and m.good_s[0] == 0.0
    m.next(clock.t)
    m.next(clock.t)
    m.next(clock.t)
    m.next(clock.t)
    m.next(clock.t)
    m.next(clock.t)
    assert m.phase == Phase.DONE
    m.back(clock.t)
    assert m.index == 2 and m.phase == Phase.COUNTDOWN


def test_breathing_pace_and_hold_still(started):
    m, clock = started
    feed(m, clock, good(), 3.0)
    m.update(good(), clock.t)
    v = m.view(clock.t + 1.0)
    assert v.breath == "in" and v.breath_left_s == pytest.approx(3.0, abs=0.13)
    v = m.view(clock.t + 5.0)
    assert v.breath == "out" and v.breath_left_s == pytest.approx(5.0, abs=0.13)
    m.update(good(baseline_capturing=True), clock.t + 0.1)
    assert m.view(clock.t + 0.1).hold_still
    # steps without a pace show none
    m.next(clock.t)
    m.next(clock.t)
    assert m.index == 1 and m.view(clock.t).breath == ""


def test_progress_toward_target(started):
    m, clock = started
    feed(m, clock, good(), 3.0)
    feed(m, clock, good(), 1.0)
    v = m.view(clock.t)
    assert 0.4 < v.progress < 0.55 and v.target_s == 2.0 and v.next_step.side == "right"
