"""The live coach with fake frame results and a fake clock: the processor is switched from step to
step, STOP gives a recap, and the recap is saved to the history."""

from __future__ import annotations

import pytest

from formcheck.coach.live import LiveCoach
from formcheck.coach.routine import Routine, RoutineStep
from formcheck.engine.rules import RuleResult, RuleState
from formcheck.engine.session import FrameResult
from formcheck.history import HistoryStore

NAMES = {"psoas_stretch": "Psoas Stretch", "constructive_rest": "Constructive Rest", "tree_pose": "Tree Pose"}
SIDED = {"psoas_stretch": True, "constructive_rest": False, "tree_pose": True}
DT = 0.125


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def result(ex: str, side: str, t: float, fault: str = "") -> FrameResult:
    rules = (RuleResult(fault, RuleState.FAULT, 1.0, 0.0),) if fault else ()
    return FrameResult(t, ex, None, side=side, in_position=True, rules=rules, score=70.0 if fault else 100.0,
                       metrics={"hip_flexion": 60.0, "motion": 0.01})


def run(coach: LiveCoach, clock: Clock, ex: str, side: str, seconds: float, fault: str = "") -> None:
    for _ in range(round(seconds / DT)):
        clock.t += DT
        coach.on_result(result(ex, side, clock.t, fault))


def test_routine_switches_the_exercise_and_saves_the_recap(tmp_path):
    routine = Routine("r", "R", 1, "", 1.0, (
        RoutineStep("psoas_stretch", "left", 1.0, 1.0, "Left knee in."),
        RoutineStep("constructive_rest", "none", 1.0, 0.0, "Rest."),
    ))
    switched: list[str] = []
    clock = Clock()
    store = HistoryStore(tmp_path / "h.sqlite3")
    coach = LiveCoach(NAMES, SIDED, switched.append, lambda: store, clock)
    coach.configure(routine)
    assert switched == ["psoas_stretch"] and coach.exercise_for("auto") == "psoas_stretch"
    run(coach, clock, "psoas_stretch", "left", 1.125)  # the countdown starts with the first frame
    assert coach.view().step.phase == "hold"
    run(coach, clock, "psoas_stretch", "left", 0.5, fault="knee_not_to_chest")
    assert coach.view().good_s == 0.0 and coach.view().any_fault
    run(coach, clock, "psoas_stretch", "left", 1.25)
    assert switched[-1] == "constructive_rest" and coach.exercise_for("auto") == "constructive_rest"
    assert "Rest." in coach.view().announcement
    run(coach, clock, "constructive_rest", "", 1.0 + 1.25)
    v = coach.view()
    assert v.recap is not None and v.recap.completed and v.saved
    entries = {(e.exercise, e.side): e for e in v.recap.entries}
    assert entries[("psoas_stretch", "left")].faults[0].times == 1
    # the recap agrees with the step's hold: the countdown before it adds nothing
    assert entries[("psoas_stretch", "left")].good_s == pytest.approx(1.0)
    assert entries[("constructive_rest", "")].good_s == pytest.approx(1.0)
    assert [s.uid for s in store.sessions()] == [v.recap.session_id]
    assert coach.stop() is None  # already finished and saved: nothing new


def test_single_mode_stop_gives_a_recap_per_side(tmp_path):
    clock = Clock()
    saved = []

    class Store:
        path = tmp_path / "x"

        def save(self, recap) -> bool:
            saved.append(recap)
            return True

    coach = LiveCoach(NAMES, SIDED, lambda e: None, Store, clock)
    coach.configure(None)
    run(coach, clock, "tree_pose", "left", 2.0)
    run(coach, clock, "tree_pose", "right", 1.0, fault="foot_on_knee")
    recap = coach.stop()
    assert recap is not None and recap.mode == "single"
    assert [(e.exercise, e.side) for e in recap.entries] == [("tree_pose", "left"), ("tree_pose", "right")]
    assert saved == [recap]
    assert coach.stop() is None and coach.view().recap is recap
