"""Bad and unusual input files through ``formcheck analyze`` and ``formcheck batch``.

Every input is generated here, in tmp (PyAV, OpenCV, numpy): corrupt, truncated, zero-length,
text named ``.mp4``, a PNG/JPEG named ``.mp4``, audio only, 4000x3000 and 3840x2160, 16x16 and
2x2, a two-minute clip, variable frame rate, a phone video with display-matrix rotation,
grayscale / RGBA / 16-bit PNGs, an animated GIF named ``.png``, a FIFO, and unicode and spaces
in the paths. Each must give a result (exit 0/1) or exit 2 with one ``error:`` line that names
the file and says what to do: never a traceback, never a hang (a per-case alarm, and the batch
runs in a subprocess with a timeout), and in a batch the other clips still finish.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.video.stream
import cv2
import numpy as np
import pytest
from media_gen import encode_rgb_frames
from resources import MODEL_DIR, SHARED

from formcheck.analyze import AnalyzeOptions, analyze
from formcheck.batch.record import BriefWriter
from formcheck.batch.runner import MEDIA_EXTENSIONS
from formcheck.cli import EXIT_BAD_INPUT, main
from formcheck.media import H264Writer, iter_video_frames, probe_video
from formcheck.models import MODEL_DIR_ENV
from formcheck.outputs import file_writers

TREE_CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"
#: Seconds one analysis of a generated input may take before it counts as a hang.
CASE_TIMEOUT_S = 60
#: Seconds the whole batch subprocess may take.
BATCH_TIMEOUT_S = 240

pytestmark = [
    pytest.mark.usefixtures("model_dir"),
    pytest.mark.skipif(
        not (MODEL_DIR / "pose_landmarker_lite.task").is_file(),
        reason=f"needs {MODEL_DIR}/pose_landmarker_lite.task",
    ),
]


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail the test (instead of hanging the run) when the block takes longer than ``seconds``."""

    def on_alarm(_sig: int, _frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- generators ------------------------------------------------------------------------------


def noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A random RGB frame."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def write_video(path: Path, n: int, size: tuple[int, int], fps: int = 25, rotation: int = 0) -> Path:
    """An H.264 MP4 written with PyAV (moov at the end), optionally with a display rotation."""
    width, height = size
    base = noise(width, height)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        if rotation:
            s.set_display_rotation(rotation)
        encode_rgb_frames(c, s, (np.roll(base, 2 * i, axis=1) for i in range(n)))
    return path


def write_audio(path: Path) -> Path:
    """An AAC-in-MP4 file with no video stream."""
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=16000)
        s.layout = "mono"
        for i in range(10):
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            fr.sample_rate, fr.pts = 16000, i * 1024
            for p in s.encode(fr):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def write_gif(path: Path, n: int = 3) -> Path:
    """An animated GIF (read as a video whatever its name)."""
    with av.open(str(path), "w", format="gif") as c:
        s = c.add_stream("gif", rate=5)
        s.width, s.height, s.pix_fmt = 32, 32, "rgb8"
        encode_rgb_frames(c, s, (np.full((32, 32, 3), 40 * i, np.uint8) for i in range(n)))
    return path


def png_bytes(img: np.ndarray) -> bytes:
    """``img`` encoded as PNG (any depth/channels OpenCV writes)."""
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def jpeg_bytes(img: np.ndarray) -> bytes:
    """``img`` encoded as JPEG."""
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


@dataclass(frozen=True)
class Case:
    """One generated input and what must happen.

    Attributes:
        name: the file name (unicode and spaces allowed).
        make: writes the file at the given path.
        error: a substring of the expected error message; None: it must be analysed.
        either: a result or an error (then a clear one) are both right.
    """

    name: str
    make: Callable[[Path], object]
    error: str | None = None
    either: bool = False


def _corrupt(start: float, stop: float, count: int) -> Callable[[Path], None]:
    """Overwrite ``count`` random bytes between fractions ``start`` and ``stop`` of a good clip."""

    def make(path: Path) -> None:
        src = write_video(path.with_name(".src_corrupt.mp4"), 20, (96, 64))
        buf = bytearray(src.read_bytes())
        src.unlink()
        rng = np.random.default_rng(1)
        for i in rng.integers(int(len(buf) * start), int(len(buf) * stop), count):
            buf[i] = int(rng.integers(0, 256))
        path.write_bytes(bytes(buf))

    return make


def _truncated(path: Path) -> None:
    src = path.with_name(".src_trunc.mp4")
    write_video(src, 20, (96, 64))
    path.write_bytes(src.read_bytes()[: src.stat().st_size // 2])  # the index (moov) is at the end: lost
    src.unlink()


def _truncated_faststart(path: Path) -> None:
    """Index first (faststart), half the media data: the frames before the cut are analysed."""
    src = path.with_name(".src_fs.mp4")
    with H264Writer(src, 25, (96, 64)) as w:
        for i in range(30):
            w.write(np.roll(noise(96, 64), i, axis=1))
    path.write_bytes(src.read_bytes()[: src.stat().st_size * 2 // 3])
    src.unlink()


def _vfr(path: Path) -> None:
    with H264Writer(path, 30, (64, 48)) as w:
        for t in (0.0, 0.01, 0.05, 0.051, 0.2, 0.21, 0.6, 0.601, 0.602, 1.0):
            w.write(noise(64, 48), timestamp_s=t)


def _write(data: bytes) -> Callable[[Path], object]:
    return lambda p: p.write_bytes(data)


def _png(img: np.ndarray) -> Callable[[Path], object]:
    return lambda p: p.write_bytes(png_bytes(img))


CASES: tuple[Case, ...] = (
    Case("zero length.mp4", _write(b""), "the file is empty (0 bytes)"),
    Case("text.mp4", _write(b"hello, I am not a video\n" * 3), "not a readable video"),
    Case("header only.mp4", lambda p: p.write_bytes(write_video(p, 5, (64, 48)).read_bytes()[:64]),
         "not a readable video"),
    Case("truncated.mp4", _truncated, "not a readable video"),
    Case("truncated faststart.mp4", _truncated_faststart),
    Case("corrupt data.mp4", _corrupt(0.1, 0.8, 300)),  # the media data; the index (moov, at the end) intact
    Case("corrupt index.mp4", _corrupt(0.97, 1.0, 40), "the file is corrupt", either=True),
    Case("audio.m4a", write_audio, "audio only, it has no video stream"),
    Case("audio named video.mp4", write_audio, "audio only, it has no video stream"),
    Case("png named.mp4", _png(noise(64, 48))),
    Case("jpeg named.mp4", lambda p: p.write_bytes(jpeg_bytes(noise(64, 48)))),
    Case("gif named.png", write_gif),
    Case("notes.txt", _write(b"just text"), "not a supported video or photo type"),
    Case("photo.heic", _write(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200), "not a supported video or photo type"),
    Case("truncated.png", lambda p: p.write_bytes(png_bytes(noise(64, 48))[:40]), "not a readable image"),
    Case("garbage after header.png", _write(b"\x89PNG\r\n\x1a\n" + b"x" * 200), "not a readable image"),
    Case("huge 4000x3000.png", _png(np.zeros((3000, 4000, 3), np.uint8))),
    Case("uhd 3840x2160.mp4", lambda p: write_video(p, 2, (3840, 2160))),
    Case("tiny 16x16.png", _png(noise(16, 16))),
    Case("tiny 2x2.png", _png(noise(2, 2))),
    Case("one pixel.png", _png(noise(1, 1))),
    Case("strip 2000x1.png", _png(noise(2000, 1))),
    Case("tiny 16x16.mp4", lambda p: write_video(p, 4, (16, 16))),
    Case("tiny 2x2.mp4", lambda p: write_video(p, 4, (2, 2))),
    Case("variable frame rate.mp4", _vfr),
    Case("phone rotated 90.mp4", lambda p: write_video(p, 4, (64, 32), rotation=90)),
    Case("gray.png", _png(np.full((64, 48), 128, np.uint8))),
    Case("rgba.png", _png(np.dstack([noise(48, 64), np.full((64, 48), 128, np.uint8)]))),
    Case("gray 16-bit.png", _png(np.full((64, 48), 40000, np.uint16))),
    Case("rgb 16-bit.png", _png(np.full((64, 48, 3), 40000, np.uint16))),
    Case("ünïcödé ✓ clip.mp4", lambda p: write_video(p, 4, (64, 48))),
    Case("фото 写真.jpg", lambda p: p.write_bytes(jpeg_bytes(noise(64, 48)))),
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder (with a space and unicode in its own name) holding every case."""
    folder = tmp_path_factory.mktemp("inputs") / "bad inputs ✓"
    folder.mkdir()
    for case in CASES:
        case.make(folder / case.name)
    return folder


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with deadline(CASE_TIMEOUT_S):
        rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_analyze_gives_a_result_or_a_clear_error(
    case: Case, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = inputs / case.name
    rc, out, err = _cli(["analyze", str(path), "--model", "lite", "--out", str(tmp_path / "out")], capsys)
    assert "Traceback" not in err + out
    if case.either and rc in (0, 1):
        return
    if case.error is None:
        assert rc in (0, 1), err
        assert out.startswith(f"{path}: ")
        summary = json.loads(next((tmp_path / "out").glob("*.summary.json")).read_text(encoding="utf-8"))
        assert summary["frames"] >= 1
        assert summary["faults"] == {}  # nobody in these frames: nothing to correct
        annotated = list((tmp_path / "out").glob("*.annotated.*"))
        assert len(annotated) == 1 and annotated[0].stat().st_size > 0
    else:
        assert rc == EXIT_BAD_INPUT, (out, err)
        lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1, err
        assert str(path) in lines[0] and case.error in lines[0], lines[0]
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.summary.json"))


def test_fifo_and_folder_are_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "camera pipe.mp4"
    os.mkfifo(fifo)  # reading a FIFO with no writer would block forever
    rc, _out, err = _cli(["analyze", str(fifo), "--model", "lite", "--out", str(tmp_path / "o")], capsys)
    assert rc == EXIT_BAD_INPUT and f"error: {fifo}: not a regular file" in err
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    rc, _out, err = _cli(["analyze", str(folder), "--out", str(tmp_path / "o")], capsys)
    assert rc == EXIT_BAD_INPUT and "is a folder" in err
    rc, _out, err = _cli(["analyze", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "o")], capsys)
    assert rc == EXIT_BAD_INPUT and "missing.mp4: no such file" in err


def test_unknown_exercise_and_internal_errors_are_one_line(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = str(inputs / "ünïcödé ✓ clip.mp4")
    rc, _out, err = _cli(["analyze", clip, "--exercise", "tree", "--out", str(tmp_path)], capsys)
    assert rc == EXIT_BAD_INPUT and "unknown exercise 'tree'" in err and "tree_pose" in err

    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr("formcheck.analyze.analyze", broken)
    rc, _out, err = _cli(["analyze", clip, "--out", str(tmp_path)], capsys)
    assert rc == 4 and "Traceback" not in err
    assert f"error: internal error on {clip}: ZeroDivisionError: simulated bug" in err


def test_rotated_phone_video_is_analysed_upright(inputs: Path) -> None:
    info = probe_video(inputs / "phone rotated 90.mp4")
    assert (info.width, info.height, info.rotation_deg) == (32, 64, 90)
    a = analyze(inputs / "phone rotated 90.mp4", AnalyzeOptions(model="lite"))
    assert (a.run.width, a.run.height, a.run.rotation_deg) == (32, 64, 90)


def test_variable_frame_rate_keeps_the_real_times(inputs: Path) -> None:
    briefs = BriefWriter()
    analyze(inputs / "variable frame rate.mp4", AnalyzeOptions(model="lite"), writers=[briefs])
    want = [0.0, 0.01, 0.05, 0.051, 0.2, 0.21, 0.6, 0.601, 0.602, 1.0]
    assert [f.timestamp_s for f in briefs.briefs] == pytest.approx(want, abs=2e-3)


def test_long_clip_streams_and_max_frames_stops_early(tmp_path: Path) -> None:
    """A two-minute clip (5 fps, 64x48): probed, decoded to the end, and cut short by max_frames."""
    path = tmp_path / "two minutes.mp4"
    with H264Writer(path, 5, (64, 48), preset="ultrafast") as w:
        frame = noise(64, 48)
        for _ in range(600):
            w.write(frame)
    info = probe_video(path)
    assert info.frame_count == 600 and info.duration_s == pytest.approx(120, abs=0.3)
    with deadline(CASE_TIMEOUT_S):
        times = [t for _rgb, t in iter_video_frames(path)]
        assert len(times) == 600 and times[-1] == pytest.approx(119.8, abs=1e-3)
        briefs = BriefWriter()
        writers = [briefs, *file_writers(tmp_path / "out")]
        a = analyze(path, AnalyzeOptions(model="lite", max_frames=25), writers=writers)
    assert a.summary.frames == 25 and len(briefs.briefs) == 25
    with av.open(str(a.outputs["video"])) as c:  # the annotated video holds what was analysed
        assert sum(1 for _ in c.decode(video=0)) == 25


def test_odd_timestamps_in_a_container_are_made_increasing(tmp_path: Path) -> None:
    """Repeated pts (broken muxing) come out strictly increasing, so the engine's clock never stops."""
    path = tmp_path / "repeated pts.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.time_base = Fraction(1, 25)
        for i in range(6):
            f = av.VideoFrame.from_ndarray(noise(64, 48, i), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                p.pts = p.dts = min(p.pts, 2) if p.pts is not None else None
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    times = [t for _f, t in iter_video_frames(path)]
    assert times[0] == 0.0 and all(b > a for a, b in zip(times, times[1:], strict=False))


# -- the batch -------------------------------------------------------------------------------


def _good_clip(path: Path) -> None:
    """1 s of a real Tree Pose clip, re-encoded small (the realdata file is only read)."""
    fps = probe_video(TREE_CLIP).fps or 24.0
    with H264Writer(path, fps / 2, (240, 180)) as w:
        for i, (rgb, _t) in enumerate(iter_video_frames(TREE_CLIP)):
            if i >= 24:
                break
            if i % 2 == 0:
                w.write(cv2.resize(rgb, (240, 180), interpolation=cv2.INTER_AREA))


@pytest.mark.realdata
@pytest.mark.skipif(not TREE_CLIP.is_file(), reason=f"needs {TREE_CLIP}")
def test_batch_of_bad_inputs_finishes_and_records_each_error(inputs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "batch dir"
    shutil.copytree(inputs, folder)
    _good_clip(folder / "good tree ✓.mp4")
    os.mkfifo(folder / "pipe.mp4")  # not a regular file: skipped, never opened
    (folder / "sub..dir").mkdir()
    shutil.copy(inputs / "tiny 16x16.png", folder / "sub..dir" / "..clip..png")  # hidden: skipped
    shutil.copy(inputs / "tiny 16x16.png", folder / "sub..dir" / "a..b.png")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "formcheck", "batch", str(folder), "--out", str(out), "--model", "lite",
           "--jobs", "1", "--annotate", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BATCH_TIMEOUT_S, check=False,
                          env={**os.environ, MODEL_DIR_ENV: str(MODEL_DIR)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    records = {r["file"]: r for r in map(json.loads, (out / "results.jsonl").read_text("utf-8").splitlines())}
    media = {c.name for c in CASES if Path(c.name).suffix.lower() in MEDIA_EXTENSIONS}  # .m4a/.txt/.heic: not media
    assert set(records) == media | {"good tree ✓.mp4", "sub..dir/a..b.png"}
    good = records["good tree ✓.mp4"]
    assert good["error"] is None and good["frames_with_person"] > 0 and good["exercise"] == "tree_pose"
    for case in CASES:
        rec = records.get(case.name)
        if rec is None:
            continue
        if case.either and rec["error_kind"] != "media":
            continue
        if case.error is None:
            assert rec["error_kind"] in (None, "no_person"), (case.name, rec["error"])
        else:
            assert rec["error_kind"] == "media" and case.error in rec["error"], (case.name, rec["error"])
            assert str(folder) not in rec["error"], "messages name the clip by its batch-relative path"
    annotated = [p for p in out.rglob("*") if p.is_file() and "annotated" in p.parts]
    assert annotated and all(p.resolve().is_relative_to(out.resolve() / "annotated") for p in annotated)
    assert "clips.csv" in os.listdir(out) and (out / "report.html").is_file()


def test_label_paths_and_clip_names_cannot_escape_the_folders(tmp_path: Path) -> None:
    """Absolute and ``..`` paths in labels.csv are refused; odd names on disk map inside ``OUT/annotated``."""
    from formcheck.batch.labels import LabelError, read_labels  # noqa: PLC0415
    from formcheck.batch.runner import ANNOTATED_DIR, BatchOptions, plan_jobs  # noqa: PLC0415
    from formcheck.engine.specs import load_specs  # noqa: PLC0415

    outside = tmp_path / "outside.png"
    outside.write_bytes(png_bytes(noise(8, 8)))
    folder = tmp_path / "clips"
    (folder / "a..b").mkdir(parents=True)
    for name in ("a..b/c...d..png", "a..b/x.png", "-rf .png"):
        (folder / name).write_bytes(png_bytes(noise(8, 8)))
    specs = load_specs()
    faults = {sid: s.fault_ids for sid, s in specs.items()}
    bad_rows = [str(outside), "../outside.png", "a..b/../../outside.png", "..\\outside.png", "/etc/passwd"]
    labels = folder / "labels.csv"
    labels.write_text("file,exercise,faults\n" + "".join(f"{r},none,\n" for r in bad_rows), encoding="utf-8")
    with pytest.raises(LabelError) as err:
        read_labels(labels, faults)
    assert f"{len(bad_rows)} problem(s)" in str(err.value)
    assert str(err.value).count("must be a path inside the label file's folder") == len(bad_rows)

    out = tmp_path / "out"
    jobs = plan_jobs(BatchOptions(folder, out, annotate=True), specs, None, {"variant": "lite", "sha256": "0" * 64})
    assert sorted(j.rel for j in jobs) == ["-rf .png", "a..b/c...d..png", "a..b/x.png"]
    for j in jobs:
        annotated = Path(j.annotate_dir or "")
        assert annotated.parent == (out / ANNOTATED_DIR).resolve() and ".." not in annotated.name.split(".")[0]
        assert Path(j.path).resolve().is_relative_to(folder.resolve())
