"""Check rendered clips with MediaPipe: detection rate and 2D angle error against ground truth.

Usage: ``python -m formcheck.synth.check sample_videos /path/to/pose_landmarker_full.task``
(needs mediapipe and av; not used by the tests).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from formcheck.synth.truth import angle

_IDX = {"left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
        "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24, "left_knee": 25,
        "right_knee": 26, "left_ankle": 27, "right_ankle": 28}
_ANGLES = {"knee": ("hip", "knee", "ankle"), "hip": ("shoulder", "hip", "knee"),
           "elbow": ("shoulder", "elbow", "wrist")}


def check(folder: Path, model: Path, step: int = 5) -> dict[str, object]:
    """Run MediaPipe on every ``step``-th frame of each clip in ``folder``.

    Returns:
        Detection counts and, per angle, the median/mean absolute 2D error (deg) of
        MediaPipe's angle against the projected true angle.
    """
    import av
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                        running_mode=vision.RunningMode.IMAGE)
    errors: dict[str, list[float]] = defaultdict(list)
    detected = total = 0
    per_clip = {}
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        for mp4 in sorted(folder.glob("*.mp4")):
            gt = list(csv.DictReader(open(mp4.with_suffix("").with_suffix(".gt.csv"))))
            hits = seen = 0
            with av.open(str(mp4)) as c:
                for i, frame in enumerate(c.decode(video=0)):
                    if i % step:
                        continue
                    rgb = frame.to_ndarray(format="rgb24")
                    res = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
                    seen += 1
                    if not res.pose_landmarks:
                        continue
                    hits += 1
                    lms = res.pose_landmarks[0]
                    pts = {k: np.array([lms[v].x * 640, lms[v].y * 480]) for k, v in _IDX.items()}
                    for side in ("left", "right"):
                        for name, (a, b, cc) in _ANGLES.items():
                            est = angle(pts[f"{side}_{a}"], pts[f"{side}_{b}"], pts[f"{side}_{cc}"])
                            errors[name].append(abs(est - float(gt[i][f"{side}_{name}_2d"])))
            per_clip[mp4.name] = (hits, seen)
            detected, total = detected + hits, total + seen
    summary = {k: (float(np.median(v)), float(np.mean(v)), len(v)) for k, v in errors.items()}
    return {"detected": detected, "frames": total, "per_clip": per_clip, "angle_error": summary}


if __name__ == "__main__":  # pragma: no cover
    out = check(Path(sys.argv[1]), Path(sys.argv[2]))
    for name, (hits, seen) in out["per_clip"].items():
        print(f"{name}: detected {hits}/{seen}")
    print(f"detected {out['detected']}/{out['frames']} frames")
    for k, (med, mean, n) in out["angle_error"].items():
        print(f"{k}: median {med:.1f} deg, mean {mean:.1f} deg over {n} angles")
