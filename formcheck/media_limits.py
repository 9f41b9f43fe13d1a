"""Limits that keep a crafted or huge video from exhausting memory or CPU (video "bombs").

A few kilobytes of H.264 can declare 8192x8192 frames: decoding them took 6 GB and a minute
for 20 frames of nothing. :func:`formcheck.media.probe_video` and
:func:`formcheck.media.iter_video_frames` therefore refuse, before decoding, a video whose
declared frame size, frame count or duration is over :class:`VideoLimits`; they check every
decoded frame's size too (a stream can change size midway), and downscale frames larger than
``max_side`` at decode time (the pose model works on ~256-pixel crops, so nothing is lost),
so the memory a frame takes is bounded whatever the input.

The defaults can be changed with environment variables (see :func:`video_limits`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from formcheck.errors import MediaError

#: Largest frame decoded, in pixels (4096x4096; 4K UHD 3840x2160 is 8.3 megapixels).
MAX_VIDEO_PIXELS = 4096 * 4096
#: Most frames a video may have (one hour at 60 fps).
MAX_VIDEO_FRAMES = 216_000
#: Longest video, in seconds (one hour).
MAX_VIDEO_DURATION_S = 3600.0
#: Frames wider or taller than this are downscaled at decode time (1080p and smaller are kept).
MAX_DECODE_SIDE = 1920

PIXELS_ENV = "FORMCHECK_MAX_VIDEO_MEGAPIXELS"
FRAMES_ENV = "FORMCHECK_MAX_VIDEO_FRAMES"
DURATION_ENV = "FORMCHECK_MAX_VIDEO_SECONDS"
SIDE_ENV = "FORMCHECK_DECODE_MAX_SIDE"

_SHORTEN_HINT = "cut it to the part you want checked (e.g. ffmpeg -ss START -t SECONDS -i IN -c copy OUT.mp4)"
_RESIZE_HINT = "re-export it at 1920x1080 or smaller (pose detection needs no more), e.g. ffmpeg -i IN -vf " \
    "scale=-2:1080 OUT.mp4"


@dataclass(frozen=True)
class VideoLimits:
    """What a video may be before it is decoded.

    Attributes:
        max_pixels: largest frame (width x height, declared or decoded).
        max_frames: most frames (declared, or counted while decoding).
        max_duration_s: longest duration (declared, or the decoded frames' times).
        max_side: frames larger than this on their long side are downscaled while decoding,
            keeping the aspect ratio (0: never).
    """

    max_pixels: int = MAX_VIDEO_PIXELS
    max_frames: int = MAX_VIDEO_FRAMES
    max_duration_s: float = MAX_VIDEO_DURATION_S
    max_side: int = MAX_DECODE_SIDE

    def check_size(self, p: Path, width: int, height: int, where: str = "declares frames of") -> None:
        """Refuse a frame size over :attr:`max_pixels`.

        Raises:
            MediaError: naming the file, the size, the limit and what to do.
        """
        if width * height > self.max_pixels:
            raise MediaError(
                f"{p}: the video {where} {width}x{height} ({width * height / 1e6:.0f} megapixels), over the "
                f"{self.max_pixels / 1e6:.1f}-megapixel limit (each frame would take "
                f"{width * height * 3 / 1e6:.0f} MB to decode); {_RESIZE_HINT}"
            )

    def check_length(self, p: Path, frames: int, duration_s: float, where: str = "declares") -> None:
        """Refuse a frame count over :attr:`max_frames` or a duration over :attr:`max_duration_s`.

        Raises:
            MediaError: naming the file, the count or duration, the limit and what to do.
        """
        if frames > self.max_frames:
            raise MediaError(
                f"{p}: the video {where} {frames} frames, over the limit of {self.max_frames} "
                f"(analysing them would take hours); {_SHORTEN_HINT}"
            )
        if duration_s > self.max_duration_s:
            raise MediaError(
                f"{p}: the video {where} {_fmt_duration(duration_s)}, over the limit of "
                f"{_fmt_duration(self.max_duration_s)}; {_SHORTEN_HINT}"
            )

    def decode_size(self, width: int, height: int) -> tuple[int, int]:
        """The size a ``width`` x ``height`` frame is decoded at: at most :attr:`max_side` on the long side.

        The aspect ratio is kept and both sides are even (H.264 output needs even sizes);
        frames that fit are kept as they are.
        """
        side = max(width, height)
        if self.max_side <= 0 or side <= self.max_side:
            return width, height
        scale = self.max_side / side
        return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def _fmt_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def video_limits(environ: Mapping[str, str] | None = None) -> VideoLimits:
    """The limits, from the environment where set.

    ``FORMCHECK_MAX_VIDEO_MEGAPIXELS`` (default 16.8), ``FORMCHECK_MAX_VIDEO_FRAMES`` (216000),
    ``FORMCHECK_MAX_VIDEO_SECONDS`` (3600), ``FORMCHECK_DECODE_MAX_SIDE`` (1920; 0 keeps every
    frame's size).

    Raises:
        MediaError: a variable is not a number (or is negative).
    """
    env = os.environ if environ is None else environ
    base = VideoLimits()

    def number(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise MediaError(f"{name}={raw!r}: expected a number, e.g. {default:g}; unset it for the default") \
                from None
        if value < 0 or value != value:
            raise MediaError(f"{name}={raw!r}: must be a positive number; unset it for the default")
        return value

    return VideoLimits(
        max_pixels=round(number(PIXELS_ENV, base.max_pixels / 1e6) * 1e6),
        max_frames=int(number(FRAMES_ENV, base.max_frames)),
        max_duration_s=number(DURATION_ENV, base.max_duration_s),
        max_side=int(number(SIDE_ENV, base.max_side)),
    )
