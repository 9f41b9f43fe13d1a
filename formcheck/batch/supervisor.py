"""Batch worker processes that may die: each is watched, replaced, and its clip retried once.

A worker can die without raising anything: SIGKILL, the kernel's out-of-memory killer, a crash
inside a native library (FFmpeg, MediaPipe). A :class:`ProcessPoolExecutor` then breaks as a
whole and every later clip fails. Here each worker slot owns one process
(:class:`WorkerProcess`), talks to it over a pipe and waits on the pipe *and* the process's
sentinel, so a death is seen at once with its exit status. :func:`run_supervised` starts a
fresh process and retries the clip once; if that process dies too, the clip is recorded as
failed with the cause (``error_kind: "worker_died"``, not cached: a rerun tries it again) and
the slot goes on with the next clip in a fresh process.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

_log = logging.getLogger(__name__)

#: The error kind of a clip whose worker died on every attempt.
WORKER_DIED = "worker_died"
#: Attempts per clip (the first and one retry).
ATTEMPTS = 2
#: Seconds a worker is given to exit after it is asked to.
STOP_TIMEOUT_S = 10.0


class WorkerDiedError(RuntimeError):
    """The worker process ended while it held a job.

    Attributes:
        cause: how it ended, in words (e.g. "killed by signal 9 (SIGKILL)").
        exitcode: its exit code (negative: the signal number).
        pid: its process id.
    """

    def __init__(self, cause: str, exitcode: int | None, pid: int | None) -> None:
        super().__init__(cause)
        self.cause, self.exitcode, self.pid = cause, exitcode, pid


def describe_exit(exitcode: int | None) -> str:
    """A process's exit status in words."""
    if exitcode is None:
        return "ended without an exit status"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = "; e.g. the out-of-memory killer or a user" if -exitcode == signal.SIGKILL else ""
        if -exitcode in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT):
            hint = "; a crash inside native code"
        return f"killed by signal {-exitcode} ({name}{hint})"
    return f"exited with code {exitcode}"


def _worker_main(conn: Connection, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    """The worker process: run ``fn(arg)`` for each ``(fn, arg)`` received until ``None``.

    Ctrl-C in the terminal reaches the whole process group: the worker ignores it and the
    batch process, which handles it, stops the workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent went away
            return
        if msg is None:
            return
        fn, arg = msg
        try:
            conn.send(("ok", fn(arg)))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class WorkerProcess:
    """One spawned worker process and the pipe to it.

    Args:
        ctx: a multiprocessing context (``spawn``).
        initializer: called in the process before its first job.
        initargs: the initializer's arguments.
    """

    def __init__(self, ctx: Any, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_worker_main, args=(child, initializer, initargs), daemon=True,
                                 name="formcheck-batch-worker")
        self._proc.start()
        child.close()

    @property
    def pid(self) -> int | None:
        """The process id."""
        return self._proc.pid

    def run(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        """Run ``fn(arg)`` in the process and return its result.

        Raises:
            WorkerDiedError: the process ended before it answered.
            RuntimeError: ``fn`` raised (its type and message).
        """
        try:
            self._conn.send((fn, arg))
            ready = wait([self._conn, self._proc.sentinel])
            if self._conn in ready:
                status, value = self._conn.recv()
                if status == "ok":
                    return value
                raise RuntimeError(value)
        except (EOFError, OSError, BrokenPipeError):
            pass
        self._proc.join(STOP_TIMEOUT_S)
        raise WorkerDiedError(describe_exit(self._proc.exitcode), self._proc.exitcode, self._proc.pid)

    def close(self, kill: bool = False) -> None:
        """Ask the process to exit (``kill``: kill it now); kill it if it does not exit in time."""
        if kill:
            self._proc.kill()
        else:
            try:
                self._conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        self._proc.join(STOP_TIMEOUT_S)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._conn.close()


@dataclass
class WorkerSlot:
    """A place for one worker process, refilled when it dies.

    Attributes:
        ctx: the multiprocessing context.
        initializer: see :class:`WorkerProcess`.
        initargs: see :class:`WorkerProcess`.
        worker: the current process (started on first use).
        replaced: how many processes died and were replaced.
    """

    ctx: Any
    initializer: Callable[..., None] | None = None
    initargs: tuple = ()
    worker: WorkerProcess | None = None
    replaced: int = 0

    def get(self) -> WorkerProcess:
        """The live worker (a new one if there is none)."""
        if self.worker is None:
            self.worker = WorkerProcess(self.ctx, self.initializer, self.initargs)
        return self.worker

    def discard(self) -> None:
        """Forget a dead worker; the next :meth:`get` starts a new one."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
            self.replaced += 1

    def close(self, kill: bool = False) -> None:
        """Stop the worker (``kill``: at once, abandoning its job)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close(kill=kill)


def run_supervised(
    slot: WorkerSlot,
    fn: Callable[[Any], Any],
    job: Any,
    on_failure: Callable[[Any, str, str], Any],
    name: str = "",
    stopping: Callable[[], bool] | None = None,
) -> Any:
    """``fn(job)`` in the slot's worker; a dead worker is replaced and the job retried once.

    Args:
        slot: the worker slot.
        fn: the (picklable, module-level) function.
        job: its argument.
        on_failure: ``(job, message, error_kind)`` → the result to return when every attempt
            failed (the batch records it and goes on).
        name: the job's name for messages (a clip path).
        stopping: true when the batch is stopping (its workers are killed on purpose): a death
            then returns None instead of retrying.

    Returns:
        ``fn(job)``, ``on_failure(...)``'s value, or None when stopping.
    """
    causes: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        if stopping is not None and stopping():
            return None
        worker = slot.get()
        try:
            return worker.run(fn, job)
        except WorkerDiedError as exc:
            if stopping is not None and stopping():
                return None
            causes.append(exc.cause)
            slot.discard()
            again = "retrying it in a new worker" if attempt < ATTEMPTS else "recording it as failed"
            _log.warning("batch worker %s %s while analysing %s; %s", exc.pid, exc.cause, name or job, again)
        except RuntimeError as exc:  # fn raised: not the worker's death, no retry
            return on_failure(job, f"the worker process failed ({exc}); rerun the batch to retry this clip",
                              "internal")
    message = (f"the worker process died on each of {ATTEMPTS} attempts while analysing this clip "
               f"({'; '.join(dict.fromkeys(causes))}); the other clips were analysed. Check that the clip "
               "opens (formcheck analyze FILE) and the machine's free memory, then rerun the batch to retry it")
    return on_failure(job, message, WORKER_DIED)
