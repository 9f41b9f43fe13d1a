"""``formcheck batch``: analyse every clip in a folder, score it against labels, report.

One job per module: :mod:`.labels` (read labels.csv), :mod:`.scoring` (windows → predictions
→ metrics), :mod:`.runner` (discovery, cache keys, process pool, results journal),
:mod:`.dask_engine` (the same batch on a Dask cluster), :mod:`.report` (HTML, CSV, terminal)
and :mod:`.cli`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcheck.batch.cli import BatchOutcome


def run_folder(
    folder: str | Path,
    *,
    out_dir: str | Path | None = None,
    model: str = "full",
    exercise: str = "auto",
    jobs: int | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> BatchOutcome:
    """Analyse and score a folder (``labels.csv`` used when present), as ``formcheck batch`` does.

    The entry point for other front ends (the web app's Batch tab). Returns a
    :class:`formcheck.batch.cli.BatchOutcome` with ``rows`` (the per-clip table as dicts),
    ``report`` (the HTML report's path), ``metrics`` and ``summary``.

    Args:
        folder: the folder of clips.
        out_dir: the output folder (default: ``./formcheck-batch``).
        model: the pose model variant.
        exercise: ``auto``, an exercise id or ``labels``.
        jobs: parallel processes (None: one per core).
        on_progress: called as ``on_progress(done, total, clip)`` after each clip.
    """
    from formcheck.batch.cli import DEFAULT_OUT, labels_path, run_and_report  # noqa: PLC0415
    from formcheck.batch.runner import BatchOptions  # noqa: PLC0415

    f = Path(folder)
    opts = BatchOptions(
        folder=f, out=Path(out_dir) if out_dir else DEFAULT_OUT, exercise=exercise, model=model, jobs=jobs,
        progress=False,
    )  # fmt: skip
    return run_and_report(opts, labels_path(f, None, False), on_progress=on_progress)
