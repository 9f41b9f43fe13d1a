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
#: Angle label text on its dark box: brighter than the bones so it reads from the mat.
_LABEL_COLOURS = {RuleState.FAULT: (255, 110, 95), RuleState.PASS: (90, 230, 140), RuleState.UNKNOWN: (215, 215, 215)}
_FONT = cv2.FONT_HERSHEY_DUPLEX
_VIRTUAL_ENDS = [(int(a), int(b)) for a, b in VIRTUAL_LANDMARKS.values()]


@dataclass(frozen=True)
class OverlayExtras:
    """Optional figures and layout for the live page.

    Attributes:
        fps: processed frames per second.
        latency_ms: time from frame arrival to annotated frame.
        cue_band: write the cue on the frame (a band that never covers the head); False draws
            only a border in the cue's colour (the live page shows the cue beside the video).
        figures: write good-form hold and score in the status box; the live page shows its own
            (the session's, per exercise and side), so two different counters never sit side by side.
    """

    fps: float | None = None
    latency_ms: float | None = None
    cue_band: bool = True
    figures: bool = True


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


#: Face landmarks (nose, eyes, ears, mouth): where the head is.
_HEAD_POINTS = list(range(11))
#: The cue band's lines at most; longer cues are cut with an ellipsis.
MAX_CUE_LINES = 2


def head_box(result: FrameResult, h: int, w: int) -> tuple[float, float, float, float] | None:
    """The head's box in pixels (x0, y0, x1, y1), padded by half its size, or None when unseen."""
    pose = result.pose
    if pose is None:
        return None
    vis = pose.visible(0.5)
    pts = [pose.xy[i] for i in _HEAD_POINTS if vis[i] and np.isfinite(pose.xy[i]).all()]
    if not pts:
        return None
    xs, ys = [float(p[0]) for p in pts], [float(p[1]) for p in pts]
    size = max(max(xs) - min(xs), max(ys) - min(ys), 0.04 * max(h, w))
    return (min(xs) - size, min(ys) - size, max(xs) + size, max(ys) + size)


def draw_overlay(
    rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, extras: OverlayExtras | None = None
) -> np.ndarray:
    """Draw the result on the frame, in place, and return it.

    The cue goes in a band at the top, or at the bottom when the head is up there, so it never
    covers the head; the status box sits in the top corner away from the head, below a top band.

    Args:
        rgb: (H, W, 3) uint8 RGB frame, modified in place.
        result: the engine's result for this frame.
        spec: the exercise judged (None when nothing is recognised).
        extras: live figures (FPS, latency) and layout, if any.
    """
    h, w = rgb.shape[:2]
    unit = max(h, w) / 640.0
    head = head_box(result, h, w)
    if result.pose is not None:
        _draw_skeleton(rgb, result, spec, unit)
    top_used = 0
    if extras is None or extras.cue_band:
        top_used = _draw_cue(rgb, result, unit, head)
    else:
        _draw_border(rgb, result, unit)
    _draw_status(rgb, result, spec, extras, unit, head, top_used)
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


def _label_rect(img: np.ndarray, text: str, centre: tuple[float, float], scale: float,
                thickness: int) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of a label centred at ``centre``, kept inside the frame."""
    h, w = img.shape[:2]
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(2, th // 3)
    x0 = int(min(max(0, centre[0] - tw / 2 - pad), max(0, w - tw - 2 * pad)))
    y0 = int(min(max(0, centre[1] - th / 2 - pad), max(0, h - th - base - 2 * pad)))
    return x0, y0, min(w, x0 + tw + 2 * pad), min(h, y0 + th + base + 2 * pad)


def _overlaps(a: tuple[int, int, int, int], others: list[tuple[int, int, int, int]]) -> bool:
    return any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3] for b in others)


def _label_box(img: np.ndarray, text: str, centre: tuple[float, float], scale: float,
               colour: tuple[int, int, int], thickness: int) -> None:
    """Text centred at ``centre`` on a dark box (readable on a white wall and off the bones)."""
    (_, th), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(2, th // 3)
    x0, y0, x1, y1 = _label_rect(img, text, centre, scale, thickness)
    roi = img[y0:y1, x0:x1]
    cv2.convertScaleAbs(roi, dst=roi, alpha=0.2)  # 80 % dark behind the label
    cv2.putText(img, text, (x0 + pad, y0 + pad + th), _FONT, scale, colour, thickness, cv2.LINE_AA)


def _off_bone(pts: np.ndarray, a: int, j: int, b: int, dist: float) -> tuple[float, float] | None:
    """A point ``dist`` px from joint ``j`` on the outside of the angle a–j–b (off both bones)."""
    pj = pts[j]
    if not np.isfinite(pj).all():
        return None
    d = np.zeros(2)
    for k in (a, b):
        v = pts[k] - pj
        n = float(np.hypot(*v)) if np.isfinite(v).all() else 0.0
        if n > 1e-6:
            d -= v / n
    n = float(np.hypot(*d))
    if n < 1e-3:  # a straight joint: go perpendicular to the limb
        v = pts[b] - pts[a]
        d = np.array([-v[1], v[0]]) if np.isfinite(v).all() else np.array([0.0, -1.0])
        n = float(np.hypot(*d)) or 1.0
    return (float(pj[0] + d[0] / n * dist), float(pj[1] + d[1] / n * dist))


def _draw_skeleton(rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, unit: float) -> None:
    """The skeleton coloured by state: red where a fault is, green in position, grey otherwise."""
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
    known = any(r.state != RuleState.UNKNOWN for r in result.rules)
    base = GREEN if (spec is not None and result.in_position and known) else GREY
    thick = max(2, round(3 * unit))
    # Integer pixel positions once per frame (truncated toward zero, as int() does); the
    # invisible points are NaN and never drawn.
    ipts = [tuple(p) for p in np.where(np.isfinite(pts), pts, 0.0).astype(np.int64).tolist()]
    vis_list = vis.tolist()
    for a, b in SKELETON_EDGES:
        if not (vis_list[a] and vis_list[b]):
            continue
        colour = RED if (a in faulted and b in faulted) else base
        cv2.line(rgb, ipts[a], ipts[b], colour, thick, cv2.LINE_AA)
    radius = max(3, round(4 * unit))
    for i in range(33):
        if vis_list[i]:
            cv2.circle(rgb, ipts[i], radius, RED if i in faulted else base, -1, cv2.LINE_AA)
    if spec is None or not result.in_position:
        return
    # The angles that matter: each rule's angle on a dark label off the bones, in the rule's colour.
    by_id = {r.id: r for r in spec.rules}
    shown: set[str] = set()
    placed: list[tuple[int, int, int, int]] = []
    scale, thickness = 0.6 * unit, max(1, round(unit))
    for res in result.rules:
        metric = spec.metrics[by_id[res.id].metric]
        label_at = KINDS[metric.kind].label_at
        if label_at is None or metric.id in shown or math.isnan(res.value):
            continue
        shown.add(metric.id)
        a, joint, b = resolve_points(metric.points, result.side or "left")[:3]
        text = f"{res.value:.0f}"
        for step in (1, 2, 3):  # further out along the same direction until it overlaps no other label
            where = _off_bone(pts, int(a), int(joint), int(b), 26 * unit * step)
            if where is None or not _overlaps(_label_rect(rgb, text, where, scale, thickness), placed):
                break
        if where is None:
            continue
        placed.append(_label_rect(rgb, text, where, scale, thickness))
        _label_box(rgb, text, where, scale, _LABEL_COLOURS[res.state], thickness)


def _draw_cue(rgb: np.ndarray, result: FrameResult, unit: float,
              head: tuple[float, float, float, float] | None) -> int:
    """The cue on a band at the top, or at the bottom when the head is up there.

    Returns:
        The rows the band takes at the top (0 when it is at the bottom or absent).
    """
    cue = result.cue
    if not cue.text:
        return 0
    h, w = rgb.shape[:2]
    scale = 0.7 * unit
    (cw, ch), _ = cv2.getTextSize("M", _FONT, scale, 2)
    # Wrap on the measured width of the text (an average letter is much narrower than "M").
    (tw, _), _ = cv2.getTextSize(cue.text, _FONT, scale, 2)
    per_char = tw / max(1, len(cue.text))
    lines = _wrap(cue.text, max(12, int((w - cw) / max(per_char, 1.0)) - 1))
    if len(lines) > MAX_CUE_LINES:
        lines = lines[:MAX_CUE_LINES]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    band = max(1, int((len(lines) * 1.6 + 0.6) * ch))  # >= 1 row: tiny frames have ch == 0
    at_top = head is None or head[1] > band
    y0 = 0 if at_top else h - band
    rows = slice(y0, y0 + band)
    # A solid band blended over the frame. cv2.rectangle fills the band several times faster
    # than numpy's broadcast of a 3-channel colour (which dominated the overlay's cost).
    overlay = np.empty_like(rgb[rows])
    cv2.rectangle(overlay, (0, 0), (overlay.shape[1], overlay.shape[0]), _CUE_COLOURS[cue.kind], -1)
    cv2.addWeighted(overlay, 0.75, rgb[rows], 0.25, 0, dst=rgb[rows])
    for i, line in enumerate(lines):
        cv2.putText(rgb, line.replace("…", "..."), (int(0.5 * cw), y0 + int((i + 1) * 1.6 * ch)), _FONT, scale,
                    WHITE, 2, cv2.LINE_AA)
    return band if at_top else 0


def _draw_border(rgb: np.ndarray, result: FrameResult, unit: float) -> None:
    """A frame in the cue's colour (the live page writes the cue beside the video)."""
    h, w = rgb.shape[:2]
    t = max(4, round(6 * unit))
    colour = _CUE_COLOURS[result.cue.kind] if result.cue.text else GREY
    cv2.rectangle(rgb, (0, 0), (w - 1, h - 1), colour, t)
    rgb[:t] = colour  # the top edge solid: the page and tests read the state there


def _draw_status(
    rgb: np.ndarray, result: FrameResult, spec: ExerciseSpec | None, extras: OverlayExtras | None, unit: float,
    head: tuple[float, float, float, float] | None = None, top: int = 0,
) -> None:
    """The exercise, good-form hold, score and counters in a top corner away from the head."""
    h, w = rgb.shape[:2]
    lines: list[tuple[str, tuple[int, int, int]]] = []
    name = spec.name if spec else "No exercise recognised"
    details = [d for d in (result.side and f"{result.side} side", result.view.value if result.pose else "") if d]
    lines.append((name + (f" ({', '.join(details)})" if details else ""), WHITE))
    if spec is not None and (extras is None or extras.figures):
        lines.append((f"Good form {result.hold_s:5.1f} s", GREEN if result.in_position and not result.faults
                       else WHITE))
        if not math.isnan(result.score):
            lines.append((f"Form {result.score:3.0f}/100", WHITE))
    if spec is not None:
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
    thickness = max(1, round(unit))
    width = min(w, max(cv2.getTextSize(t, _FONT, scale, thickness)[0][0] for t, _ in lines) + 2 * pad)
    height = step * len(lines) + pad
    y_top = min(top + (pad if top else 0), max(0, h - height))
    # The corner away from the head (the left one when the head is unseen or on the right).
    left = head is None or (head[0] + head[2]) / 2 > w / 2
    x0 = 0 if left else w - width
    panel = rgb[y_top:y_top + height, x0:x0 + width]
    cv2.convertScaleAbs(panel, dst=panel, alpha=0.45)  # = blending 55 % black over it, no zeros array
    for i, (text, colour) in enumerate(lines):
        cv2.putText(rgb, text, (x0 + pad, y_top + (i + 1) * step), _FONT, scale, colour, thickness, cv2.LINE_AA)
