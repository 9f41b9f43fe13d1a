"""Real browsers on one server: two live sessions at once, the cap, and tabs killed mid-stream.

``streamlit run app.py`` on 127.0.0.1 with ``FORMCHECK_MAX_LIVE_SESSIONS=2`` and
``server.disconnectedSessionTTL=2``; headless Chromium's fake camera plays a 10 fps, 320x240
Tree Pose clip (see ``test_browser_page.py``).

* Two tabs stream at once: each one's FPS and latency, as the page shows them, are printed.
  A third tab is told the page is busy.
* Connect/kill cycles: a tab starts the camera, frames come back, and its renderer process is
  killed with SIGKILL (no unload, no WebRTC goodbye, as when a browser is killed). After the cycles and the
  session TTL, the server's memory (RSS) must be back within 10 % of its level after one
  warm-up cycle, and its thread count at that level. ``FORMCHECK_KILL_CYCLES`` (default 5;
  docs/serving.md reports 20).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_util import write_y4m
from streamlit_server import free_port, running, streamlit_cmd
from test_browser_page import (
    ARTIFACTS,
    CHROMIUM,
    FPS,
    MODEL_DIR,
    TREE_CLIP,
    VIDEO_READY,
    WEBRTC_IFRAME,
    _tree_frames,
)

from formcheck.models import MODEL_DIR_ENV
from formcheck.web.capacity import CAP_ENV

#: 5 in the suite (~1.5 min on 2 busy cores); the 20-cycle figures in docs/serving.md are
#: from FORMCHECK_KILL_CYCLES=20.
CYCLES = int(os.environ.get("FORMCHECK_KILL_CYCLES", "5"))
TTL_S = 2
#: Seconds waited after the TTL before memory is read (the janitor sweeps every 0.5 s here).
SETTLE_S = float(os.environ.get("FORMCHECK_KILL_SETTLE_S", "4"))
SETTLE_MAX_S = 60.0
#: Threads the server may have added after the cycles (pool threads kept for reuse), fewer than
#: the default 5 cycles.
THREAD_SLACK = 4
#: The thread count must stay the same this long to count as settled.
STEADY_S = 6.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.realdata,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs headless Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not TREE_CLIP.is_file(),
                       reason=f"needs the lite model in {MODEL_DIR} and {TREE_CLIP}"),
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def threads(pid: int) -> int:
    """The process's thread count."""
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def thread_names(pid: int) -> collections.Counter:
    """The process's threads by name (``/proc/PID/task/*/comm``)."""
    names: collections.Counter = collections.Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            names[(task / "comm").read_text().strip()] += 1
    return names


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("load-server")
    port = free_port()
    env = {**os.environ, MODEL_DIR_ENV: str(MODEL_DIR), "TMPDIR": str(tmp), CAP_ENV: "2"}
    for name in ("FORMCHECK_ICE_SERVERS", "FORMCHECK_ACCESS_TOKEN", "FORMCHECK_SERVED"):
        env.pop(name, None)
    url = f"http://127.0.0.1:{port}"
    cmd = streamlit_cmd(port, "--server.disconnectedSessionTTL", str(TTL_S))
    with running(cmd, url, env, tmp / "streamlit.log") as proc:
        yield {"url": url, "pid": proc.pid}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    y4m = write_y4m(tmp_path_factory.mktemp("cam") / "tree.y4m", _tree_frames(), FPS)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield b
        finally:
            b.close()


def renderers() -> set[int]:
    """Chromium renderer processes started by this test process (``/proc``)."""
    parents, cmds = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmds[int(entry.name)] = (entry / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    return {pid for pid in mine if b"--type=renderer" in cmds.get(pid, b"")}


def _start(browser, url: str):
    """A new tab (its own context: its own session) with the camera started and frames coming back.

    Returns:
        (context, page, the renderer processes that appeared for it).
    """
    before = renderers()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=90_000)
    page.get_by_role("heading", name="formcheck").wait_for(timeout=60_000)
    page.locator(WEBRTC_IFRAME).wait_for(timeout=30_000)
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="START").click()
    frame = next(f for f in page.frames if "streamlit_webrtc" in f.url)
    frame.wait_for_function(VIDEO_READY, timeout=60_000)
    return context, page, renderers() - before


def _figures(page) -> dict[str, str]:
    stats = page.locator(".fc-stats").first.inner_text()
    return dict(zip(*[iter(stats.split("\n"))] * 2, strict=False))


def _kill(context, _page, pids: set[int]) -> None:
    """Kill the tab's renderer with SIGKILL (no unload, no WebRTC goodbye), then drop its context."""
    assert pids, "no renderer process found for the tab"
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    context.close()


def test_two_live_tabs_at_once_and_a_third_is_told_busy(server, browser) -> None:
    tabs = [_start(browser, server["url"])[:2] for _ in range(2)]
    try:
        samples: list[list[dict[str, str]]] = [[], []]
        # Up to 30 s for both to show a few live figures: on 2 cores the second session's first
        # figures came after the 8 s this once waited (one full run in three, its tab alive).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and min(len(s) for s in samples) < 4:
            for i, (_ctx, page) in enumerate(tabs):
                figs = _figures(page)
                if figs.get("FPS", "–") != "–":
                    samples[i].append(figs)
            time.sleep(1.0)
        assert all(samples), f"both tabs show live figures: {samples}"
        result = [{"fps": s[-1]["FPS"], "latency": s[-1]["Latency"]} for s in samples]
        print(f"\ntwo real browser sessions at once (page figures): {result}")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "live_browser_two.json").write_text(json.dumps(result), encoding="utf-8")
        third = browser.new_context()
        page = third.new_page()
        try:
            page.goto(server["url"], timeout=90_000)
            page.get_by_role("heading", name="formcheck").wait_for(timeout=90_000)
            try:
                page.get_by_text("Busy: 2 live session(s) in use").first.wait_for(timeout=60_000)
            finally:
                page.screenshot(path=str(ARTIFACTS / "live_busy_third_tab.png"))
        finally:
            third.close()
    finally:
        for ctx, _page in tabs:
            ctx.close()


def _settle(pid: int) -> tuple[float, int]:
    """RSS (MB) and threads once the killed tabs are cleaned up.

    Waits for the session TTL and the janitor (our landmarker is freed then), then until the
    thread count has not changed for ``STEADY_S`` (a killed tab's WebRTC connection ends when its ICE
    consent checks fail, ~30 s later), at most ``SETTLE_MAX_S``.
    """
    time.sleep(TTL_S + SETTLE_S)
    deadline = time.monotonic() + SETTLE_MAX_S
    last, steady_since = threads(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - steady_since < STEADY_S:
        time.sleep(1.0)
        now = threads(pid)
        if now != last:
            last, steady_since = now, time.monotonic()
    return rss_mb(pid), threads(pid)


def test_killed_tabs_release_their_landmarker_and_threads(server, browser) -> None:
    pid = server["pid"]
    cold = (rss_mb(pid), threads(pid))
    _kill(*_start(browser, server["url"]))  # warm-up: imports, model file cache, first WebRTC stack
    base_rss, base_threads = _settle(pid)
    base_names = thread_names(pid)
    peak = base_rss
    started = time.monotonic()
    for _ in range(CYCLES):
        context, page, pids = _start(browser, server["url"])
        peak = max(peak, rss_mb(pid))
        _kill(context, page, pids)
    cycle_s = (time.monotonic() - started) / CYCLES
    end_rss, end_threads = _settle(pid)
    extra = dict(thread_names(pid) - base_names)
    figures = {"cycles": CYCLES, "cold_rss_mb": round(cold[0], 1), "cold_threads": cold[1],
               "baseline_rss_mb": round(base_rss, 1), "baseline_threads": base_threads,
               "peak_rss_mb_during": round(peak, 1), "end_rss_mb": round(end_rss, 1), "end_threads": end_threads,
               "end_vs_baseline": round(end_rss / base_rss - 1, 4), "seconds_per_cycle": round(cycle_s, 1),
               "threads_added": extra}
    print(f"\nconnect/kill cycles: {figures}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live_kill_cycles.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    assert end_rss <= base_rss * 1.10, f"memory not released: {figures}"
    # A few threads are made on demand by the server's thread pools and kept for reuse (measured:
    # +2 after 3 cycles, +3 after 20); a thread left behind per killed tab would exceed this.
    assert end_threads <= base_threads + THREAD_SLACK, f"threads left behind: {figures}"
