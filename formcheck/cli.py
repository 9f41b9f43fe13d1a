"""The ``formcheck`` command: analyze, batch, specs check, synth.

Exit codes: 0 = done, no fault found; 1 = done, faults found; 2 = bad input or usage (the
message says what and where); 3 = the environment is missing something (e.g. the model);
4 = an internal error (a bug; the traceback with ``FORMCHECK_DEBUG=1``); 130 = interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from formcheck import __version__
from formcheck.engine.engine import AUTO
from formcheck.engine.specs import SpecError, load_specs
from formcheck.errors import FormcheckError, MediaError, ModelNotFoundError

EXIT_OK, EXIT_FAULTS, EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: An unexpected error (a bug): one line on stderr, the traceback only with FORMCHECK_DEBUG=1.
EXIT_INTERNAL = 4
DEBUG_ENV = "FORMCHECK_DEBUG"


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="full", choices=["lite", "full", "heavy"],
                   help="MediaPipe pose model variant (default: full)")
    p.add_argument("--model-path", type=Path, default=None, help="explicit pose_landmarker_*.task file")
    p.add_argument("--specs", type=Path, default=None, help="folder of exercise specs (default: pose_specs/)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="formcheck", description="Pose-form checker for a psoas-release routine.")
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="analyse a video or photo")
    a.add_argument("input", type=Path, help="video (mp4, mov, webm, gif, ...) or photo (jpg, png, ...)")
    a.add_argument("--exercise", default=AUTO, help="exercise id or 'auto' (default: auto)")
    a.add_argument("--out", type=Path, default=Path("formcheck-out"), help="output folder (default: formcheck-out)")
    a.add_argument("--no-video", action="store_true", help="do not write the annotated video/photo")
    a.add_argument("--mirrored", action="store_true", help="the input is a mirrored selfie view")
    _add_model_args(a)

    s = sub.add_parser("specs", help="exercise specs")
    s_sub = s.add_subparsers(dest="specs_command", required=True)
    c = s_sub.add_parser("check", help="validate spec files")
    c.add_argument("paths", nargs="*", type=Path, help="spec files or folders (default: pose_specs/)")

    b = sub.add_parser("batch", help="analyse (and score) every clip in a folder")
    b.add_argument("folder", type=Path)
    b.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    y = sub.add_parser("synth", help="render synthetic labelled clips (needs the 'synth' extra)")
    y.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.analyze import AnalyzeOptions, analyze  # noqa: PLC0415 - heavy imports on demand

    specs = load_specs(args.specs)
    result = analyze(
        args.input,
        AnalyzeOptions(exercise=args.exercise, model=args.model, model_path=args.model_path, spec_dir=args.specs,
                       out_dir=args.out, annotate=not args.no_video, mirrored=args.mirrored),
        specs=specs,
    )
    s = result.summary
    print(f"{result.input}: {s['kind']}, {s['frames']} frame(s), person in {s['frames_with_person']}")
    several = s.get("frames_with_several_people") or 0
    if several:
        print(f"  several people in view in {several} frame(s): the main person was followed and judged")
    if s["exercise"]:
        spec = specs[s["exercise"]]
        side = f", {s['side']} side" if s["side"] else ""
        print(f"  exercise: {spec.name}{side}, {s['view']} view, in position {s['in_position_s']:.1f} s")
        print(f"  hold: {s['hold_s']:.1f} s   score: {s['score'] if s['score'] is not None else '-'}/100"
              + (f"   Cat-Cow rounds: {s['rounds']}" if spec.counter else ""))
        for k, v in s["reports"].items():
            print(f"  {k}: {v}")
        if s["faults"]:
            cues = {r.id: r.cue for r in spec.rules}
            for fid, info in s["faults"].items():
                spans = ", ".join(f"{a:.1f}-{b:.1f}s" for a, b in info["intervals"][:4])
                print(f"  FAULT {fid} ({info['total_s']:.1f} s: {spans}): {cues.get(fid, '')}")
        else:
            print("  no faults")
    else:
        wanted = "" if args.exercise == AUTO else f" {args.exercise}"
        print(f"  not in the{wanted} position (no exercise recognised); nothing judged")
    for name, path in result.outputs.items():
        print(f"  {name}: {path}")
    return EXIT_FAULTS if s["faults"] else EXIT_OK


def _cmd_specs_check(args: argparse.Namespace) -> int:
    from formcheck.engine.specs import load_spec  # noqa: PLC0415

    paths = args.paths or [None]
    bad = 0
    for p in paths:
        files = sorted(Path(p).glob("*.toml")) if p is not None and Path(p).is_dir() else [p]
        if p is not None and not files:
            bad += 1
            print(f"ERR {p}: a folder with no *.toml spec file in it; give spec files or their folder", file=sys.stderr)
            continue
        if p is None:
            specs = load_specs()
            for spec in specs.values():
                print(f"ok  {spec.source.name if spec.source else spec.id}: {len(spec.rules)} rules, "
                      f"{len(spec.metrics)} metrics")
            continue
        for f in files:
            try:
                spec = load_spec(f)
            except SpecError as exc:
                bad += 1
                print(f"ERR {exc}", file=sys.stderr)
                continue
            print(f"ok  {f.name}: {len(spec.rules)} rules, {len(spec.metrics)} metrics")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:
    from formcheck.batch.cli import main as batch_main  # noqa: PLC0415

    return batch_main([str(args.folder), *args.rest])


def _cmd_synth(args: argparse.Namespace) -> int:
    try:
        from formcheck.synth.cli import main as synth_main  # noqa: PLC0415
    except ImportError as exc:
        print(f"formcheck synth needs the optional extra: pip install 'formcheck[synth]' ({exc})", file=sys.stderr)
        return EXIT_ENVIRONMENT
    return synth_main(args.rest)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["synth"]:  # REMAINDER drops a leading option (`synth --list`): pass all on
        return _cmd_synth(argparse.Namespace(command="synth", rest=argv[1:]))
    args = build_parser().parse_args(argv)
    commands = {"analyze": _cmd_analyze, "batch": _cmd_batch, "synth": _cmd_synth}
    try:
        if args.command == "specs":
            return _cmd_specs_check(args)
        return commands[args.command](args)
    except ModelNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except (MediaError, SpecError, FormcheckError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must not end in a bare traceback
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        where = f" on {args.input}" if getattr(args, "input", None) is not None else ""
        print(f"error: internal error{where}: {type(exc).__name__}: {exc}. This is a bug in formcheck: please report "
              f"it with the file (set {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
