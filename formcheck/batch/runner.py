"""Run the engine over every clip of a folder: discovery, cache keys, engines, results journal.

Each (clip, exercise mode) is one job. Its cache key hashes the clip's bytes, the mode, the
spec versions and spec files' bytes, the pose model variant and the model file's SHA-256, the
formcheck version and the engine's source (``formcheck/**/*.py`` but batch/synth/web, so a
code change is never served stale results) and the record format. Finished jobs are appended
to ``OUT/results.jsonl`` as they complete (one JSON line, flushed and fsynced), so an
interrupted batch leaves only whole lines there and a rerun skips every job whose key is
already in it. When the batch ends (or is interrupted) the
file is rewritten sorted by clip path, so its bytes do not depend on the engine or the order in
which clips finished. Timings go to ``timing.json`` only.

Engines: ``serial`` (``--jobs 1``, in this process), ``pool`` (this process and one spawned
process per further job slot, each keeping its own loaded specs) and ``dask`` (:mod:`formcheck.batch.dask_engine`).
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import multiprocessing
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from formcheck import __version__
from formcheck.batch.labels import LabelRow
from formcheck.batch.progress import REPORT_EVERY, Progress, estimate_frames
from formcheck.batch.record import BatchRecord, BriefWriter, make_record
from formcheck.batch.scoring import AUTO, LABELS, run_mode
from formcheck.batch.supervisor import WorkerSlot, run_supervised
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.errors import FormcheckError, MediaError, ModelNotFoundError
from formcheck.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from formcheck.models import resolve_model, sha256_of
from formcheck.threads import usable_cores

_log = logging.getLogger(__name__)

RESULTS_NAME = "results.jsonl"
ANNOTATED_DIR = "annotated"
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
#: Bump when the record's fields or meaning change (old results are then recomputed).
RECORD_FORMAT = 1
#: Error kinds whose records are reused on a rerun (the same bytes fail the same way).
CACHEABLE_ERRORS = (None, "media", "no_person")


@dataclass(frozen=True)
class BatchOptions:
    """What to run and where to write.

    Attributes:
        folder: the folder of clips (searched recursively; hidden files are skipped).
        out: the output folder (results, tables, report, annotated clips).
        exercise: ``auto``, an exercise id, or ``labels`` (each row's labelled exercise).
        model: pose model variant (``lite``, ``full``, ``heavy``).
        model_path: an explicit ``.task`` file (overrides ``model``).
        spec_dir: the spec folder (default: the shipped ``pose_specs/``).
        jobs: parallel jobs (None: one per core; 1: in this process).
        scheduler: a Dask scheduler address (``tcp://HOST:8786``): run on that cluster instead.
        annotate: write each clip's annotated video/photo under ``OUT/annotated/``.
        progress: show a progress bar.
    """

    folder: Path
    out: Path
    exercise: str = AUTO
    model: str = "full"
    model_path: Path | None = None
    spec_dir: Path | None = None
    jobs: int | None = None
    scheduler: str | None = None
    annotate: bool = False
    progress: bool = True


@dataclass(frozen=True)
class ClipJob:
    """One (clip, exercise mode) to analyse; picklable, sent to the workers.

    Attributes:
        path: the clip's absolute path (the same path must exist on Dask workers).
        rel: the clip's path relative to the batch folder, ``/``-separated.
        mode: ``auto`` or an exercise id.
        key: the cache key.
        content_sha256: the clip's SHA-256.
        size: the clip's size in bytes (bigger clips are started first).
        model: the model variant.
        model_path: an explicit model file, or None.
        model_sha256: the SHA-256 of the model the key was computed with.
        spec_dir: the spec folder, or None for the shipped one.
        out: the batch output folder (absolute).
        annotate_dir: where to write the annotated clip (absolute), or None.
        decode_threads: video decoder threads (``AnalyzeOptions.decode_threads``): 1 where
            workers share the cores (pool, Dask), None (as ``formcheck analyze`` chooses) for one job.
    """

    path: str
    rel: str
    mode: str
    key: str
    content_sha256: str
    size: int
    model: str
    model_path: str | None
    model_sha256: str
    spec_dir: str | None
    out: str
    annotate_dir: str | None = None
    decode_threads: int | None = None


@dataclass
class BatchResult:
    """The outcome of a batch run.

    Attributes:
        jobs: every job of the batch, in path order.
        records: (rel, mode) → result record, for the jobs done (now or in an earlier run).
        analysed: jobs analysed in this run.
        reused: jobs skipped because an earlier run had the same cache key.
        interrupted: the run was interrupted (Ctrl-C): the outputs cover the jobs done.
        timing: run time, engine and per-clip seconds (``timing.json``).
    """

    jobs: list[ClipJob]
    records: dict[tuple[str, str], BatchRecord] = field(default_factory=dict)
    analysed: int = 0
    reused: int = 0
    interrupted: bool = False
    timing: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every job has a record."""
        return all((j.rel, j.mode) in self.records for j in self.jobs)


# -- discovery and keys ----------------------------------------------------------------------


def discover(folder: Path, exclude: Path | None = None) -> list[str]:
    """Media files under ``folder`` (by extension, recursively), as sorted ``/`` paths.

    Hidden files and folders (name starting with ``.``) and ``exclude`` (the output folder,
    when it lies inside) are skipped.
    """
    root = folder.resolve()
    skip = exclude.resolve() if exclude is not None else None
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (here / d).resolve() != skip)
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_EXTENSIONS and (here / name).is_file():
                found.append((here / name).relative_to(root).as_posix())
    return sorted(found)


def spec_fingerprint(specs: dict[str, ExerciseSpec]) -> dict:
    """Spec versions and one SHA-256 over every spec file's name and bytes."""
    h = hashlib.sha256()
    for sid in sorted(specs):
        src = specs[sid].source
        h.update(sid.encode() + b"\0")
        h.update(src.read_bytes() if src is not None else repr(specs[sid]).encode())
        h.update(b"\0")
    return {"versions": {sid: specs[sid].version for sid in sorted(specs)}, "sha256": h.hexdigest()}


def model_fingerprint(model: str, model_path: Path | None) -> dict:
    """The model variant and the SHA-256 of the file it resolves to.

    Raises:
        ModelNotFoundError: the model cannot be found or downloaded.
    """
    path = resolve_model(model, model_path)
    return {"variant": model if model_path is None else "custom", "sha256": sha256_of(path)}


#: The package paths whose code decides a clip's result (everything else cannot change it).
ENGINE_PARTS = ("engine/", "pose/", "media.py", "analyze.py", "threads.py")


def engine_fingerprint() -> str:
    """SHA-256 over the source that decides a clip's result.

    That is the pure engine (:mod:`formcheck.engine`), the pose estimator's wrapper
    (:mod:`formcheck.pose`: model graphs, photo retries), the decoder (:mod:`formcheck.media`:
    rotation, downscaling) and the loop that joins them (:mod:`formcheck.analyze` and the
    threads it runs, :mod:`formcheck.threads`: which frame asks for the segmentation mask);
    the specs and the model are keyed separately. Front ends and the batch's own code are left
    out, so editing them keeps cached results valid.
    """
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*.py")):
        rel = f.relative_to(pkg).as_posix()
        if rel.startswith(ENGINE_PARTS):
            h.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(content_sha256: str, mode: str, specs_fp: dict, model_fp: dict, engine_fp: str = "") -> str:
    """The cache key of one job: what the result depends on, hashed."""
    blob = json.dumps(
        {
            "clip": content_sha256,
            "mode": mode,
            "specs": specs_fp,
            "model": model_fp,
            "engine": engine_fp,
            "formcheck": __version__,
            "format": RECORD_FORMAT,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def safe_output_name(rel: str, mode: str) -> str:
    """A flat, safe folder name for a clip's outputs (letters, digits, ``-``, ``_``, one ``.``).

    ``tree/a b.jpg`` in auto mode → ``tree__a_b_jpg.auto``: no separators and no dots inside the
    parts, so it can never name ``..`` or an absolute path.
    """
    parts = [re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in PurePosixPath(rel).parts]
    name = "__".join(p for p in parts if p.strip("_")) or "clip"
    return f"{name}.{re.sub(r'[^A-Za-z0-9_-]', '_', mode)}"


def inside(path: Path, folder: Path) -> Path:
    """Return ``path`` resolved, or raise if it escapes ``folder``.

    Raises:
        FormcheckError: the path is outside the folder.
    """
    p, root = path.resolve(), folder.resolve()
    if not p.is_relative_to(root):
        raise FormcheckError(f"{path}: output path escapes the output folder {folder}; rename the clip")
    return p


def plan_jobs(
    opts: BatchOptions, specs: dict[str, ExerciseSpec], rows: list[LabelRow] | None, model_fp: dict
) -> list[ClipJob]:
    """One job per (clip, exercise mode): every media file found plus every labelled file.

    In ``labels`` mode a clip is analysed once per distinct labelled exercise (``none`` rows and
    unlabelled clips: auto); otherwise once with ``opts.exercise``.
    """
    folder, out = opts.folder.resolve(), opts.out.resolve()
    files = set(discover(folder, exclude=out))
    modes: dict[str, set[str]] = {}
    for row in rows or []:
        files.add(row.file)
        modes.setdefault(row.file, set()).add(run_mode(row, opts.exercise))
    specs_fp, engine_fp = spec_fingerprint(specs), engine_fingerprint()
    jobs = []
    for rel in sorted(files):
        path = folder / rel
        sha = sha256_of(path)
        wanted = modes.get(rel) or {AUTO if opts.exercise == LABELS else opts.exercise}
        for mode in sorted(wanted):
            annotate_dir = None
            if opts.annotate:
                annotate_dir = str(inside(out / ANNOTATED_DIR / safe_output_name(rel, mode), out / ANNOTATED_DIR))
            jobs.append(
                ClipJob(
                    path=str(path),
                    rel=rel,
                    mode=mode,
                    key=cache_key(sha, mode, specs_fp, model_fp, engine_fp),
                    content_sha256=sha,
                    size=path.stat().st_size,
                    model=opts.model,
                    model_path=str(opts.model_path) if opts.model_path else None,
                    model_sha256=model_fp["sha256"],
                    spec_dir=str(opts.spec_dir) if opts.spec_dir else None,
                    out=str(out),
                    annotate_dir=annotate_dir,
                )
            )
    return jobs


# -- one job (runs in a worker) ---------------------------------------------------------------

#: Per worker process: loaded specs by spec folder, model SHA-256 by (variant, path).
_WORKER_SPECS: dict[str | None, dict[str, ExerciseSpec]] = {}
_WORKER_MODELS: dict[tuple[str, str | None], str] = {}
#: Per worker process: where to report frames as they are analysed, ``(cache key, frames)``.
_PROGRESS: Callable[[str, int], None] | None = None


def _init_pool_worker(progress_queue: Any) -> None:
    """Pool worker initializer: report frames on the main process's queue."""
    global _PROGRESS  # noqa: PLW0603 - per-process worker state
    if progress_queue is not None:
        _PROGRESS = lambda key, n: progress_queue.put((key, n))  # noqa: E731


def _worker_specs(spec_dir: str | None) -> dict[str, ExerciseSpec]:
    if spec_dir not in _WORKER_SPECS:
        _WORKER_SPECS[spec_dir] = load_specs(spec_dir)
    return _WORKER_SPECS[spec_dir]


def _check_model(job: ClipJob) -> None:
    k = (job.model, job.model_path)
    if k not in _WORKER_MODELS:
        _WORKER_MODELS[k] = sha256_of(resolve_model(job.model, job.model_path))
    if _WORKER_MODELS[k] != job.model_sha256:
        raise ModelNotFoundError(
            f"this worker's {job.model} model (sha256 {_WORKER_MODELS[k][:12]}) is not the one the batch was keyed "
            f"with ({job.model_sha256[:12]}); give every worker the same model file (FORMCHECK_MODEL_DIR)"
        )


def process_clip(job: ClipJob) -> tuple[BatchRecord, dict]:
    """Analyse one job; never raises for a bad clip (the error is in the record).

    Returns:
        (record, timing): the result record (deterministic: no times or hosts) and its timing.
    """
    from formcheck.analyze import AnalyzeOptions, analyze  # noqa: PLC0415 - MediaPipe loads in workers only
    from formcheck.outputs import file_writers  # noqa: PLC0415

    started = time.perf_counter()
    try:
        specs = _worker_specs(job.spec_dir)
        _check_model(job)
        annotate = job.annotate_dir is not None
        options = AnalyzeOptions(
            exercise=job.mode,
            model=job.model,
            model_path=Path(job.model_path) if job.model_path else None,
            spec_dir=Path(job.spec_dir) if job.spec_dir else None,
            # No record holds the people count, only the annotated video shows it: without
            # it the check (~8 % of a two-worker batch's CPU) is not run.
            people_check_s=AnalyzeOptions.people_check_s if annotate else 0.0,
            decode_threads=job.decode_threads,
        )
        briefs = BriefWriter()
        writers = [briefs, *(file_writers(Path(job.annotate_dir), frames_csv=False) if job.annotate_dir else [])]
        analysis = analyze(job.path, options, specs=specs, on_frame=_frame_reporter(job.key), writers=writers)
        record = make_record(job, analysis, briefs.briefs)
    except MediaError as exc:
        record = make_record(job, error=_relative_message(exc, job), error_kind="media")
    except ModelNotFoundError as exc:
        record = make_record(job, error=str(exc), error_kind="environment")
    except Exception as exc:  # noqa: BLE001 - one clip's bug must not stop the batch; recorded, retried on rerun
        _log.debug("clip %s failed", job.rel, exc_info=True)
        record = make_record(job, error=f"{type(exc).__name__}: {_relative_message(exc, job)}", error_kind="internal")
    timing = {
        "file": job.rel,
        "exercise_mode": job.mode,
        "seconds": round(time.perf_counter() - started, 3),
        "frames": record.frames,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    return record, timing


def _frame_reporter(key: str) -> Callable[[int, Any], None] | None:
    report = _PROGRESS
    if report is None:
        return None

    def on_frame(index: int, _result: Any) -> None:
        if (index + 1) % REPORT_EVERY == 0:
            report(key, REPORT_EVERY)

    return on_frame


def _relative_message(exc: Exception, job: ClipJob) -> str:
    """The error message with the clip's absolute path replaced by its batch-relative path."""
    return str(exc).replace(job.path, job.rel)


# -- results journal --------------------------------------------------------------------------


def dumps(record: BatchRecord) -> str:
    """One record as a canonical JSON line (sorted keys, no spaces that vary)."""
    return json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False)


class ResultsJournal:
    """``results.jsonl``: append-as-finished, read back on resume, rewritten sorted at the end."""

    def __init__(self, path: Path) -> None:
        """Open (do not yet create) the journal at ``path``."""
        self.path = path
        self._file: Any = None

    def load(self) -> dict[str, BatchRecord]:
        """Records by cache key; unreadable lines (a line cut by a crash) are skipped."""
        found: dict[str, BatchRecord] = {}
        if not self.path.is_file():
            return found
        with self.path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                try:
                    rec = BatchRecord.from_dict(json.loads(line))
                    found[rec.cache_key] = rec
                except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                    _log.warning("%s:%d: unreadable result line skipped (it will be recomputed)", self.path, n)
        return found

    def append(self, record: BatchRecord) -> None:
        """Append one record as a whole line and make it durable (flush + fsync)."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            if self._file.tell() > 0 and not self._ends_with_newline():
                self._file.write("\n")  # a cut last line stays a separate, skipped line
        self._file.write(dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def close(self) -> None:
        """Close the append handle."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def rewrite(self, records: Iterable[BatchRecord]) -> None:
        """Atomically replace the journal with ``records`` (already sorted)."""
        self.close()
        write_atomic(self.path, "".join(dumps(r) + "\n" for r in records))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# -- engines ----------------------------------------------------------------------------------


def run_serial(jobs: list[ClipJob], progress: Progress | None = None) -> Iterator[tuple[BatchRecord, dict]]:
    """Run the jobs one by one in this process."""
    global _PROGRESS  # noqa: PLW0603 - the serial engine is its own worker
    _PROGRESS = progress.add_frames if progress is not None else None
    try:
        for job in jobs:
            yield process_clip(job)
    finally:
        _PROGRESS = None


def run_pool(jobs: list[ClipJob], workers: int, progress: Progress | None = None) -> Iterator[tuple[BatchRecord, dict]]:
    """Run the jobs in this process and ``workers - 1`` spawned ones; yield results as they finish.

    Every worker takes its next job from one shared list when it is free, this process
    included: it has MediaPipe loaded already, while a spawned worker spends ~1.5 s importing
    it (2 CPUs), which on a short batch is a large part of the other core's time. A thread per
    spawned worker hands it one job at a time, so no job waits in a busy worker's queue while
    another worker is idle at the end of the batch.
    """
    global _PROGRESS  # noqa: PLW0603 - this process is one of the workers
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue() if progress is not None else None
    if progress is not None:
        progress.listen(q)
    todo = collections.deque(jobs)
    lock = threading.Lock()
    finished: queue.SimpleQueue[tuple[BatchRecord, dict] | None] = queue.SimpleQueue()  # None: a feeder ended

    def take(front: bool) -> ClipJob | None:
        with lock:
            return (todo.popleft() if front else todo.pop()) if todo else None

    stopping = threading.Event()

    def feed(slot: WorkerSlot) -> None:  # a dead worker is replaced and its clip retried once (supervisor.py)
        try:
            while (job := take(front=True)) is not None:
                item = run_supervised(slot, process_clip, job, _failed, job.rel, stopping.is_set)
                if item is None:
                    break
                finished.put(item)
        finally:
            slot.close(kill=stopping.is_set())
            finished.put(None)

    helpers = max(1, workers - 1)
    _PROGRESS = progress.add_frames if progress is not None else None
    slots = [WorkerSlot(ctx, _init_pool_worker, (q,)) for _ in range(helpers)]
    feeders = [threading.Thread(target=feed, args=(slot,), name="batch-feeder", daemon=True) for slot in slots]
    try:
        for t in feeders:
            t.start()
        active = len(feeders)
        while True:
            while active and (not finished.empty() or not todo):
                item = finished.get()
                if item is None:
                    active -= 1
                else:
                    yield item
            job = take(front=False)  # the pool works from the front
            if job is None and not active:
                break
            if job is not None:
                yield process_clip(job)
    finally:
        with lock:
            todo.clear()
        if any(t.is_alive() for t in feeders):  # Ctrl-C or an error: stop the workers, abandon their clips
            stopping.set()
            for slot in slots:
                slot.close(kill=True)
        for t in feeders:
            t.join()
        _PROGRESS = None


def _failed(job: ClipJob, message: str, kind: str) -> tuple[BatchRecord, dict]:
    """The (record, timing) of a job whose worker failed (see :func:`~formcheck.batch.supervisor.run_supervised`)."""
    return make_record(job, error=message, error_kind=kind), {"file": job.rel, "exercise_mode": job.mode}


# -- the batch --------------------------------------------------------------------------------


def run_batch(
    opts: BatchOptions,
    specs: dict[str, ExerciseSpec] | None = None,
    rows: list[LabelRow] | None = None,
    on_clip: Callable[[BatchRecord, dict], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> BatchResult:
    """Analyse every clip (resuming from ``results.jsonl``) and write the results journal.

    The journal is rewritten sorted whenever the run ends, also on Ctrl-C (then
    ``interrupted`` is set and the KeyboardInterrupt is not re-raised).

    Args:
        opts: the batch options.
        specs: the loaded specs (default: load ``opts.spec_dir``).
        rows: the label rows (decide the modes in ``labels`` mode and add labelled files).
        on_clip: called with (record, timing) after each job is analysed and journaled.
        on_progress: called with (jobs done incl. reused, jobs in all, clip path) after each job.

    Raises:
        ModelNotFoundError: the pose model cannot be found.
        SpecError: the specs are invalid.
        FormcheckError: the folder is missing, the engine is unavailable.
    """
    if not opts.folder.is_dir():
        raise FormcheckError(f"{opts.folder}: not a folder; give the folder of clips to analyse")
    specs = specs if specs is not None else load_specs(opts.spec_dir)
    if opts.exercise not in (AUTO, LABELS) and opts.exercise not in specs:
        raise FormcheckError(
            f"--exercise {opts.exercise}: unknown; use auto, labels or one of {', '.join(sorted(specs))}"
        )
    started = time.perf_counter()
    model_fp = model_fingerprint(opts.model, opts.model_path)
    jobs = plan_jobs(opts, specs, rows, model_fp)
    journal = ResultsJournal(opts.out / RESULTS_NAME)
    cached = journal.load()
    result = BatchResult(jobs)
    pending = _reuse_cached(jobs, cached, result)
    pending.sort(key=lambda j: (-j.size, j.rel, j.mode))  # long clips first: better packing
    workers = min(opts.jobs or usable_cores(), max(1, len(pending)))  # one job per core
    engine = "dask" if opts.scheduler else ("serial" if workers == 1 else "pool")
    if engine != "serial":  # every core has a worker: FFmpeg's frame threads only add CPU
        pending = [replace(j, decode_threads=1) for j in pending]
    clip_times: list[dict] = []
    estimates = {j.key: estimate_frames(j.path) for j in pending} if opts.progress else {}
    progress = Progress(estimates, len(jobs), result.reused, opts.progress)
    stream = _job_stream(engine, pending, workers, opts.scheduler, progress)
    try:
        for record, timing in stream:
            journal.append(record)
            result.records[(record.file, record.exercise_mode)] = record
            result.analysed += 1
            clip_times.append(timing)
            progress.clip_done(record.cache_key, record.frames)
            if on_clip is not None:
                on_clip(record, timing)
            if on_progress is not None:
                on_progress(len(result.records), len(jobs), record.file)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            try:
                close()
            except KeyboardInterrupt:
                result.interrupted = True
        progress.close()
        journal.rewrite(result.records[(j.rel, j.mode)] for j in jobs if (j.rel, j.mode) in result.records)
    elapsed = time.perf_counter() - started
    result.timing = {
        "engine": engine,
        "workers": workers if engine != "dask" else None,
        "scheduler": opts.scheduler,
        "seconds": round(elapsed, 3),
        "analysed": result.analysed,
        "reused": result.reused,
        "frames_analysed": progress.frames,
        "frames_per_s": round(progress.fps, 2),
        "interrupted": result.interrupted,
        "clips": sorted(clip_times, key=lambda t: (t["file"], t["exercise_mode"])),
    }
    write_atomic(opts.out / "timing.json", json.dumps(result.timing, indent=2) + "\n")
    return result


def _reuse_cached(jobs: list[ClipJob], cached: dict[str, BatchRecord], result: BatchResult) -> list[ClipJob]:
    """Put the journal's still-valid records into ``result``; the jobs left to analyse."""
    pending = []
    for job in jobs:
        rec = cached.get(job.key)
        if rec is not None and rec.error_kind in CACHEABLE_ERRORS and _annotation_ok(rec, job):
            rec = replace(rec, file=job.rel, exercise_mode=job.mode)
            if job.annotate_dir is None:
                rec = replace(rec, annotated=None)  # as a fresh run without --annotate would write it
            result.records[(job.rel, job.mode)] = rec
        else:
            pending.append(job)
    result.reused = len(jobs) - len(pending)
    return pending


def _job_stream(
    engine: str, pending: list[ClipJob], workers: int, scheduler: str | None, progress: Progress
) -> Iterator[tuple[BatchRecord, dict]]:
    """(record, timing) of each pending job as it finishes, from the engine chosen."""
    if engine == "dask":
        from formcheck.batch.dask_engine import run_dask  # noqa: PLC0415 - optional extra

        return run_dask(pending, scheduler or "")
    if engine == "pool":
        return run_pool(pending, workers, progress)
    return run_serial(pending, progress)


def _annotation_ok(rec: BatchRecord, job: ClipJob) -> bool:
    """A cached record serves an ``--annotate`` run only if its annotated file is still there."""
    if job.annotate_dir is None or rec.error:
        return True
    return bool(rec.annotated) and (Path(job.out) / rec.annotated).is_file()
