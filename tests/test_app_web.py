"""Unit tests of the page's helpers in formcheck.web (no Streamlit runtime, no model)."""

from __future__ import annotations

import gc
import json
import math
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from formcheck.engine.specs import load_specs
from formcheck.web import batch as batch_adapter
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
from formcheck.web.timeline import rule_timelines, timeline_chart


@pytest.fixture(scope="module")
def specs():
    return load_specs()


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


def test_rule_timelines_from_csv_and_summary(specs):
    spec = specs["tree_pose"]
    rows = []
    for i in range(10):
        rows.append({"frame": i, "t_s": i * 0.1, "exercise": "tree_pose" if i > 1 else "",
                     "tree_pose.torso_lean": 5 + i, "tree_pose.hip_tilt": ""})
    frames = pd.DataFrame(rows)
    summary = {"faults": {"torso_leaning": {"total_s": 0.4, "intervals": [[0.6, 1.0]]}}}
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


# --------------------------------------------------------------------------- batch adapter


def test_batch_runner_absent(monkeypatch):
    monkeypatch.setitem(sys.modules, "formcheck.batch", None)  # import raises ImportError
    assert batch_adapter.find_runner() is None


def test_batch_runner_found_called_and_read(monkeypatch, tmp_path):
    seen = {}

    def run_batch(folder, *, out_dir, on_progress=None):
        seen.update(folder=folder, out_dir=out_dir)
        on_progress(1, 1, "a.mp4")
        (out_dir / "report.md").write_text("# Report\nF1 = 1.0", encoding="utf-8")
        return {"rows": [{"file": "a.mp4", "f1": 1.0}]}

    mod = types.ModuleType("formcheck.batch")
    mod.run_batch = run_batch
    monkeypatch.setitem(sys.modules, "formcheck.batch", mod)
    fn = batch_adapter.find_runner()
    assert fn is run_batch
    progress = []
    result = batch_adapter.call_runner(fn, tmp_path, tmp_path, "lite", lambda *a: progress.append(a))
    assert seen == {"folder": tmp_path, "out_dir": tmp_path} and progress == [(1, 1, "a.mp4")]
    outcome = batch_adapter.read_outcome(result, tmp_path)
    assert outcome.rows == [{"file": "a.mp4", "f1": 1.0}]
    assert outcome.report.startswith("# Report") and [p.name for p in outcome.files] == ["report.md"]


def test_batch_outcome_duck_typing(tmp_path):
    report = tmp_path / "r.html"
    report.write_text("<html>ok</html>", encoding="utf-8")
    result = types.SimpleNamespace(results=pd.DataFrame([{"a": 1}]), report_path=report)
    outcome = batch_adapter.read_outcome(result)
    assert outcome.rows == [{"a": 1}] and outcome.report_html == "<html>ok</html>"
