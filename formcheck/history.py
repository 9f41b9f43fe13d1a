"""Session history on the user's machine: SQLite (stdlib), WAL, a versioned schema with migrations.

One file (``<data dir>/history.sqlite3``, see :mod:`formcheck.userdata`). Each session is
written in one transaction, so a process killed while writing loses at most that session;
WAL and a busy timeout let two browser sessions (or two processes) write at once without
losing either. A file that is not a formcheck history (garbage, another program's database,
a newer schema) is set aside (renamed ``history.sqlite3.bad-<UTC time>``) and a new history
started; :attr:`HistoryStore.set_aside` says where the old file went.

Schema (``PRAGMA user_version`` is the version; ``application_id`` marks the file as ours):

- v1: ``sessions`` (one row a session), ``entries`` (one per exercise and side),
  ``faults`` (one per entry and fault).
- v2: ``measures`` (one per entry and key measure), ``sessions.app_version``, an index on
  ``entries(exercise, side)``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from formcheck.coach.recap import Recap
from formcheck.errors import FormcheckError

_LOG = logging.getLogger(__name__)
#: ``PRAGMA application_id`` of a formcheck history ("FCH1").
APPLICATION_ID = 0x46434831
BUSY_TIMEOUT_S = 30.0

MIGRATIONS: tuple[str, ...] = (
    # v1
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        session_uid TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        mode TEXT NOT NULL,
        routine TEXT,
        completed INTEGER NOT NULL DEFAULT 0,
        balance TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        exercise TEXT NOT NULL,
        side TEXT NOT NULL,
        target_s REAL,
        good_s REAL NOT NULL,
        in_position_s REAL NOT NULL,
        score REAL,
        score_note TEXT NOT NULL DEFAULT '',
        rounds INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE faults (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        fault TEXT NOT NULL,
        times INTEGER NOT NULL,
        total_s REAL NOT NULL,
        PRIMARY KEY (entry_id, fault)
    );
    """,
    # v2
    """
    CREATE TABLE measures (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        measure TEXT NOT NULL,
        value REAL NOT NULL,
        baseline REAL,
        PRIMARY KEY (entry_id, measure)
    );
    ALTER TABLE sessions ADD COLUMN app_version TEXT;
    CREATE INDEX entries_exercise_side ON entries (exercise, side);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(FormcheckError):
    """The history cannot be used (e.g. its folder is not writable)."""


@dataclass(frozen=True)
class SessionRow:
    """One saved session (for lists).

    Attributes:
        uid: the session's id.
        started_at: ISO 8601 UTC start.
        ended_at: ISO 8601 UTC end.
        mode: "routine" or "single".
        routine: the routine id, if any.
        completed: the routine was completed.
        exercises: how many exercise/side entries.
        good_s: total good-form hold, in seconds.
    """

    uid: str
    started_at: str
    ended_at: str
    mode: str
    routine: str | None
    completed: bool
    exercises: int
    good_s: float


@dataclass(frozen=True)
class EntryRow:
    """One exercise and side of a saved session, flat (for trends and CSV).

    Attributes:
        uid: the session id.
        started_at: ISO 8601 UTC start of the session.
        exercise: the exercise id.
        side: "left", "right" or "".
        target_s: the hold target, if any.
        good_s: good-form hold, in seconds.
        in_position_s: time in position, in seconds.
        score: the form score, if judged.
        faults: fault id → (times, total seconds).
        measures: measure id → value.
    """

    uid: str
    started_at: str
    exercise: str
    side: str
    target_s: float | None
    good_s: float
    in_position_s: float
    score: float | None
    faults: dict[str, tuple[int, float]]
    measures: dict[str, float]


class HistoryStore:
    """The history file. Every call opens its own short connection (safe across threads and processes).

    Args:
        path: the SQLite file (created with its folder on first use).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.set_aside: Path | None = None
        self._ready = False
        self._lock = threading.Lock()

    # -- opening -----------------------------------------------------------------------------

    def _raw_connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
        return con

    def _set_aside(self, why: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                os.replace(side, target.with_name(target.name + suffix))
        self.set_aside = target
        _LOG.error("history file %s %s; set aside as %s and a new history started", self.path, why, target)

    def _check_read_only(self) -> str:
        """:meth:`_check` on a read-only connection, so a foreign file is set aside byte for byte
        (a read-write one would fold its ``-wal`` into it). '' when that connection cannot be
        made (a WAL file without its shared memory yet): the read-write check decides."""
        try:
            ro = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        except sqlite3.OperationalError:
            return ""
        try:
            return self._check(ro)
        except sqlite3.OperationalError:
            return ""
        finally:
            ro.close()

    def _check(self, con: sqlite3.Connection) -> str:
        """'' when the file is a formcheck history (or empty), else why not (read in one transaction)."""
        con.execute("BEGIN")
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            con.execute("COMMIT")
        if app_id == 0 and version == 0 and tables == 0:
            return ""
        if app_id != APPLICATION_ID:
            return "is not a formcheck history (another program's database)"
        if version > SCHEMA_VERSION:
            return f"has schema version {version}, newer than this formcheck's {SCHEMA_VERSION}"
        ok = con.execute("PRAGMA quick_check").fetchone()[0]
        return "" if ok == "ok" else f"is damaged ({ok})"

    def _migrate(self, con: sqlite3.Connection) -> None:
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for v in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[v].split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute(f"PRAGMA user_version = {v + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _prepare(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the history folder {self.path.parent} ({exc.strerror}); set "
                               "FORMCHECK_DATA_DIR to a writable folder or switch history off") from exc
        for attempt in range(2):
            why = ""
            try:
                why = self._check_read_only() if self.path.exists() else ""
                if not why:
                    con = self._raw_connect()
                    try:
                        why = self._check(con)  # again, in a transaction of its own: another writer may
                        if not why:             # have created the file since
                            con.execute("PRAGMA journal_mode = WAL")
                            self._migrate(con)
                            return
                    finally:
                        con.close()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise HistoryError(f"the history {self.path} is busy: {exc}") from exc
                why = f"is not a readable SQLite database ({exc})"
            if attempt == 0:
                self._set_aside(why)
        raise HistoryError(f"cannot start a new history at {self.path}")

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """An open connection to a ready (checked, migrated) history."""
        with self._lock:
            if not self._ready:
                self._prepare()
                self._ready = True
        con = self._raw_connect()
        try:
            con.execute("PRAGMA synchronous = FULL")
            yield con
        finally:
            con.close()

    def schema_version(self) -> int:
        """The file's schema version."""
        with self.connect() as con:
            return con.execute("PRAGMA user_version").fetchone()[0]

    # -- writing -----------------------------------------------------------------------------

    def save(self, recap: Recap, app_version: str = "") -> bool:
        """Save a session in one transaction.

        Returns:
            False when a session with this id is already saved (nothing written).
        """
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                cur = con.execute(
                    "INSERT OR IGNORE INTO sessions (session_uid, started_at, ended_at, mode, routine, completed, "
                    "balance, app_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (recap.session_id, recap.started_at, recap.ended_at, recap.mode, recap.routine,
                     int(recap.completed), "\n".join(recap.balance), app_version),
                )
                if cur.rowcount == 0:
                    con.execute("ROLLBACK")
                    return False
                sid = cur.lastrowid
                for e in recap.entries:
                    eid = con.execute(
                        "INSERT INTO entries (session_id, exercise, side, target_s, good_s, in_position_s, score, "
                        "score_note, rounds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (sid, e.exercise, e.side, e.target_s, e.good_s, e.in_position_s, e.score, e.score_note,
                         e.rounds),
                    ).lastrowid
                    con.executemany("INSERT INTO faults (entry_id, fault, times, total_s) VALUES (?, ?, ?, ?)",
                                    [(eid, f.fault, f.times, f.total_s) for f in e.faults])
                    con.executemany("INSERT INTO measures (entry_id, measure, value, baseline) VALUES (?, ?, ?, ?)",
                                    [(eid, m.id, m.value, m.baseline) for m in e.measures])
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                raise
        return True

    def delete_all(self) -> int:
        """Delete every session; return how many were deleted."""
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            n = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
            con.execute("DELETE FROM sessions")
            con.execute("COMMIT")
            con.execute("VACUUM")
        return n

    def delete(self, uid: str) -> bool:
        """Delete one session by id; False when there is none."""
        with self.connect() as con:
            return con.execute("DELETE FROM sessions WHERE session_uid = ?", (uid,)).rowcount > 0

    # -- reading -----------------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        """Every session, newest first."""
        with self.connect() as con:
            rows = con.execute(
                "SELECT s.session_uid, s.started_at, s.ended_at, s.mode, s.routine, s.completed, count(e.id), "
                "coalesce(sum(e.good_s), 0) FROM sessions s LEFT JOIN entries e ON e.session_id = s.id "
                "GROUP BY s.id ORDER BY s.started_at DESC, s.id DESC"
            ).fetchall()
        return [SessionRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], float(r[7])) for r in rows]

    def entries(self) -> list[EntryRow]:
        """Every exercise/side entry of every session, oldest first."""
        with self.connect() as con:
            rows = con.execute(
                "SELECT e.id, s.session_uid, s.started_at, e.exercise, e.side, e.target_s, e.good_s, "
                "e.in_position_s, e.score FROM entries e JOIN sessions s ON s.id = e.session_id "
                "ORDER BY s.started_at, s.id, e.id"
            ).fetchall()
            faults: dict[int, dict[str, tuple[int, float]]] = {}
            for eid, fault, times, total in con.execute("SELECT entry_id, fault, times, total_s FROM faults"):
                faults.setdefault(eid, {})[fault] = (times, total)
            measures: dict[int, dict[str, float]] = {}
            for eid, mid, value in con.execute("SELECT entry_id, measure, value FROM measures"):
                measures.setdefault(eid, {})[mid] = value
        return [EntryRow(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], faults.get(r[0], {}),
                         measures.get(r[0], {})) for r in rows]

    def export_csv(self) -> str:
        """Every entry as CSV: one row per session, exercise and side."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["session_id", "started_at", "exercise", "side", "target_s", "good_form_s", "in_position_s",
                    "score", "faults", "measures"])
        for e in self.entries():
            w.writerow([e.uid, e.started_at, e.exercise, e.side, "" if e.target_s is None else e.target_s,
                        f"{e.good_s:.1f}", f"{e.in_position_s:.1f}", "" if e.score is None else f"{e.score:.1f}",
                        "; ".join(f"{k} x{t} {s:.1f}s" for k, (t, s) in e.faults.items()),
                        "; ".join(f"{k}={v:.4g}" for k, v in e.measures.items())])
        return buf.getvalue()


def default_store() -> HistoryStore | None:
    """The user's history, or None when it is switched off (``FORMCHECK_HISTORY=off``)."""
    from formcheck.userdata import history_enabled, history_path  # noqa: PLC0415

    return HistoryStore(history_path()) if history_enabled() else None
