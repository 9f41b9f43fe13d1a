"""Check that every validation clip's body stays inside the 640x480 frame (before rendering).

Solves each clip's keyframes (entry, position, fault) on its body, places it on the floor and
projects every mesh vertex through the clip's camera; reports the share of vertices outside the
frame and the body's pixel box. Needs the synth extra (torch, anny); no rendering.

    PYOPENGL_PLATFORM=osmesa nice -n 19 .venv-synth/bin/python benchmarks/validation_framing.py [--only SUBSTR]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from formcheck.synth.camera import HEIGHT, WIDTH
from formcheck.synth.generate import body_model, keyframe
from formcheck.synth.solve import posed
from formcheck.synth.validation import validation_set


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--margin", type=float, default=0.0, help="pixels the body must stay inside the edges")
    args = p.parse_args(argv)
    bad = 0
    cache: dict[tuple, np.ndarray] = {}
    for spec in validation_set():
        if args.only and not any(s in spec.name for s in args.only):
            continue
        cam = spec.camera()
        worst = 0.0
        box = [np.inf, np.inf, -np.inf, -np.inf]
        keys = ["entry", "position"] + ([spec.fault] if spec.fault and spec.fault != "restless" else [])
        for key in keys:
            ck = (spec.body, spec.activity, key, spec.side, spec.arms, spec.foot)
            if ck not in cache:
                cache[ck] = posed(body_model(spec.body), keyframe(spec, key)).vertices
            px = cam.project(cache[ck], np.zeros(2))
            m = args.margin
            out = (px[:, 0] < m) | (px[:, 0] > WIDTH - m) | (px[:, 1] < m) | (px[:, 1] > HEIGHT - m)
            worst = max(worst, float(out.mean()))
            box = [min(box[0], px[:, 0].min()), min(box[1], px[:, 1].min()),
                   max(box[2], px[:, 0].max()), max(box[3], px[:, 1].max())]
        flag = "OUT" if worst > 0 else "ok "
        bad += worst > 0
        print(f"{flag} {spec.name}: h={cam.height_m:.2f} d={cam.distance_m:.2f} outside={worst:.3%} "
              f"box=({box[0]:.0f},{box[1]:.0f})-({box[2]:.0f},{box[3]:.0f})", flush=True)
    print(f"{bad} clips leave the frame")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
