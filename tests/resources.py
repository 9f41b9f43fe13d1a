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

#: The exercises/faults contract.
FORM_RULES = SHARED / "FORM_RULES.md"


def contract_fault_ids() -> dict[str, set[str]]:
    """Exercise -> fault ids, from FORM_RULES.md when present, else from the synth pose library."""
    import re  # noqa: PLC0415

    if FORM_RULES.exists():
        out: dict[str, set[str]] = {}
        current = None
        for line in FORM_RULES.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):  # a new section: an exercise, or the end of them
                head = re.match(r"## (\w+) —", line)
                current = head.group(1) if head else None
                if current:
                    out[current] = set()
            cell = re.match(r"\| `(\w+)` \|", line)
            if current and cell:
                out[current].add(cell.group(1))
        return out
    from formcheck.synth.poses import script_for  # noqa: PLC0415

    exercises = ("psoas_stretch", "boat_pose", "modified_gate_pose", "pyramid_pose", "tree_pose", "constructive_rest")
    return {ex: set(script_for(ex).faults) for ex in exercises}
