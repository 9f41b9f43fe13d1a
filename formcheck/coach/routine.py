"""Routines as data: ``routines/*.toml`` (and the user's own folder), validated at load.

A routine is an ordered list of steps; each step names an exercise (a spec id), the side
(``left``, ``right`` or ``none``), a good-form hold target, a rest after it, an optional
breathing pace and the instruction said at the transition. Errors are :class:`RoutineError`
(a :class:`~formcheck.engine.specs.SpecError`), and name the file, the path and a fix, e.g.
``mine.toml: steps[2].exercise: unknown 'boat' (did you mean 'boat_pose'?)``. Pure stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.engine.specs import ExerciseSpec, SpecError, _check_keys, _Ctx, read_toml

#: The folder of the routines that ship with formcheck.
DEFAULT_ROUTINE_DIR = Path(__file__).resolve().parents[2] / "routines"
STEP_SIDES = ("left", "right", "none")
_NUM = (int, float)
_TOP_KEYS = {"id", "name", "version", "description", "countdown_s", "steps"}
_STEP_KEYS = {"exercise", "side", "hold_s", "rest_s", "breathe", "say"}


class RoutineError(SpecError):
    """A routine file is malformed; the message names the file, the path and a fix."""


class _RoutineCtx(_Ctx):
    def fail(self, path: str, msg: str) -> RoutineError:
        return RoutineError(f"{self.fname}: {path}: {msg}")


@dataclass(frozen=True)
class Breathing:
    """A breathing pace.

    Attributes:
        in_s: seconds breathing in.
        out_s: seconds breathing out.
    """

    in_s: float
    out_s: float

    @property
    def cycle_s(self) -> float:
        """One breath, in seconds."""
        return self.in_s + self.out_s


@dataclass(frozen=True)
class RoutineStep:
    """One step of a routine.

    Attributes:
        exercise: the exercise id (a spec in ``pose_specs/``).
        side: "left", "right" or "none" (the side the exercise's spec means).
        hold_s: the good-form hold target, in seconds.
        rest_s: the countdown after this step before the next one, in seconds.
        say: the instruction shown (and spoken) at the transition into this step.
        breathing: the breathing pace shown during the step, if any.
    """

    exercise: str
    side: str
    hold_s: float
    rest_s: float
    say: str
    breathing: Breathing | None = None

    @property
    def sided(self) -> bool:
        """Whether the step is about one side."""
        return self.side != "none"


@dataclass(frozen=True)
class Routine:
    """An ordered list of steps.

    Attributes:
        id: the routine id (matches the file name).
        name: a readable name.
        version: bump when steps change.
        description: one line for people.
        countdown_s: the countdown before the first step, in seconds.
        steps: the steps, in order.
        source: the file it came from.
    """

    id: str
    name: str
    version: int
    description: str
    countdown_s: float
    steps: tuple[RoutineStep, ...]
    source: Path | None = None

    @property
    def total_hold_s(self) -> float:
        """The sum of the hold targets, in seconds."""
        return sum(s.hold_s for s in self.steps)


def is_sided(spec: ExerciseSpec) -> bool:
    """Whether an exercise is done on one side at a time (the psoas stretch, not the boat).

    A spec whose ``[side]`` only means the side facing the camera (boat pose, constructive
    rest) is done on both sides at once.
    """
    return spec.side is not None and "camera" not in spec.side.meaning


def _positive(ctx: _RoutineCtx, table: dict[str, Any], key: str, path: str, default: Any = ...,
              allow_zero: bool = False) -> float:
    value = float(ctx.get(table, key, path, _NUM, default))
    if value < 0 or (value == 0 and not allow_zero):
        raise ctx.fail(f"{path}.{key}" if path else key, f"must be {'>= 0' if allow_zero else '> 0'}, got {value:g}")
    return value


def _step(ctx: _RoutineCtx, raw: Any, path: str, specs: dict[str, ExerciseSpec]) -> RoutineStep:
    if not isinstance(raw, dict):
        raise ctx.fail(path, "expected a table ([[steps]] with exercise, side, hold_s, rest_s, say)")
    _check_keys(ctx, raw, _STEP_KEYS, path)
    exercise = ctx.get(raw, "exercise", path, str)
    if exercise not in specs:
        raise ctx.unknown(f"{path}.exercise", exercise, sorted(specs))
    side = ctx.get(raw, "side", path, str)
    if side not in STEP_SIDES:
        raise ctx.unknown(f"{path}.side", side, STEP_SIDES)
    sided = is_sided(specs[exercise])
    if sided and side == "none":
        raise ctx.fail(f"{path}.side", f"'{exercise}' is done on one side at a time: use \"left\" or \"right\"")
    if not sided and side != "none":
        raise ctx.fail(f"{path}.side", f"'{exercise}' has no side: use \"none\"")
    hold = _positive(ctx, raw, "hold_s", path)
    rest = _positive(ctx, raw, "rest_s", path, 0.0, allow_zero=True)
    say = ctx.get(raw, "say", path, str).strip()
    if not say:
        raise ctx.fail(f"{path}.say", "must not be empty: write the instruction for the transition")
    breathing = None
    if "breathe" in raw:
        b = ctx.get(raw, "breathe", path, dict)
        bpath = f"{path}.breathe"
        _check_keys(ctx, b, {"in_s", "out_s"}, bpath)
        breathing = Breathing(_positive(ctx, b, "in_s", bpath), _positive(ctx, b, "out_s", bpath))
    return RoutineStep(exercise, side, hold, rest, " ".join(say.split()), breathing)


def parse_routine(data: dict[str, Any], fname: str, specs: dict[str, ExerciseSpec]) -> Routine:
    """Validate a routine's TOML data.

    Args:
        data: the parsed TOML.
        fname: the file name, for error messages.
        specs: the exercise specs the steps may name.

    Raises:
        RoutineError: the data breaks the format.
    """
    ctx = _RoutineCtx(fname)
    _check_keys(ctx, data, _TOP_KEYS, "")
    rid = ctx.get(data, "id", "", str)
    name = ctx.get(data, "name", "", str)
    version = ctx.get(data, "version", "", int, 1)
    description = ctx.get(data, "description", "", str, "")
    countdown = _positive(ctx, data, "countdown_s", "", 5.0, allow_zero=True)
    raw_steps = ctx.get(data, "steps", "", list)
    if not raw_steps:
        raise ctx.fail("steps", "a routine needs at least one [[steps]] table")
    steps = tuple(_step(ctx, s, f"steps[{i}]", specs) for i, s in enumerate(raw_steps))
    return Routine(rid, name, version, description, countdown, steps)


def load_routine(path: str | Path, specs: dict[str, ExerciseSpec]) -> Routine:
    """Load and validate one routine file.

    Raises:
        RoutineError: missing, unreadable, not TOML, or breaking the format.
    """
    path = Path(path)
    routine = parse_routine(read_toml(path, RoutineError, "routine"), path.name, specs)
    if routine.id != path.stem:
        raise RoutineError(f"{path.name}: id: '{routine.id}' must match the file name '{path.stem}' "
                           "(rename one of them)")
    object.__setattr__(routine, "source", path)
    return routine


def load_routines(specs: dict[str, ExerciseSpec], folders: list[Path] | None = None
                  ) -> tuple[dict[str, Routine], list[str]]:
    """Load every routine in the shipped folder and the user's folder.

    Args:
        specs: the exercise specs.
        folders: the folders to read, in order (default: ``routines/`` then the user's
            ``<data dir>/routines``); a later file with the same id replaces an earlier one.

    Returns:
        (routines by id, one error message per invalid user file). The shipped routines must
        be valid: their errors are raised.

    Raises:
        RoutineError: a file in the first folder is invalid.
    """
    if folders is None:
        from formcheck.userdata import user_routine_dir  # noqa: PLC0415

        folders = [DEFAULT_ROUTINE_DIR, user_routine_dir()]
    routines: dict[str, Routine] = {}
    errors: list[str] = []
    for k, folder in enumerate(folders):
        for f in sorted(Path(folder).glob("*.toml")) if Path(folder).is_dir() else []:
            try:
                r = load_routine(f, specs)
            except RoutineError as exc:
                if k == 0:
                    raise
                errors.append(str(exc))
                continue
            routines[r.id] = r
    return routines, errors
