"""Video bombs: files that declare or decode to huge frames, huge frame counts or durations.

Every file is generated here (PyAV): a 51 KB H.264 stream of one 4160x4160 frame (over the
16.8-megapixel limit), a 60-byte y4m header declaring 8192x8192, an MP4 of 16x16 frames that
declares 250,000 of them (3 MB), a stream that switches from 64x48 to 4160x4160 midway, and
large-but-allowed frames that are downscaled at decode time.
"""

from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.errors import MediaError
from formcheck.media import H264Writer, iter_video_frames, probe_video
from formcheck.media_limits import MAX_VIDEO_FRAMES, VideoLimits, video_limits

BIG = 4160  # 4160x4160 = 17.3 megapixels, just over the limit


def h264_annexb(width: int, height: int, n: int, value: int = 0) -> bytes:
    """A raw H.264 (Annex B) stream of ``n`` flat frames: tiny however large the frames."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="h264") as c:
        s = c.add_stream("libx264", rate=10, options={"preset": "ultrafast", "tune": "zerolatency"})
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        for i in range(n):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return buf.getvalue()


@pytest.fixture(scope="module")
def big_frame() -> bytes:
    """One 4160x4160 frame as raw H.264 (made once: about 0.5 s)."""
    return h264_annexb(BIG, BIG, 1)


def many_tiny_frames(path: Path, n: int) -> Path:
    """An MP4 of ``n`` 16x16 frames at 1000 fps: one keyframe, then copies of one 9-byte P-frame."""
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=1000, options={"preset": "ultrafast", "tune": "zerolatency"})
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        packets = []
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            frame.pts = i
            packets += list(s.encode(frame))
        packets += list(s.encode())
        key, delta, time_base = bytes(packets[0]), bytes(packets[1]), packets[0].time_base
        for i in range(n):
            p = av.Packet(key if i == 0 else delta)
            p.pts = p.dts = i
            p.time_base, p.stream, p.is_keyframe = time_base, s, i == 0
            c.mux(p)
    return path


def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decode fail the test: refusals must come from the header alone."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the video reached the decoder")

    monkeypatch.setattr("formcheck.media._decode_frames", refuse)


def test_tiny_h264_declaring_huge_frames_is_refused_before_decoding(
    tmp_path: Path, big_frame: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.h264"
    bomb.write_bytes(big_frame)
    assert bomb.stat().st_size < 100_000
    no_decoding(monkeypatch)
    for call in (probe_video, lambda p: next(iter_video_frames(p))):
        with pytest.raises(MediaError) as info:
            call(bomb)
        msg = str(info.value)
        assert str(bomb) in msg and "4160x4160" in msg and "16.8-megapixel limit" in msg and "re-export" in msg


def test_y4m_header_declaring_8192x8192_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.y4m"
    bomb.write_bytes(b"YUV4MPEG2 W8192 H8192 F10:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(16))
    no_decoding(monkeypatch)
    with pytest.raises(MediaError, match=r"declares frames of 8192x8192 \(67 megapixels\)"):
        probe_video(bomb)


def test_huge_frame_count_of_tiny_frames_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = many_tiny_frames(tmp_path / "many.mp4", MAX_VIDEO_FRAMES + 1)
    assert clip.stat().st_size < 5_000_000
    no_decoding(monkeypatch)
    with pytest.raises(MediaError, match=rf"declares {MAX_VIDEO_FRAMES + 1} frames, over the limit of "
                                         rf"{MAX_VIDEO_FRAMES}.*cut it"):
        probe_video(clip)
    with pytest.raises(MediaError, match="frames, over the limit"):
        next(iter_video_frames(clip))


def test_huge_declared_duration_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three 16x16 frames, the last at 2 hours: the container declares a 2-hour video."""
    clip = tmp_path / "long.mkv"
    with av.open(str(clip), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        s.codec_context.time_base = Fraction(1, 25)
        for i, pts in enumerate((0, 1, 2 * 3600 * 25)):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 40 * i, np.uint8), format="rgb24")
            frame.pts = pts
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    no_decoding(monkeypatch)
    with pytest.raises(MediaError, match=r"declares 2\.0 h, over the limit of 1\.0 h"):
        probe_video(clip)


def test_frames_and_time_are_counted_when_nothing_is_declared(tmp_path: Path) -> None:
    """A raw H.264 stream declares no frame count: decoding stops with an error past the limit."""
    clip = tmp_path / "raw.h264"
    clip.write_bytes(h264_annexb(32, 32, 30))
    assert probe_video(clip, limits=VideoLimits(max_frames=10)).frame_count == 0  # nothing declared
    got = []
    with pytest.raises(MediaError, match="has at least 11 frames, over the limit of 10"):
        for rgb, _t in iter_video_frames(clip, limits=VideoLimits(max_frames=10)):
            got.append(rgb)
    assert len(got) == 10
    with pytest.raises(MediaError, match="runs for at least"):
        list(iter_video_frames(clip, limits=VideoLimits(max_duration_s=1.0)))  # 30 frames at 10 fps


def test_stream_that_grows_midway_is_stopped_at_the_big_frame(tmp_path: Path, big_frame: bytes) -> None:
    """100 small frames (10 s: FFmpeg's probe stops before the big one), then a 4160x4160 frame."""
    clip = tmp_path / "grows.h264"
    clip.write_bytes(h264_annexb(64, 48, 100) + big_frame)
    assert probe_video(clip).width == 64  # the header says 64x48
    got = []
    with pytest.raises(MediaError, match=r"changes at frame 100 to frames of 4160x4160.*megapixel limit"):
        for rgb, _t in iter_video_frames(clip):
            got.append(rgb.shape)
    assert got == [(48, 64, 3)] * 100


def test_stream_that_changes_to_an_allowed_size_keeps_one_size(tmp_path: Path) -> None:
    """64x48, then 48x96 white frames: the later frames are letterboxed into 64x48, proportions kept."""
    clip = tmp_path / "changes.h264"
    clip.write_bytes(h264_annexb(64, 48, 3) + h264_annexb(48, 96, 3, value=235))
    frames = [rgb for rgb, _t in iter_video_frames(clip)]
    assert len(frames) == 6 and {f.shape for f in frames} == {(48, 64, 3)}
    last = frames[-1]
    assert last[:, 20:44].mean() > 200  # the 24x48 picture in the middle
    assert last[:, :18].max() < 10 and last[:, 46:].max() < 10  # black bars at the sides


def test_large_frames_are_downscaled_at_decode_time(tmp_path: Path) -> None:
    clip = tmp_path / "qhd.mp4"
    with H264Writer(clip, 10, (2560, 1440), preset="ultrafast") as w:
        img = np.zeros((1440, 2560, 3), np.uint8)
        img[:, 1280:] = 255  # right half white: still the right half after scaling
        for _ in range(2):
            w.write(img)
    info = probe_video(clip)
    assert (info.width, info.height) == (2560, 1440)  # the file's own size
    frames = [rgb for rgb, _t in iter_video_frames(clip)]
    assert [f.shape for f in frames] == [(1080, 1920, 3)] * 2
    assert frames[0][:, :950].mean() < 10 and frames[0][:, 970:].mean() > 245
    kept = [rgb.shape for rgb, _t in iter_video_frames(clip, limits=VideoLimits(max_side=0))]
    assert kept == [(1440, 2560, 3)] * 2


def test_decode_size_keeps_small_frames_and_the_aspect_ratio() -> None:
    limits = VideoLimits()
    assert limits.decode_size(1920, 1080) == (1920, 1080)
    assert limits.decode_size(1080, 1920) == (1080, 1920)
    assert limits.decode_size(3840, 2160) == (1920, 1080)
    assert limits.decode_size(4096, 4096) == (1920, 1920)
    assert limits.decode_size(4000, 3) == (1920, 2)
    assert VideoLimits(max_side=0).decode_size(8000, 4000) == (8000, 4000)


def test_limits_from_the_environment() -> None:
    assert video_limits({}) == VideoLimits()
    env = {"FORMCHECK_MAX_VIDEO_MEGAPIXELS": "2", "FORMCHECK_MAX_VIDEO_FRAMES": "100",
           "FORMCHECK_MAX_VIDEO_SECONDS": "60", "FORMCHECK_DECODE_MAX_SIDE": "0"}
    assert video_limits(env) == VideoLimits(2_000_000, 100, 60.0, 0)
    for bad in ("lots", "-1", "nan"):
        with pytest.raises(MediaError, match="FORMCHECK_MAX_VIDEO_FRAMES"):
            video_limits({"FORMCHECK_MAX_VIDEO_FRAMES": bad})


def test_the_environment_reaches_the_decoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = tmp_path / "small.h264"
    clip.write_bytes(h264_annexb(64, 48, 2))
    monkeypatch.setenv("FORMCHECK_MAX_VIDEO_MEGAPIXELS", "0.001")
    with pytest.raises(MediaError, match="64x48"):
        probe_video(clip)
    monkeypatch.delenv("FORMCHECK_MAX_VIDEO_MEGAPIXELS")
    assert probe_video(clip).width == 64
    assert os.environ.get("FORMCHECK_MAX_VIDEO_MEGAPIXELS") is None


def test_analyze_cli_refuses_a_bomb_in_one_line(
    tmp_path: Path, big_frame: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    from formcheck.cli import EXIT_BAD_INPUT, main  # noqa: PLC0415

    bomb = tmp_path / "bomb.h264"
    bomb.write_bytes(big_frame)
    rc = main(["analyze", str(bomb), "--out", str(tmp_path / "out"), "--model", "lite"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == EXIT_BAD_INPUT
    assert len(err) == 1 and err[0].startswith("error: ") and "4160x4160" in err[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
