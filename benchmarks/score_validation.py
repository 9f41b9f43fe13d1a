"""Regenerate (optionally) and score the validation set; print the baseline tables.

The validation set (docs/validation-set.md) lives outside the repository and is only scored
after rules are frozen: never tune a threshold on it.

    # render what is missing (resumable; slow: ~1 s/frame on a shared core), then score
    python benchmarks/score_validation.py --render
    # score what is rendered so far (rerun: finished clips are cached in --out)
    python benchmarks/score_validation.py
    # only summarise an existing batch output
    python benchmarks/score_validation.py --summary-only

Scoring runs ``formcheck batch DIR --labels DIR/labels.csv --exercise labels --jobs 1`` with
the main environment, rendering runs ``formcheck.synth --set validation --resume --jobs 1`` with
the synth environment (``.venv-synth``), both under ``nice``. The summary (markdown) is printed
and written to ``OUT/validation_summary.md``; ``OUT/validation_summary.json`` holds the same.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], env_extra: dict[str, str]) -> int:
    """Run ``cmd`` under nice with ROOT on PYTHONPATH; returns the exit code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(["nice", "-n", "10", *cmd], cwd=ROOT, env=env)


def _row_kind(label: dict[str, str]) -> str:
    """What a labelled window is: entry / none clip / correct hold / before the fault / fault."""
    notes = label["notes"]
    if label["faults"]:
        return "fault window"
    if label["exercise"] == "none":
        return "entry (none)" if "entry" in notes else "none clip"
    if "before the fault" in notes:
        return "correct hold before a fault"
    return "correct clip hold"


#: The labels the batch was run with (a copy: the render rewrites DIR/labels.csv as it goes).
SNAPSHOT = "labels.scored.csv"


def summarise(out: Path) -> dict:
    """Per-fault P/R/F1 from metrics.json, false corrections per kind of row from evaluation.csv."""
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    with open(out / SNAPSHOT, encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    with open(out / "evaluation.csv", encoding="utf-8") as fh:
        evaluation = list(csv.DictReader(fh))
    kinds: dict[str, Counter] = defaultdict(Counter)
    alarms_by_key: dict[str, Counter] = defaultdict(Counter)
    by_clip: dict[str, list[str]] = defaultdict(list)
    onsets: dict[str, Counter] = defaultdict(Counter)  # fault windows: found / missed per onset kind
    arch: list[dict] = []
    for ev in evaluation:
        label = labels[int(ev["row"]) - 2]
        assert label["file"] == ev["file"], (label, ev)
        kind = _row_kind(label)
        pending = ev["predicted_exercise"] == "(pending)"
        k = kinds[kind]
        k["rows"] += 1
        if pending:
            k["pending"] += 1
            continue
        alarms = [a for a in ev["false_alarms"].split(";") if a]
        if label["faults"]:
            onset = ev["file"].rsplit("__", 1)[-1].split("_")[0]
            onsets[onset]["found"] += len([x for x in ev["labelled_faults"].split(";") if x]) - len(
                [x for x in ev["missed"].split(";") if x])
            onsets[onset]["missed"] += len([x for x in ev["missed"].split(";") if x])
        if ev["file"].startswith("psoas_stretch__"):
            arch.append({"file": ev["file"], "window": ev["window"], "kind": kind,
                         "arched_shown": "psoas_stretch/lower_back_arched" in ev["predicted_faults"].split(";")})
        k["scored"] += 1
        k["rows with a false correction"] += bool(alarms)
        k["false corrections"] += len(alarms)
        for a in alarms:
            alarms_by_key[kind][a] += 1
            by_clip[ev["file"]].append(f"{a} ({kind}, {ev['window']})")
    exercise = lambda f: f.split("__")[0]  # noqa: E731
    clips = {x["file"] for x in labels}
    bodies = Counter(re.search(r"body=(\w+)", x["notes"]).group(1) for x in labels if "body=" in x["notes"])
    return {
        "clips": len(clips),
        "clips_per_exercise": dict(Counter(exercise(f) for f in clips)),
        "label_rows_per_body": dict(bodies),
        "rows": metrics["rows"],
        "rows_scored": metrics["rows_scored"],
        "rows_pending": metrics["rows_pending"],
        "micro": metrics["micro"],
        "faults": [f for f in metrics["faults"] if f["support"] or f["fp"]],
        "exercise_accuracy": metrics["exercise_accuracy"],
        "false_corrections": {k: dict(v) for k, v in kinds.items()},
        "false_corrections_by_key": {k: dict(v.most_common()) for k, v in alarms_by_key.items()},
        "false_corrections_by_clip": dict(sorted(by_clip.items())),
        "fault_windows_by_onset": {k: dict(v) for k, v in sorted(onsets.items())},
        "psoas_rows": arch,
    }


def markdown(s: dict) -> str:
    """The summary as markdown tables."""
    f = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    lines = [f"Clips scored: {s['clips']} ({s['rows_scored']} of {s['rows']} label rows scored, "
             f"{s['rows_pending']} pending)", ""]
    m = s["micro"]
    lines += [f"Micro: P {f(m['precision'])}, R {f(m['recall'])}, F1 {f(m['f1'])} "
              f"(TP {m['tp']}, FP {m['fp']}, FN {m['fn']})", ""]
    lines += ["| fault | P | R | F1 | support | TP | FP | FN |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in s["faults"]:
        lines.append(f"| `{r['key']}` | {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} | {r['support']} "
                     f"| {r['tp']} | {r['fp']} | {r['fn']} |")
    lines += ["", "| row kind | rows scored | rows with a false correction | false corrections |",
              "| --- | --- | --- | --- |"]
    for kind, c in sorted(s["false_corrections"].items()):
        lines.append(f"| {kind} | {c.get('scored', 0)} | {c.get('rows with a false correction', 0)} "
                     f"| {c.get('false corrections', 0)} |")
    lines += [""]
    for kind, keys in sorted(s["false_corrections_by_key"].items()):
        lines.append(f"- {kind}: " + ", ".join(f"`{k}` x{n}" for k, n in keys.items()))
    lines += ["", "| fault onset | labelled faults found | missed |", "| --- | --- | --- |"]
    for onset, c in s["fault_windows_by_onset"].items():
        lines.append(f"| {onset} | {c.get('found', 0)} | {c.get('missed', 0)} |")
    lines += ["", "Psoas stretch windows: does `lower_back_arched` show?", "",
              "| clip | window | row | arch shown |", "| --- | --- | --- | --- |"]
    for r in s["psoas_rows"]:
        lines.append(f"| {r['file']} | {r['window']} | {r['kind']} | {'yes' if r['arched_shown'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--valset", type=Path, default=Path("/work/valset"), help="the rendered set (outside git)")
    p.add_argument("--out", type=Path, default=Path("/work/valset_out"), help="batch output folder")
    p.add_argument("--render", action="store_true", help="first render the clips still missing")
    p.add_argument("--summary-only", action="store_true", help="do not run the batch, summarise --out")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter of the main environment (mediapipe; default: this one)")
    p.add_argument("--synth-python", default=str(ROOT / ".venv-synth" / "bin" / "python"),
                   help="interpreter of the synth environment")
    p.add_argument("--model-dir", default=os.environ.get("FORMCHECK_MODEL_DIR", str(ROOT.parent / "shared" / "models")))
    args = p.parse_args(argv)
    if args.render:
        rc = run([args.synth_python, "-m", "formcheck.synth", "--set", "validation", "--out", str(args.valset),
                  "--resume", "--jobs", "1"], {"PYOPENGL_PLATFORM": "osmesa"})
        if rc:
            return rc
    if not args.summary_only:
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.valset / "labels.csv", args.out / SNAPSHOT)
        rc = run([args.python, "-m", "formcheck", "batch", str(args.valset), "--labels",
                  str(args.out / SNAPSHOT), "--exercise", "labels", "--out", str(args.out), "--jobs", "1",
                  "--no-progress"], {"FORMCHECK_MODEL_DIR": args.model_dir})
        if rc not in (0, 130):
            return rc
    summary = summarise(args.out)
    text = markdown(summary)
    (args.out / "validation_summary.md").write_text(text, encoding="utf-8")
    (args.out / "validation_summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                                      encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
