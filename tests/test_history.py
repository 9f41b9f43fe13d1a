"""The history database: schema, migration from v1, concurrent writers, delete, kills, bad files, CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from formcheck.coach.recap import FaultStat, MeasureStat, Recap, RecapEntry
from formcheck.history import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, HistoryStore

ROOT = Path(__file__).resolve().parents[1]


def recap(uid: str, started: str = "2026-12-01T10:00:00+00:00", good: float = 20.0) -> Recap:
    entry = RecapEntry(
        exercise="psoas_stretch", exercise_name="Psoas Stretch", side="left", target_s=30.0, good_s=good,
        in_position_s=good + 5, fault_s=5.0, score=91.5, score_note="",
        faults=(FaultStat("knee_not_to_chest", "Knee not drawn to the chest", 2, 5.0, 0.2),),
        measures=(MeasureStat("knee_to_chest", "Knee-to-chest angle", 62.0, "deg"),
                  MeasureStat("back_gap", "Gap", 11.0, "%", 9.0)),
    )
    boat = RecapEntry("boat_pose", "Boat Pose", "", 20.0, 10.0, 12.0, 2.0, 80.0, "")
    return Recap(uid, started, started, "routine", "psoas_release", False, (entry, boat), ("balance",))


def test_schema_round_trip_and_delete(tmp_path):
    store = HistoryStore(tmp_path / "sub" / "history.sqlite3")
    assert store.sessions() == []
    assert store.save(recap("a")) and not store.save(recap("a"))  # the same session twice: once
    store.save(recap("b", "2026-12-02T10:00:00+00:00", good=25.0))
    assert store.schema_version() == SCHEMA_VERSION
    rows = store.sessions()
    assert [r.uid for r in rows] == ["b", "a"] and rows[0].exercises == 2 and rows[0].good_s == 35.0
    entries = store.entries()
    assert [(e.uid, e.exercise) for e in entries][:2] == [("a", "psoas_stretch"), ("a", "boat_pose")]
    assert entries[0].faults == {"knee_not_to_chest": (2, 5.0)}
    assert entries[0].measures == {"knee_to_chest": 62.0, "back_gap": 11.0}
    assert "psoas_stretch,left,30.0,20.0" in store.export_csv()
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert store.delete("a") and not store.delete("a")
    assert store.delete_all() == 1
    assert store.sessions() == [] and store.entries() == []
    with sqlite3.connect(store.path) as con:  # cascades: no orphan rows
        assert con.execute("SELECT count(*) FROM faults").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM measures").fetchone()[0] == 0


def test_migrates_a_v1_file_keeping_its_sessions(tmp_path):
    path = tmp_path / "history.sqlite3"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.executescript(MIGRATIONS[0])
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO sessions (session_uid, started_at, ended_at, mode) VALUES ('old', '2026-01-01', "
                "'2026-01-01', 'single')")
    con.execute("INSERT INTO entries (session_id, exercise, side, good_s, in_position_s, score) "
                "VALUES (1, 'tree_pose', 'left', 12.0, 15.0, 88.0)")
    con.commit()
    con.close()
    store = HistoryStore(path)
    assert store.schema_version() == SCHEMA_VERSION == 2
    assert store.set_aside is None
    assert [r.uid for r in store.sessions()] == ["old"]
    assert store.entries()[0].measures == {}
    store.save(recap("new"))  # v2 tables work
    assert len(store.sessions()) == 2


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "history.sqlite3"
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        store = HistoryStore(path)  # each browser session has its own store object
        try:
            for k in range(25):
                store.save(recap(f"{prefix}{k}"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("x", "y", "z")]
    for t in threads:
        t.start()
    # and another process at the same time
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from tests.test_history import recap; "
            "from formcheck.history import HistoryStore; s = HistoryStore(sys.argv[1]); "
            "[s.save(recap(f'p{k}')) for k in range(25)]")
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    for t in threads:
        t.join()
    assert proc.returncode == 0, proc.stderr
    assert not errors, errors
    uids = {r.uid for r in HistoryStore(path).sessions()}
    assert uids == {f"{p}{k}" for p in "xyzp" for k in range(25)}


SLOW_WRITER = """
import sys, time
sys.path.insert(0, sys.argv[2])
from tests.test_history import recap
from formcheck.history import HistoryStore
store = HistoryStore(sys.argv[1])
store.save(recap("before"))
# Write a session whose transaction stays open: print READY inside it and sleep.
with store.connect() as con:
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO sessions (session_uid, started_at, ended_at, mode) VALUES ('half', 'x', 'x', 'single')")
    con.execute("INSERT INTO entries (session_id, exercise, side, good_s, in_position_s) VALUES "
                "(last_insert_rowid(), 'tree_pose', 'left', 1, 1)")
    print("READY", flush=True)
    time.sleep(60)
"""


def test_a_kill_during_a_write_loses_only_that_session(tmp_path):
    path = tmp_path / "history.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(path), str(ROOT)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = HistoryStore(path)
    assert [r.uid for r in store.sessions()] == ["before"]
    assert store.set_aside is None
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM entries").fetchone()[0] == 2  # only "before"'s two
    store.save(recap("after"))
    assert {r.uid for r in store.sessions()} == {"before", "after"}


@pytest.mark.parametrize("kind", ["garbage", "foreign", "newer"])
def test_a_bad_file_is_set_aside_and_a_new_history_started(tmp_path, kind, caplog):
    path = tmp_path / "history.sqlite3"
    if kind == "garbage":
        path.write_bytes(b"this is not a database\x00" * 100)
    else:
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE notes (text TEXT)")
        if kind == "newer":
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        con.commit()
        con.close()
    before = path.read_bytes()
    store = HistoryStore(path)
    with caplog.at_level("ERROR", logger="formcheck.history"):
        assert store.save(recap("fresh"))
    assert store.set_aside is not None and store.set_aside.name.startswith("history.sqlite3.bad-")
    assert store.set_aside.read_bytes() == before  # nothing of the user's file is lost
    assert [r.uid for r in store.sessions()] == ["fresh"]
    assert "set aside" in caplog.text


def test_history_command_lists_exports_and_deletes(tmp_path, capsys, monkeypatch):
    from formcheck.cli import main

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.save(recap("s1"))
    assert main(["history", "list"]) == 0
    out = capsys.readouterr().out
    assert "s1" in out and "psoas_release" in out
    out_csv = tmp_path / "h.csv"
    assert main(["history", "export", str(out_csv)]) == 0
    assert "psoas_stretch,left" in out_csv.read_text()
    assert main(["history", "delete"]) == 2  # needs --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["history", "delete", "--yes"]) == 0
    assert store.sessions() == []
