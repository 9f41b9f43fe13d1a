"""The Upload tab: analyse a recorded video or photo, play the annotated result, timelines, downloads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from formcheck.analyze import Analysis, AnalyzeOptions, analyze
from formcheck.coach.recap import RecapEntry
from formcheck.coach.routine import is_sided
from formcheck.coach.words import FIGURE_HELP, score_text, seconds_text
from formcheck.engine.engine import AUTO
from formcheck.engine.specs import ExerciseSpec
from formcheck.errors import FormcheckError, MediaError, ModelNotFoundError
from formcheck.media import probe_video
from formcheck.messages import user_message
from formcheck.outputs import SUFFIXES, file_writers
from formcheck.web.files import UPLOAD_TYPES, Job, UploadError, check_upload
from formcheck.web.guide import fault_label
from formcheck.web.page import MODELS, PageSettings, SessionResources, exercise_label, figures_html
from formcheck.web.recap_view import RecapWriter
from formcheck.web.settings import SettingsError, upload_limit_mb
from formcheck.web.timeline import TimelineWriter, rule_timelines, timeline_chart

RESULT_KEY = "upload_result"
#: Height of one timeline chart in pixels (title and axes included).
CHART_HEIGHT = 270
MIME = {"video": "video/mp4", "image": "image/png", "csv": "text/csv", "json": "application/json"}


@dataclass
class UploadResult:
    """An analysis kept for this session's reruns.

    Attributes:
        key: what was analysed (file id, exercise, model, mirrored): a change means re-analyse.
        name: the uploaded file's name.
        job: where its files are.
        analysis: the outcome.
        frames: the per-frame table (:class:`~formcheck.web.timeline.TimelineWriter`).
        recap: the clip's recap entry for its exercise and main side (None for a photo).
    """

    key: tuple
    name: str
    job: Job
    analysis: Analysis
    frames: pd.DataFrame
    recap: RecapEntry | None = None


def run_analysis(
    job: Job, exercise: str, model: str, mirrored: bool, specs: dict[str, ExerciseSpec]
) -> tuple[Analysis, pd.DataFrame, RecapEntry | None]:
    """Analyse the stored upload with a progress bar; its files go next to it.

    Returns:
        The analysis, its per-frame table and its recap entry (None for a photo).
    """
    total = 0
    try:
        info = probe_video(job.input)
        total = int(info.frame_count or 0)
    except (MediaError, ValueError):
        total = 0
    bar = st.progress(0.0, text="Analysing…")

    def on_frame(index: int, _result: Any) -> None:
        if total and (index % 5 == 0 or index + 1 == total):
            bar.progress(min(1.0, (index + 1) / total), text=f"Analysing… frame {index + 1} of {total}")

    timeline = TimelineWriter()
    recap = RecapWriter({k: v.name for k, v in specs.items()}, {k: is_sided(v) for k, v in specs.items()})
    try:
        analysis = analyze(job.input, AnalyzeOptions(exercise=exercise, model=model, mirrored=mirrored), specs,
                           on_frame, writers=[timeline, recap, *file_writers(job.folder)])
    finally:
        bar.empty()
    return analysis, timeline.frames, _main_entry(analysis, recap)


def _main_entry(analysis: Analysis, writer: RecapWriter) -> RecapEntry | None:
    """The recap entry of the clip's exercise (its main side); None for a photo."""
    ex = analysis.summary.exercise
    if analysis.summary.frames < 2 or writer.recap is None or not ex:
        return None
    entries = [e for e in writer.recap.entries if e.exercise == ex]
    return max(entries, key=lambda e: e.in_position_s) if entries else None


def _summary(specs: dict[str, ExerciseSpec], analysis: Analysis, requested: str, entry: RecapEntry | None) -> None:
    s = analysis.summary
    ex = s.exercise
    if not ex:
        wanted = "" if requested == AUTO else f" of {exercise_label(specs, requested)}"
        st.warning(
            f"Not in the position{wanted}: nothing was judged. "
            f"Person seen in {s.frames_with_person} of {s.frames} frame(s). "
            "Check the camera guide (whole body in view, the right side/front view) and the exercise choice."
        )
        return
    spec = specs[ex]
    details = [d for d in (s.side and f"{s.side} side", s.view and f"{s.view} view") if d]
    st.subheader(spec.name + (f" ({', '.join(details)})" if details else ""))
    if entry is not None:  # a video: the same figures, with the same definitions, as the live recap
        figures = [("Good-form hold", seconds_text(entry.good_s)), ("In position", seconds_text(entry.in_position_s)),
                   ("Form score", score_text(entry.score, bool(entry.faults)))]
    else:  # a photo: one frame
        figures = [("Form score", "–" if s.score is None else score_text(s.score, bool(s.faults)))]
    if spec.counter is not None:
        figures.append(("Cat-Cow rounds", str(s.rounds)))
    figures += [(k.replace("_", " ").capitalize(), str(v)) for k, v in s.reports.items()]
    st.markdown(figures_html(figures, "fc-summary"), unsafe_allow_html=True)
    if entry is not None:
        if entry.score_note:
            st.markdown(f"**Why the score:** {entry.score_note}.")
        st.caption(" ".join([FIGURE_HELP["good_form"], FIGURE_HELP["in_position"], FIGURE_HELP["score"]]))
    if not s.faults:
        st.success("No faults found.")
    cues = {r.id: r.cue for r in spec.rules}
    for fid, fault in s.faults.items():
        spans = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in fault.intervals[:6])
        more = " …" if len(fault.intervals) > 6 else ""
        st.error(f"**{fault_label(fid, ex)}** for {fault.total_s:.1f} s ({spans}{more}). {cues.get(fid, '')}")


def _timelines(specs: dict[str, ExerciseSpec], analysis: Analysis, frames: pd.DataFrame) -> None:
    ex = analysis.summary.exercise
    if not ex or frames.empty:
        return
    tls = rule_timelines(frames, analysis.summary, specs[ex])
    st.markdown("#### Timelines")
    st.caption("Each check's measurement over time. Dashed line: the threshold; pale red: the fault side of it; "
               "red bands: where the fault was reported.")
    duration = analysis.summary.duration_s or None
    unmeasured = []
    for tl in tls:
        if tl.measured:
            st.altair_chart(timeline_chart(tl, duration), width="stretch", height=CHART_HEIGHT)
        else:
            unmeasured.append(tl.title)
    if unmeasured:
        st.caption("Not measured in this clip (out of view, wrong camera angle or not applicable): "
                   + ", ".join(unmeasured) + ".")


def _photo_table(specs: dict[str, ExerciseSpec], analysis: Analysis, frames: pd.DataFrame) -> None:
    ex = analysis.summary.exercise
    if not ex or frames.empty:
        return
    row = frames.iloc[0]
    spec = specs[ex]
    rows = []
    for r in spec.rules:
        value = row.get(f"{ex}.{r.metric}")
        value = round(float(value), 3) if isinstance(value, float | int) else value
        unit = spec.metrics[r.metric].unit
        rows.append({"check": fault_label(r.id), "state": row.get(f"{ex}.{r.id}", ""),
                     "value": value, "fault when": f"{r.fault_when.value} {r.threshold:g} {unit}"})
    st.dataframe(rows, hide_index=True)


def _downloads(analysis: Analysis, name: str) -> None:
    stem = Path(name).stem or "clip"
    cols = st.columns(3)
    labels = {"video": "Annotated video (MP4)", "image": "Annotated photo (PNG)", "csv": "Per-frame metrics (CSV)",
              "json": "Summary (JSON)"}
    for col, kind in zip(cols, [k for k in ("video", "image", "csv", "json") if k in analysis.outputs], strict=False):
        path = analysis.outputs[kind]
        if not path.is_file():
            continue
        col.download_button(labels[kind], data=path.read_bytes, file_name=f"{stem}{SUFFIXES[kind]}", mime=MIME[kind],
                            on_click="ignore", key=f"dl_{kind}")


def render(specs: dict[str, ExerciseSpec], settings: PageSettings, res: SessionResources) -> None:
    """Draw the Upload tab."""
    try:
        limit = upload_limit_mb(st.get_option("server.maxUploadSize"))
    except SettingsError as exc:
        st.error(str(exc))
        return
    st.markdown(f"Upload a recorded **video or photo** (up to {limit} MB). It is analysed on this server as "
                f"**{exercise_label(specs, settings.exercise)}** (change it in the sidebar); the files are deleted "
                "when your session ends.")
    c1, c2 = st.columns([1, 1])
    model = c1.selectbox("Pose model", MODELS, index=1, key="fc_upload_model",
                         help="full is the default for recordings; lite is faster.")
    mirrored = c2.checkbox("Mirrored selfie recording", value=False, key="fc_upload_mirrored",
                           help="Tick when the recording is a mirror image (front camera apps), so left/right are "
                                "swapped back.")
    up = st.file_uploader("Video or photo", type=list(UPLOAD_TYPES), key="fc_upload", max_upload_size=limit)
    if up is None:
        old = res.state.pop(RESULT_KEY, None)
        if old is not None:
            res.files.remove_job(old.job)
        return
    try:
        suffix = check_upload(up.name, up.size, limit)
    except UploadError as exc:
        st.error(str(exc))
        return
    key = (up.file_id, settings.exercise, model, mirrored)
    result: UploadResult | None = res.state.get(RESULT_KEY)
    if result is None or result.key != key or not result.job.input.is_file():
        job = res.files.new_job(up.name, up.getvalue(), suffix)
        try:
            analysis, frames, recap = run_analysis(job, settings.exercise, model, mirrored, specs)
        except FormcheckError as exc:  # nothing of a failed upload is kept
            res.files.remove_job(job)
            if isinstance(exc, ModelNotFoundError):
                st.error(user_message(exc, model))  # one sentence here, the full error in the server log
            elif isinstance(exc, MediaError):
                st.error(f"Could not read “{up.name}”: {exc}")
            else:
                st.error(f"Analysis failed: {exc}")
            return
        result = UploadResult(key, up.name, job, analysis, frames, recap)
        res.state[RESULT_KEY] = result
    show_result(specs, result, settings.exercise)


def show_result(specs: dict[str, ExerciseSpec], result: UploadResult, requested: str) -> None:
    """The analysis: summary, annotated media, timelines, downloads."""
    a = result.analysis
    media_col, info_col = st.columns([3, 2], gap="large")
    with media_col:
        if "video" in a.outputs and a.outputs["video"].is_file():
            st.video(str(a.outputs["video"]), format="video/mp4")
        elif "image" in a.outputs and a.outputs["image"].is_file():
            st.image(str(a.outputs["image"]), caption=result.name)
    with info_col:
        _summary(specs, a, requested, result.recap)
        with st.expander("Summary JSON"):
            st.json(a.to_dict(), expanded=False)
    if a.kind == "video":
        _timelines(specs, a, result.frames)
    else:
        _photo_table(specs, a, result.frames)
    st.markdown("#### Downloads")
    _downloads(a, result.name)
