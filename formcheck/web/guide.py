"""Exercise guides for the page, built from the specs: instructions, camera set-up, limits (stdlib)."""

from __future__ import annotations

from dataclasses import dataclass

from formcheck.coach.words import REPORT_WORDS, fault_name
from formcheck.engine.specs import ExerciseSpec, RuleSpec

#: The routine's order (FORM_RULES.md); specs not listed here follow alphabetically.
ROUTINE_ORDER = (
    "psoas_stretch",
    "boat_pose",
    "modified_gate_pose",
    "pyramid_pose",
    "tree_pose",
    "constructive_rest",
)

_OP_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}
_UNIT_WORDS = {"deg": "°", "torso": " torso lengths", "thigh": " thigh heights", "ratio": "", "": ""}


def ordered_ids(specs: dict[str, ExerciseSpec]) -> list[str]:
    """Exercise ids in the routine's order, then any others alphabetically."""
    known = [i for i in ROUTINE_ORDER if i in specs]
    return known + sorted(i for i in specs if i not in ROUTINE_ORDER)


def fault_label(fault_id: str, exercise: str | None = None) -> str:
    """The plain-language name of a fault: ``knee_not_to_chest`` → ``Knee not drawn to the chest``."""
    return fault_name(fault_id, exercise)


def _number(value: float) -> str:
    return f"{value:g}"


def rule_line(spec: ExerciseSpec, rule: RuleSpec) -> str:
    """One Markdown bullet for a rule: what is measured, the threshold and the views."""
    metric = spec.metrics[rule.metric]
    unit = _UNIT_WORDS.get(metric.unit, f" {metric.unit}")
    what = metric.description or rule.metric.replace("_", " ")
    views = ", ".join(rule.views)
    seen = f" *(seen from the {views})*" if views and tuple(rule.views) != tuple(spec.views) else ""
    return (
        f"- **{fault_label(rule.id, spec.id)}** (`{rule.id}`): {what} {_OP_WORDS[rule.fault_when.value]} "
        f"{_number(rule.threshold)}{unit}{seen}."
    )


def plain_rule_line(spec: ExerciseSpec, rule: RuleSpec) -> str:
    """One Markdown bullet for a rule in words: its name, the cue and where it can be seen."""
    views = " or ".join(rule.views)
    seen = f" *(seen from the {views} only)*" if views and tuple(rule.views) != tuple(spec.views) else ""
    return f"- **{fault_label(rule.id, spec.id)}**: “{rule.cue}”{seen}"


@dataclass(frozen=True)
class Guide:
    """The guide texts of one exercise, as Markdown.

    Attributes:
        title: the exercise name.
        instructions: the routine's instruction text.
        camera: where to put the camera (views, height, distance).
        checks: what the checker looks for in words, one bullet per rule (name and cue).
        cannot_see: what the checker cannot see, one bullet each.
        extras: counters and reports (Cat-Cow rounds, stage, arm variant).
        details: for instructors: each rule's measurement, threshold and unit.
    """

    title: str
    instructions: str
    camera: str
    checks: str
    cannot_see: str
    extras: str
    details: str = ""


def build_guide(spec: ExerciseSpec) -> Guide:
    """The guide for one exercise, from its spec."""
    views = " or ".join(spec.views)
    camera = f"**View:** {views}. {spec.camera}"
    checks = "\n".join(plain_rule_line(spec, r) for r in spec.rules)
    limits = list(spec.cannot_see) or ["Nothing listed in the spec."]
    limits.append("A check whose body parts are out of view, or that the camera angle cannot judge, stays "
                  "silent (unknown) instead of guessing.")
    extras = []
    if spec.counter is not None:
        extras.append("Counts **Cat-Cow rounds** (one round = one flexion plus one extension of the spine).")
    for rep in spec.reports:
        labels = ", ".join(c.label for c in rep.cases)
        extras.append(f"Tells you {REPORT_WORDS.get(rep.id, rep.id)}: {labels}.")
    if spec.side is not None and spec.side.meaning:
        extras.append(f"“Side” means the {spec.side.meaning}.")
    extras.append("**Good-form hold** counts while you are in position with no correction active.")
    return Guide(
        title=spec.name,
        instructions=" ".join(spec.instructions.split()),
        camera=camera,
        checks=checks,
        cannot_see="\n".join(f"- {line}" for line in limits),
        extras="\n".join(f"- {line}" for line in extras),
        details="\n".join(rule_line(spec, r) for r in spec.rules),
    )


def guide_markdown(spec: ExerciseSpec) -> str:
    """The whole guide as one Markdown document."""
    g = build_guide(spec)
    return (
        f"### {g.title}\n\n> {g.instructions}\n\n#### Camera\n{g.camera}\n\n#### What it watches\n{g.checks}\n\n"
        f"#### Also\n{g.extras}\n"
    )


def instructor_markdown(spec: ExerciseSpec) -> str:
    """For instructors: each rule's measurement, threshold and unit, and what the checker cannot see."""
    g = build_guide(spec)
    return (f"**Measurements and thresholds** (a correction is called past the threshold for 0.4 s)\n\n"
            f"{g.details}\n\n**What it cannot see**\n\n{g.cannot_see}\n")


AUTO_GUIDE = (
    "### Auto-detect\n\nThe checker recognises which of the routine's exercises you are doing and then "
    "judges it. Pick an exercise instead to see its guide and get cues as soon as you are in position."
)
