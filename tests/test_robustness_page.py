"""The page's robustness and privacy: refused uploads, temp files, isolated sessions, no network.

What tests/test_app_web.py and tests/test_app_page.py already check is not repeated here (the
upload limit, an unreadable upload's message, the session folder's removal, usage stats off).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from page_app import patched_page, run_app
from test_robustness_soak import ReplayEstimator, needs_realdata, real_poses

from formcheck.analyze import AnalyzeOptions, analyze
from formcheck.engine.specs import load_specs
from formcheck.live import LiveOptions, LiveProcessor
from formcheck.media import H264Writer
from formcheck.models import MODEL_DIR_ENV
from formcheck.outputs import file_writers
from formcheck.web.files import PREFIX, UploadError, check_upload
from formcheck.web.settings import UPLOAD_ENV


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """AppTest-ready: webrtc_streamer patched, the sessions' temp folders under ``tmp_path``."""
    with patched_page(monkeypatch, tmp_path):
        yield tmp_path


def _session_files(root: Path) -> list[Path]:
    return [p for d in root.glob(f"{PREFIX}*") for p in d.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("setup.exe", b"MZ\x90\x00", ".exe files are not supported"),
        ("clip", b"\x00\x00\x00\x18ftypisom", "has no file extension"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic", ".heic files are not supported"),
        ("empty.mp4", b"", "is empty (0 bytes)"),
        ("../../etc/passwd.txt", b"root:x:0:0", ".txt files are not supported"),
    ],
)
def test_check_upload_refuses_politely(name: str, data: bytes, expected: str) -> None:
    with pytest.raises(UploadError) as exc:
        check_upload(name, len(data), 200)
    msg = str(exc.value)
    assert expected in msg and ("upload a video" in msg or "choose another file" in msg), msg


def test_the_uploader_itself_only_takes_media_types(page: Path) -> None:
    """Streamlit's uploader is given the media types: the browser's dialog and the server refuse others."""
    at = run_app()
    at.file_uploader(key="fc_upload").set_value(("setup.exe", b"MZ", "application/octet-stream")).run()
    assert any("Invalid file extension: `.exe`" in e.message for e in at.exception)
    assert _session_files(page) == []


@pytest.mark.parametrize(("limit_env", "name", "data", "expected"), [
    (None, "empty.mp4", b"", "is empty (0 bytes)"),
    ("1", "big.mp4", b"0" * (1024 * 1024 + 1), "over the 1 MB limit"),
])
def test_refused_uploads_leave_no_file(
    page: Path, monkeypatch: pytest.MonkeyPatch, limit_env: str | None, name: str, data: bytes, expected: str
) -> None:
    if limit_env:
        monkeypatch.setenv(UPLOAD_ENV, limit_env)
    at = run_app()
    at.file_uploader(key="fc_upload").set_value((name, data, "video/mp4")).run()
    assert not at.exception
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    assert _session_files(page) == [], "a refused upload is never written to disk"


def test_an_unreadable_upload_is_removed_right_away(page: Path) -> None:
    at = run_app()
    at.file_uploader(key="fc_upload").set_value(("broken.mp4", b"not a video", "video/mp4")).run()
    assert any("Could not read “broken.mp4”" in e.value for e in at.error)
    assert _session_files(page) == []


def test_two_page_sessions_share_nothing(page: Path) -> None:
    """Two browsers (two AppTest sessions), two exercises: separate processors, settings and folders."""
    a, b = run_app(), run_app()
    a.sidebar.selectbox(key="fc_exercise").set_value("tree_pose").run()
    b.sidebar.selectbox(key="fc_exercise").set_value("boat_pose").run()
    a.run()
    res_a, res_b = a.session_state["fc_session"], b.session_state["fc_session"]
    assert res_a is not res_b and res_a.processor is not res_b.processor
    assert res_a.processor.options.exercise == "tree_pose"
    assert res_b.processor.options.exercise == "boat_pose"
    assert res_a.files.path != res_b.files.path and res_a.state is not res_b.state


# -- two live sessions fed from two threads --------------------------------------------------


def _feed(proc: LiveProcessor, frames: list[np.ndarray], n: int, out: list) -> None:
    for i in range(n):
        out.append((proc.process(frames[i % len(frames)], i / 30.0), proc.snapshot()))


@pytest.mark.realdata
@needs_realdata
def test_two_live_sessions_on_two_threads_match_each_alone() -> None:
    """Module-level caches (metrics' point tables, view's image scale) are keyed by frame identity:
    two sessions judging different exercises on different threads get exactly what each gets alone."""
    recorded = real_poses(40)
    frames = [f for f, _p in recorded]
    poses = [p for _f, p in recorded]
    specs = load_specs()
    n = 300

    def session(exercise: str, mirror: bool) -> LiveProcessor:
        fake = ReplayEstimator(poses[::-1] if exercise == "boat_pose" else poses)
        return LiveProcessor(specs, LiveOptions(exercise=exercise, mirror_view=mirror, show_stats=False),
                             clock=lambda: 0.0, estimator_factory=lambda _o, f=fake: f)

    alone = {}
    for ex, mirror in (("tree_pose", True), ("auto", False)):
        alone[ex] = []
        _feed(session(ex, mirror), frames, n, alone[ex])
    together: dict[str, list] = {"tree_pose": [], "auto": []}
    threads = [threading.Thread(target=_feed, args=(session(ex, m), frames, n, together[ex]))
               for ex, m in (("tree_pose", True), ("auto", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for ex in together:
        assert len(together[ex]) == n
        for i, ((img_a, snap_a), (img_b, snap_b)) in enumerate(zip(alone[ex], together[ex], strict=True)):
            assert snap_a == snap_b or (snap_a.score != snap_a.score and snap_a.frames == snap_b.frames), (ex, i)
            assert np.array_equal(img_a, img_b), (ex, i)
    assert together["tree_pose"][-1][1].exercise == "tree_pose"


# -- no network ------------------------------------------------------------------------------


@pytest.mark.realdata
@needs_realdata
def test_analysis_and_live_make_no_network_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the model on disk nothing connects anywhere (only a missing model is downloaded)."""
    calls: list[tuple] = []

    def refuse(*args: object, **_kw: object) -> None:
        calls.append(args)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    recorded = real_poses(12)
    clip = tmp_path / "clip.mp4"
    with H264Writer(clip, 12, (320, 240)) as w:
        for rgb, _p in recorded:
            w.write(rgb)
    a = analyze(clip, AnalyzeOptions(model="lite", exercise="auto"), writers=file_writers(tmp_path / "out"))
    assert a.summary.frames_with_person > 0
    live = LiveProcessor(load_specs(), LiveOptions(exercise="tree_pose", model="lite"))
    for i, (rgb, _p) in enumerate(recorded):
        live.process(rgb, i / 12.0)
    assert live.snapshot().frames == len(recorded) and not live.snapshot().error
    live.close()
    assert calls == []


def test_model_dir_env_is_honoured_without_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model in FORMCHECK_MODEL_DIR is used as is; the downloader is never reached."""
    from formcheck import models  # noqa: PLC0415

    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    (tmp_path / "pose_landmarker_lite.task").write_bytes(b"placeholder")

    def no_download(*_a: object, **_k: object) -> None:
        raise AssertionError("download attempted")

    monkeypatch.setattr(models, "download_model", no_download)
    assert models.resolve_model("lite") == tmp_path / "pose_landmarker_lite.task"
