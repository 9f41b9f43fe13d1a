"""The options of ``formcheck batch`` (light: no MediaPipe, so ``formcheck --help`` stays fast)."""

from __future__ import annotations

import argparse
from pathlib import Path

from formcheck.models import MODEL_NAMES
from formcheck.quiet import add_verbose_arg

DEFAULT_OUT = Path("formcheck-batch")
DESCRIPTION = "Analyse every video and photo under DIR; with labels, score them (FORM_RULES.md)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add every ``formcheck batch`` argument to ``p`` (its own parser or the CLI's sub-parser)."""
    p.add_argument("folder", type=Path, metavar="DIR", help="folder of clips (searched recursively)")
    p.add_argument("--labels", type=Path, default=None, help="label file (default: DIR/labels.csv when it exists)")
    p.add_argument("--no-labels", action="store_true", help="do not score, even if DIR/labels.csv exists")
    p.add_argument(
        "--exercise",
        default="auto",
        help="'auto' (recognise; default), an exercise id, or 'labels' (each row's labelled exercise)",
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT}); a rerun resumes there"
    )
    p.add_argument("--jobs", type=int, default=None, help="parallel processes (default: one per core; 1 = serial)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://HOST:8786 (needs the 'dask' extra)",
    )
    p.add_argument("--annotate", action="store_true", help="also write each clip's annotated video/photo")
    p.add_argument("--model", default="full", choices=MODEL_NAMES, help="pose model (default: full)")
    p.add_argument("--model-path", type=Path, default=None, help="explicit pose_landmarker_*.task file")
    p.add_argument("--specs", type=Path, default=None, help="folder of exercise specs (default: pose_specs/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_verbose_arg(p)

