"""Media I/O: read images and videos as upright RGB arrays, write browser-playable H.264.

PyAV (FFmpeg) handles video, OpenCV handles still images. Nothing here knows about poses.
Every failure is raised as :class:`~formcheck.errors.MediaError` naming the file, what was
wrong and what to do.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import ExifTags, Image, ImageOps

from formcheck.errors import MediaError
from formcheck.media_limits import VideoLimits, video_limits

#: Largest photo :func:`read_image` decodes, in pixels. 100 megapixels already take 300 MB as
#: RGB, and pose detection gains nothing past ~4000 px on the long side; a small crafted file that
#: claims more (a decompression bomb) is refused from its header, before any decoding.
MAX_IMAGE_PIXELS = 100_000_000

#: Still-image file extensions (lower case, with dot) that :func:`read_image` decodes.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".bmp",
        ".dib",
        ".webp",
        ".tif",
        ".tiff",
        ".pbm",
        ".pgm",
        ".ppm",
        ".pnm",
    }
)
#: Video file extensions (lower case, with dot); animated GIFs are read as video.
VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".qt",
        ".avi",
        ".mkv",
        ".webm",
        ".gif",
        ".mpg",
        ".mpeg",
        ".m2v",
        ".ts",
        ".mts",
        ".m2ts",
        ".wmv",
        ".asf",
        ".flv",
        ".3gp",
        ".3g2",
        ".ogv",
        ".y4m",
    }
)

#: Magic numbers of still-image formats (offset, bytes).
_IMAGE_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),  # PNG
    (0, b"BM"),  # BMP
    (0, b"II*\x00"),  # TIFF little-endian
    (0, b"MM\x00*"),  # TIFF big-endian
    (8, b"WEBP"),  # RIFF....WEBP
)
#: Magic numbers of containers that are not still images (offset, bytes).
_VIDEO_MAGIC: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # MP4/MOV/3GP
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska/WebM
    (0, b"GIF8"),  # GIF (read as video)
    (8, b"AVI "),  # RIFF....AVI
    (0, b"\x00\x00\x01\xba"),  # MPEG-PS
    (0, b"OggS"),
    (0, b"FLV"),
)
_log = logging.getLogger(__name__)


# -- classification --------------------------------------------------------------------------


def _matches(head: bytes, table: tuple[tuple[int, bytes], ...]) -> bool:
    return any(head[off : off + len(magic)] == magic for off, magic in table)


def _head(p: Path) -> bytes:
    """The first 16 bytes of a regular file; ``b""`` when it is not one or cannot be read.

    Pipes and devices are not opened: reading a FIFO without a writer would block forever.
    """
    try:
        if not p.is_file():
            return b""
        with open(p, "rb") as f:
            return f.read(16)
    except OSError:
        return b""


def is_image(path: str | Path) -> bool:
    """Return whether ``path`` is a still image (not a video or animated GIF).

    The first bytes decide when they are recognised (a JPEG named ``.mp4`` is an image);
    otherwise, or when the file cannot be read, the extension decides.
    """
    p = Path(path)
    head = _head(p)
    if _matches(head, _IMAGE_MAGIC):
        return True
    if _matches(head, _VIDEO_MAGIC):
        return False
    return p.suffix.lower() in IMAGE_EXTENSIONS


# -- images ----------------------------------------------------------------------------------


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as an upright (H, W, 3) uint8 RGB array.

    Grayscale is expanded to RGB, 16-bit and float images are scaled to 8 bits, an alpha
    channel is composited over white, and the EXIF orientation tag is applied. Paths with
    non-ASCII characters work (the bytes are read by numpy, decoded by OpenCV).

    Raises:
        MediaError: the file is missing, empty, not a decodable image, or its header claims
            more than :data:`MAX_IMAGE_PIXELS`.
    """
    p = Path(path)
    buf = _read_bytes(p)
    _check_pixel_count(p, buf)
    try:
        with _quiet_opencv():
            img, orientation = _decode_image(buf)
    except cv2.error as exc:
        raise MediaError(f"{p}: OpenCV failed to decode the image ({exc}); re-save it as JPEG or PNG") from exc
    if img is None or img.size == 0:
        raise MediaError(
            f"{p}: not a readable image (corrupt, truncated or an unsupported format); "
            f"supported: {', '.join(sorted(IMAGE_EXTENSIONS))}. Re-save it as JPEG or PNG"
        )
    return np.ascontiguousarray(_apply_orientation(_to_rgb8(img), orientation))


def _check_pixel_count(p: Path, buf: np.ndarray) -> None:
    """Refuse an image whose header claims more than :data:`MAX_IMAGE_PIXELS` pixels.

    Pillow reads the header only (its own bomb check refuses over ~179 megapixels at once);
    a header it cannot read is left to OpenCV, which reports unreadable files.
    """
    try:
        with warnings.catch_warnings():  # Pillow warns from ~89 megapixels; the limit is ours
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(buf.tobytes())) as im:
                width, height = im.size
    except Image.DecompressionBombError as exc:
        raise MediaError(f"{p}: the image is too large to decode safely ({exc}); {_RESIZE_HINT}") from exc
    except Exception:  # noqa: BLE001 - any header Pillow cannot parse: OpenCV decides below
        return
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaError(
            f"{p}: {width}x{height} is {width * height / 1e6:.0f} megapixels, over the "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f}-megapixel limit (decoding it would take "
            f"{width * height * 3 / 1e9:.1f} GB); {_RESIZE_HINT}"
        )


_RESIZE_HINT = "resize it to at most ~4000 px on the long side (pose detection needs no more) and try again"


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log lines (e.g. "IHDR chunk shall be first") while decoding.

    A failed decode is reported once, as a :class:`MediaError` that says what to do; the
    level is process-wide, so it is restored right after.
    """
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    if log is None:
        yield
        return
    old = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        log.setLogLevel(old)


def _decode_image(buf: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Decode with alpha and full depth; return the stored image and its EXIF orientation."""
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED), _exif_orientation(buf)


def _exif_orientation(buf: np.ndarray) -> int:
    """The EXIF orientation (1-8) that Pillow reads from the file's header; 1 if none."""
    try:
        with warnings.catch_warnings():  # the size was checked already (_check_pixel_count)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(buf.tobytes())) as im:
                value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - a header Pillow cannot parse: no orientation
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _read_bytes(p: Path) -> np.ndarray:
    try:
        if p.is_dir():
            raise MediaError(f"{p} is a folder, not an image file; pass the image's path")
        if p.exists() and not p.is_file():
            raise MediaError(f"{p}: not a regular file (a pipe, socket or device); save the image to a file first")
        buf = np.fromfile(p, dtype=np.uint8)
    except FileNotFoundError as exc:
        raise MediaError(f"{p}: file not found; check the path") from exc
    except OSError as exc:
        raise MediaError(f"{p}: cannot read the file ({exc.strerror or exc}); check its permissions") from exc
    if buf.size == 0:
        raise MediaError(f"{p}: the file is empty (0 bytes); re-export or re-copy it")
    return buf


def _to_rgb8(img: np.ndarray) -> np.ndarray:
    """Convert OpenCV's BGR/BGRA/gray of any depth to RGB uint8; alpha over white."""
    img = _to_uint8(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    channels = img.shape[2]
    if channels == 2:  # gray + alpha
        gray, alpha = img[:, :, 0], img[:, :, 1]
        return _over_white(cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB), alpha)
    if channels == 4:
        return _over_white(cv2.cvtColor(img, cv2.COLOR_BGRA2RGB), img[:, :, 3])
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2RGB)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.float32) + 128.0) / 257.0).astype(np.uint8)
    if np.issubdtype(img.dtype, np.floating):
        return (np.clip(np.nan_to_num(img), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    info = np.iinfo(img.dtype)
    scaled = (img.astype(np.float64) - info.min) / (info.max - info.min) * 255.0
    return (scaled + 0.5).astype(np.uint8)


def _over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    out = rgb.astype(np.float32) * a + 255.0 * (1.0 - a)
    return (out + 0.5).astype(np.uint8)


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Turn a stored RGB image upright according to its EXIF orientation value (Pillow's table)."""
    if orientation == 1:
        return img
    pil = Image.fromarray(img)
    pil.getexif()[ExifTags.Base.Orientation] = orientation
    return np.asarray(ImageOps.exif_transpose(pil))


# -- video reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` found out about a video's main video stream.

    Attributes:
        width: frame width in pixels, after applying the rotation.
        height: frame height in pixels, after applying the rotation.
        fps: average frame rate (0.0 if unknown).
        frame_count: number of frames from the container, or an estimate from duration x fps;
            0 if unknown. Use it for progress bars, not for logic.
        duration_s: duration in seconds (0.0 if unknown).
        rotation_deg: counter-clockwise rotation applied to make frames upright
            (0, 90, 180 or 270).
        codec: FFmpeg codec name, e.g. ``"h264"``.
    """

    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int
    codec: str


def _check_file(p: Path) -> None:
    if not p.exists():
        raise MediaError(f"{p}: file not found; check the path")
    if p.is_dir():
        raise MediaError(f"{p} is a folder, not a video file; pass the video's path")
    if not p.is_file():
        raise MediaError(f"{p}: not a regular file (a pipe, socket or device); save the video to a file first")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise MediaError(f"{p}: cannot read the file ({exc}); check its permissions") from exc
    if size == 0:
        raise MediaError(f"{p}: the file is empty (0 bytes); re-export or re-copy the video")


def _open_input(p: Path) -> Any:
    _check_file(p)
    try:
        return av.open(str(p), mode="r")
    except av.error.InvalidDataError as exc:
        suffix = p.suffix.lower()
        if suffix in VIDEO_EXTENSIONS:
            hint = "Re-export it as MP4 (H.264)"
        else:
            hint = (
                f"'{suffix or 'no extension'}' is not a supported video or photo type: convert it to MP4 "
                "(H.264), JPEG or PNG"
            )
        raise MediaError(
            f"{p}: not a readable video (FFmpeg: {exc.strerror or exc}); the file is corrupt, "
            f"truncated (e.g. an interrupted copy or recording) or not a video. {hint}"
        ) from exc
    except UnicodeDecodeError as exc:  # PyAV decodes the container's metadata as UTF-8 text
        raise MediaError(
            f"{p}: not a readable video (its header holds garbage where text belongs); the file is corrupt. "
            "Re-export or re-copy it"
        ) from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"{p}: cannot open the video ({exc}); check the file") from exc


def _video_stream(container: Any, p: Path) -> Any:
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams})
        if kinds == ["audio"]:
            raise MediaError(f"{p}: audio only, it has no video stream; pass a video file")
        found = f"only {', '.join(kinds)} streams" if kinds else "no streams"
        raise MediaError(
            f"{p}: no video stream found ({found}); the file is corrupt, truncated or not "
            "a video. Re-export it as MP4 (H.264)"
        )
    return container.streams.video[0]


def _rotation_k(frame: Any, stream: Any) -> int:
    """Return the number of counter-clockwise quarter turns that make ``frame`` upright.

    PyAV >= 13 reports the display matrix of the frame (FFmpeg copies the stream's
    ``displaymatrix`` side data onto decoded frames) as ``frame.rotation`` in degrees
    counter-clockwise. Old files/FFmpeg builds expose a clockwise ``rotate`` tag instead.
    Flips in the display matrix are ignored.
    """
    degrees = float(getattr(frame, "rotation", 0) or 0)
    if degrees == 0:
        with contextlib.suppress(ValueError, TypeError, UnicodeDecodeError):  # garbage metadata: no rotation
            tag = stream.metadata.get("rotate")
            degrees = -float(tag) if tag is not None else 0.0
    return round(degrees / 90.0) % 4


#: np.rot90's k (counter-clockwise quarter turns) as OpenCV rotate codes (same pixels, faster).
_CV2_ROTATE = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


def _upright(frame: Any, k: int, reformatter: VideoReformatter, size: tuple[int, int] | None = None) -> np.ndarray:
    """The frame as upright RGB; ``size`` (width, height before rotation): scale it there while converting.

    ``reformatter`` is the clip's one converter: kept from frame to frame, it keeps FFmpeg's
    scaler set up (``frame.to_ndarray(format=...)`` sets one up for every frame: 0.87 instead
    of 0.25 ms a 1280x720 frame, with the same pixels).
    """
    if size is not None and size != (frame.width, frame.height):
        converted = reformatter.reformat(frame, width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    else:
        converted = reformatter.reformat(frame, format="rgb24")
    rgb = converted.to_ndarray()
    if k % 4:
        return cv2.rotate(rgb, _CV2_ROTATE[k % 4])
    return np.ascontiguousarray(rgb)


def _check_declared(container: Any, stream: Any, p: Path, limits: VideoLimits) -> None:
    """Refuse, before decoding anything, a video whose header declares too large frames or too long a run."""
    ctx = stream.codec_context  # None for a codec FFmpeg does not know: nothing declared
    width, height = (int(getattr(ctx, "width", 0) or 0), int(getattr(ctx, "height", 0) or 0))
    limits.check_size(p, width, height)
    limits.check_length(p, int(stream.frames or 0), _duration_s(container, stream))


def _fit(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Scale ``rgb`` into ``shape`` (height, width, 3) keeping its aspect ratio, padded with black (letterbox).

    Used when a stream changes its frame size midway: every frame keeps the first frame's size
    (the annotated video has one size) and the body's proportions (the angles) are unchanged.
    """
    height, width = shape[:2]
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = max(1, min(width, round(w * scale))), max(1, min(height, round(h * scale)))
    scaled = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top : top + new_h, left : left + new_w] = scaled
    return out


def _decode_error(p: Path, exc: Exception, frames_done: int) -> MediaError:
    return MediaError(
        f"{p}: video decoding failed after {frames_done} frame(s) ({exc}); the file is "
        "probably corrupt or truncated. Re-export or re-copy it"
    )


def probe_video(path: str | Path, *, limits: VideoLimits | None = None) -> VideoInfo:
    """Return size, frame rate, length, rotation and codec of a video file.

    The first frame is decoded to read the rotation, so probing a broken file fails here. A
    video whose header declares frames, a frame count or a duration over ``limits`` is refused
    before that decode.

    Args:
        path: video file.
        limits: size and length limits (default: :func:`~formcheck.media_limits.video_limits`).

    Raises:
        MediaError: the file is missing, empty, not a video, has no video stream or no
            decodable frame, or is over the limits.
    """
    p = Path(path)
    limits = limits if limits is not None else video_limits()
    with _open_input(p) as container:
        stream = _video_stream(container, p)
        _check_declared(container, stream, p, limits)
        frames = _decode_frames(container, stream, p, strict=False)
        first = next(frames, None)
        frames.close()
        if first is None:
            raise MediaError(
                f"{p}: no video frame could be decoded; the file is corrupt or truncated. Re-export or re-copy it"
            )
        limits.check_size(p, first.width, first.height, where="decodes to frames of")
        k = _rotation_k(first, stream)
        fps = _average_fps(stream)
        duration = _duration_s(container, stream)
        frames = int(stream.frames or 0) or (round(duration * fps) if duration and fps else 0)
        width, height = first.width, first.height
        if k % 2:
            width, height = height, width
        return VideoInfo(
            width=width,
            height=height,
            fps=fps,
            frame_count=frames,
            duration_s=duration,
            rotation_deg=90 * k,
            codec=stream.codec_context.name,
        )


def _average_fps(stream: Any) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def _duration_s(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def iter_video_frames(
    path: str | Path, *, strict: bool = False, threads: int = 0, limits: VideoLimits | None = None
) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(rgb, timestamp_s)`` for every frame of a video, decoded one at a time.

    Frames are (H, W, 3) uint8 RGB, turned upright from the rotation metadata. Timestamps
    are ``pts x time_base`` relative to the first decoded frame (which gets 0.0). They are
    strictly increasing: a frame whose time is not after the previous one's (broken muxing)
    is given previous + 1 ms; a frame without pts gets previous + 1/fps. Memory use does
    not grow with the clip's length.

    Packets that fail to decode (a damaged stretch of the file) are skipped with a logged
    warning unless ``strict``; a truncated file yields the frames before the cut.

    Memory per frame is bounded (``limits``): a video whose header declares frames larger than
    ``limits.max_pixels``, more than ``limits.max_frames`` frames or a duration over
    ``limits.max_duration_s`` is refused before anything is decoded; every decoded frame is
    checked again (a stream can change size midway, or declare nothing), and frames larger
    than ``limits.max_side`` are downscaled while they are converted to RGB (the pose model
    works on ~256-pixel crops; landmarks are normalised). All frames have the first frame's
    output size: a later frame of another size is scaled into it, letterboxed.

    Args:
        path: video file.
        strict: raise on the first undecodable packet instead of skipping it.
        threads: decoder threads. 0 (default): FFmpeg's frame threads, one per core, which
            finish a frame sooner while other cores are idle. 1: one thread, which costs less
            CPU in all (720p H.264: 1.5 instead of 2.0 ms a frame), for when other work keeps
            every core busy, as in a batch with a worker per core. Frames are the same.
        limits: size and length limits (default: :func:`~formcheck.media_limits.video_limits`).

    Raises:
        ValueError: ``threads`` is negative.
        MediaError: the file cannot be opened, has no video stream, no frame decodes, reading
            fails midway, (``strict``) a packet is corrupt, or the video is over ``limits``.
            Frames decoded before a failure have already been yielded.
    """
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0: FFmpeg chooses), got {threads}")
    p = Path(path)
    limits = limits if limits is not None else video_limits()
    with _open_input(p) as container:
        stream = _video_stream(container, p)
        _check_declared(container, stream, p, limits)
        if threads:
            stream.codec_context.thread_count = threads
        else:
            stream.thread_type = "AUTO"
        fps = _average_fps(stream) or 30.0
        time_base = stream.time_base or Fraction(1, 1000)
        first_pts: int | None = None
        last_t: float | None = None
        k = 0
        count = 0
        shape: tuple[int, ...] = ()
        reformatter = VideoReformatter()
        for frame in _decode_frames(container, stream, p, strict=strict):
            if frame.width * frame.height > limits.max_pixels:
                where = f"changes at frame {count} to frames of" if count else "decodes to frames of"
                limits.check_size(p, frame.width, frame.height, where=where)
            if count == 0:
                k = _rotation_k(frame, stream)
            if frame.pts is not None and first_pts is None:
                first_pts = frame.pts
            last_t = _frame_time(frame.pts, first_pts, time_base, last_t, fps)
            count += 1
            if count > limits.max_frames:
                limits.check_length(p, count, 0.0, where="has at least")
            limits.check_length(p, 0, last_t, where="runs for at least")
            rgb = _upright(frame, k, reformatter, limits.decode_size(frame.width, frame.height))
            if count == 1:
                shape = rgb.shape
            elif rgb.shape != shape:
                rgb = _fit(rgb, shape)
            yield rgb, last_t
        if count == 0:
            raise MediaError(
                f"{p}: no video frame could be decoded; the file is corrupt or truncated. Re-export or re-copy it"
            )


def _decode_frames(container: Any, stream: Any, p: Path, *, strict: bool) -> Iterator[Any]:
    """Demux and decode ``stream`` packet by packet, skipping corrupt packets."""
    bad = 0
    done = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets, None)
        except (av.error.FFmpegError, OSError) as exc:
            raise _decode_error(p, exc, done) from exc
        if packet is None:
            break
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as exc:
            if strict:
                raise _decode_error(p, exc, done) from exc
            bad += 1
            continue
        except (av.error.FFmpegError, OSError) as exc:
            raise _decode_error(p, exc, done) from exc
        for frame in frames:
            done += 1
            yield frame
    if bad:
        _log.warning("%s: skipped %d corrupt packet(s); %d frame(s) decoded", p, bad, done)


def _frame_time(
    pts: int | None,
    first_pts: int | None,
    time_base: Fraction,
    last_t: float | None,
    fps: float,
) -> float:
    if pts is None or first_pts is None:
        t = 0.0 if last_t is None else last_t + 1.0 / fps
    else:
        t = float((pts - first_pts) * time_base)
    if last_t is not None and t <= last_t:
        t = last_t + 0.001
    return t


# -- video writing ---------------------------------------------------------------------------

_WRITER_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
_WRITER_TIME_BASE = Fraction(1, 90_000)


#: x264 settings of :class:`H264Writer` on top of its preset: the simplest sub-pixel motion
#: search (subme 1, diamond), a 5-frame rate-control look-ahead and 4x4 transforms only (no
#: 8x8 DCT). At 640x480 (2 CPUs) the first three took the encoder from 2.4-2.6 to 1.8 ms of
#: CPU per frame at the same file size; dropping the 8x8 DCT saves another 12-15 % (640x480
#: 2.22 → 1.96 ms, 1280x720 6.6 → 5.6 ms a frame) at the same size and PSNR (41.5 / 43.6 dB).
X264_PARAMS = "subme=1:me=dia:rc-lookahead=5:no-8x8dct=1"


def _yuv_frame(yuv: np.ndarray) -> av.VideoFrame:
    """An I420 (H*3/2, W) array as a yuv420p frame, without a copy where PyAV can.

    Frames 2 pixels high are copied: the encoder refuses their planes in place.
    """
    from_buffer = getattr(av.VideoFrame, "from_numpy_buffer", None)  # PyAV >= 13
    if from_buffer is not None and yuv.shape[0] >= 6:
        return from_buffer(yuv, format="yuv420p")
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


class H264Writer:
    """Write RGB frames to an H.264 (libx264, yuv420p) MP4/MOV/MKV that browsers play.

    Odd frame sizes are padded to even by repeating the last row/column (yuv420p needs
    even sizes); :attr:`size` is the padded output size. MP4/MOV files get
    ``movflags=+faststart`` so playback can start before the whole file is downloaded.
    Frame times come from ``write(..., timestamp_s=...)`` (relative to the first written
    frame) or, when not given, from the previous frame + 1/fps. If no frame was written the
    file is removed on close.

    Args:
        path: output file (``.mp4``, ``.m4v``, ``.mov`` or ``.mkv``); its folder must exist.
        fps: nominal frame rate (> 0).
        size: (width, height) of the frames that will be written.
        crf: x264 constant rate factor (0-51, lower = better quality, 23 = default).
        preset: x264 speed preset (``"ultrafast"`` ... ``"veryslow"``).
        threads: x264 threads. 1 (default): the encoder stays on one core and leaves the
            others to pose inference, which it runs beside (``formcheck analyze``); with
            x264's own choice (0) its frame threads took cores from the inference (lite,
            720p, 2 CPUs: analyze fell from 0.88 to 0.83 of inference-only speed).
        x264_params: extra x264 settings. The default (:data:`X264_PARAMS`: the simplest
            motion search and a 5-frame look-ahead) cuts the encoder's CPU time per frame by
            about a quarter against plain ``veryfast`` at the same file size and visible
            quality; ``""`` for x264's preset alone.

    Raises:
        MediaError: bad arguments, unsupported extension, or the file cannot be created.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        size: tuple[int, int],
        crf: int = 23,
        preset: str = "veryfast",
        threads: int = 1,
        x264_params: str = X264_PARAMS,
    ) -> None:
        self.path = Path(path)
        fmt = _WRITER_FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise MediaError(
                f"{self.path}: cannot write H.264 to a '{self.path.suffix}' file; use one of "
                f"{', '.join(sorted(_WRITER_FORMATS))}"
            )
        if not self.path.parent.is_dir():
            raise MediaError(f"{self.path}: the folder {self.path.parent} does not exist; create it first")
        if not fps > 0 or not np.isfinite(fps):
            raise MediaError(f"{self.path}: fps must be a positive number, got {fps}")
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise MediaError(f"{self.path}: frame size must be positive, got {size}")
        if not 0 <= crf <= 51:
            raise MediaError(f"{self.path}: crf must be in 0..51, got {crf}")
        self.input_size = (width, height)
        self.size = (width + width % 2, height + height % 2)
        self.fps = float(fps)
        if threads < 0:
            raise MediaError(f"{self.path}: threads must be >= 0 (0: x264 chooses), got {threads}")
        self._container, self._stream = self._open(fmt, crf, preset, threads, x264_params)
        self._last_pts: int | None = None
        self._first_t: float | None = None
        self._frames = 0

    def _open(self, fmt: str, crf: int, preset: str, threads: int, x264_params: str) -> tuple[Any, Any]:
        container_options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
        try:
            container = av.open(
                str(self.path),
                mode="w",
                format=fmt,
                container_options=container_options,
            )
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(
                f"{self.path}: cannot create the video file ({exc}); check that the folder exists and is writable"
            ) from exc
        try:
            rate = Fraction(self.fps).limit_denominator(1001)
            options = {"crf": str(crf), "preset": preset, "threads": str(threads)}
            if x264_params:
                options["x264-params"] = x264_params
            stream = container.add_stream("libx264", rate=rate, options=options)
            stream.width, stream.height = self.size
            stream.pix_fmt = "yuv420p"
            stream.time_base = _WRITER_TIME_BASE
            stream.codec_context.time_base = _WRITER_TIME_BASE
        except (av.error.FFmpegError, ValueError) as exc:
            container.close()
            raise MediaError(f"{self.path}: cannot set up the H.264 encoder ({exc})") from exc
        return container, stream

    @property
    def frames_written(self) -> int:
        """Number of frames written so far."""
        return self._frames

    def write(self, rgb: np.ndarray, timestamp_s: float | None = None) -> None:
        """Encode one (H, W, 3) uint8 RGB frame of the size given to the constructor.

        Args:
            rgb: the frame.
            timestamp_s: its time in seconds; ``None``: previous frame + 1/fps. A time not
                after the previous frame's is moved just after it.

        Raises:
            MediaError: the writer is closed, the frame has the wrong shape/dtype, or
                encoding fails.
        """
        if self._container is None:
            raise MediaError(f"{self.path}: write() after close(); open a new H264Writer")
        # Convert to YUV 4:2:0 with OpenCV (faster than FFmpeg's swscale here) and hand the
        # planes to the encoder without a copy (the frame keeps the array alive).
        yuv = cv2.cvtColor(self._even(self._check(rgb)), cv2.COLOR_RGB2YUV_I420)
        frame = _yuv_frame(yuv)
        frame.pts = self._next_pts(timestamp_s)
        frame.time_base = _WRITER_TIME_BASE
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(
                f"{self.path}: encoding frame {self._frames} failed ({exc}); check free disk space"
            ) from exc
        self._frames += 1

    def _check(self, rgb: np.ndarray) -> np.ndarray:
        width, height = self.input_size
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
            got = rgb.dtype if isinstance(rgb, np.ndarray) else type(rgb).__name__
            raise MediaError(f"{self.path}: frames must be uint8 numpy arrays, got {got}")
        if rgb.shape != (height, width, 3):
            raise MediaError(
                f"{self.path}: frame shape {rgb.shape} does not match the writer's size "
                f"(expected {(height, width, 3)}); resize frames before writing"
            )
        return rgb

    def _even(self, rgb: np.ndarray) -> np.ndarray:
        width, height = self.input_size
        pad_w, pad_h = self.size[0] - width, self.size[1] - height
        if pad_w or pad_h:
            rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        return np.ascontiguousarray(rgb)

    def _next_pts(self, timestamp_s: float | None) -> int:
        step = round(1.0 / (self.fps * _WRITER_TIME_BASE))
        guess = 0 if self._last_pts is None else self._last_pts + step
        if timestamp_s is None or not np.isfinite(timestamp_s):
            pts = guess
        else:
            if self._first_t is None:  # anchor the clock: this time maps to `guess`
                self._first_t = float(timestamp_s) - float(guess * _WRITER_TIME_BASE)
            pts = round((float(timestamp_s) - self._first_t) / _WRITER_TIME_BASE)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        return pts

    def close(self) -> None:
        """Flush the encoder and finish the file. Safe to call more than once."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if self._frames:
                for packet in self._stream.encode(None):
                    container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(f"{self.path}: finishing the video failed ({exc})") from exc
        finally:
            container.close()
        if not self._frames:
            with contextlib.suppress(OSError):
                os.remove(self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
