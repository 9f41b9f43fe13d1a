"""Evaluate a spec's metrics on a pose (pure numpy).

Each metric kind of :class:`formcheck.specs.MetricKind` is defined here. Distances are in
torso lengths (mid-shoulder to mid-hip, in the same space), angles in degrees. A metric whose
landmarks are not visible enough is NaN.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from formcheck import geometry as g
from formcheck.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, VIRTUAL_LANDMARKS, PoseFrame
from formcheck.specs import COMBINING_KINDS, ExerciseSpec, MetricKind, MetricSpec
from formcheck.view import frontality, image_scale_px_per_m

#: Extended point table: the 33 landmarks followed by the virtual midpoints.
POINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
POINT_INDEX.update({name: NUM_LANDMARKS + j for j, name in enumerate(VIRTUAL_LANDMARKS)})
_VIRTUAL_PAIRS = np.array([[a, b] for a, b in VIRTUAL_LANDMARKS.values()])
_MID_SHOULDER = POINT_INDEX["mid_shoulder"]
_MID_HIP = POINT_INDEX["mid_hip"]
OTHER_SIDE = {"left": "right", "right": "left"}


def extended_points(coords: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Return (39, D) points: landmarks (NaN where not visible) followed by virtual midpoints."""
    pts = np.where(visible[:, None], coords, np.nan)
    mids = (pts[_VIRTUAL_PAIRS[:, 0]] + pts[_VIRTUAL_PAIRS[:, 1]]) / 2.0
    return np.concatenate([pts, mids], axis=0)


def resolve_points(names: tuple[str, ...], side: str) -> np.ndarray:
    """Map landmark names with ``{side}``/``{other}`` placeholders to extended-table indices."""
    return np.array(
        [POINT_INDEX[n.replace("{side}", side).replace("{other}", OTHER_SIDE[side])] for n in names], dtype=int
    )


def mask_floor_gap(mask: np.ndarray, hip_xy: np.ndarray, shoulder_xy: np.ndarray, scale: float) -> float:
    """Largest gap between the floor line and the underside of the back, in mask pixels.

    For a person lying on the back seen from the side: the floor line is drawn through the
    lowest silhouette point near the pelvis and near the shoulders; the gap is how far the
    underside of the silhouette rises above that line between them (the arch of the lower back).

    Args:
        mask: (h, w) person segmentation in [0, 1].
        hip_xy: (2,) mid-hip in image pixels.
        shoulder_xy: (2,) mid-shoulder in image pixels.
        scale: mask pixels per image pixel.

    Returns:
        The gap in image pixels, or NaN if the silhouette cannot be measured.
    """
    if not (np.isfinite(hip_xy).all() and np.isfinite(shoulder_xy).all()):
        return float("nan")
    h, w = mask.shape
    hx, hy = hip_xy * scale
    sx, sy = shoulder_xy * scale
    length = float(np.hypot(sx - hx, sy - hy))
    if length < 8 or abs(sx - hx) < 0.6 * length:  # too small, or the torso is not lying
        return float("nan")
    x0, x1 = sorted((hx, sx))
    cols = np.arange(int(np.floor(x0 - 0.1 * length)), int(np.ceil(x1 + 0.1 * length)) + 1)
    cols = cols[(cols >= 0) & (cols < w)]
    if cols.size < 8:
        return float("nan")
    band_top = int(max(0, min(hy, sy) - 0.6 * length))
    sub = mask[band_top:, cols] > 0.5
    has = sub.any(axis=0)
    # Lowest silhouette row (largest y) per column: the underside of the body.
    bottom = np.where(has, sub.shape[0] - 1 - np.argmax(sub[::-1, :], axis=0) + band_top, np.nan)
    t = (cols - hx) / (sx - hx)  # 0 at the hip, 1 at the shoulder
    near_hip = (t > -0.15) & (t < 0.2)
    near_sh = (t > 0.8) & (t < 1.15)
    mid = (t >= 0.2) & (t <= 0.8)
    if not all(np.isfinite(bottom[zone]).any() for zone in (near_hip, near_sh, mid)):
        return float("nan")
    i_h = np.nanargmax(np.where(near_hip, bottom, np.nan))
    i_s = np.nanargmax(np.where(near_sh, bottom, np.nan))
    xa, ya, xb, yb = cols[i_h], bottom[i_h], cols[i_s], bottom[i_s]
    floor = ya + (cols - xa) * (yb - ya) / (xb - xa) if xb != xa else np.full(cols.shape, ya)
    gap = np.where(mid, floor - bottom, np.nan)
    return float(np.nanmax(gap)) / scale


#: A motion metric is known once it has this much history, in seconds (or half its window).
MOTION_MIN_HISTORY_S = 0.3

#: Kinds computed from landmark points in one vectorised call per kind.
_VECTOR_KINDS = (
    MetricKind.JOINT_ANGLE, MetricKind.SIGNED_JOINT_ANGLE, MetricKind.INCLINATION, MetricKind.ELEVATION,
    MetricKind.LINE_TILT, MetricKind.ANGLE_BETWEEN, MetricKind.DISTANCE, MetricKind.HEIGHT_ABOVE,
    MetricKind.OFFSET_ABOVE_LINE, MetricKind.FORWARD_OFFSET, MetricKind.LENGTH_RATIO,
)
#: Kinds whose value is in torso lengths.
_TORSO_KINDS = (MetricKind.DISTANCE, MetricKind.HEIGHT_ABOVE, MetricKind.OFFSET_ABOVE_LINE, MetricKind.FORWARD_OFFSET)


def _kind_values(kind: MetricKind, p: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Values of K metrics of one kind: ``p`` (K, n, D) points, ``f`` (K, 2, 2) forward points."""
    if kind == MetricKind.JOINT_ANGLE:
        return g.joint_angle_deg(p[:, 0], p[:, 1], p[:, 2])
    if kind == MetricKind.SIGNED_JOINT_ANGLE:
        return g.signed_joint_angle_deg(p[:, 0], p[:, 1], p[:, 2], f[:, 0], f[:, 1])
    if kind == MetricKind.INCLINATION:
        return g.inclination_from_vertical_deg(p[:, 0], p[:, 1])
    if kind == MetricKind.ELEVATION:
        return g.elevation_above_horizontal_deg(p[:, 0], p[:, 1])
    if kind == MetricKind.LINE_TILT:
        return g.line_tilt_from_horizontal_deg(p[:, 0], p[:, 1])
    if kind == MetricKind.ANGLE_BETWEEN:
        return g.angle_between_segments_deg(p[:, 0], p[:, 1], p[:, 2], p[:, 3])
    if kind == MetricKind.DISTANCE:
        return g.distance(p[:, 0], p[:, 1])
    if kind == MetricKind.HEIGHT_ABOVE:
        return g.height_above(p[:, 0], p[:, 1])
    if kind == MetricKind.OFFSET_ABOVE_LINE:
        return g.offset_above_line(p[:, 0], p[:, 1], p[:, 2])
    if kind == MetricKind.FORWARD_OFFSET:
        return g.horizontal_offset(p[:, 0], p[:, 1], np.sign(f[:, 1, 0] - f[:, 0, 0]))
    if kind == MetricKind.LENGTH_RATIO:
        with np.errstate(invalid="ignore", divide="ignore"):
            return g.distance(p[:, 0], p[:, 1]) / g.distance(p[:, 2], p[:, 3])
    raise AssertionError(f"{kind} is not a vector kind")  # pragma: no cover


@dataclass(frozen=True)
class _Group:
    """Metrics of one kind and space, evaluated together."""

    kind: MetricKind
    space: str
    ids: tuple[str, ...]
    idx: np.ndarray  # (K, n) extended-table indices
    fwd: np.ndarray  # (K, 2) forward indices (zeros when unused)


def _build_groups(metrics: list[MetricSpec], side: str) -> list[_Group]:
    by_key: dict[tuple[MetricKind, str], list[MetricSpec]] = {}
    for m in metrics:
        if m.kind in _VECTOR_KINDS:
            by_key.setdefault((m.kind, m.space), []).append(m)
    groups = []
    for (kind, space), ms in by_key.items():
        idx = np.stack([resolve_points(m.points, side) for m in ms])
        fwd = np.stack([resolve_points(m.forward, side) if m.forward else np.zeros(2, int) for m in ms])
        groups.append(_Group(kind, space, tuple(m.id for m in ms), idx, fwd))
    return groups


def _with_dependencies(metrics: dict[str, MetricSpec], ids: set[str]) -> set[str]:
    out: set[str] = set()
    todo = list(ids)
    while todo:
        mid = todo.pop()
        if mid not in out:
            out.add(mid)
            todo.extend(metrics[mid].of)
    return out


#: The last frame's point tables, by min_visibility (see MetricEvaluator._tables).
_shared_tables: tuple[PoseFrame, dict[float, dict[str, tuple[np.ndarray, float]]]] | None = None


class MetricEvaluator:
    """Computes one spec's metrics frame by frame; holds the state of temporal metrics.

    Point metrics are grouped by kind and computed in one vectorised call per kind. Stateful
    metrics: ``length_ratio`` with a session baseline, and ``motion``.
    """

    def __init__(self, spec: ExerciseSpec, only: set[str] | None = None) -> None:
        """Create an evaluator.

        Args:
            spec: the exercise spec.
            only: compute only these metric ids (and what they depend on); default all.
        """
        self.spec = spec
        wanted = _with_dependencies(spec.metrics, only) if only is not None else set(spec.metrics)
        self._order = [m for m in self._dependency_order(spec.metrics) if m.id in wanted]
        points = [m for m in self._order if m.kind not in COMBINING_KINDS]
        self._groups = {side: _build_groups(points, side) for side in OTHER_SIDE}
        self._single = [m for m in points if m.kind not in _VECTOR_KINDS or m.baseline]
        self._combined = [m for m in self._order if m.kind in COMBINING_KINDS]
        self._absolute = [m.id for m in self._order if m.absolute]
        self._indices = {
            (m.id, side): resolve_points(m.points, side) for m in spec.metrics.values() for side in OTHER_SIDE
        }
        if spec.side is not None:
            side_metric = spec.metrics[spec.side.metric]
            if side_metric.kind in _VECTOR_KINDS:  # both sides in one vectorised call
                (left,), (right,) = (_build_groups([side_metric], side) for side in OTHER_SIDE)
                self._side_both = [_Group(left.kind, left.space, ("left", "right"),
                                          np.concatenate([left.idx, right.idx]), np.concatenate([left.fwd, right.fwd]))]
        self.reset()

    @staticmethod
    def _dependency_order(metrics: dict[str, MetricSpec]) -> list[MetricSpec]:
        order: list[MetricSpec] = []
        done: set[str] = set()

        def visit(mid: str) -> None:
            if mid in done:
                return
            for ref in metrics[mid].of:
                visit(ref)
            done.add(mid)
            order.append(metrics[mid])

        for mid in metrics:
            visit(mid)
        return order

    def reset(self) -> None:
        """Forget session baselines and motion history."""
        self._baseline: dict[str, float] = {}
        self._motion: dict[str, deque[tuple[float, float]]] = {}
        self._last_pts: dict[str, tuple[float, np.ndarray]] = {}
        self._cache: tuple[PoseFrame, dict[str, tuple[np.ndarray, float]]] | None = None

    def point_table(self, frame: PoseFrame) -> np.ndarray:
        """(39, 2) image points of ``frame``: NaN where not visible, then the virtual points."""
        return self._tables(frame)["image"][0]

    def _tables(self, frame: PoseFrame) -> dict[str, tuple[np.ndarray, float]]:
        """Extended point tables and torso lengths, per space, for the frame.

        Cached for the last frame, and shared by every evaluator with the same
        ``min_visibility`` (auto mode evaluates six specs on one frame). Frames are immutable
        and matched by identity, so concurrent threads at worst recompute.
        """
        global _shared_tables
        if self._cache is not None and self._cache[0] is frame:
            return self._cache[1]
        shared = _shared_tables
        if shared is None or shared[0] is not frame:
            shared = (frame, {})
            _shared_tables = shared
        out = shared[1].get(self.spec.min_visibility)
        if out is None:
            out = shared[1][self.spec.min_visibility] = self._compute_tables(frame)
        self._cache = (frame, out)
        return out

    def _compute_tables(self, frame: PoseFrame) -> dict[str, tuple[np.ndarray, float]]:
        vis = frame.visible(self.spec.min_visibility)
        out = {}
        for space, coords in (("image", frame.xy), ("world", frame.world)):
            table = extended_points(coords, vis)
            torso = float(g.distance(table[_MID_SHOULDER], table[_MID_HIP]))
            out[space] = (table, torso if torso > 0 else float("nan"))
        # The 2-D torso shrinks when it points at the camera (hands and knees seen from the
        # front); the 3-D torso at the image scale does not. Use the larger of the two.
        image_torso = out["world"][1] * image_scale_px_per_m(frame)
        if image_torso > out["image"][1] or math.isnan(out["image"][1]):
            out["image"] = (out["image"][0], image_torso)
        return out

    def _group_values(self, groups: list[_Group], tables: dict[str, tuple[np.ndarray, float]]) -> dict[str, float]:
        values: dict[str, float] = {}
        for grp in groups:
            table, torso = tables[grp.space]
            vals = _kind_values(grp.kind, table[grp.idx], tables["image"][0][grp.fwd])
            if grp.kind in _TORSO_KINDS:
                vals = vals / torso
            values.update(zip(grp.ids, vals.tolist(), strict=True))
        return values

    def side_values(self, frame: PoseFrame) -> tuple[float, float]:
        """The side metric evaluated for the left and the right side (NaN when unseen)."""
        assert self.spec.side is not None
        tables = self._tables(frame)
        mid = self.spec.side.metric
        m = self.spec.metrics[mid]
        if m.kind not in _VECTOR_KINDS:
            return (self._single_value(m, "left", tables, frame, stateful=False),
                    self._single_value(m, "right", tables, frame, stateful=False))
        both = self._group_values(self._side_both, tables)
        return both["left"], both["right"]

    def update(self, frame: PoseFrame, side: str = "left") -> dict[str, float]:
        """Compute the spec's metrics for ``frame`` with the given side.

        Args:
            frame: the (smoothed) pose.
            side: "left" or "right", substituted for ``{side}`` in landmark names.

        Returns:
            metric id → value (NaN when unknown).
        """
        tables = self._tables(frame)
        values = self._group_values(self._groups[side], tables)
        for m in self._single:
            values[m.id] = self._single_value(m, side, tables, frame, stateful=True, value=values.get(m.id))
        for mid in self._absolute:
            values[mid] = abs(values[mid])
        for m in self._combined:
            parts = [values[r] for r in m.of]
            if m.kind == MetricKind.RATIO:
                v = parts[0] / parts[1] if parts[1] != 0 else float("nan")
            elif any(math.isnan(x) for x in parts):
                v = float("nan")
            elif m.kind == MetricKind.MIN:
                v = min(parts)
            elif m.kind == MetricKind.MAX:
                v = max(parts)
            else:
                v = sum(parts) / len(parts)
            values[m.id] = abs(v) if m.absolute else v
        return values

    def _single_value(
        self,
        m: MetricSpec,
        side: str,
        tables: dict[str, tuple[np.ndarray, float]],
        frame: PoseFrame,
        *,
        stateful: bool,
        value: float | None = None,
    ) -> float:
        """Metrics computed one by one: stateful, mask-based, visibility and frontality."""
        k = m.kind
        if k == MetricKind.LENGTH_RATIO:  # with a session baseline
            ratio = float("nan") if value is None else value
            base = max(self._baseline.get(m.id, m.baseline_default), m.baseline_default)
            if stateful and math.isfinite(ratio):
                self._baseline[m.id] = max(base, ratio)
            return ratio / base
        if k == MetricKind.VISIBILITY:
            idx = self._indices[(m.id, side)]
            real = idx[idx < NUM_LANDMARKS]
            return float(np.mean(frame.visibility[real])) if real.size else float("nan")
        if k == MetricKind.FRONTALITY:
            return frontality(frame)
        table, torso = tables["image"]
        p = table[self._indices[(m.id, side)]]
        if k == MetricKind.MASK_FLOOR_GAP:
            if frame.mask is None:
                return float("nan")
            return mask_floor_gap(frame.mask, p[0], p[1], frame.mask_scale) / torso
        if k == MetricKind.MOTION:
            return self._motion_speed(m, p / torso, frame.timestamp_s) if stateful else float("nan")
        raise AssertionError(f"unhandled metric kind {k}")  # pragma: no cover - specs validate kinds

    def _motion_speed(self, m: MetricSpec, pts: np.ndarray, t: float) -> float:
        """Mean speed of the points over the last ``window_s``, in torso lengths per second."""
        hist = self._motion.setdefault(m.id, deque())
        last = self._last_pts.get(m.id)
        finite = bool(np.isfinite(pts).all())
        if last is not None and t > last[0] and finite:
            step = float(np.mean(np.linalg.norm(pts - last[1], axis=-1)))
            hist.append((t, step))
        if finite:
            self._last_pts[m.id] = (t, pts)
        while hist and hist[0][0] < t - m.window_s:
            hist.popleft()
        if len(hist) < 3 or t - hist[0][0] < min(MOTION_MIN_HISTORY_S, 0.5 * m.window_s):
            return float("nan")
        span = hist[-1][0] - hist[0][0]
        return sum(s for _, s in list(hist)[1:]) / span if span > 0 else float("nan")
