"""Render the overlay on real frames at 640x480 and 1280x720 (docs/img/overlay_*.png).

    FORMCHECK_MODEL_DIR=../shared/models python docs/make_overlay_shots.py

Each clip runs through the engine (lite model) up to the chosen time; that frame is drawn as in
``formcheck analyze`` (cue band away from the head) and saved at both sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from formcheck.annotate import draw_overlay
from formcheck.engine.engine import Engine, EngineOptions
from formcheck.engine.specs import load_specs
from formcheck.media import iter_video_frames
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode

ROOT = Path(__file__).resolve().parents[1]
SHOTS = [
    # (clip, exercise, time in s, name)
    (ROOT / "sample_videos" / "psoas_stretch__knee_not_to_chest__m_short.mp4", "psoas_stretch", 3.0, "psoas_fault"),
    (ROOT.parent / "shared" / "realdata" / "tree" / "yogafitness_treeleft.mp4", "tree_pose", 2.5, "tree"),
]
SIZES = [(640, 480), (1280, 720)]


def main() -> int:
    """Write the screenshots; return the exit code."""
    specs = load_specs()
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    for clip, exercise, at_s, name in SHOTS:
        if not clip.is_file():
            print(f"skip {clip}: missing")
            continue
        for w, h in SIZES:
            engine = Engine(specs, EngineOptions(exercise=exercise))
            with PoseEstimator(EstimatorOptions(model="lite", mode=RunningMode.VIDEO)) as est:
                last = None
                for rgb, t in iter_video_frames(clip):
                    frame = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
                    result = engine.update(est.detect(frame, t, mask=engine.wants_mask), t)
                    last = (frame, result)
                    if t >= at_s:
                        break
            assert last is not None
            frame, result = last
            img = draw_overlay(frame.copy(), result, specs[exercise])
            path = out / f"overlay_{name}_{w}x{h}.png"
            cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            print(f"{path}: cue {result.cue.text!r}, faults {result.faults}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
