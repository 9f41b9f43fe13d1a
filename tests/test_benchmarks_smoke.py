"""Smoke tests of the benchmark harness (``benchmarks/run.py``): it runs and reports every
section. No timing asserts: the figures depend on the machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODEL_DIR = Path(os.environ.get("FORMCHECK_MODEL_DIR") or SHARED / "models")
CLIP = SHARED / "realdata" / "tree" / "yogafitness_treeleft.mp4"


def _harness():
    spec = importlib.util.spec_from_file_location("fc_bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up while the class is built
    spec.loader.exec_module(mod)
    return mod


def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = _harness().Mailbox()
    for i in range(5):
        box.put(i)
    assert box.get() == 4
    assert box.dropped == 4
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(box.get()))
    worker.start()
    box.put("late")
    worker.join(timeout=5)
    assert got == ["late"]
    box.close()
    assert box.get() is None


@pytest.mark.realdata
def test_quick_run_reports_every_section(tmp_path: Path) -> None:
    if not CLIP.is_file() or not (MODEL_DIR / "pose_landmarker_lite.task").is_file():
        pytest.skip("needs ../shared/realdata and the lite model")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--models",
            "lite",
            "--clip",
            str(CLIP),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "FORMCHECK_MODEL_DIR": str(MODEL_DIR)},
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    for section in ("e2e", "stages", "engine", "batch", "memory", "live"):
        assert section in res, section
    assert res["e2e"][0]["model"] == "lite" and res["e2e"][0]["ratio"] > 0
    lo, hi = res["e2e"][0]["paired_ratio_range"]
    assert 0 < lo <= res["e2e"][0]["paired_ratio"] <= hi
    assert [r["size"] for r in res["e2e"]] == ["1280x960", "640x480"]  # the clip's own size, then --sizes
    assert set(res["engine"]["us_per_frame"]) == {"tree_pose", "auto"}
    assert all(v["clips_per_s"] > 0 for v in res["batch"]["jobs"].values())
    assert [r["frames"] for r in res["memory"]["runs"]] == [12, 48]
    live = res["live"][0]
    assert live["processed"] + live["dropped"] == live["offered"]
    assert len(res["loadavg_before"]) == 3
    assert "| model |" in proc.stdout and "| live model |" in proc.stdout
