"""The coach on the page (AppTest, ``webrtc_streamer`` patched): the routine panel, the recap after
STOP (saved to the history), the Progress page (trends, streak, CSV, delete with confirmation)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from page_app import ROOT, fake_webrtc_ctx, patched_page, run_app
from streamlit.testing.v1 import AppTest

from formcheck.coach.machine import Phase, StepView
from formcheck.coach.recap import FrameSample, RecapBuilder
from formcheck.coach.routine import RoutineStep
from formcheck.engine.rules import RuleResult, RuleState
from formcheck.engine.session import FrameResult
from formcheck.history import HistoryStore
from formcheck.userdata import DATA_DIR_ENV
from formcheck.web.progress_view import calendar_html, streak

PROGRESS = str(ROOT / "pages" / "2_Progress.py")


@pytest.fixture
def webrtc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    with patched_page(monkeypatch, tmp_path) as streamer:
        yield streamer


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error]
    parts += [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_routine_panel_shows_step_hold_bar_breathing_and_buttons(webrtc):
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    step = RoutineStep("psoas_stretch", "left", 30.0, 8.0, "Hug your left knee.")
    nxt = RoutineStep("psoas_stretch", "right", 30.0, 10.0, "Switch sides.")
    view = StepView(Phase.HOLD, False, 0, 10, step, nxt, good_s=12.4, target_s=30.0, breath="in",
                    breath_left_s=2.2)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    with mock.patch("formcheck.coach.machine.StepMachine.view", return_value=view):
        at.run()
        res = at.session_state["fc_session"]
        res.coach.on_result(FrameResult(0.0, "psoas_stretch", None, side="left", in_position=True))  # starts it
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    for part in ("Step 1 of 10", "Then: Psoas Stretch · right side", "Psoas Stretch · left side",
                 ">12</span>", "/ 30 s good form", "width:41.3%", "Breathe in · 3"):
        assert part in text, part
    labels = [b.label for b in at.button]
    assert {"← Back", "Pause", "Next →"} <= set(labels), labels
    at.button(key="fc_routine_pause").click().run()
    assert res.coach._machine.paused


def test_stop_shows_the_recap_and_saves_it(webrtc, tmp_path):
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    at = run_app()
    at.sidebar.selectbox(key="fc_exercise").set_value("tree_pose").run()
    res = at.session_state["fc_session"]
    fault = (RuleResult("foot_on_knee", RuleState.FAULT, 0.1, 0.0),)
    for k in range(40):
        res.coach.on_result(FrameResult(k * 0.125, "tree_pose", None, side="left", in_position=True, score=100.0,
                                        rules=fault if 10 <= k < 20 else (),
                                        metrics={"foot_height_on_leg": 0.4}, reports={"foot": "thigh"}))
    webrtc.return_value = fake_webrtc_ctx(playing=False)
    at.run()
    assert not at.exception
    text = _texts(at)
    assert "Your session: recap" in text and "Foot pressing on the knee ×1" in text
    assert "Saved to your history on this computer" in text
    assert {b.label for b in at.get("download_button")} >= {"Recap (CSV)", "Recap (JSON)"}
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    assert len(store.sessions()) == 1 and store.entries()[0].exercise == "tree_pose"


def test_history_switch_off_keeps_the_recap_but_saves_nothing(webrtc, tmp_path):
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    at = run_app()
    at.sidebar.toggle(key="fc_save_history").set_value(False).run()
    res = at.session_state["fc_session"]
    for k in range(10):
        res.coach.on_result(FrameResult(k * 0.125, "psoas_stretch", None, side="left", in_position=True,
                                        score=100.0))
    webrtc.return_value = fake_webrtc_ctx(playing=False)
    at.run()
    assert "Your session: recap" in _texts(at)
    assert not (tmp_path / "data" / "history.sqlite3").exists()


def _save(store: HistoryStore, day: str, good: float) -> None:
    b = RecapBuilder({"psoas_stretch": "Psoas Stretch"}, mode="routine", routine="psoas_release")
    b.started_at = f"{day}T09:00:00+00:00"
    for k in range(int(good / 0.125) + 1):
        b.update(FrameSample(k * 0.125, "psoas_stretch", "left", True, score=95.0, metrics={"hip_flexion": 60.0}))
    store.save(b.finish())


def test_progress_page_trends_csv_and_delete_with_confirmation(webrtc, tmp_path):
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    _save(store, "2026-11-29", 10.0)
    _save(store, "2026-11-30", 20.0)
    at = AppTest.from_file(PROGRESS, default_timeout=90)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.metric][0] == "2"
    assert len(at.get("vega_lite_chart")) >= 3, "good-form hold, score, corrections, key measure"
    assert {b.label for b in at.get("download_button")} == {"All history (CSV)"}
    delete = at.button(key="fc_history_delete")
    assert delete.disabled, "delete needs the confirmation first"
    at.checkbox(key="fc_history_confirm").check().run()
    at.button(key="fc_history_delete").click().run()
    assert any("Deleted 2 session(s)" in s.value for s in at.success)
    assert store.sessions() == []
    at.run()
    assert "No sessions yet" in _texts(at)


def test_streak_and_calendar():
    days = {date(2026, 12, 1), date(2026, 11, 30), date(2026, 11, 28)}
    assert streak(days, date(2026, 12, 1)) == 2
    assert streak(days, date(2026, 12, 2)) == 2, "today without a session yet does not break it"
    assert streak(days, date(2026, 12, 3)) == 0
    html = calendar_html(days, date(2026, 12, 1))
    assert html.count("#27ae60") == 3 and 'title="2026-11-28"' in html


def test_upload_figures_come_from_the_same_recap():
    """The Upload tab's recap writer is fed the judged frames, as the live recap is."""
    from formcheck.engine.rules import RuleResult, RuleState
    from formcheck.engine.session import FrameResult
    from formcheck.outputs import Frame
    from formcheck.web.recap_view import RecapWriter

    writer = RecapWriter({"boat_pose": "Boat Pose"}, {"boat_pose": False})
    writer.open(None)
    for k in range(30):
        faulted = 10 <= k < 25
        state = RuleState.FAULT if faulted else RuleState.PASS
        result = FrameResult(
            k * 0.1, "boat_pose" if k >= 5 else None, None, side="left", in_position=k >= 5,
            metrics={"torso_recline": 30.0, "thigh_lift": 40.0}, score=80.0 if faulted else 100.0,
            rules=(RuleResult("knees_bent", state, 120.0, 130.0, 0.5 if faulted else 0.0),),
        )
        writer.write(Frame(k, k * 0.1, None, result, None))
    assert writer.close(None) == {}
    (e,) = writer.recap.entries
    assert e.side == "" and e.in_position_s == pytest.approx(2.5) and e.good_s + e.fault_s == pytest.approx(2.5)
    assert e.faults[0].name == "Knees bent" and e.faults[0].total_s == pytest.approx(1.5)
    assert "Knees bent 60% of the time" in e.score_note
    assert {m.id: m.value for m in e.measures}["v_angle"] == pytest.approx(80.0)


def test_arrow_safe_tables_have_one_type_per_column():
    import pyarrow as pa

    from formcheck.web.tables import arrow_safe

    rows = [{"file": "a.mp4", "score": "", "clips": 3, "note": 1.5, "ok": True},
            {"file": "b.mp4", "score": 87.5, "clips": 4, "note": "borderline", "ok": None}]
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        pa.Table.from_pylist(rows)  # what the page used to hand to st.dataframe
    fixed = arrow_safe(rows)
    table = pa.Table.from_pylist(fixed)
    assert table.column("score").to_pylist() == [None, 87.5]
    assert table.column("clips").to_pylist() == [3, 4] and pa.types.is_integer(table.schema.field("clips").type)
    assert table.column("note").to_pylist() == ["1.5", "borderline"]
    assert table.column("ok").to_pylist() == [True, None]


def test_routine_panel_prompts_in_words():
    from formcheck.engine.specs import load_specs
    from formcheck.web.routine_view import routine_body_html, routine_header_html

    specs = load_specs()
    step = RoutineStep("psoas_stretch", "right", 30.0, 8.0, "Hug your right knee.")
    countdown = StepView(Phase.COUNTDOWN, False, 1, 10, step, None, 0.0, 30.0, countdown_s=3.2, switch_sides=True)
    text = routine_body_html(countdown, specs)
    assert "Switch sides: now your right side" in text and "Get ready: 4" in text and "Hug your right knee." in text
    holding = StepView(Phase.HOLD, True, 1, 10, step, None, 3.0, 30.0, hold_still=True, wrong_side=True)
    text = routine_body_html(holding, specs)
    assert "Paused" in text and "Hold still" in text and "Other side, please" in text
    assert "Last step" in routine_header_html(holding, specs)
    done = StepView(Phase.DONE, False, 9, 10, None, None, 0.0, 0.0)
    assert "Routine complete" in routine_header_html(done, specs)


def test_auto_mode_shows_the_recognised_exercise_large(webrtc):
    from formcheck.live import LiveProcessor, LiveSnapshot

    webrtc.return_value = fake_webrtc_ctx(playing=True)
    snap = LiveSnapshot(frames=5, exercise="tree_pose", cue="Good form: hold it there.", cue_kind="good",
                        in_position=True, rounds=0)
    with mock.patch.object(LiveProcessor, "snapshot", return_value=snap):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.session_state["fc_exercise"] = "auto"
        at.run()
    assert not at.exception
    text = _texts(at)
    assert "Recognised: Tree Pose" in text and "fc-recognised" in text
    assert "Cat-Cow rounds" not in text, "only the counters the exercise has"


def test_a_session_released_mid_way_keeps_its_recap(webrtc, tmp_path):
    """A tab closed while the camera runs: the janitor releases the session and the recap is saved."""
    webrtc.return_value = fake_webrtc_ctx(playing=True)
    at = run_app()
    at.sidebar.selectbox(key="fc_exercise").set_value("tree_pose").run()
    res = at.session_state["fc_session"]
    for k in range(20):
        res.coach.on_result(FrameResult(k * 0.125, "tree_pose", None, side="right", in_position=True, score=100.0))
    res.release_all()
    store = HistoryStore(tmp_path / "data" / "history.sqlite3")
    assert [e.side for e in store.entries()] == ["right"]
