"""The session recap: figures that agree, faults counted, key measures, baseline, balance, CSV/JSON."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from formcheck.coach.recap import FrameSample, RecapBuilder, balance_sentences, recap_from_dict
from formcheck.coach.words import score_text

NAMES = {"psoas_stretch": "Psoas Stretch", "boat_pose": "Boat Pose"}
DT = 0.125


def frames(exercise: str, side: str, t0: float, seconds: float, **kw) -> list[FrameSample]:
    return [FrameSample(t=t0 + k * DT, exercise=exercise, side=side, **kw) for k in range(round(seconds / DT))]


def test_figures_agree_good_plus_corrections_is_in_position():
    b = RecapBuilder(NAMES)
    t = 0.0
    seq = (frames("boat_pose", "", t, 2.0, in_position=False)
           + frames("boat_pose", "", 2.0, 0.5, in_position=True, score=100.0)
           + frames("boat_pose", "", 2.5, 2.3, in_position=True, score=88.0, faults=("knees_bent",))
           + frames("boat_pose", "", 4.8, 0.5, in_position=True, score=100.0))
    for s in seq:
        b.update(s)
    e = b.finish().entries[0]
    assert e.good_s + e.fault_s == pytest.approx(e.in_position_s)
    assert e.in_position_s == pytest.approx(3.3, abs=DT)
    assert e.faults[0].fault == "knees_bent" and e.faults[0].times == 1
    assert e.faults[0].total_s == pytest.approx(2.3, abs=DT)
    # the score is high (a light correction) but the recap says why
    assert e.score is not None and e.score > 85
    assert "Knees bent" in e.score_note and "of the time" in e.score_note
    assert score_text(e.score, bool(e.faults)) != "100/100"


def test_score_is_time_weighted_and_100_only_without_corrections():
    b = RecapBuilder(NAMES)
    seq = (frames("boat_pose", "", 0.0, 1.0, in_position=True, score=100.0)
           + [FrameSample(1.0, "boat_pose", "", True, score=100.0)]
           + [FrameSample(3.0, "boat_pose", "", True, score=0.0, faults=("feet_on_floor",))])  # a 2 s gap
    for s in seq:
        b.update(s)
    e = b.finish().entries[0]
    # the gap counts at most 0.5 s: 1.0 s at 100 and 0.5 s at 0
    assert e.score == pytest.approx(100 * 1.0 / 1.5, abs=0.1)
    assert score_text(99.7, True) == "99/100" and score_text(99.7, False) == "100/100"
    assert score_text(float("nan"), False) == "–"


def test_fault_onsets_are_counted_and_psoas_measures_with_baseline():
    b = RecapBuilder(NAMES)
    t = 0.0
    for k in range(48):  # 6 s: first 2 s flat (gap 0.08), then alternating arch (gap 0.18) every 1 s
        arched = k >= 16 and (k // 8) % 2 == 0
        gap = 0.18 if arched else 0.08
        b.update(FrameSample(t, "psoas_stretch", "left", True, score=60.0 if arched else 100.0,
                             faults=("lower_back_arched",) if arched else (),
                             metrics={"hip_flexion": 60.0, "back_gap": gap}))
        t += DT
    e = b.finish().entries[0]
    assert e.faults[0].times == 2
    m = {x.id: x for x in e.measures}
    assert m["knee_to_chest"].value == pytest.approx(60.0)
    assert m["back_gap"].baseline == pytest.approx(8.0, abs=0.01)  # the first 2 s, in % of torso length
    assert m["back_gap"].value > m["back_gap"].baseline


def test_engine_baseline_wins_over_the_estimate():
    b = RecapBuilder(NAMES)
    for k in range(10):
        b.update(FrameSample(k * DT, "psoas_stretch", "left", True, score=100.0,
                             metrics={"back_gap": 0.1, "back_gap_baseline": 0.05}))
    m = {x.id: x for x in b.finish().entries[0].measures}
    assert m["back_gap"].baseline == pytest.approx(5.0)


def test_left_right_balance_in_words():
    b = RecapBuilder(NAMES, mode="routine", routine="r",
                     targets={("psoas_stretch", "left"): 30.0, ("psoas_stretch", "right"): 30.0})
    for s in frames("psoas_stretch", "left", 0.0, 30.125, in_position=True, score=100.0,
                    metrics={"hip_flexion": 55.0}):
        b.update(s)
    for s in frames("psoas_stretch", "right", 40.0, 12.0, in_position=True, score=100.0,
                    metrics={"hip_flexion": 67.0}):
        b.update(s)
    r = b.finish(completed=False)
    assert r.balance == ("Psoas Stretch: right side held 18 s less; knee 12° further from the chest.",)
    left, right = r.entries
    assert left.reached is True and right.reached is False
    assert balance_sentences([left]) == []


def test_routine_steps_never_reached_still_appear_and_export():
    b = RecapBuilder(NAMES, mode="routine", routine="r", targets={("boat_pose", ""): 20.0})
    r = b.finish()
    assert r.empty and r.entries[0].good_s == 0 and r.entries[0].score is None
    for s in frames("boat_pose", "", 0.0, 1.0, in_position=True, score=90.0, faults=("knees_bent",),
                    metrics={"torso_recline": 30.0, "thigh_lift": 40.0}, reports={"stage": "full"}):
        b.update(s)
    r = b.finish()
    e = r.entries[0]
    assert {m.id: m.value for m in e.measures}["v_angle"] == pytest.approx(80.0)
    assert e.reports == {"stage": "full"}
    d = json.loads(r.to_json())
    assert recap_from_dict(d) == r
    rows = list(csv.DictReader(io.StringIO(r.to_csv())))
    assert rows[0]["exercise"] == "boat_pose" and rows[0]["target_s"] == "20"
    assert "knees_bent x1" in rows[0]["faults"] and not math.isnan(float(rows[0]["score"]))
