"""Bounded fuzzing of the input readers: random bytes and mutated valid MP4/MKV/GIF/PNG/JPEG files.

Whatever the bytes, :func:`read_image`, :func:`probe_video`, :func:`iter_video_frames`,
:func:`is_image` return a valid result or raise :class:`MediaError`, within
a deadline. The whole module runs in well under 30 s (``max_examples`` per test below).
Found so far: PyAV raised ``UnicodeDecodeError`` on an MP4 whose brand held a non-UTF-8 byte
(now a MediaError; the regression test is below).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_gen import encode_rgb_frames

from formcheck.errors import MediaError
from formcheck.media import H264Writer, is_image, iter_video_frames, probe_video, read_image

#: Frames decoded per fuzzed video at most (a mutated header may claim a long clip).
MAX_FRAMES = 20
#: Examples per test: 200 in the default (derandomised, repeatable) run, ~5 s; set
#: FORMCHECK_FUZZ_EXAMPLES=3000 for a longer, random run (~45 s on 2 cores).
EXAMPLES = int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize="FORMCHECK_FUZZ_EXAMPLES" not in os.environ,
    database=None,
)


def _seeds() -> dict[str, bytes]:
    """Small valid files of each kind, made once."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    out = {".png": cv2.imencode(".png", img)[1].tobytes(), ".jpg": cv2.imencode(".jpg", img)[1].tobytes()}
    with tempfile.TemporaryDirectory() as tmp:
        mp4 = Path(tmp) / "a.mp4"
        with H264Writer(mp4, 10, (32, 24)) as w:
            for i in range(6):
                w.write(np.roll(img, i, axis=1))
        out[".mp4"] = mp4.read_bytes()
        for suffix, codec, fmt, pix in ((".mkv", "mpeg4", "matroska", "yuv420p"), (".gif", "gif", "gif", "rgb8")):
            path = Path(tmp) / f"a{suffix}"
            with av.open(str(path), "w", format=fmt) as c:
                s = c.add_stream(codec, rate=10)
                s.width, s.height, s.pix_fmt = 32, 24, pix
                encode_rgb_frames(c, s, (np.roll(img, i, axis=0) for i in range(4)))
            out[suffix] = path.read_bytes()
    return out


SEEDS = _seeds()


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="formcheck-fuzz-") as tmp:
        yield Path(tmp)


_counter = itertools.count()


def _check_readers(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"f{next(_counter)}{suffix}"
    path.write_bytes(data)
    try:
        assert isinstance(is_image(path), bool)
        try:
            img = read_image(path)
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.size > 0
        except MediaError as exc:
            assert str(path) in str(exc)
        try:
            info = probe_video(path)
            assert info.width > 0 and info.height > 0 and info.rotation_deg in (0, 90, 180, 270)
        except MediaError as exc:
            assert str(path) in str(exc)
        try:
            last = -1.0
            for rgb, t in itertools.islice(iter_video_frames(path), MAX_FRAMES):
                assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
                assert t > last
                last = t
        except MediaError as exc:
            assert str(path) in str(exc)
    finally:
        path.unlink()


@FUZZ
@given(data=st.binary(min_size=0, max_size=2048), suffix=st.sampled_from([".mp4", ".png", ".jpg", ".gif", ".bin"]))
def test_random_bytes(scratch: Path, data: bytes, suffix: str) -> None:
    _check_readers(scratch, data, suffix)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    """A valid seed file with bytes overwritten, a slice cut out or the tail cut off."""
    suffix = draw(st.sampled_from(sorted(SEEDS)))
    buf = bytearray(SEEDS[suffix])
    for _ in range(draw(st.integers(0, 8))):
        i = draw(st.integers(0, len(buf) - 1))
        buf[i] = draw(st.integers(0, 255))
    action = draw(st.sampled_from(["none", "truncate", "cut", "head"]))
    if action == "truncate":
        buf = buf[: draw(st.integers(0, len(buf)))]
    elif action == "cut":
        a = draw(st.integers(0, len(buf)))
        b = draw(st.integers(a, min(len(buf), a + 512)))
        del buf[a:b]
    elif action == "head":  # damage the first 64 bytes, where the format's header is
        for _ in range(draw(st.integers(1, 6))):
            buf[draw(st.integers(0, min(63, len(buf) - 1)))] = draw(st.integers(0, 255))
    return bytes(buf), draw(st.sampled_from([suffix, ".mp4", ".png"]))


@FUZZ
@given(case=mutated())
def test_mutated_valid_files(scratch: Path, case: tuple[bytes, str]) -> None:
    _check_readers(scratch, *case)


def test_non_utf8_metadata_is_a_media_error(scratch: Path) -> None:
    """Found by the fuzzer: PyAV decodes container metadata (the brand) as UTF-8 and raised."""
    buf = bytearray(SEEDS[".mp4"])
    i = buf.index(b"ftyp") + 4
    buf[i] = 0x80  # 'isom' -> '\x80som'
    path = scratch / "bad brand.mp4"
    path.write_bytes(bytes(buf))
    for reader in (probe_video, lambda p: next(iter_video_frames(p))):
        with pytest.raises(MediaError, match="bad brand.mp4: not a readable video"):
            reader(path)
