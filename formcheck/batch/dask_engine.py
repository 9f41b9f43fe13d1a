"""Run batch jobs on a Dask cluster (optional extra: ``pip install 'formcheck[dask]'``).

Every worker needs formcheck installed, the pose model (same file: the batch checks its
SHA-256) and the clips and output folder at the same paths as the machine that starts the batch
(a shared file system). Each worker process keeps its own loaded specs, as in the local pool.
Results come back to the client, which journals them exactly as the local engines do, so the
result files are identical whichever engine ran them.

A worker that dies mid-clip (killed, out of memory) is restarted by its nanny and the scheduler
runs the clip again elsewhere; after ``distributed.scheduler.allowed-failures`` deaths (Dask's
default 3; set it to 1 on the scheduler for "retry once") the clip is recorded with
``error_kind: "worker_died"`` and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from formcheck.batch.record import BatchRecord, make_record
from formcheck.batch.runner import ClipJob, process_clip
from formcheck.batch.supervisor import WORKER_DIED
from formcheck.errors import FormcheckError


def _distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 - optional extra
    except ImportError as exc:
        raise FormcheckError(
            f"--scheduler needs Dask: pip install 'formcheck[dask]' (dask[distributed]); ({exc})"
        ) from exc
    return distributed


def run_dask(jobs: list[ClipJob], address: str) -> Iterator[tuple[BatchRecord, dict]]:
    """Connect to the Dask scheduler at ``address`` and submit the jobs.

    Returns:
        An iterator of (record, timing) in the order the jobs finish; closing it cancels the
        jobs not yet done and closes the client.

    Raises:
        FormcheckError: Dask is not installed or the scheduler cannot be reached.
    """
    distributed = _distributed()
    if not jobs:
        return iter(())
    try:
        client = distributed.Client(address, set_as_default=False, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise FormcheckError(f"cannot reach the Dask scheduler at {address}: {exc}; check --scheduler") from exc
    futures: dict[Any, ClipJob] = {}
    for i, job in enumerate(jobs):
        futures[client.submit(process_clip, job, key=f"formcheck-{i}-{job.key[:16]}", pure=False)] = job
    return _results(client, futures, distributed)


def _results(client: Any, futures: dict[Any, ClipJob], distributed: Any) -> Iterator[tuple[BatchRecord, dict]]:
    try:
        for fut in distributed.as_completed(list(futures), loop=client.loop):
            try:
                yield fut.result()
            except distributed.KilledWorker as exc:  # the worker died on every allowed attempt
                job = futures[fut]
                msg = (f"the Dask worker died while analysing this clip, on every attempt the scheduler allows "
                       f"(distributed.scheduler.allowed-failures; {exc}); the other clips were analysed. Check that "
                       "the clip opens (formcheck analyze FILE) and the workers' free memory, then rerun the batch")
                yield make_record(job, error=msg, error_kind=WORKER_DIED), {"file": job.rel, "exercise_mode": job.mode}
            except Exception as exc:  # noqa: BLE001 - recorded, retried on rerun
                job = futures[fut]
                msg = f"the Dask task failed ({type(exc).__name__}: {exc}); rerun the batch to retry this clip"
                yield make_record(job, error=msg, error_kind="internal"), {"file": job.rel, "exercise_mode": job.mode}
    finally:
        client.cancel(list(futures))
        client.close()
