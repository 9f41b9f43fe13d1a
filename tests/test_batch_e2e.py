"""End-to-end tests of ``formcheck batch`` on a tiny labelled folder cut from ../shared/realdata.

The folder (built in tmp, never in the repo): two photos, a 1.5 s clip cut from a realdata
video with PyAV, a corrupt file and an unlabelled photo in a subfolder. The same batch runs
serially, with 2 processes, on a Dask LocalCluster and interrupted-then-resumed; every result
file must come out byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from resources import MODEL_DIR, REALDATA

from formcheck.batch.cli import BatchOutcome, main, run_and_report
from formcheck.batch.record import BatchRecord
from formcheck.batch.runner import RESULTS_NAME, BatchOptions
from formcheck.media import H264Writer, iter_video_frames, probe_video
from formcheck.models import MODEL_DIR_ENV

SOURCES = {
    "boat.jpg": REALDATA / "boat" / "polireddy_boat-pose.jpg",
    "tree.jpg": REALDATA / "tree" / "sunita_tree-1.jpg",
    "extra/unlabelled.jpg": REALDATA / "none" / "sunita_no-pose-1.jpg",
}
CLIP_SOURCE = REALDATA / "boat" / "yogafitness_boat.mp4"
LABELS = (
    "file,exercise,faults,view,start_s,end_s,notes\n"
    "boat.jpg,boat_pose,,side,,,full boat\n"
    "tree.jpg,tree_pose,foot_on_knee,front,,,deliberately wrong fault label\n"
    "clip/boat half.mp4,none,,side,0,0.4,entry\n"
    "clip/boat half.mp4,boat_pose,knees_bent,side,0.4,,half boat\n"
    "broken.mp4,none,,,,,corrupt\n"
)
#: Files whose bytes must not depend on the engine, the job count or an interruption.
DETERMINISTIC = (RESULTS_NAME, "clips.csv", "evaluation.csv", "metrics.json")

pytestmark = [
    pytest.mark.usefixtures("model_dir"),
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (MODEL_DIR / "pose_landmarker_lite.task").is_file()
        or not all(p.is_file() for p in [*SOURCES.values(), CLIP_SOURCE]),
        reason=f"needs ../shared/realdata ({REALDATA}) and the lite model in {MODEL_DIR}",
    ),
]


def _cut_clip(src: Path, dst: Path, seconds: float) -> None:
    """Re-encode the first ``seconds`` of ``src`` into ``dst`` with PyAV."""
    fps = probe_video(src).fps or 30.0
    dst.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for rgb, t in iter_video_frames(src):
            if t >= seconds:
                break
            if writer is None:
                writer = H264Writer(dst, fps=fps, size=(rgb.shape[1], rgb.shape[0]))
            writer.write(rgb, timestamp_s=t)
    finally:
        if writer is not None:
            writer.close()


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch") / "clips"
    for rel, src in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, root / rel)
    _cut_clip(CLIP_SOURCE, root / "clip" / "boat half.mp4", 1.5)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    (root / "labels.csv").write_text(LABELS, encoding="utf-8")
    return root


def _opts(folder: Path, out: Path, **kw: object) -> BatchOptions:
    return BatchOptions(folder=folder, out=out, model="lite", progress=False, **kw)  # type: ignore[arg-type]


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in DETERMINISTIC}


@pytest.fixture(scope="module")
def serial(batch_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchOutcome:
    out = tmp_path_factory.mktemp("serial")
    mp = pytest.MonkeyPatch()
    mp.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
    try:
        return run_and_report(_opts(batch_dir, out, jobs=1), batch_dir / "labels.csv")
    finally:
        mp.undo()


def test_small_labelled_batch_end_to_end(serial: BatchOutcome, batch_dir: Path) -> None:
    out = serial.report.parent
    records = [json.loads(line) for line in (out / RESULTS_NAME).read_text().splitlines()]
    by_file = {r["file"]: r for r in records}
    assert list(by_file) == ["boat.jpg", "broken.mp4", "clip/boat half.mp4", "extra/unlabelled.jpg", "tree.jpg"]
    assert by_file["broken.mp4"]["error_kind"] == "media" and "broken.mp4" in by_file["broken.mp4"]["error"]
    assert str(batch_dir) not in by_file["broken.mp4"]["error"]  # no absolute paths in results
    assert by_file["boat.jpg"]["kind"] == "image" and by_file["boat.jpg"]["error"] is None
    clip = by_file["clip/boat half.mp4"]
    assert clip["kind"] == "video" and clip["frames"] > 20 and clip["segments"]
    assert clip["segments"][0][0] == 0.0 and clip["segments"][-1][1] == pytest.approx(clip["duration_s"], abs=0.05)
    assert by_file["extra/unlabelled.jpg"]["error"] is None  # analysed, not scored

    m = json.loads((out / "metrics.json").read_text())
    assert (m["rows"], m["rows_scored"], m["rows_with_clip_error"], m["complete"]) == (5, 5, 1, True)
    assert m["confusion"]["labels"][-1] == "none" and sum(map(sum, m["confusion"]["counts"])) == 5
    foot = next(f for f in m["faults"] if f["key"] == "tree_pose/foot_on_knee")
    assert foot["support"] == 1 and foot["tp"] + foot["fn"] == 1
    evaluation = (out / "evaluation.csv").read_text().splitlines()
    assert len(evaluation) == 6 and "unlabelled" not in "".join(evaluation)
    clips_csv = (out / "clips.csv").read_text().splitlines()
    assert len(clips_csv) == 6 and clips_csv[0].startswith("file,exercise_mode,kind,exercise,side,view")
    timing = json.loads((out / "timing.json").read_text())
    assert timing["engine"] == "serial" and timing["analysed"] == 5 and len(timing["clips"]) == 5

    html = serial.report.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html  # self-contained
    assert "Recognition confusion matrix" in html and "<svg" in html
    assert 'href="../clips/clip/boat%20half.mp4"' in html or "boat%20half.mp4" in html
    assert "exercise accuracy" in serial.summary and "report:" in serial.summary


def test_pool_and_cli_give_identical_files(
    serial: BatchOutcome, batch_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pool"
    code = main([str(batch_dir), "--out", str(out), "--jobs", "2", "--model", "lite", "--no-progress"])
    assert code == 0
    assert "exercise accuracy" in capsys.readouterr().out
    timing = json.loads((out / "timing.json").read_text())
    assert timing["engine"] == "pool"
    assert _files(out) == _files(serial.report.parent)
    # This process works too, beside one spawned worker, and both took jobs.
    pids = {c["worker"].rsplit(":", 1)[1] for c in timing["clips"]}
    assert str(os.getpid()) in pids and len(pids) == 2, pids


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_files(serial: BatchOutcome, batch_dir: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the 'dask' extra is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        out = tmp_path / "dask"
        outcome = run_and_report(_opts(batch_dir, out, scheduler=cluster.scheduler_address), batch_dir / "labels.csv")
    assert outcome.result.timing["engine"] == "dask"
    assert _files(out) == _files(serial.report.parent)


def test_interrupted_run_resumes_and_ends_identical(serial: BatchOutcome, batch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "resume"
    done: list[str] = []

    def stop_after_first(record: BatchRecord, timing: dict) -> None:
        done.append(record.file)
        raise KeyboardInterrupt

    first = run_and_report(_opts(batch_dir, out, jobs=1), batch_dir / "labels.csv", on_clip=stop_after_first)
    assert first.result.interrupted and not first.result.complete and len(done) == 1
    assert len((out / RESULTS_NAME).read_text().splitlines()) == 1
    assert json.loads((out / "metrics.json").read_text())["complete"] is False
    assert "Incomplete batch" in first.report.read_text()
    with (out / RESULTS_NAME).open("a") as f:
        f.write('{"cache_key": "cut-off line')  # a crash mid-line must not stop the resume

    second = run_and_report(_opts(batch_dir, out, jobs=1), batch_dir / "labels.csv")
    assert (second.result.reused, second.result.analysed) == (1, 4)
    assert second.result.complete and not second.result.interrupted
    assert _files(out) == _files(serial.report.parent)

    third = run_and_report(_opts(batch_dir, out, jobs=1), batch_dir / "labels.csv")
    assert (third.result.reused, third.result.analysed) == (5, 0)
    assert _files(out) == _files(serial.report.parent)


def test_annotate_writes_clips_inside_the_output_folder(batch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "annotated-run"
    code = main([str(batch_dir), "--out", str(out), "--jobs", "1", "--model", "lite", "--no-labels",
                 "--annotate", "--no-progress"])  # fmt: skip
    assert code == 0
    records = {r["file"]: r for r in map(json.loads, (out / RESULTS_NAME).read_text().splitlines())}
    video = out / records["clip/boat half.mp4"]["annotated"]
    photo = out / records["boat.jpg"]["annotated"]
    assert video.is_file() and video.suffix == ".mp4" and photo.is_file() and photo.suffix == ".png"
    for p in (video, photo):
        assert p.resolve().is_relative_to((out / "annotated").resolve())
    assert not (out / "metrics.json").exists()
    assert "[annotated]" in (out / "report.html").read_text()


def test_bad_input_is_reported(batch_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(batch_dir), "--out", str(tmp_path / "o"), "--labels", str(tmp_path / "nope.csv")]) == 2
    assert "label file not found" in capsys.readouterr().err
    bad = tmp_path / "labels.csv"
    bad.write_text("file,exercise,faults\nmissing.mp4,none,\n", encoding="utf-8")
    assert main([str(batch_dir), "--out", str(tmp_path / "o"), "--labels", str(bad)]) == 2
    assert "labels.csv:2: column 'file': 'missing.mp4' not found" in capsys.readouterr().err
    assert main([str(tmp_path / "no-such-dir"), "--out", str(tmp_path / "o")]) == 2
    assert main([str(batch_dir), "--out", str(tmp_path / "o"), "--exercise", "yoga"]) == 2
    assert "unknown" in capsys.readouterr().err


def test_discovery_skips_the_output_folder_inside_the_batch_folder(batch_dir: Path, tmp_path: Path) -> None:
    from formcheck.batch.runner import discover  # noqa: PLC0415

    folder = tmp_path / "f"
    shutil.copytree(batch_dir, folder)
    (folder / "out" / "annotated").mkdir(parents=True)
    (folder / "out" / "annotated" / "x.png").write_bytes(b"x")
    (folder / ".hidden.jpg").write_bytes(b"x")
    found = discover(folder, exclude=folder / "out")
    assert found == ["boat.jpg", "broken.mp4", "clip/boat half.mp4", "extra/unlabelled.jpg", "tree.jpg"]
