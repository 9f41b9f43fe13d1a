"""Many people at once: N simulated live sessions through the page's frame path, on this machine's cores.

Each session is the page's own per-session object (``SessionResources``: a ``LiveProcessor``
with its own lite landmarker, behind the live-session cap's gated callback) fed on its own
thread by a simulated 15 fps, 640x480 camera made from a real Tree Pose clip. Like
streamlit-webrtc's ``async_processing``, a session always takes the newest camera frame and
drops the ones that arrived while it was busy, so its frame rate falls and its latency (camera
capture → annotated frame) grows as sessions share the CPU. Measured for N = 1, 2, 4, 8 with
no cap, then N = 4 with the cap at 2: the two over the cap get "busy" frames and load no
model, the two under it run at about the N = 2 rate.

Figures are printed and written to ``test-artifacts/live_load.json``; nothing is asserted on
speed. ``FORMCHECK_LOAD_SECONDS`` sets the seconds per level (default 4; the table in
docs/serving.md is from 6).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.models import MODEL_DIR_ENV
from formcheck.web.capacity import LiveSlots, reset_live_slots

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"
ARTIFACTS = ROOT / "test-artifacts"
SECONDS = float(os.environ.get("FORMCHECK_LOAD_SECONDS", "4"))
CAMERA_FPS = 15
SIZE = (640, 480)
LEVELS = (1, 2, 4, 8)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not TREE_CLIP.is_file(),
                       reason=f"needs the lite model in {MODEL_DIR} and {TREE_CLIP}"),
]


@dataclass
class SessionRun:
    """One session's figures at one level."""

    frames: int = 0
    busy_frames: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / SECONDS


@dataclass
class Level:
    """One row of the table."""

    sessions: int
    cap: int
    fps_each: list[float]
    fps_mean: float
    fps_total: float
    latency_median_ms: float
    latency_p90_ms: float
    busy_sessions: int


def _camera_frames() -> list[av.VideoFrame]:
    import cv2

    from formcheck.media import iter_video_frames

    frames = []
    for rgb, t in iter_video_frames(TREE_CLIP):
        if t >= 1.0 and len(frames) < 45:
            frames.append(av.VideoFrame.from_ndarray(cv2.resize(rgb, SIZE, interpolation=cv2.INTER_AREA),
                                                     format="rgb24"))
    return frames


def _drive(callback, processor, frames: list[av.VideoFrame], start: float, run: SessionRun) -> None:
    """Feed the newest camera frame whenever the previous one is done (``async_processing``)."""
    last = -1
    while True:
        now = time.monotonic()
        if now >= start + SECONDS:
            return
        idx = int((now - start) * CAMERA_FPS)
        if idx == last:
            time.sleep(max(0.0, start + (idx + 1) / CAMERA_FPS - now))
            continue
        before = processor.snapshot().frames
        callback(frames[idx % len(frames)])
        done = time.monotonic()
        if processor.snapshot().frames > before:
            run.frames += 1
            run.latencies_ms.append((done - (start + idx / CAMERA_FPS)) * 1000)
        else:
            run.busy_frames += 1
        last = idx


def _level(sessions: list, frames: list[av.VideoFrame], cap: int) -> Level:
    reset_live_slots(LiveSlots(cap))
    runs = [SessionRun() for _ in sessions]
    start = time.monotonic() + 0.2
    threads = [threading.Thread(target=_drive, args=(s.callback, s.processor, frames, start, r), daemon=True)
               for s, r in zip(sessions, runs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    for s in sessions:
        from formcheck.web.capacity import live_slots

        live_slots().release(s.slot_key)
    served = [r for r in runs if r.frames]
    lat = sorted(x for r in served for x in r.latencies_ms)
    return Level(
        sessions=len(sessions), cap=cap, fps_each=[round(r.fps, 2) for r in runs],
        fps_mean=round(statistics.mean(r.fps for r in served), 2) if served else 0.0,
        fps_total=round(sum(r.fps for r in runs), 2),
        latency_median_ms=round(statistics.median(lat), 1) if lat else float("nan"),
        latency_p90_ms=round(lat[int(0.9 * (len(lat) - 1))], 1) if lat else float("nan"),
        busy_sessions=sum(1 for r in runs if r.busy_frames and not r.frames),
    ), runs


def test_live_sessions_share_the_cpu_and_the_cap_keeps_the_rest_fast(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    from formcheck.engine.specs import load_specs
    from formcheck.web.page import PageSettings, SessionResources

    monkeypatch.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    specs = load_specs()
    frames = _camera_frames()
    settings = PageSettings(exercise="tree_pose", live_model="lite", mirror_view=False)
    sessions = [SessionResources(specs, settings) for _ in range(max(LEVELS))]
    try:
        for s in sessions:
            s.processor.warm_up()
        table: list[Level] = []
        for n in LEVELS:
            for s in sessions:
                s.processor.reset()
            level, runs = _level(sessions[:n], frames, cap=0)
            table.append(level)
            assert all(r.frames > 0 for r in runs), f"N={n}: a session got no frame processed"
        for s in sessions:
            s.processor.reset()
        capped, runs = _level(sessions[:4], frames, cap=2)
        table.append(capped)
        assert [bool(r.frames) for r in runs].count(True) == 2, "two sessions hold the two slots"
        assert capped.busy_sessions == 2, "the two over the cap got only busy frames"
    finally:
        for s in sessions:
            s.release_all()
        reset_live_slots()
    rows = ["| sessions | cap | frames/s each (mean) | frames/s, all sessions | latency median | latency p90 |",
            "| --- | --- | --- | --- | --- | --- |"]
    for lv in table:
        cap = str(lv.cap) if lv.cap else "none"
        busy = f" ({lv.busy_sessions} busy)" if lv.busy_sessions else ""
        rows.append(f"| {lv.sessions}{busy} | {cap} | {lv.fps_mean} | {lv.fps_total} | {lv.latency_median_ms} ms | "
                    f"{lv.latency_p90_ms} ms |")
    print("\n" + "\n".join(rows))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live_load.json").write_text(json.dumps(
        {"seconds_per_level": SECONDS, "camera_fps": CAMERA_FPS, "size": SIZE, "cpus": os.cpu_count(),
         "levels": [asdict(lv) for lv in table]}, indent=2), encoding="utf-8")
    assert np.isfinite(table[0].latency_median_ms)
