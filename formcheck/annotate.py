"""Draw the engine's verdict on a frame: skeleton, the angles that matter, cue, hold timer.

The OpenCV edge used by the annotated video, the photo output and the live page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.engine.feedback import CueKind
from formcheck.engine.kinds import KINDS
from formcheck.engine.landmarks import NUM_LANDMARKS, SKELETON_EDGES, VIRTUAL_LANDMARKS
from formcheck.engine.metrics import extended_points, resolve_points
from formcheck.engine.rules import RuleState
from formcheck.engine.session import FrameResult
from formcheck.engine.specs import ExerciseSpec

# RGB colours.
GREEN = (46, 204, 113)
RED = (231, 76, 60)
AMBER = (243, 156, 18)
GREY = (170, 170, 170)
WHITE = (255, 255, 255)
DARK = (20, 20, 20)
_CUE_COLOURS = {CueKind.FAULT: RED, CueKind.SETUP: AMBER, CueKind.HINT: AMBER, CueKind.GOOD: GREEN, CueKind.NONE: GREY}
_STATE_COLOURS = {RuleState.FAULT: RED, RuleState.PASS: GREEN, RuleState.UNKNOWN: GREY}
_FONT = cv2.FONT_HERSHEY_DUPLEX
_VIRTUAL_ENDS = [(int(a), int(b)) for a, b in VIRTUAL_LANDMARKS.values()]


@dataclass(frozen=True)
class OverlayExtras:
    """Optional figures for the live page.

    Attributes:
        fps: processed frames per second.
        latency_ms: time from frame arrival to annotated frame.
    """

    fps: float | None = None
    latency_ms: float | None = None


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int],
          thickness: int = 1) -> None:
    """Text with a dark outline so it reads on any background."""
    cv2.putText(img, text, org, _FONT, scale, DARK, thickness + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _wrap(text: str, max_chars: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > max_chars:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def draw_overlay(
    rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, extras: OverlayExtras | None = None
) -> np.ndarray:
    """Draw the result on the frame, in place, and return it.

    Args:
        rgb: (H, W, 3) uint8 RGB frame, modified in place.
        result: the engine's result for this frame.
        spec: the exercise judged (None when nothing is recognised).
        extras: live figures (FPS, latency) to show, if any.
    """
    h, w = rgb.shape[:2]
    unit = max(h, w) / 640.0
    pose = result.pose
    if pose is not None:
        _draw_skeleton(rgb, result, spec, unit)
    _draw_cue(rgb, result, unit)
    _draw_status(rgb, result, spec, extras, unit)
    return rgb


def _rule_points(spec: ExerciseSpec, metric_id: str, side: str) -> set[int]:
    """The real landmarks a metric reads (a midpoint such as mid_hip stands for its two ends)."""
    m = spec.metrics[metric_id]
    pts: set[int] = set()
    for i in resolve_points(m.points, side or "left").tolist():
        pts |= set(_VIRTUAL_ENDS[i - NUM_LANDMARKS]) if i >= NUM_LANDMARKS else {i}
    for ref in m.of:
        pts |= _rule_points(spec, ref, side)
    return pts


def _draw_skeleton(rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, unit: float) -> None:
    pose = result.pose
    assert pose is not None
    vis = pose.visible(0.5)
    pts = extended_points(pose.xy, vis)
    faulted: set[int] = set()
    if spec is not None:
        by_id = {r.id: r for r in spec.rules}
        for res in result.rules:
            if res.state == RuleState.FAULT:
                faulted |= _rule_points(spec, by_id[res.id].metric, result.side)
    thick = max(2, round(3 * unit))
    # Integer pixel positions once per frame (truncated toward zero, as int() does); the
    # invisible points are NaN and never drawn.
    ipts = [tuple(p) for p in np.where(np.isfinite(pts), pts, 0.0).astype(np.int64).tolist()]
    vis_list = vis.tolist()
    for a, b in SKELETON_EDGES:
        if not (vis_list[a] and vis_list[b]):
            continue
        colour = RED if (a in faulted and b in faulted) else WHITE
        cv2.line(rgb, ipts[a], ipts[b], colour, thick, cv2.LINE_AA)
    radius = max(3, round(4 * unit))
    for i in range(33):
        if vis_list[i]:
            colour = RED if i in faulted else GREEN
            cv2.circle(rgb, ipts[i], radius, colour, -1, cv2.LINE_AA)
    if spec is None or not result.in_position:
        return
    # The angles that matter: each rule's angle, written at its joint in the rule's colour.
    by_id = {r.id: r for r in spec.rules}
    shown: set[str] = set()
    for res in result.rules:
        metric = spec.metrics[by_id[res.id].metric]
        label_at = KINDS[metric.kind].label_at
        if label_at is None or metric.id in shown or math.isnan(res.value):
            continue
        shown.add(metric.id)
        joint = resolve_points(metric.points, result.side or "left")[label_at]
        x, y = pts[joint]
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        _text(rgb, f"{res.value:.0f}", (int(x + 8 * unit), int(y - 8 * unit)), 0.6 * unit,
              _STATE_COLOURS[res.state], max(1, round(unit)))


def _draw_cue(rgb: np.ndarray, result: FrameResult, unit: float) -> None:
    cue = result.cue
    if not cue.text:
        return
    h, w = rgb.shape[:2]
    scale = 0.8 * unit
    (cw, ch), _ = cv2.getTextSize("M", _FONT, scale, 2)
    lines = _wrap(cue.text, max(12, int(w / cw) - 2))
    band = max(1, int((len(lines) * 1.6 + 0.6) * ch))  # >= 1 row: tiny frames have ch == 0
    # A solid band blended over the frame. cv2.rectangle fills the band several times faster
    # than numpy's broadcast of a 3-channel colour (which dominated the overlay's cost).
    overlay = np.empty_like(rgb[:band])
    cv2.rectangle(overlay, (0, 0), (overlay.shape[1], overlay.shape[0]), _CUE_COLOURS[cue.kind], -1)
    cv2.addWeighted(overlay, 0.75, rgb[:band], 0.25, 0, dst=rgb[:band])
    for i, line in enumerate(lines):
        cv2.putText(rgb, line, (int(0.5 * cw), int((i + 1) * 1.6 * ch)), _FONT, scale, WHITE, 2, cv2.LINE_AA)


def _draw_status(
    rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, extras: OverlayExtras | None, unit: float
) -> None:
    h = rgb.shape[0]
    lines: list[tuple[str, tuple[int, int, int]]] = []
    name = spec.name if spec else "No exercise recognised"
    details = [d for d in (result.side and f"{result.side} side", result.view.value if result.pose else "") if d]
    lines.append((name + (f" ({', '.join(details)})" if details else ""), WHITE))
    if spec is not None:
        lines.append((f"Hold {result.hold_s:5.1f} s", GREEN if result.in_position and not result.faults else WHITE))
        if not math.isnan(result.score):
            lines.append((f"Form {result.score:3.0f}/100", WHITE))
        if spec.counter is not None:
            lines.append((f"Cat-Cow rounds {result.rounds}", WHITE))
        lines += [(f"{k}: {v}", WHITE) for k, v in result.reports.items()]
    if result.num_people > 1:
        lines.append((f"{result.num_people} people in view: following the main one", AMBER))
    if extras is not None:
        figs = []
        if extras.fps is not None:
            figs.append(f"{extras.fps:4.1f} fps")
        if extras.latency_ms is not None:
            figs.append(f"{extras.latency_ms:4.0f} ms")
        if figs:
            lines.append(("  ".join(figs), GREY))
    scale = 0.55 * unit
    step = int(24 * unit)
    pad = int(8 * unit)
    width = max(cv2.getTextSize(t, _FONT, scale, 1)[0][0] for t, _ in lines) + 2 * pad
    y0 = h - pad - step * (len(lines) - 1)
    top = y0 - step + int(4 * unit)
    panel = rgb[top:h, :width]
    cv2.convertScaleAbs(panel, dst=panel, alpha=0.45)  # = blending 55 % black over it, no zeros array
    for i, (text, colour) in enumerate(lines):
        cv2.putText(rgb, text, (pad, y0 + i * step), _FONT, scale, colour, max(1, round(unit)), cv2.LINE_AA)
