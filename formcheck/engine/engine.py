"""The engine: smoothing → (recognition) → exercise session, one ``update`` per frame.

Used alike by the live page, ``formcheck analyze`` and the batch scorer. Pure numpy + stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from formcheck.engine.feedback import NO_CUE, Cue, CueKind
from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.recognition import ExerciseRecognizer, RecognizerOptions
from formcheck.engine.session import SETUP_CUES, ExerciseSession, FrameResult, SessionOptions
from formcheck.engine.smoothing import OneEuroOptions, PoseSmoother
from formcheck.engine.specs import ExerciseSpec, SpecError

AUTO = "auto"
NO_PERSON_CUE = Cue(SETUP_CUES["no_person"], CueKind.SETUP, "no_person", 0)


@dataclass(frozen=True)
class EngineOptions:
    """Engine settings.

    Attributes:
        exercise: an exercise id, or "auto" to recognise it.
        instant: judge each frame on its own (photos): no smoothing, debounce or hysteresis.
        smoothing: One Euro filter settings (ignored when ``instant``).
        session: per-exercise session settings.
        recognizer: recognition settings (auto mode).
    """

    exercise: str = AUTO
    instant: bool = False
    smoothing: OneEuroOptions = field(default_factory=OneEuroOptions)
    session: SessionOptions = field(default_factory=SessionOptions)
    recognizer: RecognizerOptions = field(default_factory=RecognizerOptions)


class Engine:
    """Judges a stream of poses for one exercise or in auto mode. ``update``/``reset``."""

    def __init__(self, specs: dict[str, ExerciseSpec], options: EngineOptions | None = None) -> None:
        """Create an engine.

        Raises:
            SpecError: the exercise id is not among the specs.
        """
        self.specs = specs
        self.options = options or EngineOptions()
        o = self.options
        if o.exercise != AUTO and o.exercise not in specs:
            raise SpecError(
                f"unknown exercise '{o.exercise}'; choose one of: {', '.join(sorted(specs))} or '{AUTO}'"
            )
        session_opts = replace(o.session, instant=o.instant)
        self.sessions = {sid: ExerciseSession(spec, session_opts) for sid, spec in specs.items()}
        self.recognizer = (
            ExerciseRecognizer(specs, replace(o.recognizer, instant=o.instant)) if o.exercise == AUTO else None
        )
        self.smoother = PoseSmoother(o.smoothing)
        self.reset()

    @property
    def wants_mask(self) -> bool:
        """Whether the exercise judged now reads the segmentation mask (ask the estimator for it).

        In auto mode only the recognised exercise counts: the mask costs ~15 % more inference
        and no recognition condition reads it.
        """
        return self._active is not None and self.specs[self._active].needs_mask

    def reset(self) -> None:
        """Start over (new clip, new live session)."""
        self.smoother.reset()
        for s in self.sessions.values():
            s.reset()
        if self.recognizer:
            self.recognizer.reset()
        self._active: str | None = None if self.recognizer else self.options.exercise

    def update(self, frame: PoseFrame | None, timestamp_s: float | None = None) -> FrameResult:
        """Judge one frame.

        Args:
            frame: the raw pose from the estimator, or None when nobody was detected.
            timestamp_s: the frame time in seconds (needed when ``frame`` is None).
        """
        t = frame.timestamp_s if frame is not None else float(timestamp_s or 0.0)
        if frame is None:
            self.smoother.reset()
            smoothed = None
        else:
            smoothed = frame if self.options.instant else self.smoother.update(frame)
        if self.recognizer is not None:
            found = self.recognizer.update(smoothed, t)
            if found != self._active and found is not None:
                self.sessions[found].reset()
            self._active = found
        if self._active is None:
            cue = NO_PERSON_CUE if smoothed is None else NO_CUE
            return FrameResult(t, None, smoothed, cue=cue, num_people=smoothed.num_people if smoothed else 0)
        # Auto mode judges faults that break the position only once the exercise is followed.
        attempting = self.recognizer is None or self.recognizer.committed
        return self.sessions[self._active].update(smoothed, t, attempting=attempting)
