"""The history database (issue #13 point 6): killed writers, damaged and foreign files.

Complements ``tests/test_history.py`` (coach issue) from the hostile side: a writer process
running real ``HistoryStore.save`` calls is SIGKILLed at random moments, five times over one
file; files are damaged in their pages, truncated, left with stale ``-wal``/``-shm`` files. The
rule: a kill loses at most the session being written, and every session kept is whole; a bad
file is set aside byte for byte (with its ``-wal``/``-shm``), a clear error is logged, a new
history starts, and nothing else in the folder is touched.

Skipped until ``formcheck.history`` (branch ``coach``) is merged.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

history = pytest.importorskip("formcheck.history", reason="formcheck.history comes with the coach issue (#14)")
recap_mod = pytest.importorskip("formcheck.coach.recap")

HistoryStore = history.HistoryStore
APPLICATION_ID = history.APPLICATION_ID
ENTRIES_PER_SESSION = 2

WRITER = r"""
import sys
from formcheck.coach.recap import FaultStat, MeasureStat, Recap, RecapEntry
from formcheck.history import HistoryStore

def recap(uid):
    entry = RecapEntry(
        exercise="psoas_stretch", exercise_name="Psoas Stretch", side="left", target_s=30.0, good_s=20.0,
        in_position_s=25.0, fault_s=5.0, score=91.5, score_note="",
        faults=(FaultStat("knee_not_to_chest", "Knee not drawn to the chest", 2, 5.0, 0.2),),
        measures=(MeasureStat("knee_to_chest", "Knee-to-chest angle", 62.0, "deg"),),
    )
    boat = RecapEntry("boat_pose", "Boat Pose", "", 20.0, 10.0, 12.0, 2.0, 80.0, "")
    return Recap(uid, "2026-12-01T10:00:00+00:00", "2026-12-01T10:05:00+00:00", "routine", "psoas_release",
                 False, (entry, boat), ("balance",))

store = HistoryStore(sys.argv[1])
prefix = sys.argv[2]
print("READY", flush=True)
i = 0
while True:
    uid = f"{prefix}-{i}"
    store.save(recap(uid))
    print(uid, flush=True)  # acknowledged: save() returned
    i += 1
"""


def _recap(uid: str):
    r = recap_mod
    entry = r.RecapEntry(
        exercise="tree_pose", exercise_name="Tree Pose", side="right", target_s=30.0, good_s=12.0,
        in_position_s=15.0, fault_s=3.0, score=88.0, score_note="",
        faults=(r.FaultStat("hip_hiked", "Hip hiked", 1, 3.0, 0.2),),
        measures=(r.MeasureStat("foot_height", "Foot height", 40.0, "%"),),
    )
    boat = r.RecapEntry("boat_pose", "Boat Pose", "", 20.0, 10.0, 12.0, 2.0, 80.0, "")
    return r.Recap(uid, "2026-12-02T09:00:00+00:00", "2026-12-02T09:05:00+00:00", "routine", "psoas_release",
                   False, (entry, boat), ())


def _whole(path: Path) -> dict[str, int]:
    """Session uid → its entry count, after an integrity check."""
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = con.execute("SELECT s.session_uid, count(e.id) FROM sessions s LEFT JOIN entries e "
                           "ON e.session_id = s.id GROUP BY s.id").fetchall()
    return dict(rows)


def _run_writer(path: Path, prefix: str, kill_after_s: float) -> list[str]:
    """Start a writer, let it save sessions for ``kill_after_s``, SIGKILL it; return the acknowledged uids."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), prefix], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        time.sleep(kill_after_s)
        os.kill(proc.pid, signal.SIGKILL)
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return [line for line in out.splitlines() if line.startswith(prefix)]


def test_writers_killed_mid_save_lose_at_most_the_session_being_written(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    rng = random.Random(13)
    acknowledged: list[str] = []
    in_flight: set[str] = set()  # the session each writer was saving when killed: kept or not
    for round_ in range(5):
        acked = _run_writer(path, f"r{round_}", rng.uniform(0.3, 1.2))
        acknowledged += acked
        in_flight.add(f"r{round_}-{len(acked)}")
        kept = _whole(path)
        store = HistoryStore(path)
        assert {r.uid for r in store.sessions()} == set(kept)
        assert store.set_aside is None, "a killed write is not a damaged file"
        missing = set(acknowledged) - set(kept)
        assert not missing, f"acknowledged sessions lost: {sorted(missing)[:5]}"
        extra = set(kept) - set(acknowledged)
        assert extra <= in_flight, f"sessions nobody was writing: {extra - in_flight}"
        assert all(n == ENTRIES_PER_SESSION for n in kept.values()), "a half-written session was kept"
    assert len(acknowledged) >= 5, "the writer saved sessions before each kill"
    print(f"\n5 kills: {len(acknowledged)} sessions acknowledged, all kept; "
          f"{len(set(_whole(path)) & in_flight)} of the 5 in flight were committed whole, the rest not at all")
    store = HistoryStore(path)
    assert store.save(_recap("after-the-kills")) and "after-the-kills" in {r.uid for r in store.sessions()}


def _history_with_sessions(path: Path, n: int = 40) -> None:
    store = HistoryStore(path)
    for i in range(n):
        store.save(_recap(f"s{i}"))
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data), 3 * page):  # every third page from the third on
        data[start + 100 : start + 1100] = os.urandom(1000)
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 123])


def _foreign_with_wal(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("CREATE TABLE invoices (n INTEGER)")
    con.executemany("INSERT INTO invoices VALUES (?)", [(i,) for i in range(100)])
    con.commit()
    # Keep -wal and -shm on disk: copy them while the connection is open.
    wal, shm = (path.with_name(path.name + s) for s in ("-wal", "-shm"))
    saved = {p: p.read_bytes() for p in (path, wal, shm) if p.exists()}
    con.close()
    for p, data in saved.items():
        p.write_bytes(data)


@pytest.mark.parametrize("damage", [_damage_pages, _truncate], ids=["damaged pages", "truncated"])
def test_a_damaged_history_is_set_aside_whole_and_a_new_one_started(
    tmp_path: Path, damage, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.sqlite3"
    _history_with_sessions(path)
    damage(path)
    (tmp_path / "notes.txt").write_text("the user's own file")
    before = path.read_bytes()
    store = HistoryStore(path)
    with caplog.at_level(logging.ERROR, logger="formcheck.history"):
        assert store.save(_recap("fresh"))
    assert store.set_aside is not None and store.set_aside.read_bytes() == before
    assert str(path) in caplog.text and "set aside" in caplog.text and str(store.set_aside) in caplog.text
    assert [r.uid for r in store.sessions()] == ["fresh"]
    assert _whole(path) == {"fresh": ENTRIES_PER_SESSION}
    assert (tmp_path / "notes.txt").read_text() == "the user's own file"


def test_a_foreign_database_is_set_aside_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _foreign_with_wal(path)
    assert path.with_name("history.sqlite3-wal").exists(), "the foreign database has a -wal file"
    store = HistoryStore(path)
    assert store.save(_recap("fresh"))
    aside = store.set_aside
    assert aside is not None and aside.name.startswith("history.sqlite3.bad-")
    with sqlite3.connect(f"file:{aside}?mode=ro", uri=True) as con:  # the other program's rows are all there
        assert con.execute("SELECT count(*) FROM invoices").fetchone()[0] == 100
    assert [r.uid for r in store.sessions()] == ["fresh"]


def test_a_foreign_database_is_set_aside_byte_for_byte_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _foreign_with_wal(path)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    store = HistoryStore(path)
    assert store.save(_recap("fresh"))
    aside = store.set_aside
    assert aside is not None
    assert aside.read_bytes() == files["history.sqlite3"]
    assert aside.with_name(aside.name + "-wal").read_bytes() == files["history.sqlite3-wal"]


def test_an_empty_file_and_an_earlier_set_aside_file_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    earlier = tmp_path / "history.sqlite3.bad-20260101T000000000000Z"
    earlier.write_bytes(b"an earlier bad file")
    path.write_bytes(b"")
    store = HistoryStore(path)
    assert store.save(_recap("first"))
    assert store.set_aside is None, "an empty file is a new history, not a bad one"
    assert earlier.read_bytes() == b"an earlier bad file"
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
