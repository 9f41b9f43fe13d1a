"""End-to-end: the coach in the real page (``streamlit run app.py``) with headless Chromium's fake camera.

The fake camera plays rendered clips (a psoas stretch, then constructive rest, looped) into a
two-step routine from the user's routine folder. The test presses START and checks that the
page shows the routine's steps, advances from the first step to the second on its own, shows
the recap when the routine ends, and that the session is on the Progress page after a page
reload and after the server is restarted. Screenshots go to ``test-artifacts/``.

Needs ``/usr/bin/chromium`` and the lite model; skipped otherwise.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser_util import streamlit_server, write_y4m
from coach_clip import FPS, ROUTINE_TOML, clip_paths, routine_frames

from formcheck.models import MODEL_DIR_ENV
from formcheck.userdata import DATA_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or ROOT.parent / "shared" / "models")
CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
HOLD_S = 1.5

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs headless Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not all(
        p.is_file() for p in clip_paths()), reason=f"needs the lite model in {MODEL_DIR} and sample_videos/"),
]


def server_env(data: Path) -> dict[str, str]:
    """The page's environment: the model folder and the user's data folder (history and routines)."""
    return {MODEL_DIR_ENV: str(MODEL_DIR), DATA_DIR_ENV: str(data), "FORMCHECK_HISTORY": "on"}


def _open(browser, url: str, width: int = 1280, height: int = 1200):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.get_by_role("heading", name="formcheck").first.wait_for(timeout=60_000)
    return page


def _progress_shows(browser, url: str) -> str:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/Progress")
        page.get_by_role("heading", name="Your progress").wait_for(timeout=60_000)
        table = page.locator(".fc-sessions")
        table.wait_for(timeout=30_000)
        text = table.inner_text()
        assert "Browser test" in text, text
        return text
    finally:
        page.close()


def test_routine_advances_shows_the_recap_and_keeps_the_session(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    data = tmp_path / "data"
    (data / "routines").mkdir(parents=True)
    (data / "routines" / "browser_test.toml").write_text(ROUTINE_TOML.format(hold=HOLD_S), encoding="utf-8")
    y4m = write_y4m(tmp_path / "routine.y4m", routine_frames(), FPS)
    log_path = tmp_path / "streamlit.log"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        try:
            with streamlit_server(log_path, server_env(data)) as url:
                page = _open(browser, url)
                page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
                page.get_by_role("option", name="Guided routine: Browser test", exact=True).click()
                page.get_by_role("heading", name="Browser test").first.wait_for(timeout=20_000)
                page.locator(WEBRTC_IFRAME).wait_for(timeout=20_000)
                page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="START").click()
                # Step 1 of 2: the psoas stretch, with its hold bar and breathing pace.
                title = page.locator(".fc-step-title").first
                title.wait_for(timeout=90_000)
                page.locator(".fc-hold").first.wait_for(timeout=90_000)
                assert "Psoas Stretch · left side" in title.inner_text()
                page.screenshot(path=str(ARTIFACTS / "coach_routine_step1.png"))
                page.set_viewport_size({"width": 640, "height": 480})  # a phone or a small window
                page.locator(".fc-hold").first.evaluate("e => e.scrollIntoView({block: 'center'})")
                page.screenshot(path=str(ARTIFACTS / "coach_routine_step1_640x480.png"))
                page.set_viewport_size({"width": 1280, "height": 1200})
                # The page advances by itself to step 2 once 1.5 s of good form is held.
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.fc-step-title')].some("
                    "e => e.innerText.includes('Constructive Rest'))", timeout=120_000)
                page.screenshot(path=str(ARTIFACTS / "coach_routine_step2.png"))
                # ... and ends with the recap.
                page.get_by_text("Routine complete: recap").wait_for(timeout=120_000)
                recap = page.locator(".fc-recap").first
                page.get_by_text("Saved to your history on this computer").wait_for(timeout=10_000)
                page.get_by_role("button", name="Recap (CSV)").wait_for(timeout=10_000)
                time.sleep(1.0)  # let the page drop the elements of the run before
                page.get_by_text("Routine complete: recap").evaluate("e => e.scrollIntoView({block: 'start'})")
                text = recap.inner_text()
                page.screenshot(path=str(ARTIFACTS / "coach_recap.png"))
                assert "Psoas Stretch" in text and "Constructive Rest" in text and "✓" in text, text
                # The Progress page has it, and after a reload too.
                _progress_shows(browser, url)
                page.reload()
                page.get_by_role("heading", name="formcheck").first.wait_for(timeout=60_000)
                _progress_shows(browser, url)
                shot = browser.new_page(viewport={"width": 1280, "height": 900})
                shot.goto(f"{url}/Progress")
                shot.locator(".fc-sessions").wait_for(timeout=30_000)
                shot.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=30_000)
                time.sleep(1.0)  # let Vega draw
                shot.screenshot(path=str(ARTIFACTS / "coach_progress.png"))
                shot.close()
                page.close()
            # A new server process on the same data folder still has the session.
            with streamlit_server(log_path, server_env(data)) as url:
                _progress_shows(browser, url)
        finally:
            browser.close()
