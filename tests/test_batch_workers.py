"""Batch workers that die: a real worker process is killed with SIGKILL while it analyses a clip.

A watcher thread looks through this process's child processes (``/proc``) for one that has the
"poison" clip open and kills it with SIGKILL, once (the retry then succeeds) or every time (the
clip is recorded as failed with the cause). The other clips are scored, and every healthy
clip's record is byte-identical to a serial run's. The same with a Dask ``LocalCluster``
(``allowed-failures=1``: one retry). Linux only (``/proc``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from formcheck.batch.runner import RESULTS_NAME, BatchOptions, dumps, run_batch
from formcheck.batch.supervisor import WORKER_DIED, WorkerProcess, WorkerSlot, describe_exit, run_supervised
from formcheck.media import H264Writer, iter_video_frames
from formcheck.models import MODEL_DIR_ENV

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
SOURCE = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"
POISON = "poison.mp4"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc"),
    pytest.mark.skipif(not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not SOURCE.is_file(),
                       reason=f"needs the lite model in {MODEL_DIR} and {SOURCE}"),
]


@pytest.fixture(autouse=True)
def _model_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(MODEL_DIR))


def _cut(dst: Path, start: float, seconds: float, size: tuple[int, int]) -> None:
    import cv2

    with H264Writer(dst, 10, size, preset="ultrafast") as w:
        next_t = start
        for rgb, t in iter_video_frames(SOURCE):
            if t >= start + seconds:
                break
            if t >= next_t:
                w.write(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
                next_t += 0.1


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 1 s clips and a longer, larger poison clip (the largest: the spawned worker takes it first)."""
    folder = tmp_path_factory.mktemp("workers") / "clips"
    folder.mkdir()
    for i in range(3):
        _cut(folder / f"clip{i}.mp4", 1.0 + i, 1.0, (192, 144))
    _cut(folder / POISON, 0.0, 3.0, (320, 240))
    return folder


def _opts(folder: Path, out: Path, **kw: object) -> BatchOptions:
    return BatchOptions(folder=folder, out=out, model="lite", progress=False, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def serial(clips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each clip's record line from a serial run."""
    out = tmp_path_factory.mktemp("serial")
    mp = pytest.MonkeyPatch()
    mp.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
    try:
        result = run_batch(_opts(clips, out, jobs=1))
    finally:
        mp.undo()
    assert all(r.error is None for r in result.records.values())
    return {rel: dumps(rec) for (rel, _mode), rec in result.records.items()}


# -- the killer ------------------------------------------------------------------------------


def _children(root: int) -> set[int]:
    """Every descendant process of ``root``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _has_open(pid: int, name: str) -> bool:
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd).endswith(f"/{name}"):
                    return True
            except OSError:
                continue
    except OSError:
        pass
    return False


@dataclass
class Killer:
    """Kills child processes that hold ``name`` open, at most ``limit`` times."""

    name: str
    limit: int
    killed: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.is_set() and len(self.killed) < self.limit:
            for pid in _children(me):
                if pid not in self.killed and _has_open(pid, self.name):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append(pid)
                    except ProcessLookupError:
                        pass
            time.sleep(0.01)


@contextmanager
def killing(name: str, limit: int) -> Iterator[Killer]:
    killer = Killer(name, limit)
    thread = threading.Thread(target=killer.run, name="test-killer", daemon=True)
    thread.start()
    try:
        yield killer
    finally:
        killer.stop.set()
        thread.join()


def _check(result, serial: dict[str, str], poison_ok: bool) -> None:
    got = {rel: rec for (rel, _mode), rec in result.records.items()}
    assert set(got) == set(serial) and result.complete
    for rel, line in serial.items():
        if rel != POISON or poison_ok:
            assert dumps(got[rel]) == line, f"{rel} differs from the serial run"
    if not poison_ok:
        rec = got[POISON]
        assert rec.error_kind == WORKER_DIED and rec.frames == 0
        pool_msg = "SIGKILL" in rec.error and "each of 2 attempts" in rec.error
        assert pool_msg or "Dask worker died" in rec.error, rec.error


# -- local pool ------------------------------------------------------------------------------


def test_pool_worker_killed_once_is_replaced_and_the_clip_retried(clips: Path, serial, tmp_path: Path) -> None:
    with killing(POISON, limit=1) as killer:
        result = run_batch(_opts(clips, tmp_path / "out", jobs=2))
    assert len(killer.killed) == 1, "the worker was killed mid-clip"
    _check(result, serial, poison_ok=True)
    lines = sorted((tmp_path / "out" / RESULTS_NAME).read_text(encoding="utf-8").splitlines())
    assert lines == sorted(serial.values()), "results.jsonl is byte-identical to the serial run's"
    workers = {t.get("worker") for t in result.timing["clips"]}
    assert f"{os.uname().nodename}:{killer.killed[0]}" not in workers, "the killed worker finished nothing"
    assert len(workers - {f"{os.uname().nodename}:{os.getpid()}"}) >= 1, "a new worker finished clips"


def test_pool_worker_killed_every_time_records_the_clip_and_finishes_the_rest(
    clips: Path, serial, tmp_path: Path
) -> None:
    with killing(POISON, limit=2) as killer:
        result = run_batch(_opts(clips, tmp_path / "out", jobs=2))
    assert len(killer.killed) == 2, "killed on the first try and on the retry"
    _check(result, serial, poison_ok=False)
    print(f"poison record: {result.records[(POISON, 'auto')].error}")
    rerun = run_batch(_opts(clips, tmp_path / "out", jobs=1))  # worker_died is not cached: retried
    assert rerun.analysed == 1 and dumps(rerun.records[(POISON, "auto")]) == serial[POISON]


# -- Dask ------------------------------------------------------------------------------------


def test_dask_worker_killed_is_restarted_retried_once_then_recorded(clips: Path, serial, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the 'dask' extra is not installed")
    import dask

    # worker-saturation 1.0: each worker holds only the clip it runs (the rest wait at the
    # scheduler), so killing the poisoned clip's worker takes no other clip with it.
    config = {"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(config), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        with killing(POISON, limit=2) as killer:
            result = run_batch(_opts(clips, tmp_path / "out", scheduler=cluster.scheduler_address))
        with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)  # the nannies restarted the killed workers
            alive = len(client.scheduler_info()["workers"])
    assert len(killer.killed) == 2 and alive == 2
    _check(result, serial, poison_ok=False)
    print(f"poison record (Dask): {result.records[(POISON, 'auto')].error}")


# -- the supervisor alone --------------------------------------------------------------------


def _suicide(code: int) -> int:
    if code < 0:
        os.kill(os.getpid(), -code)
    if code > 0:
        os._exit(code)
    return os.getpid()


def _raise(_arg: object) -> None:
    raise ValueError("bad clip")


def test_supervisor_reports_each_way_a_worker_ends() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    slot = WorkerSlot(ctx)
    failures: list[tuple[str, str]] = []

    def on_failure(_job: object, msg: str, kind: str) -> str:
        failures.append((msg, kind))
        return "failed"

    try:
        pid = run_supervised(slot, _suicide, 0, on_failure)
        assert pid == slot.get().pid and run_supervised(slot, _suicide, 0, on_failure) == pid, "one process reused"
        assert run_supervised(slot, _suicide, -signal.SIGKILL, on_failure) == "failed"
        assert failures[-1][1] == WORKER_DIED and "killed by signal 9 (SIGKILL" in failures[-1][0]
        assert slot.replaced == 2 and run_supervised(slot, _suicide, 0, on_failure) != pid, "a new process"
        assert run_supervised(slot, _suicide, 3, on_failure) == "failed" and "exited with code 3" in failures[-1][0]
        assert run_supervised(slot, _raise, None, on_failure) == "failed"
        assert failures[-1][1] == "internal" and "ValueError: bad clip" in failures[-1][0]
        assert slot.replaced == 4, "a raising job does not cost the worker"
    finally:
        slot.close()
    assert describe_exit(-signal.SIGSEGV).endswith("(SIGSEGV; a crash inside native code)")
    assert isinstance(WorkerProcess, type)
