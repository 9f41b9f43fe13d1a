"""The batch progress bar: frames analysed (with frames/s and ETA) and clips done.

Workers report frames as they go (every ``REPORT_EVERY`` frames) through a callback: in the
serial engine it is called directly, in the process pool it puts ``(key, frames)`` on a queue
that a thread here drains. The bar's total is an estimate (container frame counts); when a clip
finishes its estimate is settled, so the bar ends at its total.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from typing import Any

from formcheck.errors import MediaError
from formcheck.media import is_image, probe_video

#: Workers report progress every this many frames.
REPORT_EVERY = 16


def estimate_frames(path: str) -> int:
    """A clip's frame count for the progress bar (1 for a photo or an unreadable file)."""
    if is_image(path):
        return 1
    try:
        return max(1, probe_video(path).frame_count)
    except (MediaError, OSError):
        return 1


class Progress:
    """Thread-safe frames-and-clips progress, shown with tqdm when enabled."""

    def __init__(self, estimates: dict[str, int], clips_total: int, clips_done: int, enabled: bool) -> None:
        """Start the bar.

        Args:
            estimates: cache key → estimated frames, for the clips still to analyse.
            clips_total: every clip job of the batch.
            clips_done: jobs already done (reused from an earlier run).
            enabled: draw the bar (otherwise only count).
        """
        self._lock = threading.Lock()
        self._estimates = estimates
        self._seen: dict[str, int] = defaultdict(int)
        self._done: set[str] = set()
        self.frames = 0
        self.clips_total, self.clips_done = clips_total, clips_done
        self.started = time.perf_counter()
        self._bar: Any = None
        self._queue: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        if enabled and estimates:
            from tqdm import tqdm  # noqa: PLC0415

            self._bar = tqdm(
                total=sum(estimates.values()), unit="frame", unit_scale=True, desc="formcheck batch",
                dynamic_ncols=True, smoothing=0.05,
            )  # fmt: skip
            self._postfix()

    @property
    def fps(self) -> float:
        """Frames analysed per second since the start."""
        return self.frames / max(time.perf_counter() - self.started, 1e-6)

    def add_frames(self, key: str, n: int) -> None:
        """Count ``n`` more frames of the clip with cache key ``key``."""
        with self._lock:
            if key in self._done:
                return  # a late message of a clip already settled
            self._seen[key] += n
            self.frames += n
            if self._bar is not None:
                self._bar.update(n)

    def clip_done(self, key: str, frames: int) -> None:
        """Settle a finished clip: its real frame count replaces the estimate."""
        with self._lock:
            missing = frames - self._seen.get(key, 0)
            self.frames += max(0, missing)
            self.clips_done += 1
            if self._bar is not None:
                est = self._estimates.get(key, 0)
                self._bar.update(max(0, max(est, frames) - self._seen.get(key, 0)))
                if frames > est:
                    self._bar.total += frames - est
                self._postfix()
            self._seen.pop(key, None)
            self._done.add(key)

    def _postfix(self) -> None:
        self._bar.set_postfix_str(f"clips {self.clips_done}/{self.clips_total}", refresh=True)

    def listen(self, q: Any) -> None:
        """Drain ``(key, frames)`` messages from a multiprocessing queue in a thread."""
        self._queue = q
        self._thread = threading.Thread(target=self._drain, name="batch-progress", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                key, n = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            self.add_frames(key, n)

    def close(self) -> None:
        """Stop the drain thread and close the bar."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._bar is not None:
            self._bar.close()
