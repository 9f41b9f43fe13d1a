"""Render one clip: solve keyframes, animate, render, encode, and write ground truth."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np

from formcheck.synth.body import BODIES, BodyModel
from formcheck.synth.camera import HEIGHT, WIDTH
from formcheck.synth.catalog import ClipSpec
from formcheck.synth.contacts import solve_contacts
from formcheck.synth.kinematics import blend
from formcheck.synth.motion import pose_at
from formcheck.synth.poses import script_for, sided
from formcheck.synth.render import RoomRenderer
from formcheck.synth.scene import vertex_colors
from formcheck.synth.solve import posed
from formcheck.synth.truth import frame_truth
from formcheck.synth.video import Mp4Writer

_MODELS: dict[str, BodyModel] = {}


def body_model(name: str) -> BodyModel:
    """Cached :class:`BodyModel` per body preset."""
    if name not in _MODELS:
        _MODELS[name] = BodyModel(BODIES[name])
    return _MODELS[name]


#: Hidden folder (inside the output folder) a clip is encoded in before it is moved into place,
#: so a clip that exists under its name is complete (a batch run skips hidden folders).
PARTIAL_DIR = ".partial"


def render_clip(spec: ClipSpec, out_dir: Path) -> dict[str, object]:
    """Render ``spec`` into ``out_dir``: ``<name>.mp4`` and ``<name>.gt.csv``.

    The video is encoded under ``out_dir/.partial/`` and moved into place when complete (after
    its ground truth is written), so an interrupted render never leaves a truncated clip.

    Args:
        spec: The clip.
        out_dir: Output folder (created).

    Returns:
        Summary: timing, frame count and seconds per frame.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    model = body_model(spec.body)
    script = script_for(spec.activity, spec.arms)
    opts = {"foot": spec.foot, "arms": spec.arms}
    entry = solve_contacts(model, spec.activity, "entry", sided(script.entry, spec.side), spec.side, **opts)
    position = solve_contacts(model, spec.activity, "position", sided(script.position, spec.side), spec.side, **opts)
    fault = None
    restless = spec.fault == "restless"
    if spec.fault and not restless:
        raw = {**script.position, **script.faults[spec.fault]}
        fault = solve_contacts(model, spec.activity, spec.fault, sided(raw, spec.side), spec.side, **opts)
    timing = spec.timing()
    camera = spec.camera()
    rest = model.pose({})
    colors = vertex_colors(rest.vertices, model.spec)
    upright = posed(model, {})
    upright_spine = float(np.linalg.norm(
        0.5 * (upright.joints["left_shoulder"] + upright.joints["right_shoulder"])
        - 0.5 * (upright.joints["left_hip"] + upright.joints["right_hip"])))
    renderer = RoomRenderer(camera, np.zeros(2), model.triangles)
    partial = out_dir / PARTIAL_DIR
    partial.mkdir(exist_ok=True)
    writer = Mp4Writer(partial / f"{spec.name}.mp4", timing.fps, WIDTH, HEIGHT)
    rows = []
    start = time.time()
    times = timing.frame_times()
    for i, t in enumerate(times):
        pose, weight = pose_at(float(t), timing, entry, position, fault, script.cycle, restless, spec.seed)
        body = posed(model, pose)
        writer.write(renderer.render(body.vertices, colors))
        truth = frame_truth(body, camera, upright_spine, -pose.get("lumbar_flex", 0.0))
        rows.append({"frame": i, "t_s": round(float(t), 4), "fault_weight": round(weight, 4),
                     **{k: round(v, 4) for k, v in truth.items()}})
    writer.close()
    renderer.close()
    with open(partial / f"{spec.name}.gt.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(partial / f"{spec.name}.gt.csv", out_dir / f"{spec.name}.gt.csv")
    os.replace(partial / f"{spec.name}.mp4", out_dir / f"{spec.name}.mp4")
    elapsed = time.time() - start
    return {"name": spec.name, "frames": len(times), "s_per_frame": elapsed / len(times), "timing": timing}


def keyframe(spec: ClipSpec, which: str) -> dict[str, float]:
    """Solved keyframe (``entry``, ``position`` or the fault) of a clip, for inspection."""
    model = body_model(spec.body)
    script = script_for(spec.activity, spec.arms)
    raw = script.entry if which == "entry" else script.position
    if which not in ("entry", "position"):
        raw = {**script.position, **script.faults[which]}
    return solve_contacts(model, spec.activity, which, sided(raw, spec.side), spec.side, foot=spec.foot,
                          arms=spec.arms)


def rendered(spec: ClipSpec, out_dir: Path) -> bool:
    """Whether ``spec`` is already rendered (complete) in ``out_dir``."""
    return (out_dir / f"{spec.name}.mp4").is_file() and (out_dir / f"{spec.name}.gt.csv").is_file()


__all__ = ["render_clip", "keyframe", "rendered", "blend", "PARTIAL_DIR"]
