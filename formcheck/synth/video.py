"""H.264 MP4 writer (PyAV + libx264, yuv420p, faststart)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class Mp4Writer:
    """Write RGB frames to an H.264 MP4 readable everywhere (yuv420p, +faststart)."""

    def __init__(self, path: Path, fps: int, width: int, height: int, crf: int = 26) -> None:
        """Open ``path`` for writing."""
        import av

        self._av = av
        self._container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        self._stream = self._container.add_stream("libx264", rate=fps)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "medium"}

    def write(self, rgb: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame."""
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Flush and close the file."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
