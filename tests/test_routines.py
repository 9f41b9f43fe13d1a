"""The routine file format: the shipped routine, user routines, and each kind of error."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.coach.routine import DEFAULT_ROUTINE_DIR, RoutineError, is_sided, load_routine, load_routines
from formcheck.engine.specs import SpecError, load_specs
from formcheck.web.guide import ROUTINE_ORDER

GOOD = """
id = "mine"
name = "Mine"
countdown_s = 3
[[steps]]
exercise = "psoas_stretch"
side = "left"
hold_s = 20
rest_s = 5
breathe = { in_s = 4, out_s = 6 }
say = "Hug your left knee."
[[steps]]
exercise = "boat_pose"
side = "none"
hold_s = 10
say = "Sit tall."
"""


@pytest.fixture(scope="module")
def specs():
    return load_specs()


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_routine_follows_the_article_on_both_sides(specs):
    r = load_routine(DEFAULT_ROUTINE_DIR / "psoas_release.toml", specs)
    order = list(dict.fromkeys(s.exercise for s in r.steps))
    assert order == list(ROUTINE_ORDER)
    for ex in order:
        sides = [s.side for s in r.steps if s.exercise == ex]
        assert sides == (["left", "right"] if is_sided(specs[ex]) else ["none"]), ex
    paced = {s.exercise for s in r.steps if s.breathing is not None}
    assert paced == {"psoas_stretch", "constructive_rest"}
    assert all(s.hold_s > 0 and s.say for s in r.steps)


def test_a_valid_user_file_loads_with_defaults(tmp_path, specs):
    r = load_routine(_write(tmp_path, GOOD), specs)
    assert [s.exercise for s in r.steps] == ["psoas_stretch", "boat_pose"]
    assert r.steps[0].breathing is not None and r.steps[0].breathing.cycle_s == 10
    assert r.steps[1].rest_s == 0 and r.steps[1].breathing is None
    assert r.countdown_s == 3 and r.total_hold_s == 30


def test_user_folder_adds_routines_and_reports_bad_files(tmp_path, specs):
    user = tmp_path / "user"
    user.mkdir()
    _write(user, GOOD)
    _write(user, GOOD.replace('"mine"', '"broken"').replace("boat_pose", "boat"), "broken.toml")
    routines, errors = load_routines(specs, [DEFAULT_ROUTINE_DIR, user])
    assert set(routines) == {"psoas_release", "mine"}
    assert len(errors) == 1 and "broken.toml: steps[1].exercise: unknown 'boat' (did you mean 'boat_pose'?)" \
        in errors[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("boat_pose", "boat"), "steps[1].exercise: unknown 'boat' (did you mean 'boat_pose'?)"),
        (('side = "left"', 'side = "up"'), "steps[0].side: unknown 'up'"),
        (('side = "left"', 'side = "none"'), "steps[0].side: 'psoas_stretch' is done on one side at a time"),
        (('exercise = "boat_pose"\nside = "none"', 'exercise = "boat_pose"\nside = "left"'),
         "steps[1].side: 'boat_pose' has no side"),
        (("hold_s = 20", "hold_s = 0"), "steps[0].hold_s: must be > 0, got 0"),
        (("hold_s = 20", 'hold_s = "20"'), "steps[0].hold_s: expected an integer or a number, got str"),
        (("rest_s = 5", "rest_s = -1"), "steps[0].rest_s: must be >= 0, got -1"),
        (("in_s = 4", "in_z = 4"), "steps[0].breathe.in_z: unknown 'in_z' (did you mean 'in_s'?)"),
        (('say = "Sit tall."', 'say = "  "'), "steps[1].say: must not be empty"),
        (('say = "Sit tall."', ""), "steps[1].say: missing required field"),
        (("hold_s = 20", "hold_s = 20\nholds = 3"), "steps[0].holds: unknown 'holds'"),
        (('id = "mine"', 'id = "yours"'), "id: 'yours' must match the file name 'mine'"),
        (("[[steps]]", "[[stepz]]"), "stepz: unknown 'stepz' (did you mean 'steps'?)"),
        (('name = "Mine"', 'name = "Mine'), "not valid TOML"),
    ],
)
def test_invalid_files_name_the_file_the_path_and_a_fix(tmp_path, specs, change, message):
    old, new = change
    text = GOOD.replace(old, new, 1) if old != "[[steps]]" else GOOD.replace(old, new)
    with pytest.raises(RoutineError) as err:
        load_routine(_write(tmp_path, text), specs)
    assert str(err.value).startswith("mine.toml") and message in str(err.value), str(err.value)
    assert isinstance(err.value, SpecError)


def test_no_steps_is_an_error(tmp_path, specs):
    with pytest.raises(RoutineError, match="steps: a routine needs at least one"):
        load_routine(_write(tmp_path, 'id = "mine"\nname = "M"\nsteps = []\n'), specs)


def test_routines_check_command(tmp_path, monkeypatch, capsys):
    from formcheck.cli import main

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    assert main(["routines", "check"]) == 0
    assert "ok  psoas_release.toml: 10 steps" in capsys.readouterr().out
    (tmp_path / "routines").mkdir()
    _write(tmp_path / "routines", GOOD.replace("hold_s = 20", "hold_s = -1"))
    assert main(["routines", "check"]) == 2
    assert "mine.toml: steps[0].hold_s: must be > 0, got -1" in capsys.readouterr().err
