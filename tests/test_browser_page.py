"""End-to-end: the real page (``streamlit run app.py``) in headless Debian Chromium, driven by Playwright.

A fake camera plays a 2 s, 320x240, 10 fps y4m clip made here from a real tree-pose clip (the
derived clips live only in pytest's tmp dir). The tests click START and check that annotated
frames come back with the overlay and the expected cue, that a spoken cue is sent to the
browser's speech synthesis, that an uploaded clip's annotated video plays, and that the
session's files are deleted after the tab closes. Screenshots go to ``test-artifacts/``.

Needs ``/usr/bin/chromium`` (Debian package ``chromium``), the lite and full models and
``../shared/realdata``; skipped otherwise.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_util import streamlit_server, write_y4m

from formcheck.models import MODEL_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"
CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
W, H, FPS, SECONDS, START_S = 320, 240, 10, 4.0, 0.5  # 4 s: the fake camera loops it; each loop is a cut

pytestmark = [
    pytest.mark.browser,
    pytest.mark.realdata,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason=f"needs headless Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not all((MODEL_DIR / f"pose_landmarker_{v}.task").is_file() for v in ("lite", "full"))
        or not TREE_CLIP.is_file(),
        reason=f"needs the lite and full models in {MODEL_DIR} and {TREE_CLIP}",
    ),
]

# Records what the page asks the browser to say (headless Chromium has no voices).
SPEECH_STUB = """
(() => {
  const spoken = [];
  const stub = { speak(u) { spoken.push(u.text); }, cancel() {}, getVoices() { return []; } };
  Object.defineProperty(window, 'speechSynthesis', { value: stub, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
  window.__spoken = spoken;
})();
"""

VIDEO_READY = "() => { const v = document.querySelector('video'); return v && v.readyState >= 2 && v.videoWidth > 0; }"

GRAB_FRAME = """() => {
  const v = document.querySelector('video');
  if (!v || v.readyState < 2 || !v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const band = g.getImageData(0, 0, c.width, 3).data;  // the state border's top edge
  let r = 0, gr = 0, b = 0, n = 0;
  for (let i = 0; i < band.length; i += 4) { r += band[i]; gr += band[i + 1]; b += band[i + 2]; n++; }
  return { w: c.width, h: c.height, band: [r / n, gr / n, b / n], png: c.toDataURL('image/png') };
}"""


def _tree_frames() -> list:
    import cv2

    from formcheck.media import iter_video_frames

    src = [(rgb, t) for rgb, t in iter_video_frames(TREE_CLIP) if START_S - 0.1 <= t <= START_S + SECONDS + 0.1]
    frames = []
    for k in range(int(SECONDS * FPS)):
        want = START_S + k / FPS
        rgb, _ = min(src, key=lambda p: abs(p[1] - want))
        frames.append(cv2.resize(rgb, (W, H), interpolation=cv2.INTER_AREA))
    return frames


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from formcheck.media import H264Writer

    folder = tmp_path_factory.mktemp("clips")
    frames = _tree_frames()
    y4m = write_y4m(folder / "tree.y4m", frames, FPS)
    mp4 = folder / "tree_upload.mp4"
    writer = H264Writer(mp4, fps=FPS, size=(W, H))
    for rgb in frames:
        writer.write(rgb)
    writer.close()
    return {"y4m": y4m, "mp4": mp4}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("server-tmp")
    log = tmp_path_factory.mktemp("server-log") / "streamlit.log"
    env = {MODEL_DIR_ENV: str(MODEL_DIR), "TMPDIR": str(tmp), "FORMCHECK_DATA_DIR": str(tmp / "data")}
    with streamlit_server(log, env, ("--server.disconnectedSessionTTL", "2")) as url:
        yield {"url": url, "tmp": tmp, "log": log}


@pytest.fixture(scope="module")
def browser(clips: dict[str, Path]) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clips['y4m']}",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            yield b
        finally:
            b.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.add_init_script(SPEECH_STUB)
    page.goto(url)
    page.get_by_role("heading", name="formcheck").wait_for(timeout=60_000)
    return page


def _pick_exercise(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=name, exact=True).click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=20_000)


def _save_png(data_url: str, path: Path) -> None:
    path.write_bytes(base64.b64decode(data_url.split(",", 1)[1]))


def test_live_camera_returns_annotated_frames_with_the_cue(server, browser):
    page = _open(browser, server["url"])
    try:
        _pick_exercise(page, "Tree Pose")
        page.get_by_text("Speak cues aloud").click()
        page.locator(WEBRTC_IFRAME).wait_for(timeout=20_000)
        page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="START").click()
        frame = next(f for f in page.frames if "streamlit_webrtc" in f.url)
        frame.wait_for_function(VIDEO_READY, timeout=60_000)
        # Poll: the overlay's state border (green for good form) on the returned video, and the page's cue.
        deadline = time.monotonic() + 60
        grab, cue = None, ""
        while time.monotonic() < deadline:
            grab = frame.evaluate(GRAB_FRAME)
            cue = page.locator(".fc-cue").first.inner_text()
            r, g, b = grab["band"] if grab else (0, 0, 0)
            if "Good form" in cue and g > r + 60 and g > b + 30:
                break
            time.sleep(0.5)
        page.screenshot(path=str(ARTIFACTS / "browser_live.png"), full_page=False)
        assert grab is not None, "no video frame came back"
        _save_png(grab["png"], ARTIFACTS / "browser_live_frame.png")
        assert (grab["w"], grab["h"]) == (W, H)
        assert "Good form" in cue, f"page cue: {cue!r}"
        r, g, b = grab["band"]
        assert g > r + 60 and g > b + 30, f"no green 'good form' border on the returned frame: {grab['band']}"
        stats = page.locator(".fc-stats").first.inner_text()
        figures = dict(zip(*[iter(stats.split("\n"))] * 2, strict=False))  # label, value, label, value, ...
        assert float(figures["FPS"]) > 0.5 and figures["Latency"].endswith(" ms"), stats
        print(f"live figures in the browser: {figures}")
        page.wait_for_function("() => (window.__spoken || []).length > 0", timeout=10_000)
        spoken = page.evaluate("() => window.__spoken")
        assert any(s.startswith("Good") or "foot" in s.lower() or "Stand" in s for s in spoken), spoken
        page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="STOP").click()
        page.get_by_text("Press START").wait_for(timeout=20_000)
    finally:
        page.close()


def test_upload_plays_the_annotated_video_and_files_go_with_the_session(server, browser, clips):
    page = _open(browser, server["url"])
    try:
        _pick_exercise(page, "Tree Pose")
        page.get_by_role("tab", name="Upload a recording").click()
        page.locator("input[type=file]").set_input_files(str(clips["mp4"]))
        video = page.locator("[data-testid=stVideo], video").first
        video.wait_for(timeout=90_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('video[src*=\"media\"], [data-testid=stVideo]');"
            " return v && v.readyState >= 2 && v.videoWidth > 0; }",
            timeout=60_000,
        )
        ready = page.evaluate(
            "() => { const v = document.querySelector('[data-testid=stVideo]');"
            " return [v.readyState, v.videoWidth, v.videoHeight, v.duration]; }"
        )
        download = page.get_by_role("button", name="Annotated video (MP4)")
        download.wait_for(timeout=30_000)
        page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "browser_upload.png"))
        download.scroll_into_view_if_needed()
        time.sleep(1.0)  # let Vega draw
        page.screenshot(path=str(ARTIFACTS / "browser_upload_timelines.png"))
        assert ready[0] >= 2 and ready[1:3] == [W, H] and ready[3] > 1.5, ready
        assert "No faults found." in page.locator("[data-testid=stMain]").inner_text()
        sessions = list(server["tmp"].glob("formcheck-web-*"))
        assert sessions and any(sessions[0].rglob("*.annotated.mp4"))
    finally:
        page.close()
    # Privacy: with --server.disconnectedSessionTTL 2 the session's folder goes a few seconds later.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(server["tmp"].glob("formcheck-web-*")):
        time.sleep(0.5)
    assert not any(server["tmp"].glob("formcheck-web-*")), "uploads must not outlive the session"

