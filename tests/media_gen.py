"""Helpers that write small generated media for the tests (nothing is downloaded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import av
import numpy as np


def encode_rgb_frames(container: Any, stream: Any, images: Iterable[np.ndarray]) -> None:
    """Encode RGB images as consecutive frames (pts 0, 1, ...) into ``stream`` and flush it."""
    for i, img in enumerate(images):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
