"""The self-contained HTML report (inline CSS and SVG, no network) and the terminal summary."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from formcheck.batch.record import BatchRecord
from formcheck.batch.tables import format_faults

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7")
_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;
vertical-align:top}th{background:#f5f5f5;position:sticky;top:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:22px}.muted{color:#777}.err{color:#b00020}.warn{background:#fff3cd;padding:8px;
border:1px solid #e0c36a;border-radius:4px}.cm td{text-align:center;min-width:44px}.legend span{display:inline-block;
margin-right:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
code{font-size:12px}svg{vertical-align:middle}th{white-space:nowrap}td.err{max-width:260px}td.fl{max-width:220px;font-size:12px}
"""


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _href(target: Path, out: Path) -> str:
    return quote(Path(os.path.relpath(target, out)).as_posix(), safe="/")


def _bar(value: float | None, width: int = 120, color: str = "#4e79a7") -> str:
    if value is None:
        return f'<svg width="{width}" height="12"></svg>'
    w = max(0.0, min(1.0, value)) * width
    return (
        f'<svg width="{width}" height="12" role="img"><rect width="{width}" height="12" fill="#eee"/>'
        f'<rect width="{w:.1f}" height="12" fill="{color}"/></svg>'
    )


def _colors(exercises: Sequence[str]) -> dict[str, str]:
    return {ex: _PALETTE[i % len(_PALETTE)] for i, ex in enumerate(exercises)}


def _timeline(rec: BatchRecord, windows: Sequence, colors: Mapping[str, str], width: int = 200) -> str:
    """A clip's timeline: labelled windows on top, in-position exercise below, faults in red."""
    segs = rec.segments
    if rec.kind != "video" or not segs:
        return ""
    t0, t1 = segs[0][0], segs[-1][1]
    span = max(t1 - t0, 1e-6)

    def x(t: float) -> float:
        return (min(max(t, t0), t1) - t0) / span * width

    parts = [f'<svg width="{width}" height="24" role="img"><rect width="{width}" height="24" fill="#fafafa"/>']
    for w in windows:
        a = t0 if w.start_s is None else w.start_s
        b = t1 if w.end_s is None else w.end_s
        fill = colors.get(w.exercise, "#ccc")
        parts.append(
            f'<rect x="{x(a):.1f}" y="0" width="{max(x(b) - x(a), 0.5):.1f}" height="5" fill="{fill}">'
            f"<title>label {_e(w.exercise)} {_e(w.window)}</title></rect>"
        )
    for a, b, ex, in_pos, faults in segs:
        if ex and in_pos:
            fill = colors.get(ex, "#999")
            parts.append(
                f'<rect x="{x(a):.1f}" y="7" width="{max(x(b) - x(a), 0.5):.1f}" height="10" fill="{fill}">'
                f"<title>{_e(ex)} {a:.2f}-{b:.2f} s</title></rect>"
            )
        if faults:
            parts.append(
                f'<rect x="{x(a):.1f}" y="18" width="{max(x(b) - x(a), 0.5):.1f}" height="5" fill="#d62728">'
                f"<title>{_e(', '.join(faults))} {a:.2f}-{b:.2f} s</title></rect>"
            )
    parts.append(f"</svg> <span class='muted'>{span:.1f} s</span>")
    return "".join(parts)


def _clip_link(rel: str, rec: BatchRecord | None, folder: Path, out: Path) -> str:
    link = f'<a href="{_href(folder / rel, out)}">{_e(rel)}</a>'
    if rec is not None and rec.annotated:
        link += f' <a class="muted" href="{quote(rec.annotated, safe="/")}">[annotated]</a>'
    return link


def render_html(
    *,
    folder: Path,
    out: Path,
    records: Sequence[BatchRecord],
    rows: Sequence | None,
    metrics: Mapping | None,
    exercises: Sequence[str],
    info: Mapping,
) -> str:
    """The report as one HTML page.

    Args:
        folder: the batch folder (clip links are relative from ``out`` to it).
        out: the output folder the report is written to.
        records: the per-clip records, sorted.
        rows: the label rows (for the timelines), or None.
        metrics: :func:`formcheck.batch.scoring.compute_metrics` output, or None without labels.
        exercises: the exercise ids (colors, order).
        info: header facts: ``mode``, ``model``, ``specs``, ``timing``, ``complete``, ``pending``.
    """
    colors = _colors(exercises)
    by_clip = {(r.file, r.exercise_mode): r for r in records}
    windows: dict[str, list] = {}
    for row in rows or []:
        windows.setdefault(row.file, []).append(row)
    errors = [r for r in records if r.error]
    timing = info.get("timing") or {}
    h = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>formcheck batch – {_e(folder.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>formcheck batch report: {_e(folder.name)}</h1>",
        f"<p class='muted'>folder <code>{_e(folder)}</code> · exercise mode <b>{_e(info.get('mode'))}</b> · "
        f"model <b>{_e(info.get('model'))}</b> · specs {_e(info.get('specs'))}</p>",
    ]
    if not info.get("complete", True):
        h.append(
            f"<p class='warn'>Incomplete batch: {_e(info.get('pending'))} clip(s) not analysed yet (interrupted). "
            "Rerun the same command to resume; the figures below cover the clips done.</p>"
        )
    cards = [
        ("clips", str(len(records))),
        ("errors", str(len(errors))),
        ("run time", f"{timing.get('seconds', 0):.0f} s"),
        ("frames/s", _fmt(timing.get("frames_per_s"), 1)),
    ]
    if metrics:
        acc = metrics["exercise_accuracy"]
        cards[1:1] = [
            ("label rows", f"{metrics['rows_scored']}/{metrics['rows']}"),
            ("exercise accuracy", f"{_fmt(acc['accuracy'])} ({acc['correct']}/{acc['total']})"),
            ("fault F1 (micro)", _fmt(metrics["micro"]["f1"])),
        ]
    cells = "".join(f"<div class='card'><b>{_e(v)}</b>{_e(k)}</div>" for k, v in cards)
    h.append(f"<div class='cards'>{cells}</div>")
    if metrics:
        h += _evaluation(metrics, folder, out, by_clip, info.get("mode"))
    h.append("<h2>Clips</h2>")
    h.append(
        "<p class='legend muted'>timeline: top = labelled window, middle = engine in position (colour = exercise), "
        "bottom red = fault active. "
        + "".join(f"<span><i class='sw' style='background:{c}'></i>{_e(ex)}</span>" for ex, c in colors.items())
        + "</p>"
    )
    h.append(
        "<table><tr><th>clip</th><th>mode</th><th>kind</th><th>exercise</th><th>side</th><th>view</th>"
        "<th class='n'>score</th><th class='n'>hold s</th><th>faults (s)</th><th>timeline</th><th>error</th></tr>"
    )
    for r in records:
        h.append(
            f"<tr><td>{_clip_link(r.file, r, folder, out)}</td><td>{_e(r.exercise_mode)}</td>"
            f"<td>{_e(r.kind)}</td><td>{_e(r.exercise or '–')}</td><td>{_e(r.side or '')}</td>"
            f"<td>{_e(r.view or '')}</td><td class='n'>{_fmt(r.score, 0)}</td>"
            f"<td class='n'>{_fmt(r.hold_s, 1)}</td>"
            f"<td class='fl'>{_e(format_faults(r.faults))}</td>"
            f"<td>{_timeline(r, windows.get(r.file, []), colors)}</td>"
            f"<td class='err'>{_e(r.error or '')}</td></tr>"
        )
    h.append("</table>")
    h.append(
        "<p class='muted'>Files: results.jsonl (one JSON line per clip, with segments), clips.csv, "
        + ("evaluation.csv, metrics.json, " if metrics else "")
        + "timing.json.</p></body></html>\n"
    )
    return "\n".join(h)


def _evaluation(metrics: Mapping, folder: Path, out: Path, by_clip: Mapping, mode: str | None) -> list[str]:
    h = ["<h2>Faults: precision, recall, F1 per exercise/fault</h2>"]
    m = metrics["micro"]
    active = [f for f in metrics["faults"] if f["support"] or f["fp"]]
    silent = [f["key"] for f in metrics["faults"] if not (f["support"] or f["fp"])]
    h.append(
        "<table><tr><th>exercise/fault</th><th class='n'>support</th><th class='n'>TP</th><th class='n'>FP</th>"
        "<th class='n'>FN</th><th class='n'>precision</th><th class='n'>recall</th><th class='n'>F1</th>"
        "<th></th></tr>"
    )
    for f in [*active, {"key": "all (micro)", **m}]:
        h.append(
            f"<tr><td>{_e(f['key'])}</td><td class='n'>{f['support']}</td><td class='n'>{f['tp']}</td>"
            f"<td class='n'>{f['fp']}</td><td class='n'>{f['fn']}</td><td class='n'>{_fmt(f['precision'])}</td>"
            f"<td class='n'>{_fmt(f['recall'])}</td><td class='n'>{_fmt(f['f1'])}</td><td>{_bar(f['f1'])}</td></tr>"
        )
    h.append("</table>")
    if silent:
        h.append(f"<p class='muted'>No label and no prediction ({len(silent)}): {_e(', '.join(silent))}.</p>")
    h.append(
        "<h2>Position reached per exercise</h2><table><tr><th>exercise</th><th class='n'>rows</th>"
        "<th class='n'>reached</th><th class='n'>rate</th><th></th></tr>"
    )
    for p in metrics["position"]:
        h.append(
            f"<tr><td>{_e(p['exercise'])}</td><td class='n'>{p['rows']}</td><td class='n'>{p['reached']}</td>"
            f"<td class='n'>{_fmt(p['rate'])}</td><td>{_bar(p['rate'], color='#59a14f')}</td></tr>"
        )
    h.append("</table>")
    cm = metrics.get("confusion")
    if cm:
        names, counts = cm["labels"], cm["counts"]
        peak = max((c for row in counts for c in row), default=0) or 1
        h.append(f"<h2>Recognition confusion matrix (--exercise {_e(mode)})</h2>")
        h.append(
            "<table class='cm'><tr><th>labelled ↓ / predicted →</th>"
            + "".join(f"<th>{_e(n)}</th>" for n in names)
            + "<th class='n'>rows</th></tr>"
        )
        for name, row in zip(names, counts, strict=True):
            cells = []
            for j, c in enumerate(row):
                alpha = c / peak
                base = "89,161,79" if names[j] == name else "214,39,40"
                style = f"background:rgba({base},{0.12 + 0.7 * alpha:.2f})" if c else ""
                cells.append(f"<td style='{style}'>{c if c else ''}</td>")
            h.append(f"<tr><th>{_e(name)}</th>{''.join(cells)}<td class='n'>{sum(row)}</td></tr>")
        h.append("</table>")
    for title, items in (
        ("Misses (labelled fault not found)", metrics["misses"]),
        ("False alarms (fault found, not labelled)", metrics["false_alarms"]),
    ):
        h.append(f"<h2>{_e(title)}: {len(items)}</h2>")
        if not items:
            continue
        h.append(
            "<table><tr><th>clip</th><th>window</th><th>row</th><th>exercise/fault</th><th>labelled</th>"
            "<th>predicted</th><th>error</th></tr>"
        )
        for it in items:
            rec = next((r for (f, _), r in by_clip.items() if f == it["file"]), None)
            h.append(
                f"<tr><td>{_clip_link(it['file'], rec, folder, out)}</td><td>{_e(it['window'])}</td>"
                f"<td class='n'>{it['row']}</td><td>{_e(it['key'])}</td><td>{_e(it['labelled_exercise'])}</td>"
                f"<td>{_e(it['predicted_exercise'])}</td><td class='err'>{_e(it.get('error') or '')}</td></tr>"
            )
        h.append("</table>")
    return h


def terminal_summary(
    records: Sequence[BatchRecord], metrics: Mapping | None, timing: Mapping, report: Path, complete: bool = True
) -> str:
    """A short plain-text summary for the terminal."""
    errors = sum(bool(r.error) for r in records)
    lines = [
        f"formcheck batch: {len(records)} clip run(s) ({timing.get('analysed', 0)} analysed, "
        f"{timing.get('reused', 0)} reused), {errors} with errors, {timing.get('seconds', 0):.0f} s, "
        f"{timing.get('frames_per_s', 0):.1f} frames/s ({timing.get('engine')})"
    ]
    if not complete:
        lines.append("INTERRUPTED: the outputs cover the clips done; rerun the same command to resume")
    if metrics:
        acc, m = metrics["exercise_accuracy"], metrics["micro"]
        lines.append(
            f"exercise accuracy {_fmt(acc['accuracy'])} ({acc['correct']}/{acc['total']} rows)   "
            f"faults micro P {_fmt(m['precision'])} R {_fmt(m['recall'])} F1 {_fmt(m['f1'])}"
        )
        active = [f for f in metrics["faults"] if f["support"] or f["fp"]]
        if active:
            width = max(len(f["key"]) for f in active)
            lines.append(f"  {'exercise/fault':<{width}}  supp   TP   FP   FN  prec   rec    F1")
            for f in active:
                lines.append(
                    f"  {f['key']:<{width}}  {f['support']:>4} {f['tp']:>4} {f['fp']:>4} {f['fn']:>4}  "
                    f"{_fmt(f['precision']):>4}  {_fmt(f['recall']):>4}  {_fmt(f['f1']):>4}"
                )
        reached = ", ".join(f"{p['exercise']} {p['reached']}/{p['rows']}" for p in metrics["position"] if p["rows"])
        if reached:
            lines.append(f"position reached: {reached}")
    lines.append(f"report: {report}")
    return "\n".join(lines)
