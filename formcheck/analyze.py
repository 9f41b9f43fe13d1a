"""Analyse one video or photo: decode → pose → engine → the output writers it was given.

Frames stream through a decode thread, an inference thread (pose estimation, one frame ahead)
and the engine (the caller's thread); each frame goes to every writer
(:mod:`formcheck.outputs`: the annotated video draws and encodes in its own thread), so memory
does not grow with the clip's length and the engine and writers run while the next frame's
pose is being estimated. Frame k asks the estimator for the segmentation mask when the engine
wanted it after frame k - 2 (:func:`formcheck.threads.work_ahead`), so results never depend on
thread timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.engine.engine import AUTO, Engine, EngineOptions
from formcheck.engine.landmarks import PoseFrame
from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.engine.summary import Summary, SummaryBuilder
from formcheck.errors import MediaError
from formcheck.media import VideoInfo, is_image, iter_video_frames, probe_video, read_image
from formcheck.outputs import ClipInfo, Frame, OutputWriter, output_stem
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode
from formcheck.pose.photo import detect_photo
from formcheck.threads import decode_threads_beside_inference, prefetch, work_ahead


@dataclass
class AnalyzeOptions:
    """What to analyse (what to write is the writers passed to :func:`analyze`).

    Attributes:
        exercise: an exercise id, or "auto" to recognise it.
        model: MediaPipe model variant: "lite", "full" (default) or "heavy".
        model_path: an explicit ``.task`` file (overrides ``model``).
        spec_dir: folder of spec files (default: the shipped ``pose_specs/``).
        mirrored: the input is a mirrored selfie view (swap left and right).
        max_frames: stop after this many frames (None: the whole clip).
        people_check_s: look for other people in view every this many seconds (a second,
            IMAGE-mode landmarker; see ``EstimatorOptions.people_check_s``); 0: never.
        decode_threads: video decoder threads (see ``iter_video_frames``); None (default):
            :func:`~formcheck.threads.decode_threads_beside_inference`; 0: FFmpeg's frame
            threads; 1 when other workers keep every core busy (batch).
    """

    exercise: str = AUTO
    model: str = "full"
    model_path: Path | None = None
    spec_dir: Path | None = None
    mirrored: bool = False
    max_frames: int | None = None
    people_check_s: float = 2.0
    decode_threads: int | None = None


@dataclass(frozen=True)
class RunInfo:
    """How a clip was analysed (the summary JSON's last fields).

    Attributes:
        input: the file analysed.
        kind: "video" or "image".
        exercise_requested: the exercise asked for ("auto" or an id).
        model: the model variant or file.
        formcheck_version: this package's version.
        spec_versions: exercise id → spec version, for the specs judged.
        fps: the video's frame rate (None for a photo).
        width: the video's width in pixels (None for a photo).
        height: the video's height in pixels (None for a photo).
        rotation_deg: the video's display rotation (None for a photo).
        processing_s: decoding, inference and the engine, in seconds (the writers' last
            queued frames excluded).
        photo_detection: for a photo, which attempt found the person (``as_is``, ``padded``,
            ... or ``none``; see :mod:`formcheck.pose.photo`); None for a video.
    """

    input: str
    kind: str
    exercise_requested: str
    model: str
    formcheck_version: str
    spec_versions: dict[str, int]
    fps: float | None
    width: int | None
    height: int | None
    rotation_deg: int | None
    processing_s: float
    photo_detection: str | None = None


@dataclass
class Analysis:
    """The outcome of analysing one file.

    Attributes:
        input: the file analysed.
        kind: "video" or "image".
        summary: what the engine found over the clip.
        run: how it was analysed.
        outputs: output name → path of the files the writers wrote ("video"/"image", "csv", "json").
    """

    input: Path
    kind: str
    summary: Summary
    run: RunInfo
    outputs: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The summary JSON: the summary's fields, then the run's."""
        return {**self.summary.to_dict(), **self.run.__dict__}


def _check_input(p: Path) -> None:
    if not p.exists():
        raise MediaError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder; give a video or photo file (use 'formcheck batch' for folders)")
    if not p.is_file():  # a FIFO or device would block or never end
        raise MediaError(f"{p}: not a regular file (a pipe, socket or device); save the video or photo to a file first")


def analyze(
    path: str | Path,
    options: AnalyzeOptions | None = None,
    specs: dict[str, ExerciseSpec] | None = None,
    on_frame: Callable[[int, FrameResult], None] | None = None,
    writers: Sequence[OutputWriter] = (),
) -> Analysis:
    """Analyse a video or a photo.

    Args:
        path: the input file.
        options: what to analyse.
        specs: already-loaded specs (default: load ``options.spec_dir``).
        on_frame: called with (index, result) after each frame (progress).
        writers: what to write (:func:`formcheck.outputs.file_writers` for the CLI's files).

    Raises:
        MediaError: the input cannot be read.
        SpecError: a spec is invalid or the exercise is unknown.
        ModelNotFoundError: the pose model cannot be found.
    """
    o = options or AnalyzeOptions()
    p = Path(path)
    _check_input(p)
    specs = specs if specs is not None else load_specs(o.spec_dir)
    image = is_image(p)
    engine = Engine(specs, EngineOptions(exercise=o.exercise, instant=image))
    judged = tuple(specs.values()) if o.exercise == AUTO else (specs[o.exercise],)
    mode = RunningMode.IMAGE if image else RunningMode.VIDEO
    est_opts = EstimatorOptions(
        model=o.model, model_path=o.model_path, mode=mode, mirrored=o.mirrored, people_check_s=o.people_check_s
    )
    started = time.perf_counter()
    info: VideoInfo | None = None if image else probe_video(p)
    fps = 1.0 if info is None else info.fps or 30.0
    frames: Iterator[tuple[np.ndarray, float]] = (
        iter([(read_image(p), 0.0)])
        if image
        else prefetch(iter_video_frames(p, threads=_decode_threads(o)), size=8, beside_inference=True)
    )
    means = {s.id: s.summary_metrics for s in judged}
    builder = SummaryBuilder(instant=image, frame_step_s=1.0 / fps, summary_metrics=means)
    clip = ClipInfo(p, output_stem(p), "image" if image else "video", fps, judged)
    analysis: Analysis | None = None
    try:
        for w in writers:
            w.open(clip)
        attempts: list[str] = []  # the photo's detection attempt
        with PoseEstimator(est_opts) as estimator:
            detect = _detector(estimator, image, any(sp.needs_mask for sp in judged), attempts)
            # Inference runs one frame ahead of the engine and the writers, in its own thread;
            # closing the generator joins that thread before the estimator closes.
            with closing(work_ahead(islice(frames, o.max_frames), detect, lambda: engine.wants_mask)) as detected:
                for index, ((rgb, timestamp_s), pose) in enumerate(detected):
                    result = engine.update(pose, timestamp_s)
                    builder.update(result)
                    spec = specs.get(result.exercise) if result.exercise else None
                    frame = Frame(index, timestamp_s, rgb, result, spec)
                    for w in writers:
                        w.write(frame)
                    if on_frame is not None:
                        on_frame(index, result)
        detection = attempts[0] if attempts else None
        run = _run_info(p, clip.kind, o, judged, info, detection, time.perf_counter() - started)
        analysis = Analysis(p, clip.kind, builder.finish(), run)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # stop the decode thread and close the file now, also after max_frames
        outputs = _close_all(writers, analysis)
    analysis.outputs = outputs
    return analysis


def _detector(
    estimator: PoseEstimator, image: bool, photo_mask: bool, attempts: list[str]
) -> Callable[[tuple[np.ndarray, float], bool], PoseFrame | None]:
    """Detection of one ``(rgb, timestamp_s)`` frame given the mask wanted: a video frame's
    pose, or a photo's after its retries (:func:`formcheck.pose.photo.detect_photo`, asking for
    the mask when a judged rule needs it; the attempt that found it is appended to ``attempts``).
    """

    def detect(frame: tuple[np.ndarray, float], mask: bool) -> PoseFrame | None:
        if not image:
            return estimator.detect(*frame, mask=mask)
        found = detect_photo(estimator, frame[0], mask=photo_mask)
        attempts.append(found.attempt)
        return found.pose

    return detect


def _decode_threads(o: AnalyzeOptions) -> int:
    return decode_threads_beside_inference() if o.decode_threads is None else o.decode_threads


def _close_all(writers: Sequence[OutputWriter], analysis: Analysis | None) -> dict[str, Path]:
    """Close every writer (all of them, also when one fails); the files they wrote."""
    outputs: dict[str, Path] = {}
    error: BaseException | None = None
    for w in writers:
        try:
            outputs.update(w.close(analysis))
        except BaseException as exc:  # noqa: BLE001 - re-raised once every writer is closed
            error = error or exc
    if error is not None and analysis is not None:
        raise error
    return outputs


def _run_info(
    p: Path,
    kind: str,
    o: AnalyzeOptions,
    judged: tuple[ExerciseSpec, ...],
    info: VideoInfo | None,
    detection: str | None,
    seconds: float,
) -> RunInfo:
    return RunInfo(
        input=str(p),
        kind=kind,
        exercise_requested=o.exercise,
        model=str(o.model_path or o.model),
        formcheck_version=__version__,
        spec_versions={s.id: s.version for s in judged},
        fps=round(info.fps or 30.0, 3) if info else None,
        width=info.width if info else None,
        height=info.height if info else None,
        rotation_deg=info.rotation_deg if info else None,
        processing_s=round(seconds, 3),
        photo_detection=detection,
    )
