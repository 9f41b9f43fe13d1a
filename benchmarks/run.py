"""formcheck's benchmark harness: every figure measured in the same run as its baseline.

Run from the repository root (the pose models are looked up as usual; when
``FORMCHECK_MODEL_DIR`` is unset and ``../shared/models`` exists, that folder is used)::

    python benchmarks/run.py                      # lite and full, the default clip
    python benchmarks/run.py --quick              # a smoke run (tens of seconds)
    python benchmarks/run.py --models lite,full,heavy --clip my.mp4 --out results.json

Sections (``--only``/``--skip`` pick them):

- ``e2e``: ``formcheck analyze`` end to end (decode, inference, engine, annotation, H.264
  encode, CSV) on the clip's first ``--frames`` frames, at the clip's size and at each of
  ``--sizes`` (default 640x480: the segment resized), as a ratio of inference-only throughput
  (``PoseEstimator.detect`` on the same frames, decoded into memory first) with the same model.
  Both sides include loading the model once. Also without the annotated video, to show the
  encoder's share.
- ``stages``: each stage alone, single-threaded, per frame: decode, inference, engine (fixed
  exercise and auto), drawing the overlay, H.264 encoding.
- ``engine``: the engine (smoothing, metrics, rules, feedback) per frame in microseconds, as a
  share of lite's inference time measured in this run.
- ``batch``: ``formcheck batch``'s runner on a folder of clip segments, clips/s with 1 job and
  with one job per core.
- ``memory``: peak RSS of ``formcheck analyze`` (in a subprocess) on a short and a 10x longer
  clip made by looping the clip's first seconds; it must not grow with the length.
- ``live``: the live page's frame callback fed at a fixed arrival rate through a one-slot
  mailbox that keeps the newest frame (what streamlit-webrtc's ``async_processing`` does):
  processed frames/s, dropped frames, latency from arrival to annotated frame, and the latency
  the callback adds to inference alone.

The machine's load average is recorded before and after: on a busy machine the ratios are
noisy (each is still measured against a baseline taken in the same run).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SECTIONS = ("e2e", "stages", "engine", "batch", "memory", "live")
#: Clips tried, in order, when ``--clip`` is not given.
DEFAULT_CLIPS = (
    SHARED / "realdata" / "tree" / "samthakur_tree.mp4",
    SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4",
)

if "FORMCHECK_MODEL_DIR" not in os.environ and (SHARED / "models").is_dir():
    os.environ["FORMCHECK_MODEL_DIR"] = str(SHARED / "models")


@dataclass
class Config:
    """What to run.

    Attributes:
        clip: the video to benchmark on.
        models: pose model variants for the inference-bound sections.
        exercise: the engine mode for ``e2e`` and ``live`` (``auto`` is the CLI's default).
        fixed_exercise: the exercise for the fixed-exercise engine figure.
        frames: frames of the clip used by ``e2e``, ``stages`` and ``engine``.
        engine_frames: poses fed to the engine per timed run (the clip's poses, looped).
        repeat: runs of each timed pair; the best of each side is kept.
        batch_clips: clips in the batch folder (16: with 8, a spawned worker's ~1.5 s start
            and the last clip's tail are a tenth of the run; a real batch has more clips).
        batch_frames: frames per batch clip.
        jobs: parallel batch jobs (one per core by default).
        memory_s: lengths of the memory clips, in seconds.
        memory_fps: frame rate of the memory clips.
        memory_size: (width, height) of the memory clips.
        live_s: seconds of live feed per model.
        live_fps: arrival rate of live frames.
        live_width: live frames are resized to this width (a webcam's).
        sections: the sections to run.
        start: first frame of the segment benchmarked (None: centre the segment in the clip,
            so that the person is in view).
        sizes: frame sizes (width, height) ``e2e`` also runs at, the segment resized (the
            clip's own size always runs first).
    """

    clip: Path
    models: list[str]
    exercise: str = "auto"
    fixed_exercise: str = "tree_pose"
    frames: int = 300
    engine_frames: int = 600
    repeat: int = 2
    batch_clips: int = 16
    batch_frames: int = 96
    jobs: int = 2
    memory_s: tuple[float, float] = (60.0, 600.0)
    memory_fps: float = 10.0
    memory_size: tuple[int, int] = (640, 360)
    live_s: float = 10.0
    live_fps: float = 30.0
    live_width: int = 640
    sections: tuple[str, ...] = SECTIONS
    start: int | None = None
    sizes: tuple[tuple[int, int], ...] = ((640, 480),)


# -- helpers -----------------------------------------------------------------------------------


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def default_clip() -> Path | None:
    """The first real clip found, else a synthetic one from ``sample_videos/``."""
    for p in DEFAULT_CLIPS:
        if p.is_file():
            return p
    samples = sorted((ROOT / "sample_videos").rglob("*.mp4")) if (ROOT / "sample_videos").is_dir() else []
    return samples[0] if samples else None


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and library versions."""
    import mediapipe  # noqa: PLC0415

    import formcheck  # noqa: PLC0415
    from formcheck.threads import usable_cores  # noqa: PLC0415

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cores": usable_cores(),
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "mediapipe": getattr(mediapipe, "__version__", "?"),
        "formcheck": formcheck.__version__,
    }


def load_frames(clip: Path, n: int, width: int | None = None) -> list[tuple[np.ndarray, float]]:
    """Decode the clip's first ``n`` frames (optionally resized to ``width``) into memory."""
    import cv2  # noqa: PLC0415

    from formcheck.media import iter_video_frames  # noqa: PLC0415

    out = []
    for rgb, t in itertools.islice(iter_video_frames(clip), n):
        if width is not None and rgb.shape[1] != width:
            h = round(rgb.shape[0] * width / rgb.shape[1] / 2) * 2
            rgb = cv2.resize(rgb, (width, h), interpolation=cv2.INTER_AREA)
        out.append((rgb, t))
    if not out:
        raise SystemExit(f"{clip}: no frame decoded")
    return out


def make_segment(clip: Path, start: int | None, n: int, dest: Path) -> tuple[Path, int, int]:
    """Cut ``n`` frames of ``clip`` (from ``start``, default: centred) into ``dest`` (H.264, crf 18).

    Every section reads this segment, so the baselines and the measured runs see the same
    frames, and long clips whose first seconds are empty (no person yet) are measured where
    the person is in view.

    Returns:
        (path, first frame, frames written).
    """
    from formcheck.media import H264Writer, iter_video_frames, probe_video  # noqa: PLC0415

    info = probe_video(clip)
    total = info.frame_count or n
    first = start if start is not None else max(0, (total - n) // 2)
    writer = None
    count = 0
    t0 = None
    for rgb, t in itertools.islice(iter_video_frames(clip), first, first + n):
        if writer is None:
            h, w = rgb.shape[:2]
            writer = H264Writer(dest, info.fps or 30.0, (w, h), crf=18, preset="ultrafast")
            t0 = t
        writer.write(rgb, timestamp_s=t - t0)
        count += 1
    if writer is None:
        raise SystemExit(f"{clip}: no frame at or after frame {first}")
    writer.close()
    return dest, first, count


def resize_segment(seg: Path, size: tuple[int, int]) -> Path:
    """The segment re-encoded at ``size`` (width, height; crf 18), next to it."""
    import cv2  # noqa: PLC0415

    from formcheck.media import H264Writer, iter_video_frames, probe_video  # noqa: PLC0415

    dest = seg.with_name(f"{seg.stem}_{size[0]}x{size[1]}.mp4")
    with H264Writer(dest, probe_video(seg).fps or 30.0, size, crf=18, preset="ultrafast") as writer:
        for rgb, t in iter_video_frames(seg):
            writer.write(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), timestamp_s=t)
    return dest


def time_inference(model: str, frames: list[tuple[np.ndarray, float]]) -> tuple[float, list[Any]]:
    """Seconds to load ``model`` and run ``PoseEstimator.detect`` on every frame; and the poses."""
    from formcheck.pose.estimator import EstimatorOptions, PoseEstimator  # noqa: PLC0415

    started = time.perf_counter()
    with PoseEstimator(EstimatorOptions(model=model)) as est:
        poses = [est.detect(rgb, t) for rgb, t in frames]
    return time.perf_counter() - started, poses


def time_analyze(cfg: Config, model: str, n: int, annotate: bool = True) -> float:
    """Seconds of ``analyze()`` (outputs to a temp folder) on the clip's first ``n`` frames."""
    from formcheck.analyze import AnalyzeOptions, analyze  # noqa: PLC0415
    from formcheck.outputs import file_writers  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="fcbench-") as d:
        opts = AnalyzeOptions(exercise=cfg.exercise, model=model, max_frames=n)
        started = time.perf_counter()
        analyze(cfg.clip, opts, writers=file_writers(Path(d), annotate=annotate))
        return time.perf_counter() - started


def per_frame_s(fn: Callable[[], Any], frames: int, repeat: int) -> float:
    """Best of ``repeat`` runs of ``fn`` (which handles ``frames`` frames), in seconds per frame."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best / frames


def per_frame_cpu_s(fn: Callable[[], Any], frames: int, repeat: int) -> float:
    """Like :func:`per_frame_s` but in this thread's CPU time (for single-threaded work)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.thread_time()
        fn()
        best = min(best, time.thread_time() - started)
    return best / frames


# -- sections ----------------------------------------------------------------------------------


def bench_e2e(cfg: Config, frames: list[tuple[np.ndarray, float]], out: dict) -> None:
    """``analyze`` end to end vs ``PoseEstimator.detect`` alone, per model."""
    n = len(frames)
    rows = []
    out["poses"] = {}
    for model in cfg.models:
        _log(f"e2e: {model}, {n} frames")
        time_inference(model, frames[:5])  # warm caches and the model file
        base, e2e, plain = [], [], []
        cpu: dict[str, list[float]] = {"inference": [], "analyze": [], "analyze_no_video": []}
        for _ in range(cfg.repeat):
            c0 = time.process_time()  # every thread of this process: decoder, encoder, MediaPipe's
            s, poses = time_inference(model, frames)
            c1 = time.process_time()
            base.append(s)
            e2e.append(time_analyze(cfg, model, n, annotate=True))
            c2 = time.process_time()
            plain.append(time_analyze(cfg, model, n, annotate=False))
            c3 = time.process_time()
            for key, spent in zip(cpu, (c1 - c0, c2 - c1, c3 - c2), strict=True):
                cpu[key].append(spent)
        out["poses"][model] = poses
        inf_fps, e2e_fps, plain_fps = n / min(base), n / min(e2e), n / min(plain)
        cpu_ms = {k: round(min(v) / n * 1e3, 2) for k, v in cpu.items()}
        pairs = [b / a for b, a in zip(base, e2e, strict=True)]
        rows.append(
            {
                "model": model,
                "frames": n,
                "inference_fps": round(inf_fps, 2),
                "analyze_fps": round(e2e_fps, 2),
                "ratio": round(e2e_fps / inf_fps, 3),
                # Each repeat's analyze against the inference run just before it: a machine whose
                # speed drifts between runs (a shared host) moves both sides of a pair alike.
                "paired_ratio": round(statistics.median(pairs), 3),
                "paired_ratio_range": [round(min(pairs), 3), round(max(pairs), 3)],
                "analyze_no_video_fps": round(plain_fps, 2),
                "ratio_no_video": round(plain_fps / inf_fps, 3),
                "runs_s": {"inference": base, "analyze": e2e, "analyze_no_video": plain},
                # Load-independent: CPU time (all threads) per frame, and inference's share of analyze's.
                "cpu_ms_per_frame": cpu_ms,
                "cpu_ratio": round(cpu_ms["inference"] / cpu_ms["analyze"], 3),
            }
        )
    out["e2e"] = rows


def bench_stages(cfg: Config, frames: list[tuple[np.ndarray, float]], poses: list[Any], out: dict) -> None:
    """Each stage alone, one thread, per frame (ms)."""
    from formcheck.annotate import draw_overlay  # noqa: PLC0415
    from formcheck.engine.engine import Engine, EngineOptions  # noqa: PLC0415
    from formcheck.engine.specs import load_specs  # noqa: PLC0415
    from formcheck.media import H264Writer, iter_video_frames  # noqa: PLC0415
    from formcheck.outputs import output_stem  # noqa: PLC0415,F401 - keeps imports warm

    _log("stages")
    n = len(frames)
    specs = load_specs()
    engine = Engine(specs, EngineOptions(exercise=cfg.exercise))
    results = [engine.update(p, t) for p, (_, t) in zip(poses, frames, strict=True)]
    h, w = frames[0][0].shape[:2]

    def decode() -> None:
        for _ in itertools.islice(iter_video_frames(cfg.clip), n):
            pass

    copies = [rgb.copy() for rgb, _ in frames]

    def draw() -> None:
        for img, r in zip(copies, results, strict=True):
            draw_overlay(img, r, specs.get(r.exercise) if r.exercise else None)

    def encode() -> None:
        with tempfile.TemporaryDirectory(prefix="fcbench-") as d, H264Writer(Path(d) / "a.mp4", 24.0, (w, h)) as v:
            for img, (_, t) in zip(copies, frames, strict=True):
                v.write(img, timestamp_s=t)

    stages = {
        "decode": per_frame_s(decode, n, cfg.repeat),
        "draw_overlay": per_frame_s(draw, n, cfg.repeat),
        "h264_encode": per_frame_s(encode, n, cfg.repeat),
    }
    out["stages"] = {
        "size": f"{w}x{h}",
        "ms_per_frame": {k: round(v * 1e3, 3) for k, v in stages.items()},
    }


def bench_engine(cfg: Config, frames: list[tuple[np.ndarray, float]], poses: list[Any], out: dict) -> None:
    """The engine per frame (µs), fixed exercise and auto, vs lite's inference per frame."""
    from formcheck.engine.engine import Engine, EngineOptions  # noqa: PLC0415
    from formcheck.engine.specs import load_specs  # noqa: PLC0415

    _log("engine")
    specs = load_specs()
    times = [t for _, t in frames]
    # Loop the poses so the figure covers enough frames to be stable (times keep increasing).
    reps = max(1, cfg.engine_frames // len(poses))
    span = times[-1] + (times[1] - times[0] if len(times) > 1 else 1 / 30)
    stream = [(p, t + k * span) for k in range(reps) for p, t in zip(poses, times, strict=True)]
    stream = [(None if p is None else _retime(p, t), t) for p, t in stream]
    rows, cpu = {}, {}
    for mode in (cfg.fixed_exercise, "auto"):
        if mode != "auto" and mode not in specs:
            continue

        def run(mode: str = mode) -> None:
            eng = Engine(specs, EngineOptions(exercise=mode))
            for p, t in stream:
                eng.update(p, t)

        rows[mode] = per_frame_s(run, len(stream), max(2, cfg.repeat)) * 1e6
        cpu[mode] = per_frame_cpu_s(run, len(stream), max(2, cfg.repeat)) * 1e6
    inf = out.get("lite_inference_ms")
    out["engine"] = {
        "frames": len(stream),
        "us_per_frame": {k: round(v, 1) for k, v in rows.items()},
        # Thread CPU time: steadier than wall time on a busy machine.
        "cpu_us_per_frame": {k: round(v, 1) for k, v in cpu.items()},
        "lite_inference_ms": inf,
        "share_of_lite": {k: round(v / 1e3 / inf, 4) for k, v in rows.items()} if inf else None,
    }


def _retime(pose: Any, t: float) -> Any:
    from dataclasses import replace  # noqa: PLC0415

    return replace(pose, timestamp_s=t)


def _write_clip(path: Path, frames: list[np.ndarray], fps: float, count: int) -> None:
    """Write ``count`` frames looping over ``frames`` as H.264."""
    from formcheck.media import H264Writer  # noqa: PLC0415

    h, w = frames[0].shape[:2]
    with H264Writer(path, fps, (w, h), preset="ultrafast") as v:
        for i in range(count):
            v.write(frames[i % len(frames)], timestamp_s=i / fps)


def _write_batch_clips(clip: Path, folder: Path, clips: int, frames: int, fps: float) -> str:
    """Cut ``clips`` consecutive ``frames``-frame clips of ``clip`` (looped if short); return WxH."""
    from formcheck.media import H264Writer, iter_video_frames  # noqa: PLC0415

    def forever() -> Any:  # decodes again when the clip ends, never holding more than a frame
        while True:
            yield from (rgb for rgb, _ in iter_video_frames(clip))

    source = forever()
    size = ""
    for i in range(clips):
        first = next(source)
        h, w = first.shape[:2]
        size = f"{w}x{h}"
        with H264Writer(folder / f"clip{i:02d}.mp4", fps, (w, h), preset="ultrafast") as v:
            v.write(first, timestamp_s=0.0)
            for k in range(1, frames):
                v.write(next(source), timestamp_s=k / fps)
    return size


def bench_batch(cfg: Config, out: dict) -> None:
    """The batch runner: clips/s with 1 job and with ``cfg.jobs`` jobs on the same folder."""
    from formcheck.batch.runner import BatchOptions, run_batch  # noqa: PLC0415
    from formcheck.media import probe_video  # noqa: PLC0415

    model = cfg.models[0]
    fps = probe_video(cfg.clip).fps or 30.0
    with tempfile.TemporaryDirectory(prefix="fcbench-batch-") as d:
        folder = Path(d) / "clips"
        folder.mkdir()
        size = _write_batch_clips(cfg.clip, folder, cfg.batch_clips, cfg.batch_frames, fps)
        rows = {}
        for jobs in (1, cfg.jobs):
            _log(f"batch: {cfg.batch_clips} clips x {cfg.batch_frames} frames, {model}, {jobs} job(s)")
            elapsed = float("inf")
            for k in range(max(1, cfg.repeat)):  # the best of ``repeat`` runs, as elsewhere
                dest = Path(d) / f"out{jobs}_{k}"
                started = time.perf_counter()
                run = run_batch(BatchOptions(folder=folder, out=dest, model=model, jobs=jobs, progress=False))
                took = time.perf_counter() - started
                if took < elapsed:
                    elapsed, res = took, run
            # Clips in which no person is seen are still analysed in full (and counted).
            errors = [r.error for r in res.records.values() if r.error]
            rows[jobs] = {
                "seconds": round(elapsed, 2),
                "clips_per_s": round(len(res.records) / elapsed, 3),
                "frames_per_s": res.timing.get("frames_per_s"),
                "engine": res.timing.get("engine"),
                "clip_errors": errors[:3],
            }
        one, many = rows[1]["clips_per_s"], rows[cfg.jobs]["clips_per_s"]
        out["batch"] = {
            "model": model,
            "clips": cfg.batch_clips,
            "frames_per_clip": cfg.batch_frames,
            "size": size,
            "jobs": {str(k): v for k, v in rows.items()},
            "speedup": round(many / one, 3) if one else None,
        }


_MEMORY_CHILD = """
import json, resource, sys
from pathlib import Path
from formcheck.analyze import AnalyzeOptions, analyze
from formcheck.outputs import file_writers
a = analyze(sys.argv[1], AnalyzeOptions(exercise="auto", model=sys.argv[2]), writers=file_writers(Path(sys.argv[3])))
try:  # VmHWM: this process's own peak (ru_maxrss also counts the parent's peak before exec)
    kb = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])
except (OSError, IndexError, ValueError):
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"maxrss_kb": kb, "frames": a.summary.frames, "processing_s": a.run.processing_s}))
"""


def bench_memory(cfg: Config, out: dict) -> None:
    """Peak RSS of ``analyze`` (video, CSV, summary) on a short and a long looped clip."""
    import cv2  # noqa: PLC0415

    model = cfg.models[0]
    w, h = cfg.memory_size
    source = load_frames(cfg.clip, 240)
    small = [cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA) for rgb, _ in source]
    rows = []
    with tempfile.TemporaryDirectory(prefix="fcbench-mem-") as d:
        for seconds in cfg.memory_s:
            clip = Path(d) / f"loop_{int(seconds)}s.mp4"
            count = round(seconds * cfg.memory_fps)
            _log(f"memory: writing a {seconds:g} s clip ({count} frames, {w}x{h})")
            _write_clip(clip, small, cfg.memory_fps, count)
            _log(f"memory: analyze {clip.name} with {model} in a subprocess")
            outdir = Path(d) / f"out_{int(seconds)}"
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD, str(clip), model, str(outdir)],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            if proc.returncode != 0:
                raise SystemExit(f"memory child failed:\n{proc.stderr[-2000:]}")
            child = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "seconds": seconds,
                    "frames": child["frames"],
                    "peak_rss_mb": round(child["maxrss_kb"] / 1024, 1),
                    "wall_s": round(time.perf_counter() - started, 1),
                }
            )
            clip.unlink()
            shutil.rmtree(outdir, ignore_errors=True)
    growth = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"] - 1
    out["memory"] = {
        "model": model,
        "size": f"{w}x{h}",
        "fps": cfg.memory_fps,
        "runs": rows,
        "growth": round(growth, 4),
    }


class Mailbox:
    """One slot that keeps the newest item: what streamlit-webrtc's async processing does.

    streamlit-webrtc's worker drains its input queue and processes only the newest frame, so a
    slow callback drops frames instead of building a queue. ``put`` replaces an item not yet
    taken (counted in ``dropped``).
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._item: Any = None
        self._closed = False
        self.dropped = 0

    def put(self, item: Any) -> None:
        """Offer an item; an untaken older one is dropped."""
        with self._cv:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cv.notify()

    def get(self) -> Any:
        """The newest item, waiting for one; None once closed and empty."""
        with self._cv:
            while self._item is None and not self._closed:
                self._cv.wait()
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        """Wake the consumer; ``get`` returns None when nothing is left."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()


def bench_live(cfg: Config, out: dict) -> None:
    """The live frame callback at a fixed arrival rate, per model."""
    import av  # noqa: PLC0415

    from formcheck.engine.specs import load_specs  # noqa: PLC0415
    from formcheck.live import LiveOptions, LiveProcessor, make_frame_callback  # noqa: PLC0415

    specs = load_specs()
    frames = load_frames(cfg.clip, min(cfg.frames, 150), width=cfg.live_width)
    # Browsers send YUV frames; the callback converts them to RGB and back, as on the page.
    packets = [av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p") for rgb, _ in frames]
    h, w = frames[0][0].shape[:2]
    rows = []
    for model in cfg.models:
        _log(f"live: {model}, {cfg.live_fps:g} fps for {cfg.live_s:g} s at {w}x{h}")
        # Baseline in the same run: inference alone on the frames the callback sees
        # (mirrored, as LiveProcessor judges them).
        mirrored = [(np.ascontiguousarray(rgb[:, ::-1]), t) for rgb, t in frames]
        time_inference(model, mirrored[:5])
        inf_s, _ = time_inference(model, mirrored)
        inf_ms = inf_s / len(mirrored) * 1e3
        proc = LiveProcessor(specs, LiveOptions(exercise=cfg.exercise, model=model))
        proc.warm_up()
        callback = make_frame_callback(proc)
        box = Mailbox()
        records: list[tuple[float, float, float]] = []  # (arrival, start, done)

        def consume(
            box: Mailbox = box,
            callback: Callable[[Any], Any] = callback,
            records: list[tuple[float, float, float]] = records,
        ) -> None:
            while (item := box.get()) is not None:
                packet, arrival = item
                start = time.perf_counter()
                callback(packet)
                records.append((arrival, start, time.perf_counter()))

        worker = threading.Thread(target=consume, name="bench-live", daemon=True)
        worker.start()
        total = round(cfg.live_s * cfg.live_fps)
        t0 = time.perf_counter()
        for i in range(total):
            delay = t0 + i / cfg.live_fps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            box.put((packets[i % len(packets)], time.perf_counter()))
        box.close()
        worker.join()
        elapsed = records[-1][2] - t0 if records else float("nan")
        proc.close()
        lat = [(d - a) * 1e3 for a, _, d in records]
        busy = [(d - s) * 1e3 for _, s, d in records]
        third = max(1, len(lat) // 3)
        rows.append(
            {
                "model": model,
                "size": f"{w}x{h}",
                "offered_fps": cfg.live_fps,
                "offered": total,
                "processed": len(records),
                "dropped": box.dropped,
                "processed_fps": round(len(records) / elapsed, 2),
                "inference_ms": round(inf_ms, 2),
                "callback_ms": round(statistics.mean(busy), 2),
                "added_ms": round(statistics.mean(busy) - inf_ms, 2),
                "latency_ms_p50": round(statistics.median(lat), 1),
                "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
                "latency_ms_max": round(max(lat), 1),
                # A queue would make latency grow over the run; dropping keeps it flat.
                "latency_growth_ms": round(statistics.mean(lat[-third:]) - statistics.mean(lat[:third]), 1),
            }
        )
    out["live"] = rows


# -- report ------------------------------------------------------------------------------------


def markdown(res: dict) -> str:
    """The results as markdown tables."""
    m = res["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['platform']}; Python {m['python']}, "
        f"mediapipe {m['mediapipe']}. Load average {res['loadavg_before'][0]:.1f} before, "
        f"{res['loadavg_after'][0]:.1f} after. Clip: {res['clip']['name']} ({res['clip']['size']}).",
        "",
    ]
    if "e2e" in res:
        lines += [
            "| model | size | frames | inference only (frames/s) | analyze (frames/s) | ratio | paired ratio, "
            "median (range) | analyze, no video (frames/s) | ratio | CPU ms/frame: inference / analyze | CPU ratio |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['model']} | {r.get('size', '')} | {r['frames']} | {r['inference_fps']:.1f} | "
            f"{r['analyze_fps']:.1f} | "
            f"**{r['ratio']:.2f}** | **{r['paired_ratio']:.2f}** ({r['paired_ratio_range'][0]:.2f}–"
            f"{r['paired_ratio_range'][1]:.2f}) | {r['analyze_no_video_fps']:.1f} | {r['ratio_no_video']:.2f} | "
            f"{r['cpu_ms_per_frame']['inference']:.1f} / {r['cpu_ms_per_frame']['analyze']:.1f} | "
            f"{r['cpu_ratio']:.2f} |"
            for r in res["e2e"]
        ]
        lines.append("")
    if "stages" in res:
        s = res["stages"]
        lines += [
            f"Stages alone, one after another, ms/frame at {s['size']}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in s["ms_per_frame"].items())
            + (f", lite inference {res['lite_inference_ms']:.2f}" if res.get("lite_inference_ms") else ""),
            "",
        ]
    if "engine" in res:
        e = res["engine"]
        lines += [
            "| engine mode | µs/frame | CPU µs/frame | share of lite inference |",
            "| --- | ---: | ---: | ---: |",
        ]
        for k, v in e["us_per_frame"].items():
            share = f"{e['share_of_lite'][k] * 100:.2f} %" if e.get("share_of_lite") else "n/a"
            lines.append(f"| {k} | {v:.0f} | {e['cpu_us_per_frame'][k]:.0f} | {share} |")
        lines.append("")
    if "batch" in res:
        b = res["batch"]
        lines += ["| batch jobs | clips/s | frames/s | speed-up |", "| --- | ---: | ---: | ---: |"]
        for k, v in b["jobs"].items():
            sp = "1.00" if k == "1" else f"**{b['speedup']:.2f}**"
            lines.append(f"| {k} | {v['clips_per_s']:.2f} | {v['frames_per_s']} | {sp} |")
        lines += [f"({b['clips']} clips x {b['frames_per_clip']} frames, {b['size']}, {b['model']})", ""]
    if "memory" in res:
        mm = res["memory"]
        lines += ["| clip length | frames | peak RSS (MB) |", "| ---: | ---: | ---: |"]
        lines += [f"| {r['seconds']:g} s | {r['frames']} | {r['peak_rss_mb']:.0f} |" for r in mm["runs"]]
        lines += [f"(growth {mm['growth'] * 100:+.1f} %; {mm['size']} at {mm['fps']:g} fps, {mm['model']})", ""]
    if "live" in res:
        lines += [
            "| live model | offered fps | processed fps | dropped | inference ms | callback ms | added ms "
            "| latency p50 / p95 ms | latency growth ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['model']} | {r['offered_fps']:g} | {r['processed_fps']:.1f} | {r['dropped']}/{r['offered']} | "
            f"{r['inference_ms']:.1f} | {r['callback_ms']:.1f} | {r['added_ms']:.1f} | "
            f"{r['latency_ms_p50']:.0f} / {r['latency_ms_p95']:.0f} | {r['latency_growth_ms']:+.0f} |"
            for r in res["live"]
        ]
        lines.append("")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="lite,full", help="comma-separated model variants (default: lite,full)")
    p.add_argument("--clip", type=Path, default=None, help="video to benchmark on (default: a real clip)")
    p.add_argument("--quick", action="store_true", help="a fast smoke run: few frames, short clips")
    p.add_argument("--start", type=int, default=None, help="first frame of the segment (default: centred)")
    p.add_argument("--frames", type=int, default=None, help="frames for e2e/stages/engine (default 300)")
    p.add_argument("--repeat", type=int, default=None, help="timed runs per figure, best kept (default 2)")
    p.add_argument("--jobs", type=int, default=None, help="parallel batch jobs (default: one per core)")
    p.add_argument("--batch-clips", type=int, default=None, help="clips in the batch section (default 16)")
    p.add_argument("--memory-seconds", default=None, help="lengths of the two memory clips in seconds (default 60,600)")
    p.add_argument(
        "--sizes",
        default="640x480",
        help="extra frame sizes for e2e, WxH comma-separated ('' for none; default 640x480)",
    )
    p.add_argument("--exercise", default="auto", help="engine mode for e2e and live (default: auto)")
    p.add_argument("--only", default=None, help=f"comma-separated sections to run ({','.join(SECTIONS)})")
    p.add_argument("--skip", default="", help="comma-separated sections to skip")
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    return p


def make_config(args: argparse.Namespace) -> Config:
    """Options → :class:`Config` (``--quick`` shrinks every section)."""
    clip = args.clip or default_clip()
    if clip is None or not Path(clip).is_file():
        raise SystemExit("no clip found: pass --clip PATH (or put clips in ../shared/realdata or sample_videos/)")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    wanted = set(SECTIONS if not args.only else args.only.split(",")) - set(filter(None, args.skip.split(",")))
    unknown = wanted - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    from formcheck.threads import usable_cores  # noqa: PLC0415

    cfg = Config(
        clip=Path(clip),
        start=args.start,
        models=models,
        exercise=args.exercise,
        jobs=args.jobs or max(2, usable_cores()),
        sections=tuple(s for s in SECTIONS if s in wanted),
        sizes=tuple(tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",") if s.strip()),
    )
    if args.quick:
        cfg.frames, cfg.repeat, cfg.engine_frames = 16, 1, 64
        cfg.batch_clips, cfg.batch_frames = 2, 12
        cfg.memory_s, cfg.memory_fps, cfg.memory_size = (2.0, 8.0), 6.0, (320, 180)
        cfg.live_s = 1.0
    if args.frames:
        cfg.frames = args.frames
    if args.batch_clips:
        cfg.batch_clips = args.batch_clips
    if args.repeat:
        cfg.repeat = args.repeat
    if args.memory_seconds:
        short, long = (float(v) for v in args.memory_seconds.split(","))
        cfg.memory_s = (short, long)
    return cfg


def run(cfg: Config, save: Callable[[dict], None] | None = None) -> dict:
    """Run the chosen sections; return the results.

    Args:
        cfg: what to run.
        save: called with the results so far after each section (an interrupted run keeps them).
    """
    from formcheck.media import probe_video  # noqa: PLC0415

    info = probe_video(cfg.clip)
    need = max(cfg.frames, cfg.batch_clips * cfg.batch_frames if "batch" in cfg.sections else 0, 120)
    with tempfile.TemporaryDirectory(prefix="fcbench-seg-") as d:
        _log(f"cutting a {need}-frame segment of {cfg.clip.name}")
        seg, first, count = make_segment(cfg.clip, cfg.start, need, Path(d) / f"segment_{cfg.clip.stem}.mp4")
        source = cfg.clip
        cfg.clip = seg
        try:
            return _run_sections(cfg, info, source, first, count, done_hook=save)
        finally:
            cfg.clip = source


def _run_sections(
    cfg: Config, info: Any, source: Path, first: int, count: int, done_hook: Callable[[dict], None] | None
) -> dict:
    """Run the sections on ``cfg.clip`` (the segment); ``source``/``first``/``count`` describe it."""

    def done() -> None:
        if done_hook is not None:
            done_hook(res)

    res: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": machine_info(),
        "loadavg_before": [round(v, 2) for v in os.getloadavg()],
        "clip": {
            "path": str(source),
            "name": source.name,
            "size": f"{info.width}x{info.height}",
            "fps": round(info.fps, 3),
            "frames": info.frame_count,
            "segment_first_frame": first,
            "segment_frames": count,
        },
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items() if k != "clip"},
    }
    need_frames = {"e2e", "stages", "engine"} & set(cfg.sections)
    frames = load_frames(cfg.clip, cfg.frames) if need_frames else []
    scratch: dict[str, Any] = {}
    if "e2e" in cfg.sections:
        bench_e2e(cfg, frames, scratch)
        for row in scratch["e2e"]:
            row["size"] = f"{info.width}x{info.height}"
        res["e2e"] = scratch["e2e"]
        done()
        for size in cfg.sizes:
            _log(f"e2e at {size[0]}x{size[1]}")
            resized = replace(cfg, clip=resize_segment(cfg.clip, size))
            more: dict[str, Any] = {}
            bench_e2e(resized, load_frames(resized.clip, cfg.frames), more)
            res["e2e"] += [{**row, "size": f"{size[0]}x{size[1]}"} for row in more["e2e"]]
            done()
    if {"stages", "engine"} & set(cfg.sections):
        if "lite" not in scratch.get("poses", {}):
            _log("lite inference baseline")
            time_inference("lite", frames[:5])
            s, scratch.setdefault("poses", {})["lite"] = min(
                (time_inference("lite", frames) for _ in range(cfg.repeat)), key=lambda x: x[0]
            )
            scratch["lite_s"] = s
        else:
            scratch["lite_s"] = min(next(r for r in res["e2e"] if r["model"] == "lite")["runs_s"]["inference"])
        res["lite_inference_ms"] = round(scratch["lite_s"] / len(frames) * 1e3, 3)
        scratch["lite_inference_ms"] = res["lite_inference_ms"]
        poses = scratch["poses"]["lite"]
        if "stages" in cfg.sections:
            bench_stages(cfg, frames, poses, scratch)
            res["stages"] = scratch["stages"]
            done()
        if "engine" in cfg.sections:
            bench_engine(cfg, frames, poses, scratch)
            res["engine"] = scratch["engine"]
            done()
    for name, fn in (("batch", bench_batch), ("memory", bench_memory), ("live", bench_live)):
        if name in cfg.sections:
            fn(cfg, scratch)
            res[name] = scratch[name]
            done()
    res["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    res["peak_rss_mb_harness"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return res


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the markdown table, write the JSON."""
    args = build_parser().parse_args(argv)
    from formcheck.quiet import quiet_console  # noqa: PLC0415

    quiet_console()  # MediaPipe's native log lines (FORMCHECK_VERBOSE=1 keeps them)

    def save(res: dict) -> None:
        if args.out is not None:
            args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")

    res = run(make_config(args), save)
    text = markdown(res)
    print(text)
    res["markdown"] = text
    save(res)
    if args.out is not None:
        _log(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
