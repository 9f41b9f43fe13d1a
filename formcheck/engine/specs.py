"""Exercise specs: load ``pose_specs/*.toml``, validate them, and give typed objects.

A spec is data, not code: adding an exercise means adding one TOML file. Every error names the
file, the path inside it and a fix, e.g.
``tree_pose.toml: rules[2].metric: unknown 'standing_kne' (did you mean 'standing_knee'?)``.
Pure stdlib (``tomllib``).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from formcheck.engine.kinds import KINDS, MetricKind
from formcheck.engine.landmarks import ALL_POINT_NAMES
from formcheck.errors import FormcheckError

#: The folder of the specs that ship with formcheck.
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[2] / "pose_specs"

VIEWS = ("front", "side", "oblique")
SIDES = ("left", "right")


class SpecError(FormcheckError):
    """A spec file is malformed; the message names the file, the path and a fix."""


class Op(StrEnum):
    """Comparison operators usable in conditions and rules."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, value: float, threshold: float) -> bool:
        """Return whether ``value OP threshold`` (False for NaN)."""
        if self is Op.LT:
            return value < threshold
        if self is Op.LE:
            return value <= threshold
        if self is Op.GT:
            return value > threshold
        return value >= threshold

    @property
    def sign(self) -> float:
        """+1 when larger values satisfy the operator, −1 when smaller ones do."""
        return 1.0 if self in (Op.GT, Op.GE) else -1.0


#: The kinds that combine other metrics (``of = [...]``), from the registry.
COMBINING_KINDS = tuple(k for k, info in KINDS.items() if info.combines)


@dataclass(frozen=True)
class MetricSpec:
    """One named measurement.

    Attributes:
        id: the metric's name, used by conditions and rules.
        kind: its formula.
        points: landmark names; may hold ``{side}`` / ``{other}`` placeholders.
        unit: the unit of its value, shown in reports ("deg", "torso", "ratio", "torso/s").
        space: "image" (2-D pixels) or "world" (3-D metres) for kinds that allow both.
        of: metric ids combined by min/max/mean, or [numerator, denominator] for ratio.
        forward: two landmark names (back, front) giving the forward direction for
            signed_joint_angle, or (from, to) giving the facing for forward_offset.
        absolute: take the absolute value.
        window_s: for motion, the time window of the average speed, in seconds.
        back_and_forth: for motion, count only movement that comes back within the window
            (fidgeting), not a move from one posture to another.
        description: one line for people.
    """

    id: str
    kind: MetricKind
    points: tuple[str, ...] = ()
    unit: str = ""
    space: str = "image"
    of: tuple[str, ...] = ()
    forward: tuple[str, ...] = ()
    absolute: bool = False
    window_s: float = 2.0
    back_and_forth: bool = False
    description: str = ""

    @property
    def sided(self) -> bool:
        """Whether the metric depends on the chosen side."""
        return any("{" in p for p in self.points + self.forward)


@dataclass(frozen=True)
class Condition:
    """``metric OP value``.

    Attributes:
        metric: the metric id.
        op: the comparison.
        value: the threshold, in the metric's unit.
        margin: softens the condition for exercise recognition, in the metric's unit.
        unknown_ok: an unknown (NaN) value counts as satisfied, e.g. motion on a photo.
    """

    metric: str
    op: Op
    value: float
    margin: float = 1.0
    unknown_ok: bool = False

    def holds(self, values: dict[str, float]) -> bool | None:
        """True/False, or None when the metric is unknown (NaN) and not ``unknown_ok``."""
        v = values.get(self.metric, float("nan"))
        if v != v:
            return True if self.unknown_ok else None
        return self.op.holds(v, self.value)


@dataclass(frozen=True)
class RuleSpec:
    """A fault check: the fault is present while ``metric fault_when threshold``.

    Attributes:
        id: the fault id (from FORM_RULES.md).
        metric: the metric it reads.
        fault_when: the operator that means "fault".
        threshold: the fault threshold, in the metric's unit.
        hysteresis: how far back past the threshold the value must return before the fault
            clears, in the metric's unit.
        min_duration_s: the fault must hold this long before it is reported (debounce).
        priority: 1 = most important; cues are given in priority order.
        cue: the correction spoken/shown to the person.
        views: the camera views in which the rule can see its fault.
        when: extra conditions; the rule is unknown while any is false or unknown.
        severity_scale: how far past the threshold counts as a full penalty in the score.
        weight: the rule's weight in the form score.
        note: why the threshold is what it is (measured evidence).
        baseline: id of a :class:`BaselineSpec` of the same metric: once the person's own
            value is captured, the rule fires on the change from it (``change`` or ``ratio``)
            instead of on ``threshold``, which serves while no baseline exists (photos, the
            first seconds of a hold). A fault present from the start is caught through the
            baseline's ``range``.
        change: with ``baseline``: fault when the value is past ``baseline ± change`` (in the
            direction of ``fault_when``), in the metric's unit.
        ratio: with ``baseline``: fault when the value is past ``baseline × ratio``.
        breaks: ``position`` conditions this fault may break, as metric id → the furthest value
            the broken condition may reach (the foot that is not lifted in tree pose breaks
            "one knee bent"; boat legs lowered toward the floor break "thighs raised", but a
            person standing up is not in a boat at all): while the exercise is chosen or
            followed, a person failing only those conditions, within those limits, with this
            rule's fault present, is still judged (and told) instead of "not in position".
    """

    id: str
    metric: str
    fault_when: Op
    threshold: float
    cue: str
    priority: int = 2
    hysteresis: float = 0.0
    min_duration_s: float = 0.4
    views: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    severity_scale: float = 10.0
    weight: float = 1.0
    note: str = ""
    baseline: str = ""
    change: float = math.nan
    ratio: float = math.nan
    breaks: dict[str, float] = field(default_factory=dict)

    def broken_position(self, position: tuple[Condition, ...]) -> tuple[Condition, ...]:
        """The position conditions with those this fault breaks moved to their limits."""
        return tuple(
            replace(c, value=self.breaks[c.metric])
            if c.metric in self.breaks and not c.op.holds(self.breaks[c.metric], c.value)
            else c
            for c in position
        )

    def threshold_from(self, base: float) -> float:
        """The threshold the rule applies given the person's (clamped) baseline value.

        Args:
            base: the baseline's value, NaN while none exists (then ``threshold`` applies).
        """
        if not self.baseline or not math.isfinite(base):
            return self.threshold
        return base * self.ratio if math.isfinite(self.ratio) else base + self.fault_when.sign * self.change


class Capture(StrEnum):
    """How a baseline takes the person's own value."""

    #: The median over ``capture_s`` once the value has stayed within ``steady`` for
    #: ``settle_s`` while the reference posture holds (a flat back at the start of a stretch).
    SETTLED = "settled"
    #: The largest value seen while the reference posture holds (the tallest sitting spine).
    MAX = "max"


@dataclass(frozen=True)
class BaselineSpec:
    """A metric measured on the person themselves, that rules compare later values with.

    Attributes:
        id: the baseline's name, used by rules' ``baseline``.
        metric: the metric measured.
        capture: how the value is taken (:class:`Capture`).
        settle_s: seconds the value must stay steady before capture starts (settled).
        capture_s: seconds the captured median is taken over (settled).
        steady: largest spread (max − min) of the value while settling and capturing, in the
            metric's unit; a larger spread starts the capture again (settled).
        range: (low, high) the values the reference posture reads across bodies; the captured
            value is clamped into it, so a fault present from the start cannot pass for the
            person's reference (an arched back is not taken as their flat back) and a person who
            never reaches the posture is compared with a typical body (the tallest spine of
            someone who never sits tall).
        description: one line for people ("your own flat back").
        note: where the numbers come from.
    """

    id: str
    metric: str
    capture: Capture = Capture.SETTLED
    settle_s: float = 1.0
    capture_s: float = 1.5
    steady: float = math.inf
    range: tuple[float, float] = (-math.inf, math.inf)
    description: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReportCase:
    """A labelled case of a report: the first case whose conditions all hold wins."""

    label: str
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class ReportSpec:
    """A categorical report such as boat stage or tree arm variant."""

    id: str
    cases: tuple[ReportCase, ...]
    default: str = "unclear"


@dataclass(frozen=True)
class CounterSpec:
    """Counts rounds of a metric swinging below ``low`` and above ``high`` (one round = both)."""

    id: str
    metric: str
    low: float
    high: float


@dataclass(frozen=True)
class SideSpec:
    """How the exercise's side is chosen: the side whose ``metric`` is ``choose`` (min/max)."""

    metric: str
    choose: str = "min"
    meaning: str = ""


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise, as loaded from its TOML file."""

    id: str
    name: str
    version: int
    views: tuple[str, ...]
    camera: str
    instructions: str
    position_cue: str
    metrics: dict[str, MetricSpec]
    position: tuple[Condition, ...]
    rules: tuple[RuleSpec, ...]
    recognize: tuple[Condition, ...] = ()
    #: Seconds the full signature (position + recognize) must hold before auto mode follows
    #: the exercise on its position alone.
    recognize_hold_s: float = 1.0
    side: SideSpec | None = None
    baselines: dict[str, BaselineSpec] = field(default_factory=dict)
    reports: tuple[ReportSpec, ...] = ()
    counter: CounterSpec | None = None
    cannot_see: tuple[str, ...] = ()
    min_visibility: float = 0.5
    needs_mask: bool = False
    #: Metrics whose mean over the in-position time goes into the clip summary.
    summary_metrics: tuple[str, ...] = ()
    source: Path | None = field(default=None, compare=False)

    @property
    def fault_ids(self) -> tuple[str, ...]:
        """The fault ids this spec checks, in file order."""
        return tuple(r.id for r in self.rules)


# --------------------------------------------------------------------------- validation


class _Ctx:
    """Builds error messages that name the file and the path inside it."""

    def __init__(self, fname: str) -> None:
        self.fname = fname

    def fail(self, path: str, msg: str) -> SpecError:
        return SpecError(f"{self.fname}: {path}: {msg}")

    def unknown(self, path: str, name: str, choices: list[str] | tuple[str, ...]) -> SpecError:
        close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(sorted(choices))})"
        if len(choices) > 12 and not close:
            hint = " (see the list in formcheck/landmarks.py)" if "left_knee" in choices else hint
        return self.fail(path, f"unknown '{name}'{hint}")

    def get(self, table: dict[str, Any], key: str, path: str, typ: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(f"{path}{key}" if not path else f"{path}.{key}", "missing required field")
            return default
        value = table[key]
        full = f"{path}.{key}" if path else key
        # bool is an int subclass: refuse it where a number is expected.
        if isinstance(value, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,)):
            raise self.fail(full, f"expected {_type_name(typ)}, got a boolean")
        if not isinstance(value, typ):
            raise self.fail(full, f"expected {_type_name(typ)}, got {type(value).__name__} {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(full, f"must be a finite number, got {value}")
        return value


def _type_name(typ: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list", dict: "a table"}
    types = typ if isinstance(typ, tuple) else (typ,)
    return " or ".join(names.get(t, t.__name__) for t in types)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NUM = (int, float)
_KNOWN_TOP = {
    "id", "name", "version", "views", "camera", "instructions", "position_cue", "metrics", "position",
    "rules", "recognize", "recognize_hold_s", "side", "reports", "counter", "cannot_see", "min_visibility",
    "summary_metrics", "baselines",
}


def _check_keys(ctx: _Ctx, table: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            raise ctx.unknown(f"{path}.{key}" if path else key, key, sorted(allowed))


def _check_point(ctx: _Ctx, name: str, path: str) -> None:
    for ph in _PLACEHOLDER.findall(name):
        if ph not in ("side", "other"):
            raise ctx.fail(path, f"unknown placeholder '{{{ph}}}' in '{name}' (use {{side}} or {{other}})")
    concrete = _PLACEHOLDER.sub("left", name)
    if concrete not in ALL_POINT_NAMES:
        guess = _PLACEHOLDER.sub("left", name)
        close = difflib.get_close_matches(guess, ALL_POINT_NAMES, n=1, cutoff=0.6)
        if close and "{" in name:
            close = [name.replace(guess, close[0])] if guess in name else [close[0].replace("left", "{side}", 1)]
        hint = f" (did you mean '{close[0]}'?)" if close else " (landmark names are listed in formcheck/landmarks.py)"
        raise ctx.fail(path, f"unknown '{name}'{hint}")


def _condition(ctx: _Ctx, raw: Any, path: str, metric_ids: list[str]) -> Condition:
    if not isinstance(raw, dict):
        raise ctx.fail(path, f"expected a table like {{ metric = \"...\", op = \">\", value = 1.0 }}, got {raw!r}")
    _check_keys(ctx, raw, {"metric", "op", "value", "margin", "unknown_ok"}, path)
    metric = ctx.get(raw, "metric", path, str)
    if metric not in metric_ids:
        raise ctx.unknown(f"{path}.metric", metric, metric_ids)
    op = _op(ctx, ctx.get(raw, "op", path, str), f"{path}.op")
    value = float(ctx.get(raw, "value", path, _NUM))
    margin = float(ctx.get(raw, "margin", path, _NUM, 1.0))
    if margin <= 0:
        raise ctx.fail(f"{path}.margin", f"must be > 0, got {margin}")
    return Condition(metric, op, value, margin, ctx.get(raw, "unknown_ok", path, bool, False))


def _op(ctx: _Ctx, raw: str, path: str) -> Op:
    try:
        return Op(raw)
    except ValueError:
        raise ctx.unknown(path, raw, [o.value for o in Op]) from None


def _conditions(ctx: _Ctx, raw: Any, path: str, metric_ids: list[str]) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        raise ctx.fail(path, f"expected a list of conditions, got {type(raw).__name__}")
    return tuple(_condition(ctx, c, f"{path}[{i}]", metric_ids) for i, c in enumerate(raw))


def _metric(ctx: _Ctx, mid: str, raw: Any) -> MetricSpec:
    path = f"metrics.{mid}"
    if not isinstance(raw, dict):
        raise ctx.fail(path, "expected a table")
    if "baseline" in raw:
        raise ctx.fail(f"{path}.baseline", "a metric has no baseline any more: declare [baselines.<id>] with this "
                       "metric and give the rule baseline = \"<id>\" with change or ratio")
    _check_keys(
        ctx, raw,
        {"kind", "points", "unit", "space", "of", "forward", "absolute", "window_s", "back_and_forth", "description"},
        path,
    )
    kind_raw = ctx.get(raw, "kind", path, str)
    try:
        kind = MetricKind(kind_raw)
    except ValueError:
        raise ctx.unknown(f"{path}.kind", kind_raw, [k.value for k in MetricKind]) from None
    points = tuple(ctx.get(raw, "points", path, list, []))
    for i, p in enumerate(points):
        if not isinstance(p, str):
            raise ctx.fail(f"{path}.points[{i}]", f"expected a landmark name, got {p!r}")
        _check_point(ctx, p, f"{path}.points[{i}]")
    info = KINDS[kind]
    if info.points is not None and len(points) != info.points:
        raise ctx.fail(f"{path}.points", f"'{kind.value}' takes {info.points} points, got {len(points)}")
    if len(points) < info.min_points:
        raise ctx.fail(f"{path}.points", f"'{kind.value}' needs at least one landmark")
    of = tuple(ctx.get(raw, "of", path, list, []))
    if kind in COMBINING_KINDS and len(of) < 2:
        raise ctx.fail(f"{path}.of", f"'{kind.value}' combines at least two metric ids, got {len(of)}")
    if kind == MetricKind.RATIO and len(of) != 2:
        raise ctx.fail(f"{path}.of", f"'ratio' needs of = [numerator, denominator], got {len(of)} ids")
    forward = tuple(ctx.get(raw, "forward", path, list, []))
    if kind in (MetricKind.SIGNED_JOINT_ANGLE, MetricKind.FORWARD_OFFSET) and len(forward) != 2:
        raise ctx.fail(f"{path}.forward", f"'{kind.value}' needs forward = [back, front] (two landmarks)")
    for i, p in enumerate(forward):
        if not isinstance(p, str):
            raise ctx.fail(f"{path}.forward[{i}]", f"expected a landmark name, got {p!r}")
        _check_point(ctx, p, f"{path}.forward[{i}]")
    for j, r in enumerate(of):
        if not isinstance(r, str):
            raise ctx.fail(f"{path}.of[{j}]", f"expected a metric id, got {r!r}")
    space = ctx.get(raw, "space", path, str, "image")
    if space not in ("image", "world"):
        raise ctx.unknown(f"{path}.space", space, ["image", "world"])
    if space == "world" and not info.world:
        raise ctx.fail(f"{path}.space", f"'{kind.value}' is measured in the image only; remove space = \"world\"")
    window_s = float(ctx.get(raw, "window_s", path, _NUM, 2.0))
    if window_s <= 0:
        raise ctx.fail(f"{path}.window_s", f"must be > 0 seconds, got {window_s}")
    return MetricSpec(
        id=mid,
        kind=kind,
        points=points,
        unit=ctx.get(raw, "unit", path, str, ""),
        space=space,
        of=of,
        forward=forward,
        absolute=ctx.get(raw, "absolute", path, bool, False),
        window_s=window_s,
        back_and_forth=ctx.get(raw, "back_and_forth", path, bool, False),
        description=ctx.get(raw, "description", path, str, ""),
    )


def _rule(ctx: _Ctx, i: int, raw: Any, metric_ids: list[str], views: tuple[str, ...]) -> RuleSpec:
    path = f"rules[{i}]"
    if not isinstance(raw, dict):
        raise ctx.fail(path, "expected a table ([[rules]])")
    _check_keys(
        ctx, raw,
        {"id", "metric", "fault_when", "threshold", "cue", "priority", "hysteresis", "min_duration_s", "views",
         "when", "severity_scale", "weight", "note", "baseline", "change", "ratio", "breaks"},
        path,
    )
    metric = ctx.get(raw, "metric", path, str)
    if metric not in metric_ids:
        raise ctx.unknown(f"{path}.metric", metric, metric_ids)
    rule_views = tuple(ctx.get(raw, "views", path, list, list(views)))
    for j, v in enumerate(rule_views):
        if v not in VIEWS:
            raise ctx.unknown(f"{path}.views[{j}]", str(v), VIEWS)
    hysteresis = float(ctx.get(raw, "hysteresis", path, _NUM, 0.0))
    if hysteresis < 0:
        raise ctx.fail(f"{path}.hysteresis", f"must be >= 0, got {hysteresis}")
    min_dur = float(ctx.get(raw, "min_duration_s", path, _NUM, 0.4))
    if min_dur < 0:
        raise ctx.fail(f"{path}.min_duration_s", f"must be >= 0 seconds, got {min_dur}")
    scale = float(ctx.get(raw, "severity_scale", path, _NUM, 10.0))
    if scale <= 0:
        raise ctx.fail(f"{path}.severity_scale", f"must be > 0, got {scale}")
    weight = float(ctx.get(raw, "weight", path, _NUM, 1.0))
    if weight <= 0:
        raise ctx.fail(f"{path}.weight", f"must be > 0 (its share of the form score), got {weight}")
    cue = ctx.get(raw, "cue", path, str)
    if not cue.strip():
        raise ctx.fail(f"{path}.cue", "must not be empty: it is what the person is told")
    priority = ctx.get(raw, "priority", path, int, 2)
    if priority < 1:
        raise ctx.fail(f"{path}.priority", f"must be >= 1 (1 = most important), got {priority}")
    return RuleSpec(
        id=ctx.get(raw, "id", path, str),
        metric=metric,
        fault_when=_op(ctx, ctx.get(raw, "fault_when", path, str), f"{path}.fault_when"),
        threshold=float(ctx.get(raw, "threshold", path, _NUM)),
        cue=cue,
        priority=priority,
        hysteresis=hysteresis,
        min_duration_s=min_dur,
        views=rule_views,
        when=_conditions(ctx, raw.get("when", []), f"{path}.when", metric_ids),
        severity_scale=scale,
        weight=weight,
        note=ctx.get(raw, "note", path, str, ""),
        **_rule_baseline(ctx, raw, path, metric),
        breaks=_breaks(ctx, raw, path, metric_ids),
    )


def _rule_baseline(ctx: _Ctx, raw: dict[str, Any], path: str, metric: str) -> dict[str, Any]:
    """The rule's ``baseline`` with its ``change`` or ``ratio`` (checked against the baselines later)."""
    baseline = ctx.get(raw, "baseline", path, str, "")
    change = float(ctx.get(raw, "change", path, _NUM, math.nan))
    ratio = float(ctx.get(raw, "ratio", path, _NUM, math.nan))
    if not baseline:
        for key in ("change", "ratio"):
            if key in raw:
                raise ctx.fail(f"{path}.{key}", "needs baseline = \"<baseline id>\" (what the value is compared with)")
        return {}
    if math.isfinite(change) == math.isfinite(ratio):
        raise ctx.fail(f"{path}.baseline", "give exactly one of change (value ± change) or ratio (value × ratio)")
    if math.isfinite(change) and change <= 0:
        raise ctx.fail(f"{path}.change", f"must be > 0 (the direction comes from fault_when), got {change}")
    if math.isfinite(ratio) and ratio <= 0:
        raise ctx.fail(f"{path}.ratio", f"must be > 0, got {ratio}")
    return {"baseline": baseline, "change": change, "ratio": ratio}


def _breaks(ctx: _Ctx, raw: dict[str, Any], path: str, metric_ids: list[str]) -> dict[str, float]:
    breaks = ctx.get(raw, "breaks", path, dict, {})
    for mid in breaks:
        if mid not in metric_ids:
            raise ctx.unknown(f"{path}.breaks.{mid}", mid, metric_ids)
        ctx.get(breaks, mid, f"{path}.breaks", _NUM)
    return {mid: float(v) for mid, v in breaks.items()}


def _baselines(ctx: _Ctx, raw: Any, metrics: dict[str, MetricSpec]) -> dict[str, BaselineSpec]:
    if not isinstance(raw, dict):
        raise ctx.fail("baselines", "expected tables like [baselines.flat_back]")
    out = {}
    for bid, b in raw.items():
        path = f"baselines.{bid}"
        if not isinstance(b, dict):
            raise ctx.fail(path, "expected a table")
        _check_keys(ctx, b, {"metric", "capture", "settle_s", "capture_s", "steady", "range", "description", "note"},
                    path)
        metric = ctx.get(b, "metric", path, str)
        if metric not in metrics:
            raise ctx.unknown(f"{path}.metric", metric, list(metrics))
        capture_raw = ctx.get(b, "capture", path, str, Capture.SETTLED.value)
        try:
            capture = Capture(capture_raw)
        except ValueError:
            raise ctx.unknown(f"{path}.capture", capture_raw, [c.value for c in Capture]) from None
        numbers = {}
        for key, default in (("settle_s", 1.0), ("capture_s", 1.5), ("steady", math.inf)):
            numbers[key] = float(ctx.get(b, key, path, _NUM, default))
            if numbers[key] < 0 or (key == "capture_s" and numbers[key] == 0):
                bound = "> 0" if key == "capture_s" else ">= 0"
                raise ctx.fail(f"{path}.{key}", f"must be {bound}, got {numbers[key]}")
        out[bid] = BaselineSpec(
            id=bid, metric=metric, capture=capture, range=_range(ctx, b, path),
            description=ctx.get(b, "description", path, str, ""), note=ctx.get(b, "note", path, str, ""), **numbers,
        )
    return out


def _range(ctx: _Ctx, raw: dict[str, Any], path: str) -> tuple[float, float]:
    pair = ctx.get(raw, "range", path, list, [-math.inf, math.inf])
    if len(pair) != 2 or not all(isinstance(v, _NUM) and not isinstance(v, bool) for v in pair) or pair[0] >= pair[1]:
        raise ctx.fail(f"{path}.range", f"expected [low, high] with low < high, got {pair!r}")
    return float(pair[0]), float(pair[1])


def _check_rule_baselines(ctx: _Ctx, rules: tuple[RuleSpec, ...], baselines: dict[str, BaselineSpec]) -> None:
    for i, r in enumerate(rules):
        if not r.baseline:
            continue
        if r.baseline not in baselines:
            raise ctx.unknown(f"rules[{i}].baseline", r.baseline, list(baselines))
        if baselines[r.baseline].metric != r.metric:
            raise ctx.fail(
                f"rules[{i}].baseline",
                f"baseline '{r.baseline}' measures '{baselines[r.baseline].metric}', but the rule reads '{r.metric}'; "
                "a rule compares its own metric with the person's baseline of it",
            )


def _check_metric_refs(ctx: _Ctx, metrics: dict[str, MetricSpec]) -> None:
    """Combined metrics must name existing metrics, without cycles."""
    for mid, m in metrics.items():
        for j, ref in enumerate(m.of):
            if ref not in metrics:
                raise ctx.unknown(f"metrics.{mid}.of[{j}]", ref, list(metrics))
    state: dict[str, int] = {}

    def visit(mid: str, trail: list[str]) -> None:
        if state.get(mid) == 2:
            return
        if state.get(mid) == 1:
            raise ctx.fail(f"metrics.{mid}.of", f"metrics refer to each other in a cycle: {' -> '.join(trail + [mid])}")
        state[mid] = 1
        for ref in metrics[mid].of:
            visit(ref, trail + [mid])
        state[mid] = 2

    for mid in metrics:
        visit(mid, [])


def _check_position(ctx: _Ctx, position: tuple[Condition, ...]) -> None:
    """Refuse position conditions on one metric that exclude each other (never in position)."""
    for i, a in enumerate(position):
        for j, b in enumerate(position[:i]):
            if a.metric != b.metric or a.op.sign == b.op.sign:
                continue
            low, high = (a, b) if a.op.sign > 0 else (b, a)  # metric > low.value and < high.value
            if low.value >= high.value:
                raise ctx.fail(
                    f"position[{i}]",
                    f"can never hold together with position[{j}]: {low.metric} {low.op.value} {low.value} and "
                    f"{high.op.value} {high.value}; fix one of the values",
                )


def _check_contradictions(ctx: _Ctx, spec_rules: tuple[RuleSpec, ...], position: tuple[Condition, ...]) -> None:
    """Refuse rules that can never fire or never clear given the position conditions."""
    seen: dict[str, int] = {}
    for i, r in enumerate(spec_rules):
        if r.id in seen:
            raise ctx.fail(f"rules[{i}].id", f"duplicate fault id '{r.id}' (also rules[{seen[r.id]}])")
        seen[r.id] = i
        for cond in r.broken_position(position) + r.when:
            if cond.metric != r.metric:
                continue
            # position says metric > a; rule fires when metric < b with b <= a: never fires.
            if cond.op.sign > 0 and r.fault_when.sign < 0 and r.threshold <= cond.value:
                raise ctx.fail(
                    f"rules[{i}].threshold",
                    f"can never fire: it needs {r.metric} {r.fault_when.value} {r.threshold} but the rule only runs "
                    f"while {cond.metric} {cond.op.value} {cond.value}",
                )
            if cond.op.sign < 0 and r.fault_when.sign > 0 and r.threshold >= cond.value:
                raise ctx.fail(
                    f"rules[{i}].threshold",
                    f"can never fire: it needs {r.metric} {r.fault_when.value} {r.threshold} but the rule only runs "
                    f"while {cond.metric} {cond.op.value} {cond.value}",
                )


def parse_spec(data: dict[str, Any], fname: str = "<spec>") -> ExerciseSpec:
    """Validate a parsed TOML document and build the ExerciseSpec.

    Args:
        data: the TOML document as a dict.
        fname: the file name used in error messages.

    Raises:
        SpecError: with file, path and a fix hint.
    """
    ctx = _Ctx(fname)
    _check_keys(ctx, data, _KNOWN_TOP, "")
    spec_id = ctx.get(data, "id", "", str)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", spec_id):
        raise ctx.fail("id", f"'{spec_id}' must be lower_snake_case")
    views = tuple(ctx.get(data, "views", "", list))
    for j, v in enumerate(views):
        if v not in VIEWS:
            raise ctx.unknown(f"views[{j}]", str(v), VIEWS)
    raw_metrics = ctx.get(data, "metrics", "", dict)
    metrics = {mid: _metric(ctx, mid, raw) for mid, raw in raw_metrics.items()}
    _check_metric_refs(ctx, metrics)
    ids = list(metrics)
    position = _conditions(ctx, ctx.get(data, "position", "", list), "position", ids)
    _check_position(ctx, position)
    raw_rules = ctx.get(data, "rules", "", list)
    rules = tuple(_rule(ctx, i, r, ids, views) for i, r in enumerate(raw_rules))
    _check_contradictions(ctx, rules, position)
    baselines = _baselines(ctx, data.get("baselines", {}), metrics)
    _check_rule_baselines(ctx, rules, baselines)
    _check_breaks(ctx, rules, position)
    side, reports, counter = _side(ctx, data, metrics), _reports(ctx, data, ids), _counter(ctx, data, metrics)
    summary_metrics = tuple(ctx.get(data, "summary_metrics", "", list, []))
    for j, h in enumerate(summary_metrics):
        if h not in metrics:
            raise ctx.unknown(f"summary_metrics[{j}]", str(h), ids)
    min_vis = float(ctx.get(data, "min_visibility", "", _NUM, 0.5))
    if not 0.0 <= min_vis <= 1.0:
        raise ctx.fail("min_visibility", f"must be within 0..1, got {min_vis}")
    version = ctx.get(data, "version", "", int)
    return ExerciseSpec(
        id=spec_id,
        name=ctx.get(data, "name", "", str),
        version=version,
        views=views,
        camera=ctx.get(data, "camera", "", str),
        instructions=ctx.get(data, "instructions", "", str).strip(),
        position_cue=ctx.get(data, "position_cue", "", str),
        metrics=metrics,
        position=position,
        rules=rules,
        recognize=_conditions(ctx, data.get("recognize", []), "recognize", ids),
        recognize_hold_s=_non_negative(ctx, data, "recognize_hold_s", 1.0),
        side=side,
        baselines=baselines,
        reports=reports,
        counter=counter,
        cannot_see=tuple(ctx.get(data, "cannot_see", "", list, [])),
        min_visibility=min_vis,
        needs_mask=any(m.kind == MetricKind.MASK_FLOOR_GAP for m in metrics.values()),
        summary_metrics=summary_metrics,
    )


def _check_breaks(ctx: _Ctx, rules: tuple[RuleSpec, ...], position: tuple[Condition, ...]) -> None:
    """A rule's ``breaks`` must name position conditions and values that really break them."""
    for i, r in enumerate(rules):
        for mid, limit in r.breaks.items():
            conds = [c for c in position if c.metric == mid]
            if not conds:
                raise ctx.fail(f"rules[{i}].breaks.{mid}", "is in no position condition, so there is nothing to break")
            if all(c.op.holds(limit, c.value) for c in conds):
                raise ctx.fail(f"rules[{i}].breaks.{mid}", f"{limit} still satisfies the position condition "
                               f"({mid} {conds[0].op.value} {conds[0].value}); give the furthest value it may break to")


def _side(ctx: _Ctx, data: dict[str, Any], metrics: dict[str, MetricSpec]) -> SideSpec | None:
    """The ``[side]`` table (required when a metric uses ``{side}``)."""
    if "side" not in data:
        sided = next((m.id for m in metrics.values() if m.sided), None)
        if sided is not None:
            raise ctx.fail("side", f"metric '{sided}' uses {{side}}: add a [side] table saying how to pick the side")
        return None
    raw = ctx.get(data, "side", "", dict)
    _check_keys(ctx, raw, {"metric", "choose", "meaning"}, "side")
    metric = ctx.get(raw, "metric", "side", str)
    if metric not in metrics:
        raise ctx.unknown("side.metric", metric, list(metrics))
    if not metrics[metric].sided:
        raise ctx.fail("side.metric", f"'{metric}' has no {{side}} placeholder, so it cannot pick a side")
    choose = ctx.get(raw, "choose", "side", str, "min")
    if choose not in ("min", "max"):
        raise ctx.unknown("side.choose", choose, ["min", "max"])
    return SideSpec(metric, choose, ctx.get(raw, "meaning", "side", str, ""))


def _reports(ctx: _Ctx, data: dict[str, Any], ids: list[str]) -> tuple[ReportSpec, ...]:
    """The ``[[reports]]`` tables: labelled cases, the first whose conditions hold wins."""
    reports = []
    for i, raw in enumerate(ctx.get(data, "reports", "", list, [])):
        path = f"reports[{i}]"
        if not isinstance(raw, dict):
            raise ctx.fail(path, "expected a table ([[reports]])")
        _check_keys(ctx, raw, {"id", "cases", "default"}, path)
        cases = []
        for j, c in enumerate(ctx.get(raw, "cases", path, list)):
            cpath = f"{path}.cases[{j}]"
            if not isinstance(c, dict):
                raise ctx.fail(cpath, "expected a table with label and when")
            _check_keys(ctx, c, {"label", "when"}, cpath)
            when = _conditions(ctx, c.get("when", []), f"{cpath}.when", ids)
            cases.append(ReportCase(ctx.get(c, "label", cpath, str), when))
        default = ctx.get(raw, "default", path, str, "unclear")
        reports.append(ReportSpec(ctx.get(raw, "id", path, str), tuple(cases), default))
    return tuple(reports)


def _counter(ctx: _Ctx, data: dict[str, Any], metrics: dict[str, MetricSpec]) -> CounterSpec | None:
    """The ``[counter]`` table (rounds of a movement between two values of a metric)."""
    if "counter" not in data:
        return None
    raw = ctx.get(data, "counter", "", dict)
    _check_keys(ctx, raw, {"id", "metric", "low", "high"}, "counter")
    metric = ctx.get(raw, "metric", "counter", str)
    if metric not in metrics:
        raise ctx.unknown("counter.metric", metric, list(metrics))
    low, high = float(ctx.get(raw, "low", "counter", _NUM)), float(ctx.get(raw, "high", "counter", _NUM))
    if low >= high:
        raise ctx.fail("counter.low", f"low ({low}) must be below high ({high})")
    return CounterSpec(ctx.get(raw, "id", "counter", str), metric, low, high)


def _non_negative(ctx: _Ctx, data: dict[str, Any], key: str, default: float) -> float:
    value = float(ctx.get(data, key, "", _NUM, default))
    if value < 0:
        raise ctx.fail(key, f"must be >= 0 seconds, got {value}")
    return value


def read_toml(path: Path, error: type[FormcheckError], what: str) -> dict[str, Any]:
    """Read a UTF-8 TOML data file (a spec, a routine), with errors that name the file and a fix.

    Args:
        path: the file.
        error: the exception class to raise.
        what: what the file is, for the message ("spec", "routine").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} file ({exc.strerror}); check the path") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: not valid TOML: {exc}; fix the syntax at that line") from exc


def load_spec(path: str | Path) -> ExerciseSpec:
    """Load and validate one spec file.

    Raises:
        SpecError: the file is missing, is not valid TOML, or breaks the schema.
    """
    path = Path(path)
    spec = parse_spec(read_toml(path, SpecError, "spec"), path.name)
    if spec.id != path.stem:
        raise SpecError(f"{path.name}: id: '{spec.id}' must match the file name '{path.stem}' (rename one of them)")
    return _with_source(spec, path)


def _with_source(spec: ExerciseSpec, path: Path) -> ExerciseSpec:
    object.__setattr__(spec, "source", path)
    return spec


def load_specs(spec_dir: str | Path | None = None) -> dict[str, ExerciseSpec]:
    """Load every ``*.toml`` in ``spec_dir`` (default: the shipped ``pose_specs/``), by id.

    Raises:
        SpecError: for the first invalid file, or a folder without specs.
    """
    folder = Path(spec_dir) if spec_dir is not None else DEFAULT_SPEC_DIR
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise SpecError(f"{folder}: no *.toml spec files found; point --specs at the pose_specs folder")
    return {spec.id: spec for spec in (load_spec(f) for f in files)}
