"""Short messages for the page user; the full detail goes to the server log.

A page user cannot pass a file's path or read a traceback: they get one short sentence that
says what to do, and the operator finds the whole error in the server's log.
"""

from __future__ import annotations

import logging
import os

from formcheck.errors import ModelNotFoundError
from formcheck.models import MODEL_DIR_ENV, default_cache_dir

_LOG = logging.getLogger("formcheck.web")


def model_folder() -> str:
    """The folder where the page looks for the pose model first."""
    return os.environ.get(MODEL_DIR_ENV) or str(default_cache_dir())


def user_message(exc: BaseException, model: str = "lite") -> str:
    """One short sentence for the page user about ``exc``; the full error is logged.

    Args:
        exc: the error.
        model: the model variant in use (for the missing model's file name).
    """
    _LOG.error("%s: %s", type(exc).__name__, exc)
    if isinstance(exc, ModelNotFoundError):
        return (f"The pose model is missing: put pose_landmarker_{model}.task in {model_folder()} "
                f"(or set {MODEL_DIR_ENV} to its folder) on the computer running this page.")
    text = str(exc).strip().split("\n", 1)[0]
    return text if len(text) <= 160 else text[:157] + "…"
