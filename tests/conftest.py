"""Test-session setup shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

# The README's test command passes FORMCHECK_MODEL_DIR=../shared/models, relative to the
# checkout. Make it absolute before any test module reads it, so that subprocesses started in
# another folder, and symbolic links made to the model files, still find the models.
if os.environ.get("FORMCHECK_MODEL_DIR"):
    os.environ["FORMCHECK_MODEL_DIR"] = str(Path(os.environ["FORMCHECK_MODEL_DIR"]).resolve())
