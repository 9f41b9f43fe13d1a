"""A fake-camera clip for the coach's browser test: rendered psoas-stretch and constructive-rest
clips one after the other (each 3 s: moving into position, then holding), as frames or y4m."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ("psoas_stretch__correct__f_slim.mp4", "constructive_rest__correct__f_slim.mp4")
FPS = 10


def clip_paths() -> list[Path]:
    """The rendered clips used, in order."""
    return [ROOT / "sample_videos" / name for name in CLIPS]


def routine_frames(fps: int = FPS, repeat: int = 1) -> list[np.ndarray]:
    """The clips' RGB frames resampled to ``fps`` (nearest frame), one clip after the other."""
    from formcheck.media import iter_video_frames

    out: list[np.ndarray] = []
    for path in clip_paths():
        src = list(iter_video_frames(path))
        duration = src[-1][1]
        n = int(duration * fps) + 1
        for k in range(n):
            want = k / fps
            out.append(min(src, key=lambda p: abs(p[1] - want))[0])
    return out * repeat


ROUTINE_TOML = """
id = "browser_test"
name = "Browser test"
description = "Two short steps for the browser test."
countdown_s = 1

[[steps]]
exercise = "psoas_stretch"
side = "left"
hold_s = {hold}
rest_s = 1
breathe = {{ in_s = 2, out_s = 2 }}
say = "Hug your left knee to your chest."

[[steps]]
exercise = "constructive_rest"
side = "none"
hold_s = {hold}
rest_s = 0
say = "Rest with your knees bent."
"""
