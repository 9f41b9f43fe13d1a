"""Free the resources of browser sessions that went away (stdlib + a tiny Streamlit hook).

Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` seconds so that a
reconnecting tab finds its state, and after that drops it lazily. :class:`SessionJanitor`
does not wait for garbage collection: a daemon thread checks every few seconds which sessions
are still connected, and once a session has been gone for the TTL it frees that session's
pose model and deletes its temporary files (uploads, annotated videos, CSV/JSON).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_LOG = logging.getLogger(__name__)


class Releasable(Protocol):
    """Anything with a ``release_all()`` that frees a session's resources."""

    def release_all(self) -> None:
        """Free the resources (idempotent)."""


@dataclass
class _Entry:
    ref: weakref.ReferenceType
    inactive_since: float | None = None


class SessionJanitor:
    """Tracks sessions and releases the ones that have been disconnected for ``ttl_s``.

    Args:
        is_active: tells whether a session id is connected now.
        ttl_s: how long a session may stay disconnected before its resources go, in seconds.
        interval_s: how often the background thread sweeps, in seconds.
        clock: a monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        is_active: Callable[[str], bool],
        ttl_s: float = 120.0,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.is_active = is_active
        self.ttl_s = ttl_s
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def register(self, session_id: str, resources: Releasable) -> None:
        """Watch a session (idempotent; a weak reference, so it never keeps the session alive)."""
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry.ref() is not resources:
                self._entries[session_id] = _Entry(weakref.ref(resources))
            else:
                entry.inactive_since = None

    def sweep(self) -> list[str]:
        """Release sessions gone for at least ``ttl_s``; return their ids."""
        now = self._clock()
        due: list[tuple[str, Releasable]] = []
        with self._lock:
            for sid, entry in list(self._entries.items()):
                res = entry.ref()
                if res is None:
                    del self._entries[sid]
                    continue
                if self.is_active(sid):
                    entry.inactive_since = None
                    continue
                if entry.inactive_since is None:
                    entry.inactive_since = now
                if now - entry.inactive_since >= self.ttl_s:
                    del self._entries[sid]
                    due.append((sid, res))
        for sid, res in due:
            try:
                res.release_all()
            except OSError as exc:  # a file that cannot be removed must not stop the sweeps
                _LOG.warning("could not release session %s: %s", sid, exc)
        return [sid for sid, _ in due]

    @property
    def watched(self) -> int:
        """How many sessions are watched."""
        with self._lock:
            return len(self._entries)

    def start(self) -> None:
        """Sweep in a daemon thread every ``interval_s`` seconds (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="formcheck-session-janitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 1)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sweep()
