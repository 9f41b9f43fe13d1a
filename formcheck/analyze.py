"""Analyse one video or photo: pose → engine → annotated video/photo, per-frame CSV, JSON summary.

Frames stream through a decode thread, the estimator and engine (main thread), and a thread
that draws the overlay and encodes, so memory does not grow with the clip's length and the main
thread does little besides inference.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from formcheck import __version__
from formcheck.annotate import draw_overlay
from formcheck.engine.engine import AUTO, Engine, EngineOptions
from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.engine.summary import SummaryBuilder
from formcheck.errors import MediaError
from formcheck.media import H264Writer, is_image, iter_video_frames, probe_video, read_image
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode
from formcheck.pose.photo import detect_photo
from formcheck.records import frame_record, record_columns
from formcheck.threads import BackgroundSink, prefetch


@dataclass
class AnalyzeOptions:
    """What to analyse and what to write.

    Attributes:
        exercise: an exercise id, or "auto" to recognise it.
        model: MediaPipe model variant: "lite", "full" (default) or "heavy".
        model_path: an explicit ``.task`` file (overrides ``model``).
        spec_dir: folder of spec files (default: the shipped ``pose_specs/``).
        out_dir: where to write outputs (None: write nothing, return the summary only).
        annotate: write the annotated video (MP4, H.264) or photo (PNG).
        write_csv: write the per-frame metrics CSV.
        mirrored: the input is a mirrored selfie view (swap left and right).
        max_frames: stop after this many frames (None: the whole clip).
        people_check_s: look for other people in view every this many seconds (a second,
            IMAGE-mode landmarker; see ``EstimatorOptions.people_check_s``); 0: never.
        decode_threads: video decoder threads (see ``iter_video_frames``): 0 (default)
            FFmpeg's frame threads; 1 when other workers keep every core busy (batch).
    """

    exercise: str = AUTO
    model: str = "full"
    model_path: Path | None = None
    spec_dir: Path | None = None
    out_dir: Path | None = None
    annotate: bool = True
    write_csv: bool = True
    mirrored: bool = False
    max_frames: int | None = None
    people_check_s: float = 2.0
    decode_threads: int = 0


@dataclass
class FrameBrief:
    """What the batch scorer needs of each frame: time, exercise, in position, faults."""

    t: float
    exercise: str | None
    in_position: bool
    faults: tuple[str, ...]


@dataclass
class Analysis:
    """The outcome of analysing one file.

    Attributes:
        input: the file analysed.
        kind: "video" or "image".
        summary: the JSON summary (also written to ``summary.json``).
        outputs: output name → path ("video"/"image", "csv", "json").
        frames: one brief per frame, for scoring time windows.
    """

    input: Path
    kind: str
    summary: dict
    outputs: dict[str, Path] = field(default_factory=dict)
    frames: list[FrameBrief] = field(default_factory=list)


def output_stem(path: Path) -> str:
    """A safe file stem for outputs derived from an input name (no folders, no dots)."""
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.stem)
    return keep.strip("_") or "clip"


def analyze(
    path: str | Path,
    options: AnalyzeOptions | None = None,
    specs: dict[str, ExerciseSpec] | None = None,
    on_frame: Callable[[int, FrameResult], None] | None = None,
) -> Analysis:
    """Analyse a video or a photo.

    Args:
        path: the input file.
        options: what to analyse and write.
        specs: already-loaded specs (default: load ``options.spec_dir``).
        on_frame: called with (index, result) after each frame (progress, live charts).

    Raises:
        MediaError: the input cannot be read.
        SpecError: a spec is invalid or the exercise is unknown.
        ModelNotFoundError: the pose model cannot be found.
    """
    o = options or AnalyzeOptions()
    p = Path(path)
    if not p.exists():
        raise MediaError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder; give a video or photo file (use 'formcheck batch' for folders)")
    if not p.is_file():  # a FIFO or device would block or never end
        raise MediaError(f"{p}: not a regular file (a pipe, socket or device); save the video or photo to a file first")
    specs = specs if specs is not None else load_specs(o.spec_dir)
    image = is_image(p)
    engine = Engine(specs, EngineOptions(exercise=o.exercise, instant=image))
    judged = list(specs.values()) if o.exercise == AUTO else [specs[o.exercise]]
    est_opts = EstimatorOptions(
        model=o.model,
        model_path=o.model_path,
        mode=RunningMode.IMAGE if image else RunningMode.VIDEO,
        mirrored=o.mirrored,
        people_check_s=o.people_check_s,
    )
    out_dir = Path(o.out_dir) if o.out_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    stem = output_stem(p)
    outputs: dict[str, Path] = {}
    started = time.perf_counter()
    detection = None

    if image:
        frames: Iterator[tuple[np.ndarray, float]] = iter([(read_image(p), 0.0)])
        fps, info = 1.0, None
    else:
        info = probe_video(p)
        fps = info.fps or 30.0
        frames = prefetch(iter_video_frames(p, threads=o.decode_threads), size=8)

    builder = SummaryBuilder(
        instant=image, frame_step_s=1.0 / fps, summary_metrics={s.id: s.summary_metrics for s in judged}
    )
    briefs: list[FrameBrief] = []
    csv_file = None
    writer = None
    sink: BackgroundSink | None = None
    video: H264Writer | None = None
    try:
        if out_dir is not None and o.write_csv:
            outputs["csv"] = out_dir / f"{stem}.frames.csv"
            csv_file = outputs["csv"].open("w", newline="", encoding="utf-8")
            writer = csv.DictWriter(csv_file, fieldnames=record_columns(judged), extrasaction="ignore")
            writer.writeheader()
        with PoseEstimator(est_opts) as estimator:
            index = 0
            for rgb, t in frames:
                if o.max_frames is not None and index >= o.max_frames:
                    break
                if image:  # one frame: retry before giving up, and measure what a rule may need
                    found = detect_photo(estimator, rgb, mask=any(sp.needs_mask for sp in judged))
                    pose, detection = found.pose, found.attempt
                else:
                    pose = estimator.detect(rgb, t, mask=engine.wants_mask)
                result = engine.update(pose, t)
                builder.update(result)
                briefs.append(FrameBrief(t, result.exercise, result.in_position, result.faults))
                if writer is not None:
                    writer.writerow(frame_record(index, result))
                if out_dir is not None and o.annotate:
                    spec = specs.get(result.exercise) if result.exercise else None
                    if image:
                        outputs["image"] = out_dir / f"{stem}.annotated.png"
                        _write_png(outputs["image"], draw_overlay(rgb, result, spec))
                    else:
                        if video is None:
                            outputs["video"] = out_dir / f"{stem}.annotated.mp4"
                            h, w = rgb.shape[:2]
                            video = H264Writer(outputs["video"], fps=fps, size=(w, h))
                            sink = BackgroundSink(lambda item, v=video: _draw_and_write(v, *item))
                        sink.put((rgb, result, spec, t))
                if on_frame is not None:
                    on_frame(index, result)
                index += 1
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # stop the decode thread and close the file now, also after max_frames
        try:
            if sink is not None:
                sink.close()
        finally:
            if video is not None:
                video.close()
            if csv_file is not None:
                csv_file.close()

    summary = builder.finish()
    summary.update(
        {
            "input": str(p),
            "kind": "image" if image else "video",
            "exercise_requested": o.exercise,
            "model": str(o.model_path or o.model),
            "formcheck_version": __version__,
            "spec_versions": {s.id: s.version for s in judged},
            "fps": round(fps, 3) if not image else None,
            "width": info.width if info else None,
            "height": info.height if info else None,
            "rotation_deg": info.rotation_deg if info else None,
            "photo_detection": detection,
            "processing_s": round(time.perf_counter() - started, 3),
        }
    )
    if out_dir is not None:
        outputs["json"] = out_dir / f"{stem}.summary.json"
        outputs["json"].write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return Analysis(p, summary["kind"], summary, outputs, briefs)


def _draw_and_write(
    video: H264Writer, rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, t: float
) -> None:
    """Draw the overlay and encode the frame (runs in the encode thread).

    Drawing here instead of in the main thread keeps the main thread's per-frame work
    (between two inference calls) to the engine alone. ``rgb`` is this frame's own decoded
    array and ``result`` is never changed after ``Engine.update`` returns it.
    """
    video.write(draw_overlay(rgb, result, spec), timestamp_s=t)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2  # noqa: PLC0415 - OpenCV kept at the edge

    ok, buf = cv2.imencode(".png", rgb[:, :, ::-1])
    if not ok:
        raise MediaError(f"{path}: could not encode the annotated photo")
    path.write_bytes(buf.tobytes())
