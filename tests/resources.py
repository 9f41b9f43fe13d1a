"""Where the tests find the shared resources (``../shared``: models, real footage)."""

from __future__ import annotations

import os
from pathlib import Path

from formcheck.models import MODEL_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
#: The pose models: ``FORMCHECK_MODEL_DIR`` (made absolute by conftest), else ``../shared/models``.
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or SHARED / "models")
