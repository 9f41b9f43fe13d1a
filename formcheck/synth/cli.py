"""``formcheck synth``: render labelled synthetic clips with ground truth.

Examples:
    python -m formcheck.synth --out sample_videos            # the committed compact set
    python -m formcheck.synth --out /tmp/s --only tree_pose  # a subset (name substring)
    python -m formcheck.synth --list
    python -m formcheck.synth --set validation --out /work/valset --resume   # the held-out set
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SETS = ("default", "validation")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the command."""
    p = argparse.ArgumentParser(prog="formcheck synth", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: sample_videos for the default set; required for --set validation)")
    p.add_argument("--set", dest="clip_set", choices=SETS, default="default",
                   help="which catalog: 'default' (sample_videos/) or 'validation' (the held-out set, "
                        "docs/validation-set.md)")
    p.add_argument("--only", action="append", default=[], help="render clips whose name contains this (repeatable)")
    p.add_argument("--list", action="store_true", help="list the clips and exit")
    p.add_argument("--jobs", type=int, default=1, help="render in N processes")
    p.add_argument("--resume", action="store_true", help="skip clips already rendered completely in --out")
    p.add_argument("--labels-only", action="store_true", help="rewrite labels.csv without rendering")
    return p


def catalog(name: str) -> list:
    """The clips of a named set, in render order."""
    if name == "validation":
        from formcheck.synth.validation import validation_set

        return validation_set()
    from formcheck.synth.catalog import default_set

    return default_set()


def write_present_labels(clips: list, out: Path) -> int:
    """Rewrite ``out/labels.csv`` for every clip of ``clips`` present in ``out``; returns rows."""
    from formcheck.synth.labels import clip_rows, write_labels

    rows = []
    for c in clips:  # labels always describe every clip present in the folder
        if (out / f"{c.name}.mp4").exists():
            rows.extend(clip_rows(c, c.timing()))
    out.mkdir(parents=True, exist_ok=True)
    write_labels(out / "labels.csv", rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.out is None:
        if args.clip_set != "default" and not args.list:
            print("formcheck synth: --set validation needs --out (keep it outside the repository)", file=sys.stderr)
            return 2
        args.out = Path("sample_videos")
    clips = catalog(args.clip_set)
    selected = [c for c in clips if not args.only or any(s in c.name for s in args.only)]
    if args.list:
        for c in selected:
            print(f"{c.name}\t{c.exercise}\t{c.fault or ''}\t{c.label_view}")
        return 0
    if not args.labels_only:
        try:
            from formcheck.synth.generate import render_clip, rendered
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            print(f"formcheck synth needs the 'synth' extra: {exc}", file=sys.stderr)
            return 2
        if args.resume:
            done = [c for c in selected if rendered(c, args.out)]
            selected = [c for c in selected if not rendered(c, args.out)]
            print(f"resume: {len(done)} clips already rendered, {len(selected)} to go", flush=True)
        if args.jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(args.jobs) as pool:
                for info in pool.map(render_clip, selected, [args.out] * len(selected)):
                    print(f"{info['name']}: {info['frames']} frames, {info['s_per_frame']:.2f} s/frame", flush=True)
                    write_present_labels(clips, args.out)
        else:
            for spec in selected:
                info = render_clip(spec, args.out)
                print(f"{info['name']}: {info['frames']} frames, {info['s_per_frame']:.2f} s/frame", flush=True)
                write_present_labels(clips, args.out)
    n = write_present_labels(clips, args.out)
    print(f"wrote {n} label rows to {args.out / 'labels.csv'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
