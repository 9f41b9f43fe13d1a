"""Small thread helpers that overlap decoding, the engine and encoding with inference (stdlib).

PyAV's decoder and encoder and OpenCV release the GIL, so a decode thread and an encode
thread run beside MediaPipe's inference, decoding on as few threads as leave it its core
(:func:`decode_threads_beside_inference`); inference itself runs one frame ahead of the
engine (:func:`work_ahead`). At most a few items are in flight between two threads: memory
does not grow with the clip's length, and a slow consumer slows the producer instead of
piling frames up. On two cores the decode and encode threads keep to one of them
(:func:`leave_inference_a_core`), so MediaPipe's graph threads always find the other free.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def decode_threads_beside_inference() -> int:
    """Video decoder threads for decoding beside pose inference (``iter_video_frames(threads=)``).

    MediaPipe's inference keeps one core busy. On two cores or fewer FFmpeg's frame threads
    (one per core, plus one) would take that core: one decoder thread (1). With more cores,
    FFmpeg's frame threads (0).
    """
    return 1 if usable_cores() <= 2 else 0


def leave_inference_a_core() -> bool:
    """Keep the calling thread to the last of exactly two usable cores (Linux), leaving inference the other.

    For the helper threads beside pose inference (decoding; drawing and encoding the annotated
    video). MediaPipe's graph threads hand each frame's work between them, and each waits
    whenever both cores run helpers; kept to one core, the helpers leave the other free for
    them. Threads it starts afterwards (FFmpeg's decoder threads) inherit the setting. Unlike
    a lower priority this never starves a helper when other programs keep the cores busy: it
    still gets its share of its core. With one core there is nothing to leave, and with three
    or more the helpers have cores of their own: nothing is changed.

    Returns:
        Whether the thread was moved.
    """
    if not hasattr(os, "sched_setaffinity"):
        return False
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) != 2:
        return False
    try:
        os.sched_setaffinity(0, {cores[-1]})  # 0: this thread
    except OSError:  # a sandbox that forbids it: run anywhere
        return False
    return True


_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterator[T], size: int = 8, beside_inference: bool = False) -> Iterator[T]:
    """Iterate ``items`` in a background thread, ``size`` items ahead.

    Exceptions raised by the producer are re-raised in the consumer at the same point. If the
    consumer stops early, the producer stops at its next item. ``beside_inference``: the thread
    works beside pose inference (:func:`leave_inference_a_core`).
    """
    q: queue.Queue[object] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def run() -> None:
        if beside_inference:
            leave_inference_a_core()
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and re-raised there
            q.put(_Failure(exc))

    worker = threading.Thread(target=run, name="formcheck-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()


class BackgroundSink(Generic[T]):
    """Feed items to ``consume`` in a background thread; ``close`` waits and re-raises errors.

    ``beside_inference``: the thread works beside pose inference (:func:`leave_inference_a_core`).
    """

    def __init__(self, consume: Callable[[T], None], size: int = 8, beside_inference: bool = False) -> None:
        self._consume = consume
        self._beside_inference = beside_inference
        self._q: queue.Queue[object] = queue.Queue(maxsize=size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="formcheck-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._beside_inference:
            leave_inference_a_core()
        while True:
            item = self._q.get()
            if item is _DONE:
                return
            if self._error is None:
                try:
                    self._consume(item)  # type: ignore[arg-type]
                except BaseException as exc:  # noqa: BLE001 - re-raised by put/close
                    self._error = exc

    def put(self, item: T) -> None:
        """Queue one item (blocks while the queue is full); raises the consumer's error."""
        if self._error is not None:
            raise self._error
        self._q.put(item)

    def close(self) -> None:
        """Wait for every queued item to be consumed; raise the consumer's error if any."""
        self._q.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error


H = TypeVar("H")
R = TypeVar("R")


def work_ahead(
    items: Iterator[T], work: Callable[[T, H], R], hint: Callable[[], H], ahead: int = 1
) -> Generator[tuple[T, R], None, None]:
    """Yield ``(item, work(item, hint))`` with ``work`` done in a background thread, ``ahead`` items early.

    While the consumer handles item k, the thread already works on item k + ``ahead``. Items
    are taken from ``items`` in the consumer's thread. Work that depends on the consumer's
    state gets it through ``hint``, read in the consumer's thread: item k's hint is the value
    read once the consumer finished item k - 1 - ``ahead`` (the first ``ahead`` + 1 items get
    the value read at the start). So what ``work`` is given never depends on thread timing, and
    the results are those of a run that passes the same hints one after another.

    Exceptions raised by ``work`` or ``items`` are re-raised in the consumer at that item. When
    the consumer stops early (or closes this generator), the thread finishes the item it is on
    and is joined before this returns, so ``items`` and whatever ``work`` uses can be closed
    right after.
    """
    todo: queue.Queue[object] = queue.Queue()
    done: queue.Queue[object] = queue.Queue()

    def run() -> None:
        while (job := todo.get()) is not _DONE:
            if isinstance(job, _Failure):  # the item could not be taken: pass it on in order
                done.put(job)
                return
            item, given = job  # type: ignore[misc]
            try:
                done.put((item, work(item, given)))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer and re-raised there
                done.put(_Failure(exc))
                return
        done.put(_DONE)

    def submit(given: object) -> None:
        try:
            item = next(items, _DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised at this item, in order
            todo.put(_Failure(exc))
            return
        todo.put(item if item is _DONE else (item, given))

    worker = threading.Thread(target=run, name="formcheck-ahead", daemon=True)
    worker.start()
    try:
        start = hint()
        for _ in range(ahead + 1):
            submit(start)
        while (got := done.get()) is not _DONE:
            if isinstance(got, _Failure):
                raise got.exc
            yield got  # type: ignore[misc]
            submit(hint())
    finally:
        todo.put(_DONE)
        worker.join()
