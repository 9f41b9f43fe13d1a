"""The output writers: each writes its file from the frames it is given, and nothing after a failure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.analyze import Analysis, RunInfo
from formcheck.engine.session import FrameResult
from formcheck.engine.summary import SummaryBuilder
from formcheck.media import iter_video_frames
from formcheck.outputs import (
    SUFFIXES,
    AnnotatedPhotoWriter,
    AnnotatedVideoWriter,
    ClipInfo,
    Frame,
    FramesCsvWriter,
    OutputWriter,
    SummaryJsonWriter,
    file_writers,
    output_stem,
)


def _run(writers: list[OutputWriter], kind: str, specs: dict, frames: int = 3, fail: bool = False) -> dict[str, Path]:
    """Drive writers as ``analyze`` does: open, every frame, close with the analysis (None: failed)."""
    spec = specs["tree_pose"]
    clip = ClipInfo(Path("/in/my clip.mp4"), "my_clip", kind, 10.0, (spec,))
    builder = SummaryBuilder(frame_step_s=0.1)
    for w in writers:
        w.open(clip)
    for i in range(frames):
        result = FrameResult(i / 10, None, None)
        builder.update(result)
        for w in writers:
            w.write(Frame(i, i / 10, np.full((48, 64, 3), 40 * i, np.uint8), result, None))
    run = RunInfo(str(clip.input), kind, "auto", "lite", "0", {spec.id: spec.version}, 10.0, 64, 48, 0, 0.1)
    analysis = None if fail else Analysis(clip.input, kind, builder.finish(), run)
    outputs: dict[str, Path] = {}
    for w in writers:
        outputs.update(w.close(analysis))
    return outputs


def test_file_writers_write_csv_video_and_json(tmp_path: Path, specs: dict) -> None:
    out = _run(file_writers(tmp_path), "video", specs)
    assert list(out) == ["csv", "video", "json"]  # the order the CLI prints them in
    assert {k: p.name for k, p in out.items()} == {k: f"my_clip{SUFFIXES[k]}" for k in out}
    rows = list(csv.DictReader(out["csv"].open(encoding="utf-8")))
    assert [r["frame"] for r in rows] == ["0", "1", "2"] and "tree_pose.torso_lean" in rows[0]
    assert len(list(iter_video_frames(out["video"]))) == 3
    summary = json.loads(out["json"].read_text(encoding="utf-8"))
    assert summary["frames"] == 3 and summary["kind"] == "video" and list(summary)[0] == "exercise"


def test_a_photo_gets_a_png_and_no_video(tmp_path: Path, specs: dict) -> None:
    out = _run([AnnotatedVideoWriter(tmp_path), AnnotatedPhotoWriter(tmp_path)], "image", specs, frames=1)
    assert list(out) == ["image"] and out["image"].read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "my_clip.annotated.mp4").exists()


def test_a_failed_analysis_writes_no_summary(tmp_path: Path, specs: dict) -> None:
    out = _run([FramesCsvWriter(tmp_path), AnnotatedVideoWriter(tmp_path), SummaryJsonWriter(tmp_path)], "video",
               specs, fail=True)
    assert "json" not in out and not (tmp_path / "my_clip.summary.json").exists()
    assert set(out) == {"csv", "video"}  # what was written before the failure is closed and kept


def test_no_frames_no_video(tmp_path: Path, specs: dict) -> None:
    assert "video" not in _run([AnnotatedVideoWriter(tmp_path)], "video", specs, frames=0)


@pytest.mark.parametrize(("name", "stem"), [("a b.c.mp4", "a_b_c"), ("../..mp4", "clip"), ("фото.jpg", "фото")])
def test_output_stem_is_safe(name: str, stem: str) -> None:
    assert output_stem(Path(name)) == stem
