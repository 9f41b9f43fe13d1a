"""Screenshot the Progress page over three weeks of made-up sessions (docs/img/progress.png).

    python docs/make_progress_shot.py

Seeds a history in a temporary data folder (one routine session on most days, the right side
slowly catching up with the left), starts the page on it and screenshots the Progress page with
headless Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import streamlit_server  # noqa: E402

from formcheck.coach.recap import FrameSample, RecapBuilder  # noqa: E402
from formcheck.history import HistoryStore  # noqa: E402
from formcheck.userdata import DATA_DIR_ENV  # noqa: E402

NAMES = {"psoas_stretch": "Psoas Stretch", "tree_pose": "Tree Pose"}


def seed(store: HistoryStore, days: int = 21) -> None:
    """One session a day (a few days skipped), both sides of the psoas stretch and tree pose."""
    today = datetime.now(UTC).replace(hour=8, minute=30, second=0, microsecond=0)
    for d in range(days, -1, -1):
        if d in (17, 12, 11, 4):
            continue
        progress = (days - d) / days
        b = RecapBuilder(NAMES, mode="routine", routine="psoas_release",
                         targets={("psoas_stretch", "left"): 30, ("psoas_stretch", "right"): 30})
        b.started_at = (today - timedelta(days=d)).isoformat(timespec="seconds")
        t = 0.0
        for side, base in (("left", 72.0), ("right", 82.0)):
            good = 20 + 10 * progress if side == "left" else 10 + 18 * progress
            fault_s = 8 * (1 - progress) + (3 if side == "right" else 1)
            n_good, n_fault = int(good / 0.1), int(fault_s / 0.1)
            for k in range(n_good + n_fault):
                faulted = k >= n_good
                angle = base - 18 * progress + 4 * math.sin(k / 7)
                b.update(FrameSample(t, "psoas_stretch", side, True, score=70.0 if faulted else 100.0,
                                     faults=("knee_not_to_chest",) if faulted else (),
                                     metrics={"hip_flexion": angle, "back_gap": 0.08 + 0.02 * faulted}))
                t += 0.1
            t += 5.0
        store.save(b.finish(completed=progress > 0.5))


def main() -> int:
    """Seed, serve, screenshot; return the exit code."""
    from playwright.sync_api import sync_playwright

    out = ROOT / "docs" / "img" / "progress.png"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seed(HistoryStore(data / "history.sqlite3"))
        with streamlit_server(Path(tmp) / "streamlit.log", {DATA_DIR_ENV: str(data)}) as url, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 1500})
            page.goto(f"{url}/Progress")
            page.locator("[data-testid=stVegaLiteChart]").nth(3).wait_for(timeout=60_000)
            time.sleep(1.5)  # let Vega draw
            page.screenshot(path=str(out))
            browser.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
