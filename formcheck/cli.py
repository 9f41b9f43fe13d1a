"""The ``formcheck`` command: analyze, batch, specs check, routines check, history, synth.

Exit codes: see :mod:`formcheck.exits`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from formcheck import __version__
from formcheck.batch.args import DESCRIPTION as BATCH_DESCRIPTION
from formcheck.batch.args import add_arguments as add_batch_arguments
from formcheck.engine.engine import AUTO
from formcheck.engine.specs import SpecError, load_specs
from formcheck.exits import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_FAULTS, EXIT_OK, run_guarded
from formcheck.models import MODEL_NAMES
from formcheck.quiet import add_verbose_arg, quiet_console


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="full", choices=MODEL_NAMES, help="MediaPipe pose model variant (default: full)")
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
    add_verbose_arg(a)

    s = sub.add_parser("specs", help="exercise specs")
    s_sub = s.add_subparsers(dest="specs_command", required=True)
    c = s_sub.add_parser("check", help="validate spec files")
    c.add_argument("paths", nargs="*", type=Path, help="spec files or folders (default: pose_specs/)")

    b = sub.add_parser("batch", help="analyse (and score) every clip in a folder", description=BATCH_DESCRIPTION)
    add_batch_arguments(b)

    h = sub.add_parser("history", help="the session history kept on this computer")
    h_sub = h.add_subparsers(dest="history_command", required=True)
    h_sub.add_parser("list", help="list saved sessions, newest first")
    e = h_sub.add_parser("export", help="write every saved exercise/side entry as CSV")
    e.add_argument("out", type=Path, nargs="?", default=None, help="CSV file (default: standard output)")
    d = h_sub.add_parser("delete", help="delete saved sessions")
    d.add_argument("session", nargs="?", default=None, help="one session id (default: all)")
    d.add_argument("--yes", action="store_true", help="really delete (required)")

    r = sub.add_parser("routines", help="routine files")
    r_sub = r.add_subparsers(dest="routines_command", required=True)
    r_sub.add_parser("check", help="validate routines/*.toml and your own routine files")

    y = sub.add_parser("synth", help="render synthetic labelled clips (needs the 'synth' extra)")
    y.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    from formcheck import serve  # noqa: PLC0415 - stdlib only at import time

    w = sub.add_parser("serve", help="start the web page (this computer only; --lan: HTTPS and a token)")
    serve.add_arguments(w)
    m = sub.add_parser("make-cert", help="make a self-signed HTTPS certificate for 'formcheck serve --lan'")
    m.add_argument("--out", type=Path, default=None, help="folder (default ~/.config/formcheck/tls)")
    m.add_argument("--host", action="append", default=[], help="another host name or IP the certificate names")
    return parser


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.analyze import AnalyzeOptions, analyze  # noqa: PLC0415 - heavy imports on demand
    from formcheck.outputs import file_writers  # noqa: PLC0415

    specs = load_specs(args.specs)
    result = analyze(
        args.input,
        AnalyzeOptions(exercise=args.exercise, model=args.model, model_path=args.model_path, spec_dir=args.specs,
                       mirrored=args.mirrored),
        specs=specs,
        writers=file_writers(args.out, annotate=not args.no_video),
    )
    s = result.summary
    print(f"{result.input}: {result.kind}, {s.frames} frame(s), person in {s.frames_with_person}")
    if s.frames_with_several_people:
        print(f"  several people in view in {s.frames_with_several_people} frame(s): the main person was followed "
              "and judged")
    if s.exercise:
        spec = specs[s.exercise]
        side = f", {s.side} side" if s.side else ""
        print(f"  exercise: {spec.name}{side}, {s.view} view, in position {s.in_position_s:.1f} s")
        print(f"  hold: {s.hold_s:.1f} s   score: {s.score if s.score is not None else '-'}/100"
              + (f"   Cat-Cow rounds: {s.rounds}" if spec.counter else ""))
        for k, v in s.reports.items():
            print(f"  {k}: {v}")
        if s.faults:
            cues = {r.id: r.cue for r in spec.rules}
            for fid, fault in s.faults.items():
                spans = ", ".join(f"{a:.1f}-{b:.1f}s" for a, b in fault.intervals[:4])
                print(f"  FAULT {fid} ({fault.total_s:.1f} s: {spans}): {cues.get(fid, '')}")
        else:
            print("  no faults")
    else:
        wanted = "" if args.exercise == AUTO else f" {args.exercise}"
        print(f"  not in the{wanted} position (no exercise recognised); nothing judged")
    for name, path in result.outputs.items():
        print(f"  {name}: {path}")
    return EXIT_FAULTS if s.faults else EXIT_OK


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
    from formcheck.batch.cli import run_args  # noqa: PLC0415

    return run_args(args)


def _cmd_history(args: argparse.Namespace) -> int:
    from formcheck.history import HistoryStore  # noqa: PLC0415
    from formcheck.userdata import history_path  # noqa: PLC0415

    store = HistoryStore(history_path())
    if args.history_command == "list":
        rows = store.sessions()
        print(f"{len(rows)} session(s) in {store.path}")
        for row in rows:
            what = row.routine or "single exercise"
            done = " (completed)" if row.completed else ""
            print(f"{row.uid}  {row.started_at}  {what}{done}  {row.exercises} exercise(s), "
                  f"good-form hold {row.good_s:.0f} s")
        return EXIT_OK
    if args.history_command == "export":
        text = store.export_csv()
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {args.out}")
        return EXIT_OK
    if not args.yes:
        what = f"session {args.session}" if args.session else "ALL saved sessions"
        print(f"error: this deletes {what} from {store.path}; add --yes to confirm", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.session:
        if not store.delete(args.session):
            print(f"error: no session {args.session} (see formcheck history list)", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"deleted session {args.session}")
        return EXIT_OK
    print(f"deleted {store.delete_all()} session(s)")
    return EXIT_OK


def _cmd_routines(args: argparse.Namespace) -> int:
    from formcheck.coach.routine import load_routines  # noqa: PLC0415

    routines, errors = load_routines(load_specs())
    for r in routines.values():
        print(f"ok  {r.source.name if r.source else r.id}: {len(r.steps)} steps, {r.total_hold_s:.0f} s of holds")
    for msg in errors:
        print(f"ERR {msg}", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    try:
        from formcheck.synth.cli import main as synth_main  # noqa: PLC0415
    except ImportError as exc:
        print(f"formcheck synth needs the optional extra: pip install 'formcheck[synth]' ({exc})", file=sys.stderr)
        return EXIT_ENVIRONMENT
    return synth_main(args.rest)


def _cmd_serve(args: argparse.Namespace) -> int:
    from formcheck.serve import options_from_args, serve  # noqa: PLC0415

    return serve(options_from_args(args))


def _cmd_make_cert(args: argparse.Namespace) -> int:
    from formcheck.serve import make_cert_main  # noqa: PLC0415

    return make_cert_main(args.out, args.host)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["synth"]:  # REMAINDER drops a leading option (`synth --list`): pass all on
        return _cmd_synth(argparse.Namespace(command="synth", rest=argv[1:]))
    args = build_parser().parse_args(argv)
    commands = {"analyze": _cmd_analyze, "batch": _cmd_batch, "synth": _cmd_synth, "specs": _cmd_specs_check,
                "history": _cmd_history, "routines": _cmd_routines, "serve": _cmd_serve, "make-cert": _cmd_make_cert}
    quiet_console(verbose=getattr(args, "verbose", False))
    where = str(args.input) if getattr(args, "input", None) is not None else ""
    return run_guarded(lambda: commands[args.command](args), where=where)
