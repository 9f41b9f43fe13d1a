"""Spec errors not covered by tests/test_specs.py: contradictions via ``when``, wrong types inside
conditions, odd files, and the gaps found by this file (now fixed in formcheck/specs.py).

Each error must name the file, the path inside it and say what to do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from formcheck.cli import EXIT_BAD_INPUT, EXIT_OK, main
from formcheck.engine.specs import DEFAULT_SPEC_DIR, SpecError, load_spec, parse_spec


def raw(exercise: str = "tree_pose") -> dict[str, Any]:
    """A shipped spec as a fresh TOML dict."""
    return tomllib.loads((DEFAULT_SPEC_DIR / f"{exercise}.toml").read_text(encoding="utf-8"))


def error_of(data: dict[str, Any], fname: str = "tree_pose.toml") -> str:
    with pytest.raises(SpecError) as exc:
        parse_spec(data, fname)
    return str(exc.value)


def _rule(d: dict[str, Any], rule_id: str) -> tuple[int, dict[str, Any]]:
    i = next(i for i, r in enumerate(d["rules"]) if r["id"] == rule_id)
    return i, d["rules"][i]


def test_rule_contradicted_by_its_own_when_condition() -> None:
    """foot_on_knee fires below 0.15 but would only run while the same metric is above 0.5."""
    d = raw()
    i, r = _rule(d, "foot_on_knee")
    r["when"][0] = {"metric": "foot_height_on_leg", "op": ">", "value": 0.5}
    msg = error_of(d)
    assert msg.startswith(f"tree_pose.toml: rules[{i}].threshold: can never fire")
    assert "only runs while foot_height_on_leg > 0.5" in msg


def test_rule_contradicted_from_above() -> None:
    """A '>' rule whose threshold is above a '<' position bound of the same metric."""
    d = raw()
    pos = next(c for c in d["position"] if c["op"] == "<")
    d["rules"].append({"id": "extra_fault", "metric": pos["metric"], "fault_when": ">", "threshold": pos["value"] + 5,
                       "hysteresis": 1, "priority": 9, "cue": "x"})
    msg = error_of(d)
    assert msg.startswith(f"tree_pose.toml: rules[{len(d['rules']) - 1}].threshold: can never fire")


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        ("value", "high", "when[0].value: expected an integer or a number, got str 'high'"),
        ("value", True, "when[0].value: expected an integer or a number, got a boolean"),
        ("value", float("nan"), "when[0].value: must be a finite number"),
        ("op", "=>", "when[0].op: unknown '=>' (did you mean '>'?)"),
        ("op", 1, "when[0].op: expected a string"),
        ("metric", ["foot_lift"], "when[0].metric: expected a string"),
        ("metric", "foot_lfit", "when[0].metric: unknown 'foot_lfit' (did you mean 'foot_lift'?)"),
    ],
)
def test_wrong_types_inside_conditions(where: str, value: object, expected: str) -> None:
    d = raw()
    i, r = _rule(d, "foot_on_knee")
    r["when"][0][where] = value
    msg = error_of(d)
    assert msg.startswith(f"tree_pose.toml: rules[{i}].{expected}"), msg


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["position"][0].__setitem__("margin", "10"), "position[0].margin: expected an integer or a number"),
        (lambda d: d["position"][0].__setitem__("margin", -5), "position[0].margin: must be > 0"),
        (lambda d: d["recognize"].__setitem__(0, "lifted_knee < 135"), "recognize[0]: expected a table"),
        (lambda d: d["rules"][0].__setitem__("when", {"metric": "x"}), "rules[0].when: expected a list of conditions"),
        (lambda d: d["rules"][0].__setitem__("hysteresis", -1), "rules[0].hysteresis: must be >= 0"),
        (lambda d: d["rules"][0].__setitem__("severity_scale", 0), "rules[0].severity_scale: must be > 0"),
        (lambda d: d["rules"][0].__setitem__("threshold", float("inf")), "rules[0].threshold: must be a finite number"),
        (lambda d: d.__setitem__("min_visibility", 2), "min_visibility: must be within 0..1"),
        (lambda d: d["side"].__setitem__("choose", "biggest"), "side.choose: unknown 'biggest'"),
    ],
)
def test_more_wrong_values(mutate: Any, expected: str) -> None:
    d = raw()
    mutate(d)
    assert error_of(d).startswith(f"tree_pose.toml: {expected}")


def test_specs_check_names_every_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    (tmp_path / "broken.toml").write_text('id = "broken"\nname = \n', encoding="utf-8")
    good = tmp_path / "tree_pose.toml"
    good.write_bytes((DEFAULT_SPEC_DIR / "tree_pose.toml").read_bytes())
    rc = main(["specs", "check", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == EXIT_BAD_INPUT
    assert "ok  tree_pose.toml" in out
    assert "ERR empty.toml: id: missing required field" in err
    assert "broken.toml" in err and "line 2" in err
    empty_dir = tmp_path / "nothing.toml"
    empty_dir.mkdir()
    assert main(["specs", "check", str(empty_dir)]) == EXIT_BAD_INPUT
    assert "no *.toml spec file" in capsys.readouterr().err
    assert main(["specs", "check", str(good)]) == EXIT_OK


def test_non_utf8_spec_file_is_a_spec_error(tmp_path: Path) -> None:
    path = tmp_path / "tree_pose.toml"
    path.write_bytes((DEFAULT_SPEC_DIR / "tree_pose.toml").read_bytes().replace(b"Tree Pose", b"Tr\xe9e Pose", 1))
    with pytest.raises(SpecError, match="tree_pose.toml"):
        load_spec(path)


def test_contradictory_position_conditions() -> None:
    """torso_lean < 30 and torso_lean > 60: the position can never hold, nothing is ever judged."""
    d = raw()
    d["position"].append({"metric": "torso_lean", "op": ">", "value": 60})
    assert "position[" in error_of(d) and "never" in error_of(d)


@pytest.mark.parametrize("weight", [0, -1])
def test_rule_weight_must_be_positive(weight: float) -> None:
    d = raw()
    d["rules"][0]["weight"] = weight
    assert error_of(d).startswith("tree_pose.toml: rules[0].weight: must be > 0")


def test_rule_cue_must_not_be_empty() -> None:
    d = raw()
    d["rules"][0]["cue"] = "  "
    assert error_of(d).startswith("tree_pose.toml: rules[0].cue")
