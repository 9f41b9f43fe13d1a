"""The Streamlit page's logic with Streamlit's AppTest (``webrtc_streamer`` patched: it needs a browser)."""

from __future__ import annotations

import os
import types
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from page_app import APP, ROOT, fake_webrtc_ctx, patched_page, run_app
from streamlit.testing.v1 import AppTest

from formcheck.coach.live import CoachView, LiveCoach
from formcheck.live import LiveProcessor, LiveSnapshot
from formcheck.models import MODEL_DIR_ENV
from formcheck.web.settings import ICE_ENV, UPLOAD_ENV

SHARED = ROOT.parent / "shared"
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"


@pytest.fixture
def webrtc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The patched ``webrtc_streamer`` (see :func:`page_app.patched_page`)."""
    with patched_page(monkeypatch, tmp_path) as streamer:
        yield streamer


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def test_page_renders_and_configures_webrtc(webrtc):
    at = run_app()
    assert [t.label for t in at.tabs] == ["Live camera", "Upload a recording"], "Batch has a page of its own"
    kwargs = webrtc.call_args.kwargs
    assert kwargs["rtc_configuration"] == {"iceServers": []}, "no ICE servers by default"
    assert kwargs["async_processing"] is True, "frames are dropped, not queued"
    assert kwargs["media_stream_constraints"]["audio"] is False
    assert callable(kwargs["video_frame_callback"])
    res = at.session_state["fc_session"]
    assert kwargs["video_frame_callback"] is res.callback, "one callback (and landmarker) per session"
    assert at.sidebar.selectbox(key="fc_exercise").value == "routine:psoas_release", "the guided routine first"
    assert at.session_state["fc_session"].processor.options.exercise == "psoas_stretch", "its first step"
    assert at.sidebar.toggle(key="fc_speak").value is False, "speech is off by default"
    text = _texts(at)
    assert "Press START" in text and "### Psoas Stretch" in text and "What it cannot see" in text
    assert "### Psoas release" in text and "hold 30 s, breathe 4 s in / 6 s out" in text
    assert not webrtc.warm_up.called, "no model is loaded before START"


def test_ice_servers_from_env_and_sidebar(webrtc, monkeypatch):
    monkeypatch.setenv(ICE_ENV, '[{"urls": ["stun:stun.example.org:3478"]}]')
    at = run_app()
    assert webrtc.call_args.kwargs["rtc_configuration"] == {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}]}
    at.sidebar.text_area(key="fc_ice").input("[{oops").run()
    assert any("not valid JSON" in e.value for e in at.sidebar.error)
    assert webrtc.call_args.kwargs["rtc_configuration"] == {"iceServers": []}


def test_exercise_picker_updates_guide_and_processor(webrtc):
    at = run_app()
    at.sidebar.selectbox(key="fc_exercise").set_value("modified_gate_pose").run()
    assert "### Modified Gate Pose" in _texts(at)
    assert at.session_state["fc_session"].processor.options.exercise == "modified_gate_pose"
    at.sidebar.selectbox(key="fc_live_model").set_value("full").run()
    at.sidebar.checkbox(key="fc_mirror").uncheck().run()
    opts = at.session_state["fc_session"].processor.options
    assert (opts.model, opts.mirror_view) == ("full", False)


def test_live_status_shows_cue_stats_and_speaks(webrtc):
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    snap = LiveSnapshot(frames=12, exercise="modified_gate_pose", cue="Straighten the leg out to the side.",
                        cue_kind="fault", in_position=True, faults=("extended_leg_bent",), hold_s=3.25, rounds=2,
                        score=71.0, fps=14.2, latency_ms=61.0)
    cv = CoachView(exercise="modified_gate_pose", good_s=3.25, in_position_s=4.5, score=71.0, any_fault=True,
                   score_note="Side leg bent 40% of the time")
    with mock.patch.object(LiveProcessor, "snapshot", return_value=snap), \
            mock.patch.object(LiveCoach, "view", return_value=cv):
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["fc_exercise"] = "modified_gate_pose"
        at.session_state["fc_speak"] = True
        at.run()
    assert not at.exception
    text = _texts(at)
    assert "Straighten the leg out to the side." in text and "fc-cue-fault" in text
    for figure in ("3.2 s", "4.5 s", "71/100", "Cat-Cow rounds", ">2<", "14.2", "61 ms", "Side leg bent 40%",
                   "Correcting now: Side leg bent", "Good-form hold: seconds in position with no correction"):
        assert figure in text, figure
    assert "Active faults" not in text and "Correcting now: extended_leg_bent" not in text, "no ids for the person"
    assert webrtc.warm_up.called, "the model loads while the stream starts"
    assert any("speechSynthesis" in e.proto.srcdoc for e in at.get("iframe")), "spoken cue rendered"


def test_stopping_the_stream_releases_the_model(webrtc):
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    at = run_app()
    with mock.patch.object(LiveProcessor, "release", autospec=True) as release:
        webrtc.return_value = fake_webrtc_ctx(playing=False)
        at.run()
    assert release.called


# --------------------------------------------------------------------------- upload


def test_upload_refuses_unreadable_and_oversized_files(webrtc, monkeypatch):
    at = run_app()
    at.file_uploader(key="fc_upload").set_value(("broken.mp4", b"not a video at all", "video/mp4")).run()
    assert not at.exception
    assert any("Could not read “broken.mp4”" in e.value for e in at.error), [e.value for e in at.error]
    monkeypatch.setenv(UPLOAD_ENV, "1")
    at = run_app()
    at.file_uploader(key="fc_upload").set_value(("big.mp4", b"0" * (1024 * 1024 + 1), "video/mp4")).run()
    assert any("over the 1 MB limit" in e.value for e in at.error)


@pytest.mark.realdata
@pytest.mark.skipif(
    not (MODEL_DIR / "pose_landmarker_lite.task").is_file() or not TREE_CLIP.is_file(),
    reason=f"needs {MODEL_DIR}/pose_landmarker_lite.task and {TREE_CLIP}",
)
def test_upload_analyses_a_clip_and_offers_results(webrtc, monkeypatch, tmp_path):
    import cv2

    from formcheck.media import H264Writer, iter_video_frames

    monkeypatch.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
    clip = tmp_path / "tree.mp4"
    writer = H264Writer(clip, fps=12, size=(320, 240))
    for i, (rgb, _t) in enumerate(iter_video_frames(TREE_CLIP)):
        if i % 2 == 0:
            writer.write(cv2.resize(rgb, (320, 240), interpolation=cv2.INTER_AREA))
        if i >= 47:
            break
    writer.close()

    at = run_app()
    at.sidebar.selectbox(key="fc_exercise").set_value("tree_pose").run()
    at.selectbox(key="fc_upload_model").set_value("lite").run()
    at.file_uploader(key="fc_upload").set_value(("my tree.mp4", clip.read_bytes(), "video/mp4")).run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    assert "Tree Pose" in text and "Timelines" in text
    assert at.get("video"), "the annotated video is in the page"
    assert len(at.get("vega_lite_chart")) >= 1, "metric timelines"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Annotated video (MP4)", "Per-frame metrics (CSV)", "Summary (JSON)"]
    res = at.session_state["fc_session"]
    session_dir = res.files.path
    assert session_dir.parent == tmp_path and any(session_dir.rglob("*.annotated.mp4"))
    # Removing the upload removes its files; ending the session removes the folder.
    at.file_uploader(key="fc_upload").set_value(None).run()
    assert not any(session_dir.rglob("*.mp4"))
    res.release_all()
    assert not session_dir.exists()


# --------------------------------------------------------------------------- batch


BATCH_PAGE = str(ROOT / "pages" / "1_Batch.py")


def run_batch_page() -> AppTest:
    at = AppTest.from_file(BATCH_PAGE, default_timeout=90)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_batch_tab_runs_the_batch_scorer(webrtc, monkeypatch, tmp_path):
    from formcheck.web import batch_tab

    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "labels.csv").write_text("file,exercise,faults,view,start_s,end_s,notes\n", encoding="utf-8")
    calls = []

    def run_folder(path, *, out_dir, model, exercise, on_progress):
        calls.append((path, model, exercise))
        on_progress(1, 1, "a.mp4")
        (out_dir / "report.html").write_text("<html><h1>Batch report</h1></html>", encoding="utf-8")
        (out_dir / "clips.csv").write_text("file\na.mp4\n", encoding="utf-8")
        # a score column mixing blanks and numbers, as the scorer's table has
        rows = [{"file": "a.mp4", "exercise": "tree_pose", "f1": 1.0, "score": ""},
                {"file": "b.mp4", "exercise": "none", "f1": 0.5, "score": 87.5}]
        return types.SimpleNamespace(rows=rows, report=out_dir / "report.html")

    monkeypatch.setattr(batch_tab, "run_folder", run_folder)
    monkeypatch.setenv("FORMCHECK_BATCH_ROOT", str(tmp_path))
    at = run_batch_page()
    at.selectbox(key="fc_batch_exercise").set_value("tree_pose").run()
    at.text_input(key="fc_batch_folder").input(str(tmp_path / "missing")).run()
    at.button(key="fc_batch_run").click().run()
    assert any("no such folder" in e.value for e in at.error) and not calls
    at.text_input(key="fc_batch_folder").input(str(folder)).run()
    at.button(key="fc_batch_run").click().run()
    assert not at.exception
    assert calls == [(folder, "full", "tree_pose")], "the exercise chosen on the page is honoured"
    assert at.dataframe and at.dataframe[0].value.iloc[0]["file"] == "a.mp4"
    assert [b.label for b in at.get("download_button")] == ["clips.csv", "report.html"]
    assert at.dataframe[0].value["score"].tolist()[1] == 87.5, "numbers stay numbers; blanks are empty"


def test_batch_tab_survives_a_broken_batch_scorer(webrtc, monkeypatch, tmp_path):
    from formcheck.web import batch_tab

    (tmp_path / "labels.csv").write_text("file,exercise,faults\n", encoding="utf-8")

    def run_folder(path, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(batch_tab, "run_folder", run_folder)
    monkeypatch.setenv("FORMCHECK_BATCH_ROOT", str(tmp_path))
    at = run_batch_page()
    at.text_input(key="fc_batch_folder").input(str(tmp_path)).run()
    at.button(key="fc_batch_run").click().run()
    assert not at.exception
    assert any("Batch scoring failed (TypeError: a bug)" in e.value for e in at.error)


def test_frame_callback_in_session_is_a_plain_function(webrtc):
    """The callback the page hands to streamlit-webrtc works on a plain av.VideoFrame."""
    av = pytest.importorskip("av")
    at = run_app()
    callback = webrtc.call_args.kwargs["video_frame_callback"]
    res = at.session_state["fc_session"]
    with mock.patch.object(res.processor, "process", side_effect=lambda rgb, now: rgb[:, ::-1].copy()) as proc:
        out = callback(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24"))
    assert proc.called and (out.width, out.height) == (64, 48)
