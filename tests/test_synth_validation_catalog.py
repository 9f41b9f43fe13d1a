"""The validation set's catalog (formcheck.synth.validation): held out from the committed set.

Needs only numpy: the catalog is importable without the generator's torch/anny/pyrender.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from resources import contract_fault_ids

from formcheck.synth.body import BODIES, DEFAULT_BODIES, VALIDATION_BODIES
from formcheck.synth.catalog import default_set
from formcheck.synth.labels import clip_rows
from formcheck.synth.validation import EXERCISES, FLOOR, VALIDATION_FPS, validation_set

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clips():
    return validation_set()


def test_every_fault_id_has_three_clips_on_three_bodies(clips) -> None:
    faults = contract_fault_ids()
    assert sum(len(v) for v in faults.values()) == 29
    bodies = defaultdict(set)
    count = Counter()
    for c in clips:
        if c.fault:
            count[(c.exercise, c.fault)] += 1
            bodies[(c.exercise, c.fault)].add(c.body)
    for ex, ids in faults.items():
        for f in ids:
            assert count[(ex, f)] >= 3, (ex, f)
            assert len(bodies[(ex, f)]) >= 3, (ex, f)
    assert count[("psoas_stretch", "lower_back_arched")] >= 5


def test_correct_form_of_every_exercise_on_every_body_and_some_none(clips) -> None:
    correct = defaultdict(set)
    for c in clips:
        if c.exercise != "none" and not c.fault:
            correct[c.exercise].add(c.body)
    for ex in EXERCISES:
        assert correct[ex] == set(VALIDATION_BODIES), ex
    assert sum(c.exercise == "none" for c in clips) >= 3


def test_held_out_from_the_default_set(clips) -> None:
    default = default_set()
    assert not {c.seed for c in clips} & {c.seed for c in default}
    assert not {c.seed + 1000 for c in clips} & {c.seed + 1000 for c in default}  # camera jitter stream
    assert not {c.body for c in clips} & {c.body for c in default}
    assert {c.body for c in default} == set(DEFAULT_BODIES)
    assert set(VALIDATION_BODIES) <= set(BODIES)
    assert not {c.name for c in clips} & {c.name for c in default}
    assert len({c.seed for c in clips}) == len(clips)
    assert len({c.name for c in clips}) == len(clips)


def test_bodies_vary_sex_build_and_height() -> None:
    specs = [BODIES[b] for b in VALIDATION_BODIES]
    assert len(specs) >= 4
    assert {s.sex for s in specs} == {"female", "male"}
    assert max(s.weight for s in specs) - min(s.weight for s in specs) >= 0.5  # slim .. heavy
    assert max(s.height for s in specs) - min(s.height for s in specs) >= 0.6  # short .. tall
    assert len({s.skin_rgb for s in specs}) == len(specs)


def test_cameras_low_and_near_for_floor_exercises(clips) -> None:
    for c in clips:
        cam = c.camera()
        assert 1.8 <= cam.distance_m <= 3.0, c.name
        if c.activity in FLOOR:
            assert 0.2 <= cam.height_m <= 0.6, c.name
    floor = [c.camera().height_m for c in clips if c.activity in FLOOR]
    assert min(floor) < 0.3 and max(floor) > 0.5  # the range is used, not one height


def test_timing_holds_and_onsets(clips) -> None:
    onsets = Counter()
    for c in clips:
        t = c.timing()
        assert t.fps == VALIDATION_FPS
        assert t.duration_s - t.in_position_s >= 6.0, c.name  # holds of at least 6 s
        if c.fault and t.fault_from_start:
            onsets["start"] += 1
        elif c.fault:
            onsets["mid"] += 1
            assert t.fault_start_s - t.in_position_s >= 2.5, c.name  # a settled correct hold first
            assert t.duration_s - t.fault_full_s >= 2.0, c.name
    assert onsets["start"] >= 10 and onsets["mid"] >= 29


def test_psoas_arch_clips_have_a_baseline_hold_and_routine_like_starts(clips) -> None:
    arch = [c for c in clips if c.fault == "lower_back_arched"]
    mid = [c for c in arch if not c.timing().fault_from_start]
    assert len(mid) >= 4
    for c in mid:
        t = c.timing()
        assert t.fault_start_s - t.in_position_s >= 3.0, c.name  # >= 3 s settled in the stretch
    routine = [c for c in clips if c.activity == "psoas_stretch" and c.timing().entry_hold_s >= 2.5]
    assert sum(c.fault == "lower_back_arched" for c in routine) >= 2
    assert any(c.fault is None for c in routine)  # routine-like start, correct throughout
    assert {c.arms for c in arch} == {"shin", "floor"}


def test_render_order_puts_psoas_then_one_clip_per_fault_first(clips) -> None:
    first_other = next(i for i, c in enumerate(clips) if c.activity != "psoas_stretch")
    assert all(c.activity != "psoas_stretch" for c in clips[first_other:])
    seen = {(c.exercise, c.fault) for c in clips[: first_other + 25] if c.fault}
    assert len(seen) == 29


def test_deterministic(clips) -> None:
    again = validation_set()
    assert [(c, c.camera()) for c in clips] == [(c, c.camera()) for c in again]


def test_labels_windows(clips, tmp_path) -> None:
    faults = contract_fault_ids()
    rows = [r for c in clips for r in clip_rows(c, c.timing())]
    path = tmp_path / "labels.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    by_file = defaultdict(list)
    for r in rows:
        assert r["exercise"] in faults or r["exercise"] == "none"
        for f in filter(None, r["faults"].split(";")):
            assert f in faults[r["exercise"]]
        assert 0.0 <= float(r["start_s"]) < float(r["end_s"])
        by_file[r["file"]].append(r)
    for file, rs in by_file.items():
        for a, b in pairwise(rs):
            assert float(a["end_s"]) <= float(b["start_s"]), file  # ordered, never overlapping
    for c in clips:
        rs = by_file[f"{c.name}.mp4"]
        assert float(rs[-1]["end_s"]) == pytest.approx(c.duration_s)
        if c.fault:
            window = [r for r in rs if r["faults"]]
            assert len(window) == 1 and float(window[0]["end_s"]) - float(window[0]["start_s"]) >= 2.0


def test_cli_lists_the_validation_set(capsys) -> None:
    from formcheck.cli import main

    assert main(["synth", "--set", "validation", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(validation_set()) and lines[0].startswith("psoas_stretch__")
    assert main(["synth", "--set", "validation", "--labels-only"]) == 2  # --out is required


def test_default_set_timing_is_unchanged() -> None:
    """The new optional timing/camera fields leave the committed set as it was rendered."""
    for c in default_set():
        t = c.timing()
        assert (t.fps, t.entry_hold_s, t.move_s, t.fault_ramp_s) == (15, 0.3, 1.0, 0.6)
        assert t.in_position_s == pytest.approx(1.3)
        assert t.fault_start_s == (1.8 if c.fault else None)
        assert t.duration_s == (4.2 if c.fault else 3.0)
        assert c.cam_height is c.cam_distance is c.cam_target is None
