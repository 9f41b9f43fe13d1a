"""Unit tests of the page's helpers in formcheck.web (no Streamlit runtime, no model)."""

from __future__ import annotations

import gc
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formcheck.engine.rules import RuleResult, RuleState
from formcheck.engine.session import FrameResult
from formcheck.engine.summary import FaultSummary, SummaryBuilder
from formcheck.outputs import Frame
from formcheck.web.batch_tab import downloads
from formcheck.web.files import SessionFiles, UploadError, check_upload
from formcheck.web.guide import build_guide, fault_label, guide_markdown, instructor_markdown, ordered_ids
from formcheck.web.janitor import SessionJanitor
from formcheck.web.settings import (
    ICE_ENV,
    UPLOAD_ENV,
    SettingsError,
    ice_config,
    ice_text_from_env,
    parse_ice_servers,
    upload_limit_mb,
)
from formcheck.web.speech import SpeechCooldown, speech_html
from formcheck.web.timeline import TimelineWriter, rule_timelines, timeline_chart

# --------------------------------------------------------------------------- settings


def test_ice_servers_default_empty_and_parsed():
    assert parse_ice_servers("") == [] and parse_ice_servers(None) == []
    one = '[{"urls": ["stun:stun.example.org:3478"]}]'
    assert parse_ice_servers(one) == [{"urls": ["stun:stun.example.org:3478"]}]
    assert parse_ice_servers('{"urls": "turn:t:3478", "username": "u", "credential": "p"}')[0]["username"] == "u"
    assert parse_ice_servers('{"iceServers": [{"urls": "stun:a"}]}') == [{"urls": "stun:a"}]
    assert ice_config("").rtc_configuration == {"iceServers": []}, "explicit empty list: no default STUN"


@pytest.mark.parametrize("bad", ["[{", '[{"url": "stun:a"}]', '"stun:a"', '[{"urls": 3}]'])
def test_ice_servers_invalid(bad):
    with pytest.raises(SettingsError, match="ICE servers"):
        parse_ice_servers(bad)
    cfg = ice_config(bad)
    assert cfg.servers == [] and cfg.error


def test_ice_env_and_upload_limit():
    assert ice_text_from_env({ICE_ENV: ' [{"urls":"stun:x"}] '}) == '[{"urls":"stun:x"}]'
    assert ice_text_from_env({}) == ""
    assert upload_limit_mb(200, {}) == 200
    assert upload_limit_mb(200, {UPLOAD_ENV: "50"}) == 50
    assert upload_limit_mb(100, {UPLOAD_ENV: "500"}) == 100, "never above Streamlit's own limit"
    with pytest.raises(SettingsError):
        upload_limit_mb(200, {UPLOAD_ENV: "lots"})


def test_streamlit_config_has_no_telemetry_and_an_upload_limit():
    import tomllib

    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["maxUploadSize"] == 200


# --------------------------------------------------------------------------- guide


def test_guides_cover_every_spec(specs):
    assert ordered_ids(specs)[:2] == ["psoas_stretch", "boat_pose"]
    for spec in specs.values():
        g = build_guide(spec)
        assert g.instructions and g.camera.startswith("**View:**")
        assert all(fault_label(r.id, spec.id) in g.checks and r.cue in g.checks for r in spec.rules)
        assert "_" not in g.checks.replace("*", ""), "no ids in the plain guide"
        for line in spec.cannot_see:
            assert line in g.cannot_see and line in instructor_markdown(spec)
        md = guide_markdown(spec)
        assert md.startswith(f"### {spec.name}")
        assert all(f"`{r.id}`" in g.details for r in spec.rules), "instructors see the ids and thresholds"
    assert "Cat-Cow" in build_guide(specs["modified_gate_pose"]).extras
    tree = build_guide(specs["tree_pose"])
    assert "seen from the side, oblique" in tree.details, "a rule with narrower views says so"
    assert "seen from the side or oblique only" in tree.checks
    assert fault_label("foot_on_knee") == "Foot pressing on the knee"


# --------------------------------------------------------------------------- speech


def test_speech_cooldown():
    sp = SpeechCooldown(repeat_s=8, gap_s=2)
    assert not sp.should_speak("Hold the pose…", "setup", 0.0), "the short settling moment is not spoken"
    assert sp.should_speak("Straighten your leg.", "fault", 0.0)
    assert not sp.should_speak("Straighten your leg.", "fault", 1.0), "same cue: once"
    assert not sp.should_speak("Level your hips.", "fault", 1.0), "min gap between utterances"
    assert sp.should_speak("Level your hips.", "fault", 3.0)
    assert not sp.should_speak("Straighten your leg.", "fault", 5.0), "repeat cooldown"
    assert sp.should_speak("Straighten your leg.", "fault", 9.0)
    assert not sp.should_speak("", "none", 20.0)
    sp.reset()
    assert sp.should_speak("Straighten your leg.", "fault", 9.5)


def test_speech_html_is_escaped_json():
    snippet = speech_html('Say "</script><b>hi', "u1")
    assert "speechSynthesis" in snippet and "u1" in snippet
    assert snippet.count("</script>") == 1, "the text cannot close the script"


# --------------------------------------------------------------------------- uploads


def test_check_upload():
    assert check_upload("clip.MP4", 1000, 10) == ".mp4"
    assert check_upload("photo.jpeg", 1000, 10) == ".jpeg"
    with pytest.raises(UploadError, match="not supported"):
        check_upload("notes.txt", 10, 10)
    with pytest.raises(UploadError, match="no file extension"):
        check_upload("clip", 10, 10)
    with pytest.raises(UploadError, match="empty"):
        check_upload("clip.mp4", 0, 10)
    with pytest.raises(UploadError, match="over the 1 MB limit"):
        check_upload("clip.mp4", 2 * 1024 * 1024, 1)


def test_session_files_are_private_and_removed(tmp_path):
    files = SessionFiles(tmp_path)
    job = files.new_job("../../etc/My clip!.mp4", b"data", ".mp4")
    assert job.input.parent == job.folder and job.folder.parent == files.path
    assert job.input.name == "My_clip.mp4" and job.input.read_bytes() == b"data"
    job2 = files.new_job("other.png", b"x", ".png")
    assert not job.folder.exists() and job2.input.is_file(), "one analysis at a time"
    folder = files.path
    files.cleanup()
    assert not folder.exists()
    # Garbage collection (the session ended) removes the folder too.
    files2 = SessionFiles(tmp_path)
    folder2 = files2.path
    del files2
    gc.collect()
    assert not folder2.exists()


def test_janitor_releases_sessions_gone_for_the_ttl():
    now = [0.0]
    active = {"a": True, "b": True}

    class Res:
        released = 0

        def release_all(self):
            self.released += 1

    ra, rb = Res(), Res()
    j = SessionJanitor(lambda sid: active.get(sid, False), ttl_s=10, clock=lambda: now[0])
    j.register("a", ra)
    j.register("b", rb)
    assert j.sweep() == []
    active["b"] = False
    now[0] = 5
    assert j.sweep() == []
    now[0] = 16
    assert j.sweep() == ["b"] and rb.released == 1 and ra.released == 0
    j.register("b", rb)  # the tab came back
    assert j.watched == 2
    del ra
    gc.collect()
    j.sweep()
    assert j.watched == 1, "weak references: a dropped session is forgotten"


# --------------------------------------------------------------------------- timelines


def _frames_via_writer(spec) -> pd.DataFrame:
    """The Upload tab's in-memory table, made by its writer from ten engine results."""
    writer = TimelineWriter()
    writer.open(None)
    for i in range(10):
        judged = i > 1
        result = FrameResult(
            i * 0.1, spec.id if judged else None, None, in_position=judged,
            metrics={"torso_lean": 5.0 + i, "hip_tilt": math.nan} if judged else {},
            rules=(RuleResult("torso_leaning", RuleState.PASS, 5.0 + i, 10.0),) if judged else (),
        )
        writer.write(Frame(i, i * 0.1, np.zeros((2, 2, 3), np.uint8), result, spec if judged else None))
    assert writer.close(None) == {}
    return writer.frames


def test_rule_timelines_from_the_timeline_writer_and_summary(specs):
    spec = specs["tree_pose"]
    frames = _frames_via_writer(spec)
    assert len(frames) == 10 and frames["tree_pose.torso_leaning"].iloc[-1] == "pass"
    summary = replace(SummaryBuilder().finish(), faults={"torso_leaning": FaultSummary(0.4, ((0.6, 1.0),))})
    tls = {t.rule_id: t for t in rule_timelines(frames, summary, spec)}
    assert set(tls) == {r.id for r in spec.rules}
    lean = tls["torso_leaning"]
    assert lean.measured and lean.intervals == [(0.6, 1.0)]
    assert math.isnan(lean.points["value"].iloc[0]), "frames not judged as this exercise are blank"
    assert lean.y_min < 7 and lean.y_max > 14 and lean.fault_band == (10.0, lean.y_max)
    assert not tls["hips_uneven"].measured
    assert lean.title == "Leaning to the side" and lean.axis == "Sideways lean (°)", "words, not ids"
    assert tls["foot_on_knee"].axis.startswith("Foot height on the standing leg")
    chart = timeline_chart(lean, 1.0)
    spec_json = json.dumps(chart.to_dict())
    assert "strokeDash" in spec_json and "#e74c3c" in spec_json


# --------------------------------------------------------------------------- batch tab


def test_batch_downloads_are_the_result_files(tmp_path):
    for name in ("report.html", "clips.csv", "metrics.json", "results.jsonl", "notes.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "annotated").mkdir()
    assert [p.name for p in downloads(tmp_path)] == ["clips.csv", "metrics.json", "report.html"]
