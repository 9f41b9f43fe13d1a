"""Tests of formcheck.media with videos and images generated in tmp_path."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from fractions import Fraction
from pathlib import Path

import av
import av.video.stream
import cv2
import numpy as np
import pytest
from media_gen import encode_rgb_frames

from formcheck.errors import FormcheckError, MediaError
from formcheck.media import (
    IMAGE_EXTENSIONS,
    MAX_IMAGE_PIXELS,
    VIDEO_EXTENSIONS,
    H264Writer,
    VideoInfo,
    is_image,
    iter_video_frames,
    probe_video,
    read_image,
)
from formcheck.media_limits import VideoLimits

RED = np.array([255, 0, 0], np.uint8)


def _textured(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A noisy frame that compresses poorly (so files have real size)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _marked(width: int, height: int, value: int = 0) -> np.ndarray:
    """A frame whose left half is red and right half gray(value): shows orientation."""
    img = np.full((height, width, 3), value, np.uint8)
    img[:, : width // 2] = RED
    return img


def _write_video(path: Path, n: int = 30, size: tuple[int, int] = (96, 64), fps: float = 30):
    base = _textured(*size)
    with H264Writer(path, fps, size) as w:
        for i in range(n):
            w.write(np.roll(base, 3 * i, axis=1))
    return path


def _pyav_video(
    path: Path,
    n: int,
    size: tuple[int, int],
    *,
    rotation: int = 0,
    codec: str = "libx264",
    frame: np.ndarray | None = None,
) -> Path:
    """Write a video directly with PyAV, optionally with a display-matrix rotation."""
    width, height = size
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=25)
        s.width, s.height = width, height
        s.pix_fmt = "yuv420p" if codec == "libx264" else s.pix_fmt
        if rotation:
            s.set_display_rotation(rotation)
        img = frame if frame is not None else _marked(width, height)
        encode_rgb_frames(c, s, [img] * n)
    return path


# -- writer ----------------------------------------------------------------------------------


def test_writer_output_is_browser_h264(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "out.mp4", n=45, size=(96, 64), fps=30)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == (96, 64)
        n = sum(1 for _ in c.decode(s))
    assert n == 45
    head = path.read_bytes()[:4096]
    assert b"moov" in head  # +faststart: index before the media data
    info = probe_video(path)
    assert info == VideoInfo(96, 64, 30.0, 45, pytest.approx(1.5), 0, "h264")


def test_writer_pads_odd_size(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with H264Writer(path, 25, (33, 21)) as w:
        assert w.size == (34, 22)
        for _ in range(5):
            w.write(_marked(33, 21, 128))
    frames = list(iter_video_frames(path))
    assert len(frames) == 5
    assert frames[0][0].shape == (22, 34, 3)


def test_writer_uses_real_timestamps(tmp_path: Path) -> None:
    times = [10.0, 10.04, 10.1, 10.1, 10.3, None, 10.5]  # repeat and gap and missing
    path = tmp_path / "vfr.mp4"
    with H264Writer(path, 25, (64, 48)) as w:
        for t in times:
            w.write(_marked(64, 48), timestamp_s=t)
    got = [t for _, t in iter_video_frames(path)]
    assert len(got) == len(times)
    assert got[0] == 0.0
    assert got[1] == pytest.approx(0.04, abs=1e-3)
    assert got[2] == pytest.approx(0.1, abs=1e-3)
    assert 0.1 < got[3] < 0.101  # repeated time: moved just after
    assert got[4] == pytest.approx(0.3, abs=1e-3)
    assert got[5] == pytest.approx(0.34, abs=1e-3)  # None: previous + 1/fps
    assert got[6] == pytest.approx(0.5, abs=1e-3)


def test_writer_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"\.avi"):
        H264Writer(tmp_path / "x.avi", 30, (64, 48))
    with pytest.raises(MediaError, match="fps"):
        H264Writer(tmp_path / "x.mp4", 0, (64, 48))
    with pytest.raises(MediaError, match="folder"):
        H264Writer(tmp_path / "missing" / "x.mp4", 30, (64, 48))
    path = tmp_path / "x.mp4"
    w = H264Writer(path, 30, (64, 48))
    with pytest.raises(MediaError, match="shape"):
        w.write(np.zeros((48, 65, 3), np.uint8))
    with pytest.raises(MediaError, match="uint8"):
        w.write(np.zeros((48, 64, 3), np.float32))
    w.write(np.zeros((48, 64, 3), np.uint8))
    w.close()
    w.close()
    with pytest.raises(MediaError, match="close"):
        w.write(np.zeros((48, 64, 3), np.uint8))
    assert path.stat().st_size > 0


@pytest.mark.parametrize("threads", [0, 1, 2])
def test_writer_threads(tmp_path: Path, threads: int) -> None:
    """1 (default) keeps x264 on one core beside inference; 0 lets x264 choose."""
    path = tmp_path / f"t{threads}.mp4"
    with H264Writer(path, 25, (96, 64), threads=threads) as w:
        for i in range(10):
            w.write(np.full((64, 96, 3), i * 20, np.uint8))
    assert probe_video(path).frame_count == 10
    with pytest.raises(MediaError, match="threads"):
        H264Writer(tmp_path / "bad.mp4", 25, (96, 64), threads=-1)


def test_writer_without_frames_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    with H264Writer(path, 30, (64, 48)) as w:
        assert w.frames_written == 0
    assert not path.exists()


# -- reading videos --------------------------------------------------------------------------


def test_iter_frames_rgb_and_timestamps(tmp_path: Path) -> None:
    path = _pyav_video(tmp_path / "plain.mp4", 12, (64, 48))
    frames = list(iter_video_frames(path))
    assert len(frames) == 12
    rgb, _ = frames[0]
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)
    assert rgb.flags.c_contiguous
    np.testing.assert_allclose(rgb[24, 5], RED, atol=12)  # RGB order, not BGR
    times = [t for _, t in frames]
    assert times[0] == 0.0
    np.testing.assert_allclose(np.diff(times), 1 / 25, atol=1e-6)


def test_one_decoder_thread_gives_the_same_frames(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "moving.mp4", n=20)
    threaded, single = list(iter_video_frames(path)), list(iter_video_frames(path, threads=1))
    assert [t for _, t in threaded] == [t for _, t in single]
    for (a, _), (b, _) in zip(threaded, single, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="threads must be >= 0"):
        next(iter_video_frames(path, threads=-1))


@pytest.mark.parametrize("max_side", [0, 64])
def test_frames_have_pyavs_own_rgb_pixels(tmp_path: Path, max_side: int) -> None:
    """One converter kept for the whole clip gives each frame's own conversion, also when scaling."""
    path = _write_video(tmp_path / "moving.mp4", n=8, size=(96, 64))
    limits = VideoLimits(max_side=max_side)
    size = limits.decode_size(96, 64)
    assert size == ((64, 42) if max_side else (96, 64))
    with av.open(str(path)) as c:
        if max_side:
            expected = [f.reformat(*size, "rgb24", interpolation="AREA").to_ndarray() for f in c.decode(video=0)]
        else:
            expected = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    got = [rgb for rgb, _ in iter_video_frames(path, limits=limits)]
    assert len(got) == len(expected) == 8
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("rotation", "red_at"),
    [(90, "bottom"), (-90, "top"), (180, "right"), (270, "top")],
)
@pytest.mark.skipif(
    not hasattr(av.video.stream.VideoStream, "set_display_rotation"),
    reason="this PyAV cannot write a display matrix",
)
def test_rotation_metadata(tmp_path: Path, rotation: int, red_at: str) -> None:
    """A 64x32 frame, left half red, stored with a display-matrix rotation.

    The rotation is counter-clockwise (FFmpeg's av_display_rotation_get convention, the
    value PyAV's ``VideoFrame.rotation`` returns): a 90 degree turn puts the left half at
    the bottom; -90 (= 270, a phone held upright) puts it at the top.
    """
    path = _pyav_video(tmp_path / f"rot{rotation}.mp4", 5, (64, 32), rotation=rotation)
    info = probe_video(path)
    assert info.rotation_deg == rotation % 360
    quarter = rotation % 180 != 0
    assert (info.width, info.height) == ((32, 64) if quarter else (64, 32))
    rgb, _ = next(iter_video_frames(path))
    assert rgb.shape == (info.height, info.width, 3)
    h, w = rgb.shape[:2]
    probes = {
        "top": rgb[h // 4, w // 2],
        "bottom": rgb[3 * h // 4, w // 2],
        "left": rgb[h // 2, w // 4],
        "right": rgb[h // 2, 3 * w // 4],
    }
    opposite = {"top": "bottom", "bottom": "top", "left": "right", "right": "left"}
    assert probes[red_at][0] > 200 and probes[red_at][1] < 50
    assert probes[opposite[red_at]][0] < 50


def test_probe_and_iter_mkv_and_gif(tmp_path: Path) -> None:
    mkv = tmp_path / "clip.mkv"
    with H264Writer(mkv, 24, (64, 48)) as w:
        for _ in range(10):
            w.write(_marked(64, 48))
    assert sum(1 for _ in iter_video_frames(mkv)) == 10
    gif = tmp_path / "anim.gif"
    with av.open(str(gif), "w") as c:
        s = c.add_stream("gif", rate=10)
        s.width, s.height, s.pix_fmt = 32, 24, "rgb8"
        encode_rgb_frames(c, s, (_marked(32, 24, 40 * i) for i in range(6)))
    info = probe_video(gif)
    assert (info.width, info.height, info.codec) == (32, 24, "gif")
    frames = list(iter_video_frames(gif))
    assert len(frames) == 6
    assert not is_image(gif)


def test_streaming_memory_is_bounded(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "long.mp4", n=240, size=(160, 120))
    frame_bytes = 160 * 120 * 3
    it = iter_video_frames(path)
    for _ in range(5):
        next(it)
    tracemalloc.start()
    try:
        count = 5
        for _rgb, _t in it:
            count += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 240
    assert peak < 20 * frame_bytes  # not 240 frames' worth


def test_timestamps_relative_and_monotonic(tmp_path: Path) -> None:
    """Non-zero start, duplicated and decreasing pts: relative, bumped by 1 ms.

    Intra-only MJPEG in MOV: the muxer accepts any pts as long as dts increases, and the
    decoder returns frames in packet order with the packets' pts.
    """
    path = tmp_path / "weird.mov"
    pts_ms = [1000, 1040, 1040, 1120, 1100, 1200]
    with av.open(str(path), "w") as c:
        s = c.add_stream("mjpeg", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuvj420p"
        s.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            f = av.VideoFrame.from_ndarray(_marked(64, 48, 20 * i), format="rgb24")
            f.pts = 40 * i
            f.time_base = Fraction(1, 1000)
            for p in s.encode(f):
                p.pts, p.dts = pts, 40 * i
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    times = [t for _, t in iter_video_frames(path)]
    np.testing.assert_allclose(times, [0.0, 0.04, 0.041, 0.12, 0.121, 0.2], atol=1e-9)


# -- failures --------------------------------------------------------------------------------


def test_missing_and_zero_length(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found"):
        probe_video(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for fn in (probe_video, lambda p: list(iter_video_frames(p)), read_image):
        with pytest.raises(MediaError, match="empty") as info:
            fn(empty)
        assert "empty.mp4" in str(info.value)
    with pytest.raises(MediaError, match="folder"):
        probe_video(tmp_path)


def test_not_a_video(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is a shopping list, not a video\n" * 20)
    with pytest.raises(MediaError, match="not a readable video") as info:
        probe_video(bogus)
    assert "notes.mp4" in str(info.value)
    with pytest.raises(MediaError):
        list(iter_video_frames(bogus))
    assert issubclass(MediaError, FormcheckError)


def test_audio_only(tmp_path: Path) -> None:
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=16000)
        for i in range(8):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate = 16000
            f.pts = i * 1024
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with pytest.raises(MediaError, match="audio only"):
        probe_video(path)
    with pytest.raises(MediaError, match="audio only"):
        list(iter_video_frames(path))


def test_truncated_video_yields_what_is_there(tmp_path: Path) -> None:
    full = _write_video(tmp_path / "full.mp4", n=60, size=(160, 120))
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    frames = list(iter_video_frames(cut))
    assert 10 < len(frames) < 60
    # Cut inside the header: nothing usable.
    tiny = tmp_path / "tiny.mp4"
    tiny.write_bytes(data[:300])
    with pytest.raises(MediaError, match="tiny.mp4"):
        list(iter_video_frames(tiny))


def test_corrupt_video(tmp_path: Path) -> None:
    full = _write_video(tmp_path / "full.mp4", n=60, size=(160, 120))
    data = bytearray(full.read_bytes())
    for frac in (0.2, 0.35, 0.5, 0.65, 0.8):  # decoders shrug off some damage: hit several packets
        at = int(len(data) * frac)
        data[at : at + 1000] = bytes(1000)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    frames = list(iter_video_frames(bad))  # lenient: skips the damaged packets
    assert 30 < len(frames) < 60
    with pytest.raises(MediaError, match="corrupt") as info:
        list(iter_video_frames(bad, strict=True))
    assert "bad.mp4" in str(info.value)


def test_unicode_video_path(tmp_path: Path) -> None:
    folder = tmp_path / "vidéos ñ 動画"
    folder.mkdir()
    path = _write_video(folder / "squat ✓ übung.mp4", n=8)
    assert probe_video(path).frame_count == 8
    assert sum(1 for _ in iter_video_frames(path)) == 8


# -- images ----------------------------------------------------------------------------------


def _save(path: Path, bgr_or_gray: np.ndarray) -> Path:
    ok, buf = cv2.imencode(path.suffix, bgr_or_gray)
    assert ok
    buf.tofile(path)
    return path


def test_read_image_color_and_unicode(tmp_path: Path) -> None:
    folder = tmp_path / "Bilder ü 写真"
    folder.mkdir()
    rgb = _marked(40, 20, 60)
    path = _save(folder / "pose ✓.png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    got = read_image(path)
    assert got.dtype == np.uint8 and got.shape == (20, 40, 3)
    np.testing.assert_array_equal(got, rgb)
    assert is_image(path)


def test_read_image_gray_16bit_alpha(tmp_path: Path) -> None:
    gray = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (4, 1))
    got = read_image(_save(tmp_path / "g.png", gray))
    assert got.shape == (4, 25, 3)
    np.testing.assert_array_equal(got[..., 0], gray)
    deep = (gray.astype(np.uint16) * 257)[:, :, None].repeat(3, axis=2)
    got16 = read_image(_save(tmp_path / "d.png", deep))
    assert got16.dtype == np.uint8
    np.testing.assert_array_equal(got16[..., 1], gray)
    bgra = np.zeros((10, 10, 4), np.uint8)
    bgra[..., 2] = 255  # red
    bgra[:, :5, 3] = 255  # left opaque, right transparent
    got_a = read_image(_save(tmp_path / "a.png", bgra))
    np.testing.assert_array_equal(got_a[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(got_a[0, 9], [255, 255, 255])  # over white


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_image_exif_orientation(tmp_path: Path, orientation: int) -> None:
    """Our EXIF handling (Pillow's) matches OpenCV's own IMREAD_COLOR orientation handling."""
    pil = pytest.importorskip("PIL.Image")
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:10, :20] = RED  # top-left quadrant red: shows flips too
    img = pil.fromarray(rgb)
    exif = img.getexif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    img.save(path, exif=exif.tobytes())
    got = read_image(path)
    expected = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR_RGB)
    np.testing.assert_array_equal(got, expected)
    if orientation >= 5:
        assert got.shape == (40, 20, 3)


def test_read_image_jpeg_exif(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    img = pil.fromarray(_marked(40, 20))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif.tobytes(), quality=95)
    got = read_image(path)
    assert got.shape == (40, 20, 3)
    assert got[5, 10, 0] > 200 and got[35, 10, 0] < 50  # left half is now on top


def test_read_image_failures(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found"):
        read_image(tmp_path / "missing.jpg")
    bogus = tmp_path / "photo.jpg"
    bogus.write_text("plain text")
    with pytest.raises(MediaError, match="not a readable image") as info:
        read_image(bogus)
    assert "photo.jpg" in str(info.value)
    good = _save(tmp_path / "ok.png", _textured(64, 64))
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:100])
    with pytest.raises(MediaError, match="cut.png"):
        read_image(cut)
    with pytest.raises(MediaError, match="folder"):
        read_image(tmp_path)


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG file of a few bytes whose header claims ``width`` x ``height`` RGB pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(("width", "height"), [(12_000, 10_000), (20_000, 20_000), (60_000, 60_000)])
def test_decompression_bomb_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int, height: int
) -> None:
    bomb = _png_header_only(tmp_path / "bomb.png", width, height)
    assert bomb.stat().st_size < 200

    def no_decoding(_buf: np.ndarray) -> None:
        raise AssertionError("the image was handed to OpenCV to decode")

    monkeypatch.setattr("formcheck.media._decode_image", no_decoding)
    with pytest.raises(MediaError, match="megapixel|too large") as info:
        read_image(bomb)
    assert "bomb.png" in str(info.value) and "resize it" in str(info.value)


def test_image_just_under_the_pixel_limit_is_not_refused_by_its_header(tmp_path: Path) -> None:
    """A header at the limit passes the size check; this one then fails as truncated."""
    side = int(MAX_IMAGE_PIXELS**0.5)
    with pytest.raises(MediaError, match="not a readable image"):
        read_image(_png_header_only(tmp_path / "big.png", side, side))


def test_is_image_by_content_and_extension(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "clip.mp4", n=3)
    disguised = tmp_path / "clip.jpg"
    disguised.write_bytes(video.read_bytes())
    assert not is_image(disguised)  # content wins
    real_jpeg = tmp_path / "photo.bin"
    ok, buf = cv2.imencode(".jpg", _textured(16, 16))
    assert ok
    buf.tofile(real_jpeg)
    assert is_image(real_jpeg)
    assert is_image(tmp_path / "not-there.webp")  # unreadable: extension decides
    assert not is_image(tmp_path / "not-there.mp4")
    assert ".gif" in VIDEO_EXTENSIONS and ".gif" not in IMAGE_EXTENSIONS
    assert {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"} <= VIDEO_EXTENSIONS


@pytest.mark.parametrize("size", [(2, 2), (2000, 1), (5, 3), (64, 48)])
def test_h264_writer_takes_tiny_and_odd_frames(
    tmp_path: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny frames are copied for the encoder (it refuses 2-pixel-high planes in place), others are not."""
    monkeypatch.setenv("FORMCHECK_DECODE_MAX_SIDE", "0")  # read back at the written size (2000 px wide)
    w, h = size
    path = tmp_path / "tiny.mp4"
    with H264Writer(path, 10.0, size) as writer:
        for i in range(3):
            writer.write(np.full((h, w, 3), 60 * i, np.uint8), timestamp_s=i / 10)
    frames = [rgb for rgb, _t in iter_video_frames(path)]
    assert len(frames) == 3 and frames[0].shape[:2] == (h + h % 2, w + w % 2)
