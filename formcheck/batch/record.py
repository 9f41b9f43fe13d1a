"""A clip's batch result: the typed record journaled to ``results.jsonl``, and how it is built.

The record is deterministic (no times or hosts): the same clip, specs, model and engine give
the same record, whichever engine ran it. :func:`make_record` is its one builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.batch.scoring import Segment, segments_from_frames
from formcheck.engine.summary import FaultSummary

if TYPE_CHECKING:
    from formcheck.analyze import Analysis
    from formcheck.batch.runner import ClipJob
    from formcheck.outputs import ClipInfo, Frame


@dataclass(frozen=True)
class FrameBrief:
    """What the batch scorer needs of each frame: time, exercise, in position, faults."""

    timestamp_s: float
    exercise: str | None
    in_position: bool
    faults: tuple[str, ...]


class BriefWriter:
    """The batch's output writer (:class:`formcheck.outputs.OutputWriter`): one brief per frame."""

    def __init__(self) -> None:
        """Start with no frames."""
        self.briefs: list[FrameBrief] = []

    def open(self, clip: ClipInfo) -> None:
        """Start a clip."""
        self.briefs = []

    def write(self, frame: Frame) -> None:
        """Keep the frame's brief."""
        r = frame.result
        self.briefs.append(FrameBrief(frame.timestamp_s, r.exercise, r.in_position, r.faults))

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Nothing to write."""
        return {}


@dataclass(frozen=True)
class BatchRecord:
    """One (clip, exercise mode)'s result; a line of ``results.jsonl`` (:meth:`to_dict`).

    Attributes:
        file: the clip's path relative to the batch folder, ``/``-separated.
        exercise_mode: ``auto`` or the exercise id it was analysed as.
        cache_key: the job's cache key.
        content_sha256: the clip's SHA-256.
        kind: "video" or "image".
        exercise: the exercise judged (None: none recognised or an error).
        side: the side judged, or None.
        view: the camera view, or None.
        frames: frames analysed.
        frames_with_person: frames in which a person was found.
        duration_s: the clip's length in seconds (None after an error).
        in_position_s: time in position, in seconds.
        score: the mean form score, or None.
        hold_s: the hold time, in seconds.
        rounds: Cat-Cow rounds.
        reports: report name → value.
        faults: fault id → when it was active.
        segments: the per-frame briefs run-length encoded (:func:`segments_from_frames`).
        annotated: the annotated file, relative to the output folder, or None.
        error: what went wrong, or None.
        error_kind: ``media``, ``no_person``, ``environment``, ``internal`` or None.
    """

    file: str
    exercise_mode: str
    cache_key: str
    content_sha256: str
    kind: str
    exercise: str | None = None
    side: str | None = None
    view: str | None = None
    frames: int = 0
    frames_with_person: int = 0
    duration_s: float | None = None
    in_position_s: float = 0.0
    score: float | None = None
    hold_s: float = 0.0
    rounds: int = 0
    reports: dict[str, str] = field(default_factory=dict)
    faults: dict[str, FaultSummary] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    annotated: str | None = None
    error: str | None = None
    error_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["faults"] = {fid: f.to_dict() for fid, f in self.faults.items()}
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BatchRecord:
        """Read a record back from its JSON form.

        Raises:
            KeyError, TypeError, ValueError: not a record.
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        values["faults"] = {
            fid: FaultSummary(f["total_s"], tuple((a, b) for a, b in f["intervals"]))
            for fid, f in (raw.get("faults") or {}).items()
        }
        return cls(**values)


def make_record(
    job: ClipJob,
    analysis: Analysis | None = None,
    briefs: list[FrameBrief] | None = None,
    *,
    error: str | None = None,
    error_kind: str | None = None,
) -> BatchRecord:
    """The record of a job: from its analysis and frame briefs, or (no analysis) of its error."""
    from formcheck.media import is_image  # noqa: PLC0415 - keeps this module light

    base = {"file": job.rel, "exercise_mode": job.mode, "cache_key": job.key, "content_sha256": job.content_sha256}
    if analysis is None:
        kind = "image" if is_image(job.path) else "video"
        return BatchRecord(**base, kind=kind, error=error, error_kind=error_kind)
    s = analysis.summary
    image = analysis.kind == "image"
    step = 1.0 if image else 1.0 / (analysis.run.fps or 30.0)
    segments = segments_from_frames(
        ((b.timestamp_s, b.exercise, b.in_position, b.faults) for b in briefs or []), step
    )
    annotated = analysis.outputs.get("image") or analysis.outputs.get("video")
    if s.frames == 0:
        error, error_kind = "no frame could be decoded", "media"
    elif s.frames_with_person == 0:
        error, error_kind = "no person detected in any frame", "no_person"
    return BatchRecord(
        **base,
        kind=analysis.kind,
        exercise=s.exercise,
        side=s.side or None,
        view=s.view,
        frames=s.frames,
        frames_with_person=s.frames_with_person,
        duration_s=s.duration_s,
        in_position_s=s.in_position_s,
        score=s.score,
        hold_s=s.hold_s,
        rounds=s.rounds,
        reports=s.reports,
        faults=s.faults,
        segments=segments,
        annotated=Path(annotated).resolve().relative_to(Path(job.out)).as_posix() if annotated else None,
        error=error,
        error_kind=error_kind,
    )
