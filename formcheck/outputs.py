"""What an analysis writes: a small writer protocol and the file writers of ``formcheck analyze``.

:func:`formcheck.analyze.analyze` opens each writer it was given with the clip's
:class:`ClipInfo`, hands it every :class:`Frame`, and closes it with the finished
:class:`~formcheck.analyze.Analysis` (or None when the analysis failed: release, write no
more); ``close`` returns the files written, by output name. The CLI passes
:func:`file_writers`; the Upload tab adds its in-memory timeline
(:class:`formcheck.web.timeline.TimelineWriter`); the batch passes its own
(:class:`formcheck.batch.record.BriefWriter`); benchmarks pass none.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import numpy as np

from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec
from formcheck.errors import MediaError
from formcheck.records import frame_record, record_columns

if TYPE_CHECKING:
    from formcheck.analyze import Analysis
    from formcheck.media import H264Writer
    from formcheck.threads import BackgroundSink

#: Output name → file-name suffix after the input's stem.
SUFFIXES = {"video": ".annotated.mp4", "image": ".annotated.png", "csv": ".frames.csv", "json": ".summary.json"}


@dataclass(frozen=True)
class ClipInfo:
    """What a writer knows when it is opened.

    Attributes:
        input: the file analysed.
        stem: a safe file stem derived from its name (see :func:`output_stem`).
        kind: "video" or "image".
        fps: the frame rate (1.0 for a photo).
        judged: the specs the run may judge (fixes the CSV's columns).
    """

    input: Path
    stem: str
    kind: str
    fps: float
    judged: tuple[ExerciseSpec, ...]


@dataclass(frozen=True)
class Frame:
    """One analysed frame, as handed to the writers.

    Attributes:
        index: the frame's number, from 0.
        timestamp_s: its time in the clip, in seconds.
        rgb: the decoded (H, W, 3) uint8 frame (never reused by the decoder). The annotated
            writers draw on it in place, the video writer in its own thread: a writer that
            needs the clean pixels must copy them in ``write`` and come before those writers.
        result: the engine's result (never changed after it is handed out).
        spec: the spec of the exercise judged (None when nothing is recognised).
    """

    index: int
    timestamp_s: float
    rgb: np.ndarray
    result: FrameResult
    spec: ExerciseSpec | None


class OutputWriter(Protocol):
    """Receives an analysis frame by frame; see the module docstring."""

    def open(self, clip: ClipInfo) -> None:
        """Start a clip."""

    def write(self, frame: Frame) -> None:
        """Take one frame."""

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Finish (None: the analysis failed; just release) and return the files written."""


def output_stem(path: Path) -> str:
    """A safe file stem for outputs derived from an input name (no folders, no dots)."""
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.stem)
    return keep.strip("_") or "clip"


class _FileWriter:
    """Base of the writers that put one file into ``out_dir``."""

    name = ""

    def __init__(self, out_dir: Path) -> None:
        """Write into ``out_dir`` (created when the clip is opened)."""
        self.out_dir = Path(out_dir)
        self.path: Path | None = None

    def open(self, clip: ClipInfo) -> None:
        """Start a clip: the file's path is ``out_dir/<stem><suffix>``."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.out_dir / f"{clip.stem}{SUFFIXES[self.name]}"

    def write(self, frame: Frame) -> None:
        """Take one frame (nothing by default)."""

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """The file written, when there is one."""
        return {self.name: self.path} if self.path is not None and self.path.exists() else {}


class AnnotatedVideoWriter(_FileWriter):
    """The annotated MP4 (H.264) of a video: overlay drawn and frames encoded in a thread.

    Drawing there instead of in the analysis loop keeps the loop's per-frame work (done while
    the next frame's pose is estimated) to the engine and the other writers. Photos are left to
    :class:`AnnotatedPhotoWriter`.
    """

    name = "video"

    def __init__(self, out_dir: Path) -> None:
        """Write into ``out_dir``."""
        super().__init__(out_dir)
        self._fps = 30.0
        self._video: H264Writer | None = None
        self._sink: BackgroundSink | None = None

    def open(self, clip: ClipInfo) -> None:
        """Start a clip (a photo: nothing is written)."""
        self._fps = clip.fps
        if clip.kind == "video":
            super().open(clip)

    def write(self, frame: Frame) -> None:
        """Queue the frame for drawing and encoding."""
        if self.path is None:
            return
        if self._sink is None:
            from formcheck.media import H264Writer  # noqa: PLC0415 - PyAV only when writing video
            from formcheck.threads import BackgroundSink  # noqa: PLC0415

            h, w = frame.rgb.shape[:2]
            video = self._video = H264Writer(self.path, fps=self._fps, size=(w, h))
            self._sink = BackgroundSink(
                lambda f: video.write(_draw(f), timestamp_s=f.timestamp_s), beside_inference=True
            )
        self._sink.put(frame)

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Drain the encode thread and close the file."""
        try:
            if self._sink is not None:
                self._sink.close()
        finally:
            if self._video is not None:
                self._video.close()
            self._sink = self._video = None
        return super().close(analysis)


class AnnotatedPhotoWriter(_FileWriter):
    """The annotated PNG of a photo (videos are left to :class:`AnnotatedVideoWriter`)."""

    name = "image"

    def open(self, clip: ClipInfo) -> None:
        """Start a clip (a video: nothing is written)."""
        if clip.kind == "image":
            super().open(clip)

    def write(self, frame: Frame) -> None:
        """Draw and save the frame."""
        if self.path is None:
            return
        import cv2  # noqa: PLC0415 - OpenCV kept at the edge

        ok, buf = cv2.imencode(".png", _draw(frame)[:, :, ::-1])
        if not ok:
            raise MediaError(f"{self.path}: could not encode the annotated photo")
        self.path.write_bytes(buf.tobytes())


class FramesCsvWriter(_FileWriter):
    """The per-frame metrics CSV (columns: :mod:`formcheck.records`)."""

    name = "csv"

    def __init__(self, out_dir: Path) -> None:
        """Write into ``out_dir``."""
        super().__init__(out_dir)
        self._file: IO[str] | None = None
        self._rows: csv.DictWriter | None = None

    def open(self, clip: ClipInfo) -> None:
        """Create the file and write the header."""
        super().open(clip)
        assert self.path is not None
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._rows = csv.DictWriter(self._file, fieldnames=record_columns(list(clip.judged)), extrasaction="ignore")
        self._rows.writeheader()

    def write(self, frame: Frame) -> None:
        """Write the frame's row."""
        assert self._rows is not None
        self._rows.writerow(frame_record(frame.index, frame.result))

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        return super().close(analysis)


class SummaryJsonWriter(_FileWriter):
    """The summary JSON (:meth:`formcheck.analyze.Analysis.to_dict`), written when the analysis ends."""

    name = "json"

    def close(self, analysis: Analysis | None) -> dict[str, Path]:
        """Write the summary (nothing when the analysis failed)."""
        if analysis is None or self.path is None:
            return {}
        self.path.write_text(json.dumps(analysis.to_dict(), indent=2), encoding="utf-8")
        return super().close(analysis)


def file_writers(out_dir: Path, *, annotate: bool = True, frames_csv: bool = True) -> list[OutputWriter]:
    """The files ``formcheck analyze`` writes into ``out_dir``: annotated video or photo, CSV, JSON.

    Args:
        out_dir: the output folder.
        annotate: write the annotated video (MP4) or photo (PNG).
        frames_csv: write the per-frame metrics CSV.
    """
    writers: list[OutputWriter] = [FramesCsvWriter(out_dir)] if frames_csv else []
    if annotate:
        writers += [AnnotatedVideoWriter(out_dir), AnnotatedPhotoWriter(out_dir)]
    writers.append(SummaryJsonWriter(out_dir))
    return writers


def _draw(frame: Frame) -> np.ndarray:
    from formcheck.annotate import draw_overlay  # noqa: PLC0415 - OpenCV kept at the edge

    return draw_overlay(frame.rgb, frame.result, frame.spec)
