"""``formcheck batch DIR``: analyse, score and report a folder of clips.

Exit codes (:mod:`formcheck.exits`): 0 = done (clips that failed are recorded in the outputs,
not fatal); 2 = bad input (folder, labels, options; the message says what and where); 3 =
missing environment (model, Dask); 4 = a bug; 130 = interrupted (the outputs are consistent;
rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.batch.args import DEFAULT_OUT, DESCRIPTION, add_arguments
from formcheck.batch.labels import LabelRow, read_labels
from formcheck.batch.record import BatchRecord
from formcheck.batch.report import render_html, terminal_summary
from formcheck.batch.runner import BatchOptions, BatchResult, run_batch, spec_fingerprint, write_atomic
from formcheck.batch.scoring import AUTO, LABELS, RowOutcome, compute_metrics, run_mode, score_row
from formcheck.batch.tables import clip_row, write_tables
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.errors import FormcheckError
from formcheck.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, run_guarded
from formcheck.quiet import quiet_console

__all__ = ["DEFAULT_OUT", "BatchOutcome", "build_parser", "main", "run_and_report", "run_args"]
REPORT_NAME = "report.html"


@dataclass
class BatchOutcome:
    """A finished (or interrupted) batch with its evaluation.

    Attributes:
        result: the runner's result (records, timing).
        label_rows: the label rows, or None without labels.
        outcomes: every label row scored, or None.
        metrics: the evaluation, or None.
        report: the HTML report's path.
        summary: the terminal summary.
    """

    result: BatchResult
    label_rows: list[LabelRow] | None
    outcomes: list[RowOutcome] | None
    metrics: dict | None
    report: Path
    summary: str

    @property
    def rows(self) -> list[dict]:
        """The per-clip table (as in clips.csv), one dict per clip run."""
        return [clip_row(self.result.records[(j.rel, j.mode)]) for j in self.result.jobs
                if (j.rel, j.mode) in self.result.records]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The ``formcheck batch`` argument parser."""
    p = argparse.ArgumentParser(prog="formcheck batch", description=DESCRIPTION)
    add_arguments(p)
    return p


def labels_path(folder: Path, given: Path | None, disabled: bool) -> Path | None:
    """The label file to use: ``--labels``, else ``DIR/labels.csv`` if present, else None."""
    if disabled:
        return None
    if given is not None:
        return given
    default = folder / "labels.csv"
    return default if default.is_file() else None


def run_and_report(
    opts: BatchOptions,
    labels: Path | None = None,
    on_clip: Callable[[BatchRecord, dict], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> BatchOutcome:
    """Run the batch, then write the tables, metrics and report (also after Ctrl-C).

    Raises:
        LabelError: the label file is missing or invalid (checked before any clip is analysed).
        FormcheckError: bad folder or options; ModelNotFoundError: no model.
    """
    specs = load_specs(opts.spec_dir)
    fault_ids = {sid: spec.fault_ids for sid, spec in specs.items()}
    rows = read_labels(labels, fault_ids, root=opts.folder) if labels is not None else None
    if opts.exercise == LABELS and rows is None:
        raise FormcheckError("--exercise labels needs a label file (DIR/labels.csv or --labels)")
    result = run_batch(opts, specs, rows, on_clip=on_clip, on_progress=on_progress)
    return finish(opts, specs, rows, result)


def finish(
    opts: BatchOptions, specs: dict[str, ExerciseSpec], rows: list[LabelRow] | None, result: BatchResult
) -> BatchOutcome:
    """Score the records against the rows and write clips.csv, evaluation.csv, metrics.json, report.html."""
    records = [result.records[(j.rel, j.mode)] for j in result.jobs if (j.rel, j.mode) in result.records]
    exercises = sorted(specs)
    outcomes = metrics = None
    if rows is not None:
        outcomes = [score_row(r, result.records.get((r.file, run_mode(r, opts.exercise)))) for r in rows]
        keys = [f"{sid}/{fid}" for sid in exercises for fid in specs[sid].fault_ids]
        metrics = compute_metrics(outcomes, keys, exercises, confusion=opts.exercise == AUTO)
        metrics = {"exercise_mode": opts.exercise, "complete": result.complete, **metrics}
    write_tables(opts.out, records, outcomes, metrics)
    pending = len(result.jobs) - len(records)
    fp = spec_fingerprint(specs)
    info = {
        "mode": opts.exercise,
        "model": str(opts.model_path or opts.model),
        "specs": ", ".join(f"{k} v{v}" for k, v in fp["versions"].items()),
        "timing": result.timing,
        "complete": result.complete,
        "pending": pending,
    }
    report = opts.out / REPORT_NAME
    write_atomic(
        report,
        render_html(
            folder=opts.folder.resolve(),
            out=opts.out.resolve(),
            records=records,
            rows=rows,
            metrics=metrics,
            exercises=exercises,
            info=info,
        ),
    )
    summary = terminal_summary(records, metrics, result.timing, report, complete=result.complete)
    return BatchOutcome(result, rows, outcomes, metrics, report, summary)


def main(argv: list[str]) -> int:
    """Run ``formcheck batch``; return the exit code."""
    return run_args(build_parser().parse_args(argv))


def run_args(args: argparse.Namespace) -> int:
    """Run ``formcheck batch`` with parsed arguments (see :func:`add_arguments`); return the exit code."""
    quiet_console(verbose=args.verbose)
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    opts = BatchOptions(
        folder=args.folder,
        out=args.out,
        exercise=args.exercise,
        model=args.model,
        model_path=args.model_path,
        spec_dir=args.specs,
        jobs=args.jobs,
        scheduler=args.scheduler,
        annotate=args.annotate,
        progress=not args.no_progress and sys.stderr.isatty(),
    )

    def run() -> int:
        outcome = run_and_report(opts, labels_path(args.folder, args.labels, args.no_labels))
        print(outcome.summary)
        return EXIT_OK if outcome.result.complete and not outcome.result.interrupted else EXIT_INTERRUPTED

    return run_guarded(run, interrupted="interrupted; the outputs so far are consistent: rerun the same command to "
                                        "resume")
