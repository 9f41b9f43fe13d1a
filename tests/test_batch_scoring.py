"""Unit tests of formcheck.batch.scoring and .labels: windows, metrics on a hand-computed example."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from formcheck.batch import runner
from formcheck.batch.labels import LabelError, LabelRow, read_labels
from formcheck.batch.record import BatchRecord
from formcheck.batch.runner import ClipJob, inside, safe_output_name
from formcheck.batch.scoring import (
    compute_metrics,
    predict_window,
    run_mode,
    score_row,
    segments_from_frames,
)
from formcheck.errors import FormcheckError, MediaError

FAULTS = {
    "boat_pose": ("knees_bent", "feet_on_floor"),
    "tree_pose": ("foot_on_knee", "hips_uneven"),
}
KEYS = [f"{ex}/{f}" for ex in sorted(FAULTS) for f in FAULTS[ex]]


# -- segments and windows ----------------------------------------------------------------------


def test_segments_run_length_encode_frames_each_lasting_until_the_next() -> None:
    frames = [
        (0.0, None, False, ()),
        (0.1, "tree_pose", True, ("foot_on_knee",)),
        (0.2, "tree_pose", True, ("foot_on_knee",)),
        (0.3, "tree_pose", True, ()),
    ]
    assert segments_from_frames(frames, last_step_s=0.1) == [
        [0.0, 0.1, None, False, []],
        [0.1, 0.3, "tree_pose", True, ["foot_on_knee"]],
        [0.3, 0.4, "tree_pose", True, []],
    ]
    assert segments_from_frames([], 0.1) == []


def test_window_fault_needs_half_a_second_in_total_inside_the_window() -> None:
    segs = [
        [0.0, 0.3, "tree_pose", True, ["hips_uneven"]],
        [0.3, 1.0, "tree_pose", True, []],
        [1.0, 1.3, "tree_pose", True, ["hips_uneven"]],
        [1.3, 2.0, "tree_pose", True, []],
    ]
    assert predict_window(segs).faults == ("tree_pose/hips_uneven",)  # 0.3 + 0.3 s
    assert predict_window(segs, 0.0, 1.0).faults == ()  # 0.3 s only
    assert predict_window(segs, 0.1, 1.2).faults == ()  # 0.2 + 0.2 s
    assert predict_window(segs).exercise == "tree_pose"


def test_window_exercise_needs_more_than_half_the_window_in_position() -> None:
    segs = [[0.0, 1.0, None, False, []], [1.0, 2.0, "boat_pose", True, []], [2.0, 2.5, "boat_pose", True, []]]
    assert predict_window(segs).exercise == "boat_pose"  # 1.5 of 2.5 s
    assert predict_window(segs, 0.0, 2.0).exercise == "none"  # exactly half: not most
    pred = predict_window(segs, 0.0, 1.6)
    assert pred.exercise == "none" and pred.reached("boat_pose")  # 0.6 s in position: reached
    assert not predict_window(segs, 0.0, 1.2).reached("boat_pose")  # 0.2 s
    assert predict_window(segs, 5.0, 6.0) == predict_window([])  # window past the clip's end


def test_photo_counts_its_one_frame_whatever_the_window() -> None:
    segs = [[0.0, 1.0, "tree_pose", True, ["foot_on_knee"]]]
    pred = predict_window(segs, 3.0, 4.0, instant=True)
    assert pred.exercise == "tree_pose" and pred.faults == ("tree_pose/foot_on_knee",)
    assert pred.reached("tree_pose")


def test_run_mode_uses_the_labelled_exercise_only_in_labels_mode() -> None:
    tree, none = LabelRow("a.jpg", "tree_pose"), LabelRow("b.jpg", "none")
    assert run_mode(tree, "labels") == "tree_pose" and run_mode(none, "labels") == "auto"
    assert run_mode(tree, "auto") == "auto" and run_mode(tree, "boat_pose") == "boat_pose"


# -- the hand-computed example --------------------------------------------------------------------


def _rec(segments: list, kind: str = "image", error: str | None = None) -> BatchRecord:
    return BatchRecord("a.jpg", "auto", "k", "s", kind, segments=segments, error=error)


def hand_example() -> list:
    """Six rows; the expected counts are worked out by hand in the test below."""
    a = _rec(
        [
            [0.0, 3.0, "tree_pose", True, ["foot_on_knee"]],
            [3.0, 4.0, "tree_pose", True, []],
            [4.0, 4.3, "tree_pose", True, ["hips_uneven"]],
            [4.3, 6.0, None, False, []],
        ],
        kind="video",
    )
    return [
        # 1: foot_on_knee 3 s in 0-4: TP; tree in position 4/4 s: tree_pose.
        score_row(LabelRow("a.mp4", "tree_pose", ("foot_on_knee",), start_s=0, end_s=4, row=2), a),
        # 2: hips_uneven only 0.3 s in 4-6: nothing; in position 0.3/2 s: none. Correct.
        score_row(LabelRow("a.mp4", "none", start_s=4, end_s=6, row=3), a),
        # 3: correct tree photo with hips_uneven found: FP tree_pose/hips_uneven.
        score_row(LabelRow("b.jpg", "tree_pose", row=4), _rec([[0, 1, "tree_pose", True, ["hips_uneven"]]])),
        # 4: boat with knees_bent read as tree with foot_on_knee: FN boat/knees_bent, FP tree/foot_on_knee.
        score_row(
            LabelRow("c.jpg", "boat_pose", ("knees_bent",), row=5), _rec([[0, 1, "tree_pose", True, ["foot_on_knee"]]])
        ),
        # 5: a none photo read as boat with knees_bent: FP boat/knees_bent.
        score_row(LabelRow("d.jpg", "none", row=6), _rec([[0, 1, "boat_pose", True, ["knees_bent"]]])),
        # 6: a corrupt tree clip with foot_on_knee: FN tree/foot_on_knee, predicted none.
        score_row(LabelRow("e.mp4", "tree_pose", ("foot_on_knee",), row=7), _rec([], "video", error="corrupt")),
    ]


def test_metrics_on_a_hand_computed_example() -> None:
    outcomes = hand_example()
    m = compute_metrics(outcomes, KEYS, sorted(FAULTS), confusion=True)
    by_key = {f["key"]: f for f in m["faults"]}
    assert by_key["tree_pose/foot_on_knee"] == {
        "key": "tree_pose/foot_on_knee", "tp": 1, "fp": 1, "fn": 1, "support": 2,
        "precision": 0.5, "recall": 0.5, "f1": 0.5,
    }  # fmt: skip
    assert by_key["tree_pose/hips_uneven"] | {} == {
        "key": "tree_pose/hips_uneven", "tp": 0, "fp": 1, "fn": 0, "support": 0,
        "precision": 0.0, "recall": None, "f1": 0.0,
    }  # fmt: skip
    assert (by_key["boat_pose/knees_bent"]["fp"], by_key["boat_pose/knees_bent"]["fn"]) == (1, 1)
    assert by_key["boat_pose/knees_bent"]["f1"] == 0.0
    assert by_key["boat_pose/feet_on_floor"]["support"] == 0 and by_key["boat_pose/feet_on_floor"]["f1"] is None
    # micro: TP 1, FP 3, FN 2 → P 1/4, R 1/3, F1 2/7
    assert m["micro"] | {} == {
        "tp": 1, "fp": 3, "fn": 2, "support": 3, "precision": 0.25, "recall": 0.3333, "f1": 0.2857,
    }  # fmt: skip
    assert m["exercise_accuracy"] == {"correct": 3, "total": 6, "accuracy": 0.5}  # rows 1, 2, 3
    assert m["position"] == [
        {"exercise": "boat_pose", "rows": 1, "reached": 0, "rate": 0.0},
        {"exercise": "tree_pose", "rows": 3, "reached": 2, "rate": 0.6667},
    ]
    assert m["confusion"] == {
        "labels": ["boat_pose", "tree_pose", "none"],
        "rows_are": "labelled",
        "columns_are": "predicted",
        "counts": [[0, 1, 0], [0, 2, 1], [1, 0, 1]],
    }
    assert [(i["file"], i["key"]) for i in m["misses"]] == [("c.jpg", "boat_pose/knees_bent"),
                                                          ("e.mp4", "tree_pose/foot_on_knee")]  # fmt: skip
    assert [(i["file"], i["key"]) for i in m["false_alarms"]] == [
        ("b.jpg", "tree_pose/hips_uneven"),
        ("c.jpg", "tree_pose/foot_on_knee"),
        ("d.jpg", "boat_pose/knees_bent"),
    ]
    assert m["rows_with_clip_error"] == 1 and m["rows_pending"] == 0


def test_rows_of_unfinished_clips_are_pending_not_scored() -> None:
    outcomes = [*hand_example(), score_row(LabelRow("f.jpg", "tree_pose", row=8), None)]
    m = compute_metrics(outcomes, KEYS, sorted(FAULTS), confusion=False)
    assert (m["rows"], m["rows_scored"], m["rows_pending"]) == (7, 6, 1)
    assert m["confusion"] is None


# -- labels ------------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, files: tuple[str, ...] = ("a.jpg", "sub/b.mp4")) -> Path:
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes(b"x")
    p = tmp_path / "labels.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_labels_are_parsed(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "file,exercise,faults,view,start_s,end_s,notes\n"
        "a.jpg,tree_pose,hips_uneven;foot_on_knee,front,,,note\n"
        "\n"
        "sub/b.mp4,none,,,0,1.5,\n",
    )
    rows = read_labels(p, FAULTS)
    assert rows == [
        LabelRow("a.jpg", "tree_pose", ("foot_on_knee", "hips_uneven"), "front", None, None, "note", 2),
        LabelRow("sub/b.mp4", "none", (), "", 0.0, 1.5, "", 4),
    ]
    assert rows[1].window == "0-1.5" and rows[0].window == "all"


def test_label_errors_name_file_row_and_column(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "file,exercise,faults,view,start_s,end_s,notes\n"
        "a.jpg,tree,,,,,\n"
        "a.jpg,tree_pose,knees_bent,,,,\n"
        "a.jpg,none,hips_uneven,,,,\n"
        "a.jpg,none,,top,abc,,\n"
        "sub/b.mp4,none,,,2,1,\n"
        "missing.mp4,none,,,,,\n"
        "../a.jpg,none,,,,,\n",
    )
    with pytest.raises(LabelError) as err:
        read_labels(p, FAULTS)
    msg = str(err.value)
    for expected in (
        "labels.csv:2: column 'exercise': unknown exercise 'tree'",
        "labels.csv:3: column 'faults': 'knees_bent' is not a fault of tree_pose",
        "labels.csv:4: column 'faults': a 'none' row cannot list faults",
        "labels.csv:5: column 'view': 'top'",
        "labels.csv:5: column 'start_s': 'abc' is not a number",
        "labels.csv:6: columns 'start_s','end_s'",
        "labels.csv:7: column 'file': 'missing.mp4' not found",
        "labels.csv:8: column 'file': '../a.jpg' must be a path inside",
    ):
        assert expected in msg
    assert "8 problem(s)" in msg


def test_missing_label_file_and_column_are_reported(tmp_path: Path) -> None:
    with pytest.raises(LabelError, match="label file not found"):
        read_labels(tmp_path / "labels.csv", FAULTS)
    p = _write(tmp_path, "file,faults\na.jpg,\n")
    with pytest.raises(LabelError, match=r"labels.csv:1: missing column\(s\) exercise"):
        read_labels(p, FAULTS)


# -- output paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["../../etc/passwd", "/abs/clip.mp4", "a/../../b.jpg", "..", "tree/a b.jpg"])
def test_output_names_never_escape_the_output_folder(tmp_path: Path, rel: str) -> None:
    name = safe_output_name(rel, "auto")
    assert "/" not in name and ".." not in name and name.endswith(".auto")
    assert inside(tmp_path / "annotated" / name, tmp_path / "annotated").parent == (tmp_path / "annotated").resolve()
    with pytest.raises(FormcheckError, match="escapes"):
        inside(tmp_path / "annotated" / ".." / ".." / "x", tmp_path / "annotated")


# -- planning ----------------------------------------------------------------------------------------


def test_labels_mode_plans_one_run_per_labelled_exercise(tmp_path: Path) -> None:
    from formcheck.batch.runner import BatchOptions, plan_jobs  # noqa: PLC0415
    from formcheck.engine.specs import load_specs  # noqa: PLC0415

    for name in ("a.mp4", "sub/b.jpg", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    rows = [LabelRow("a.mp4", "none", end_s=1.0), LabelRow("a.mp4", "tree_pose", start_s=1.0)]
    specs = load_specs()
    model = {"variant": "lite", "sha256": "0" * 64}
    out = tmp_path / "out"
    jobs = plan_jobs(BatchOptions(tmp_path, out, exercise="labels"), specs, rows, model)
    assert [(j.rel, j.mode) for j in jobs] == [("a.mp4", "auto"), ("a.mp4", "tree_pose"), ("sub/b.jpg", "auto")]
    assert len({j.key for j in jobs}) == 3
    auto = plan_jobs(BatchOptions(tmp_path, out), specs, rows, model)
    assert [(j.rel, j.mode) for j in auto] == [("a.mp4", "auto"), ("sub/b.jpg", "auto")]
    assert auto[0].key == jobs[0].key  # same clip, mode, specs and model: same cache key
    other_model = plan_jobs(BatchOptions(tmp_path, out), specs, rows, {"variant": "full", "sha256": "1" * 64})
    assert other_model[0].key != auto[0].key


def test_engine_fingerprint_covers_the_code_that_decides_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing the engine, the estimator's wrapper, the decoder or the analysis loop (which frame
    asks for the mask) changes the cache key; editing a front end does not."""
    real_read = Path.read_bytes
    edited: list[str] = []

    def read_bytes(self: Path) -> bytes:
        return real_read(self) + (b"# edited" if self.name in edited else b"")

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    before = runner.engine_fingerprint()
    for name, counts in [("cli.py", False), ("outputs.py", False), ("analyze.py", True), ("threads.py", True),
                         ("session.py", True), ("estimator.py", True), ("media.py", True)]:
        edited[:] = [name]
        assert (runner.engine_fingerprint() != before) is counts, name


# -- running -----------------------------------------------------------------------------------


def _job(tmp_path: Path, *, annotate: bool, decode_threads: int | None) -> ClipJob:
    return ClipJob(
        path=str(tmp_path / "a.mp4"),
        rel="a.mp4",
        mode="auto",
        key="k",
        content_sha256="0" * 64,
        size=1,
        model="lite",
        model_path=None,
        model_sha256="0" * 64,
        spec_dir=None,
        out=str(tmp_path / "out"),
        annotate_dir=str(tmp_path / "out" / "annotated" / "a") if annotate else None,
        decode_threads=decode_threads,
    )


def test_a_clip_runs_the_people_check_only_for_the_annotated_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formcheck.analyze import AnalyzeOptions  # noqa: PLC0415

    seen: list[AnalyzeOptions] = []
    writers: list[list[str]] = []

    def fake_analyze(path: object, options: AnalyzeOptions, **kwargs: Any) -> None:
        seen.append(options)
        writers.append([type(w).__name__ for w in kwargs["writers"]])
        raise MediaError("stop here")

    monkeypatch.setattr("formcheck.analyze.analyze", fake_analyze)
    monkeypatch.setattr(runner, "_check_model", lambda job: None)
    for annotate, threads in ((False, 1), (True, None)):
        record, _ = runner.process_clip(_job(tmp_path, annotate=annotate, decode_threads=threads))
        assert record.error_kind == "media"
    assert [o.people_check_s for o in seen] == [0.0, AnalyzeOptions().people_check_s]
    assert seen[1].people_check_s > 0
    assert writers == [
        ["BriefWriter"],
        ["BriefWriter", "AnnotatedVideoWriter", "AnnotatedPhotoWriter", "SummaryJsonWriter"],
    ]
    assert [o.decode_threads for o in seen] == [1, None]


@pytest.mark.parametrize(("jobs", "engine", "threads"), [(1, "run_serial", None), (2, "run_pool", 1)])
def test_workers_that_share_the_cores_decode_on_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, engine: str, threads: int | None
) -> None:
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(name.encode())
    given: list[int | None] = []

    def fake_engine(pending: list[ClipJob], *_: object) -> Iterator[tuple[dict, dict]]:
        given.extend(j.decode_threads for j in pending)
        return iter(())

    monkeypatch.setattr(runner, engine, fake_engine)
    monkeypatch.setattr(runner, "model_fingerprint", lambda *_: {"variant": "lite", "sha256": "0" * 64})
    runner.run_batch(runner.BatchOptions(tmp_path, tmp_path / "out", jobs=jobs, progress=False))
    assert given == [threads, threads]
