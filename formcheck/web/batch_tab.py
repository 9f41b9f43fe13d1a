"""The Batch tool (its own page): score a folder with ``labels.csv`` (:func:`formcheck.batch.run_folder`)."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from formcheck.batch import run_folder
from formcheck.batch.cli import BatchOutcome
from formcheck.errors import FormcheckError
from formcheck.web.access import is_served
from formcheck.web.folder_guard import batch_access, check_no_links_leaving, downloadable, resolve_under
from formcheck.web.page import MODELS, SessionResources
from formcheck.web.tables import arrow_safe

_LOG = logging.getLogger(__name__)
OUTCOME_KEY = "batch_outcome"
REPORT_HEIGHT = 700
#: Output files offered as downloads (top level of the output folder only: not the per-clip videos).
DOWNLOAD_SUFFIXES = (".html", ".csv", ".json")


def check_folder(text: str, root: Path) -> Path:
    """The folder to score: under ``root`` only (see :mod:`formcheck.web.folder_guard`).

    Raises:
        ValueError: empty, outside ``root`` (``..``, absolute elsewhere, a link leaving it),
            missing, not a folder, without ``labels.csv``, or holding links that leave ``root``.
    """
    if not text.strip():
        raise ValueError(f"Enter the path of a folder under {root} that holds labels.csv.")
    folder = resolve_under(root, text)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder on the machine running this page.")
    if not (folder / "labels.csv").is_file():
        raise ValueError(f"{folder}: has no labels.csv (see FORM_RULES.md for its columns).")
    check_no_links_leaving(folder, root)
    return folder


def downloads(out_dir: Path) -> list[Path]:
    """The batch's result files to offer as downloads (tables, metrics, report), never outside ``out_dir``."""
    files = [p for p in out_dir.iterdir() if p.is_file() and p.suffix.lower() in DOWNLOAD_SUFFIXES]
    return downloadable(sorted(files), out_dir)


def render(res: SessionResources, exercise: str = "auto") -> None:
    """Draw the Batch tool (its own page).

    Args:
        res: this browser session's resources (its private folder for the outputs).
        exercise: judge every clip as this exercise, "auto", or "labels" (each row's own).
    """
    allowed = batch_access(is_served())
    if allowed.root is None:
        st.info(allowed.reason)
        return
    st.markdown("Score every clip listed in a folder's **labels.csv** against its labels: precision, recall "
                f"and F1 per fault. The folder must be under `{allowed.root}` on the machine running this page.")
    c1, c2 = st.columns([3, 1])
    text = c1.text_input("Folder with labels.csv (relative to the allowed folder, or absolute inside it)",
                         key="fc_batch_folder")
    model = c2.selectbox("Pose model", MODELS, index=1, key="fc_batch_model")
    if st.button("Run batch", type="primary", key="fc_batch_run"):
        try:
            folder = check_folder(text, allowed.root)
        except ValueError as exc:
            st.error(str(exc))
            return
        out_dir = res.files.path / "batch"
        out_dir.mkdir(parents=True, exist_ok=True)
        bar = st.progress(0.0, text="Scoring…")

        def on_progress(done: int, total: int, name: str) -> None:
            bar.progress(min(1.0, done / total) if total else 0.0, text=f"{done}/{total} {name}")

        try:
            res.state[OUTCOME_KEY] = run_folder(
                folder, out_dir=out_dir, model=model, exercise=exercise, on_progress=on_progress
            )
        except (FormcheckError, OSError, ValueError) as exc:
            st.error(f"Batch scoring failed: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug in the batch must not take the page down
            _LOG.exception("batch scorer crashed")
            st.error(f"Batch scoring failed ({type(exc).__name__}: {exc}). See the server log for details.")
            return
        finally:
            bar.empty()
    outcome: BatchOutcome | None = res.state.get(OUTCOME_KEY)
    if outcome is None:
        return
    if outcome.rows:
        st.dataframe(arrow_safe(outcome.rows), hide_index=True)
    if outcome.report.is_file():
        html = outcome.report.read_text(encoding="utf-8", errors="replace")
        iframe = getattr(st, "iframe", None)  # our own report: a full HTML page, shown as it is
        if iframe is not None:
            iframe(html, height=REPORT_HEIGHT)
        else:  # older Streamlit
            import streamlit.components.v1 as components  # noqa: PLC0415

            components.html(html, height=REPORT_HEIGHT, scrolling=True)
        for i, path in enumerate(downloads(outcome.report.parent)):
            st.download_button(path.name, data=path.read_bytes, file_name=path.name, on_click="ignore",
                               key=f"dl_batch_{i}")
