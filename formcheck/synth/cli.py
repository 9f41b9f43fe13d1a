"""``formcheck synth``: render labelled synthetic clips with ground truth.

Examples:
    python -m formcheck.synth --out sample_videos            # the committed compact set
    python -m formcheck.synth --out /tmp/s --only tree_pose  # a subset (name substring)
    python -m formcheck.synth --list
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the command."""
    p = argparse.ArgumentParser(prog="formcheck synth", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("sample_videos"), help="output folder")
    p.add_argument("--only", action="append", default=[], help="render clips whose name contains this (repeatable)")
    p.add_argument("--list", action="store_true", help="list the clips and exit")
    p.add_argument("--jobs", type=int, default=1, help="render in N processes")
    p.add_argument("--labels-only", action="store_true", help="rewrite labels.csv without rendering")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    from formcheck.synth.catalog import default_set
    from formcheck.synth.labels import clip_rows, write_labels
    from formcheck.synth.motion import FAULT_START_S, Timing

    clips = default_set()
    selected = [c for c in clips if not args.only or any(s in c.name for s in args.only)]
    if args.list:
        for c in selected:
            print(f"{c.name}\t{c.exercise}\t{c.fault or ''}\t{c.label_view}")
        return 0
    if not args.labels_only:
        try:
            from formcheck.synth.generate import render_clip
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            print(f"formcheck synth needs the 'synth' extra: {exc}", file=sys.stderr)
            return 2
        if args.jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(args.jobs) as pool:
                for info in pool.map(render_clip, selected, [args.out] * len(selected)):
                    print(f"{info['name']}: {info['frames']} frames, {info['s_per_frame']:.2f} s/frame", flush=True)
        else:
            for spec in selected:
                info = render_clip(spec, args.out)
                print(f"{info['name']}: {info['frames']} frames, {info['s_per_frame']:.2f} s/frame", flush=True)
    rows = []
    for c in clips:  # labels always describe every clip present in the folder
        if (args.out / f"{c.name}.mp4").exists():
            timing = Timing(c.duration_s, fault_start_s=FAULT_START_S if c.fault else None)
            rows.extend(clip_rows(c, timing))
    write_labels(args.out / "labels.csv", rows)
    print(f"wrote {len(rows)} label rows to {args.out / 'labels.csv'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
