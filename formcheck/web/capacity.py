"""A cap on concurrent live sessions: the one over the cap is told "busy" instead of slowing everyone.

Each live session runs its own pose landmarker on the server's CPU; on a small machine every
extra stream divides the frame rate of all the others (see ``docs/serving.md``). A session
holds a slot while frames of its stream arrive. When every slot is held, a new session's page
says the page is busy and its frames come back unprocessed with a "busy" banner (no model is
loaded for it). A slot is given up when the stream stops, when the session ends, or when no
frame has arrived for ``idle_s`` (a tab that was killed sends nothing more).

``FORMCHECK_MAX_LIVE_SESSIONS`` sets the cap (0: no cap).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

CAP_ENV = "FORMCHECK_MAX_LIVE_SESSIONS"
#: Default cap: on a 2-core machine two live sessions keep ~5 frames/s each with the lite model.
DEFAULT_CAP = 2
#: A slot whose stream sent no frame for this long is free again (a killed tab).
IDLE_S = 5.0
BUSY_TEXT = "Busy: {n} live session(s) in use, the limit of this server. Try again in a few minutes."


class CapacityError(ValueError):
    """The cap setting is not understood."""


def cap_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The cap from ``FORMCHECK_MAX_LIVE_SESSIONS`` (default :data:`DEFAULT_CAP`; 0: none).

    Raises:
        CapacityError: not a whole number >= 0.
    """
    env = os.environ if environ is None else environ
    raw = env.get(CAP_ENV, "").strip()
    if not raw:
        return DEFAULT_CAP
    try:
        value = int(raw)
    except ValueError:
        raise CapacityError(f"{CAP_ENV}={raw!r}: expected a whole number of sessions, e.g. 2 (0: no limit)") from None
    if value < 0:
        raise CapacityError(f"{CAP_ENV}={raw!r}: must be 0 (no limit) or more")
    return value


class LiveSlots:
    """Thread-safe slots for live sessions, held by key (a session id).

    Args:
        cap: most sessions at once (0: unlimited).
        idle_s: a holder without a frame for this long loses its slot to a newcomer.
        clock: monotonic seconds (tests pass a fake).
    """

    def __init__(self, cap: int, idle_s: float = IDLE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.cap, self.idle_s, self._clock = cap, idle_s, clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _purge(self, now: float) -> None:
        for key in [k for k, t in self._seen.items() if now - t > self.idle_s]:
            del self._seen[key]

    def acquire(self, key: str) -> bool:
        """Hold (or keep holding) a slot for ``key``; False when every slot is held by others."""
        now = self._clock()
        with self._lock:
            if key in self._seen or not self.cap:
                self._seen[key] = now
                return True
            self._purge(now)
            if len(self._seen) >= self.cap:
                return False
            self._seen[key] = now
            return True

    def release(self, key: str) -> None:
        """Give up ``key``'s slot (no-op when it holds none)."""
        with self._lock:
            self._seen.pop(key, None)

    def holds(self, key: str) -> bool:
        """Whether ``key`` holds a slot now."""
        with self._lock:
            self._purge(self._clock())
            return key in self._seen

    def in_use(self) -> int:
        """Slots held now."""
        with self._lock:
            self._purge(self._clock())
            return len(self._seen)

    def full_for(self, key: str) -> bool:
        """Whether a newcomer ``key`` would be refused now."""
        with self._lock:
            self._purge(self._clock())
            return bool(self.cap) and key not in self._seen and len(self._seen) >= self.cap


_SLOTS: LiveSlots | None = None
_SLOTS_LOCK = threading.Lock()


def live_slots() -> LiveSlots:
    """The server's slots (one set per process), created on first use from the environment."""
    global _SLOTS  # noqa: PLW0603 - one per server process
    with _SLOTS_LOCK:
        if _SLOTS is None:
            _SLOTS = LiveSlots(cap_from_env())
        return _SLOTS


def reset_live_slots(slots: LiveSlots | None = None) -> None:
    """Replace the server's slots (tests; ``None``: re-read the environment on next use)."""
    global _SLOTS  # noqa: PLW0603
    with _SLOTS_LOCK:
        _SLOTS = slots


def busy_frame(rgb: np.ndarray, text: str) -> np.ndarray:
    """The camera frame darkened, with ``text`` written across it (what a session over the cap sees)."""
    out = (rgb.astype(np.uint16) * 2 // 5).astype(np.uint8)
    h, w = out.shape[:2]
    scale = max(0.35, w / 1100)
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > w - 20 and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    step = int(34 * scale / 0.6) + 4
    y = max(step, h // 2 - step * len(lines) // 2)
    for ln in lines:
        cv2.putText(out, ln, (10, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 190, 60), max(1, int(scale * 2)),
                    cv2.LINE_AA)
        y += step
    return out


def gated_callback(
    callback: Callable[[Any], Any], key: str, slots: Callable[[], LiveSlots] = live_slots
) -> Callable[[Any], Any]:
    """Wrap a ``video_frame_callback``: frames of a session without a slot come back as :func:`busy_frame`."""
    import av  # noqa: PLC0415 - PyAV is only needed by the live page

    def gated(frame: Any) -> Any:
        s = slots()
        if s.acquire(key):
            return callback(frame)
        out = busy_frame(frame.to_ndarray(format="rgb24"), BUSY_TEXT.format(n=s.cap))
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    return gated
