"""Choose the one cue to show or speak now (pure stdlib).

Setup guidance (get in view, turn to the camera, get into position) comes before form cues;
form cues go in priority order; a cue stays up at least ``min_show_s`` so the person can read
it and act, and a cue that was just shown does not come back within ``repeat_cooldown_s``
unless nothing more important is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CueKind(StrEnum):
    """What a cue is about."""

    SETUP = "setup"
    FAULT = "fault"
    #: Said once: how to turn so that a rule the view cannot see can be judged.
    HINT = "hint"
    GOOD = "good"
    NONE = "none"


@dataclass(frozen=True)
class Cue:
    """A message for the person.

    Attributes:
        text: what to show or say.
        kind: setup, fault, hint, good or none.
        key: a stable id (the fault id, or a setup reason) used for cooldowns.
        priority: lower = more important (setup cues are 0).
        since_s: when this cue started being shown.
    """

    text: str
    kind: CueKind
    key: str
    priority: int = 99
    since_s: float = 0.0


NO_CUE = Cue("", CueKind.NONE, "")
GOOD_FORM_TEXT = "Good form: hold it there."


@dataclass(frozen=True)
class CueOptions:
    """Cue pacing.

    Attributes:
        min_show_s: a shown cue stays at least this long, in seconds.
        repeat_cooldown_s: a replaced cue may not return for this long, in seconds.
    """

    min_show_s: float = 2.0
    repeat_cooldown_s: float = 4.0


class CueSelector:
    """Picks one cue per frame from the candidates. ``update``/``reset``."""

    def __init__(self, options: CueOptions | None = None) -> None:
        self.options = options or CueOptions()
        self.reset()

    def reset(self) -> None:
        """Forget the current cue and the cooldowns."""
        self.current = NO_CUE
        self._last_shown: dict[str, float] = {}

    def update(self, candidates: list[Cue], t: float) -> Cue:
        """Return the cue to show at time ``t``.

        Args:
            candidates: every cue that applies now (setup, fault and good-form cues).
            t: the frame time in seconds.
        """
        o = self.options
        ranked = sorted(candidates, key=lambda c: c.priority)
        keys = {c.key for c in ranked}
        cur = self.current
        still_valid = cur.key in keys
        if still_valid and t - cur.since_s < o.min_show_s:
            return cur
        # The most important cue that is not cooling down; if all are, the most important.
        def cooling(c: Cue) -> bool:
            recent = t - self._last_shown.get(c.key, -1e9) < o.repeat_cooldown_s
            return c.kind == CueKind.FAULT and c.key != cur.key and recent

        best = next((c for c in ranked if not cooling(c)), ranked[0] if ranked else NO_CUE)
        if still_valid and best.key == cur.key:
            return cur
        if cur.kind != CueKind.NONE:
            self._last_shown[cur.key] = t
        self.current = Cue(best.text, best.kind, best.key, best.priority, t) if best.kind != CueKind.NONE else NO_CUE
        return self.current
