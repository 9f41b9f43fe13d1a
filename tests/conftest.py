"""Test-session setup shared by every test module."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from formcheck.engine.specs import ExerciseSpec, load_specs

# The README's test command passes FORMCHECK_MODEL_DIR=../shared/models, relative to the
# checkout. Make it absolute before any test module reads it, so that subprocesses started in
# another folder, and symbolic links made to the model files, still find the models.
if os.environ.get("FORMCHECK_MODEL_DIR"):
    os.environ["FORMCHECK_MODEL_DIR"] = str(Path(os.environ["FORMCHECK_MODEL_DIR"]).resolve())
# In-process CLI and page tests leave descriptor 2 as pytest set it up (formcheck.quiet would
# route it through a pipe); tests/test_quiet.py checks the filter in a subprocess.
os.environ.setdefault("FORMCHECK_VERBOSE", "1")


@pytest.fixture(autouse=True)
def _fresh_root_logger() -> Iterator[None]:
    """``cli.main`` calls ``logging.basicConfig``: drop its handler (bound to one test's captured stderr)."""
    root = logging.getLogger()
    before = list(root.handlers)
    root.handlers = []
    yield
    root.handlers = before


@pytest.fixture
def model_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``FORMCHECK_MODEL_DIR`` at the shared pose models (``resources.MODEL_DIR``)."""
    from resources import MODEL_DIR  # noqa: PLC0415 - the tests' own helper module

    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(MODEL_DIR))
    return MODEL_DIR


@pytest.fixture(scope="session")
def specs() -> dict[str, ExerciseSpec]:
    """The shipped exercise specs, loaded once (treat as read-only)."""
    return load_specs()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes the user's own history or reads their routines: the data folder is a temp one."""
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path_factory.mktemp("formcheck-data")))
