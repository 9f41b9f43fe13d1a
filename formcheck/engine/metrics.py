"""Evaluate a spec's metrics on a pose (pure Python and numpy).

Each metric kind's formula is in the registry (:data:`formcheck.engine.kinds.KINDS`); the
stateful and mask-based kinds are computed here. Distances are in
torso lengths (mid-shoulder to mid-hip, in the same space), angles in degrees. A metric whose
landmarks are not visible enough is NaN.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from formcheck.engine import geometry as g
from formcheck.engine.kinds import KINDS, Point
from formcheck.engine.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, VIRTUAL_LANDMARKS, PoseFrame, frame_lists
from formcheck.engine.specs import COMBINING_KINDS, ExerciseSpec, MetricKind, MetricSpec
from formcheck.engine.view import frontality, image_scale_px_per_m

#: Extended point table: the 33 landmarks followed by the virtual midpoints.
POINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
POINT_INDEX.update({name: NUM_LANDMARKS + j for j, name in enumerate(VIRTUAL_LANDMARKS)})
_VIRTUAL_PAIRS = [(int(a), int(b)) for a, b in VIRTUAL_LANDMARKS.values()]
_MID_SHOULDER = POINT_INDEX["mid_shoulder"]
_MID_HIP = POINT_INDEX["mid_hip"]
OTHER_SIDE = {"left": "right", "right": "left"}


def extended_rows(coords: list[list[float]], visible: list[bool]) -> list[list[float]]:
    """The 33 points (all-NaN where not visible) followed by the virtual midpoints, as lists."""
    missing = [math.nan] * len(coords[0])
    rows = [p if ok else missing for p, ok in zip(coords, visible, strict=True)]
    rows += [[(x + y) / 2.0 for x, y in zip(rows[a], rows[b], strict=True)] for a, b in _VIRTUAL_PAIRS]
    return rows


def extended_points(coords: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Return (39, D) points: landmarks (NaN where not visible) followed by virtual midpoints."""
    return np.array(extended_rows(coords.tolist(), visible.tolist()), dtype=np.float64)


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

@dataclass(frozen=True)
class _Row:
    """One point metric resolved for a side: kind, space and extended-table indices."""

    kind: MetricKind
    space: str
    idx: tuple[int, ...]
    fwd: tuple[int, ...]  # forward points (image), () when unused


def _rows(metrics: list[MetricSpec], side: str) -> list[tuple[str, _Row]]:
    return [
        (m.id, _Row(m.kind, m.space, tuple(resolve_points(m.points, side).tolist()),
                    tuple(resolve_points(m.forward, side).tolist()) if m.forward else ()))
        for m in metrics
        if KINDS[m.kind].kernel is not None
    ]


def _with_dependencies(metrics: dict[str, MetricSpec], ids: set[str]) -> set[str]:
    out: set[str] = set()
    todo = list(ids)
    while todo:
        mid = todo.pop()
        if mid not in out:
            out.add(mid)
            todo.extend(metrics[mid].of)
    return out


@dataclass
class Table:
    """A frame's extended point table in one space.

    Attributes:
        rows: 39 points as lists of floats: the landmarks (NaN where not visible), then the
            virtual midpoints (see :func:`extended_rows`).
        torso: mid-shoulder to mid-hip length in that space (NaN when unseen).
    """

    rows: list[Point]
    torso: float

    @cached_property
    def points(self) -> np.ndarray:
        """The rows as a (39, D) float64 array (made when first asked for)."""
        return np.array(self.rows, dtype=np.float64)


Tables = dict[str, Table]
#: The last frame's point tables, by min_visibility (see :func:`point_tables`).
_last_tables: tuple[PoseFrame, dict[float, Tables]] | None = None


def point_tables(frame: PoseFrame, min_visibility: float) -> Tables:
    """Extended point tables of a frame, per space ("image", "world").

    Landmarks below ``min_visibility`` are NaN. The image torso is the 3-D torso at the image
    scale when that is longer (a torso pointing at the camera looks short in 2-D). Cached for
    the last frame: the session and the recogniser read the same frame. Frames are immutable
    and matched by identity, so concurrent threads at worst recompute.
    """
    global _last_tables
    last = _last_tables
    if last is None or last[0] is not frame:
        last = _last_tables = (frame, {})
    out = last[1].get(min_visibility)
    if out is None:
        out = last[1][min_visibility] = _compute_tables(frame, min_visibility)
    return out


def _compute_tables(frame: PoseFrame, min_visibility: float) -> Tables:
    lists = frame_lists(frame)
    visible = lists.visible(min_visibility)
    out = {}
    for space, coords in (("image", lists.xy), ("world", lists.world)):
        rows = extended_rows(coords, visible)
        torso = g.distance(rows[_MID_SHOULDER], rows[_MID_HIP])
        out[space] = Table(rows, torso if torso > 0 else float("nan"))
    image_torso = out["world"].torso * image_scale_px_per_m(frame)
    if image_torso > out["image"].torso or math.isnan(out["image"].torso):
        out["image"].torso = image_torso
    return out


class PointMetricPlan:
    """Point metrics of one spec and side, computed by the scalar kernels on the point tables."""

    def __init__(self, min_visibility: float, rows: list[tuple[str, _Row]]) -> None:
        self.min_visibility = min_visibility
        self._rows = [
            (mid, row.space == "image", KINDS[row.kind].kernel, KINDS[row.kind].per_torso, row.idx, row.fwd)
            for mid, row in rows
        ]

    def evaluate(self, frame: PoseFrame) -> dict[str, float]:
        """metric id → value on ``frame`` (NaN where landmarks are not visible)."""
        tables = point_tables(frame, self.min_visibility)
        image, world = tables["image"], tables["world"]
        out = {}
        for mid, in_image, kernel, per_torso, idx, fwd in self._rows:
            table = image if in_image else world
            v = kernel([table.rows[i] for i in idx], [image.rows[i] for i in fwd])
            out[mid] = v / table.torso if per_torso else v
        return out


class MetricEvaluator:
    """Computes one spec's metrics frame by frame; holds the state of temporal metrics.

    Point metrics are computed by scalar kernels (:class:`PointMetricPlan`), the side metric on
    both sides and the others on the chosen side. The stateful metric is ``motion`` (personal
    baselines live in :mod:`formcheck.engine.baseline`).
    """

    def __init__(self, spec: ExerciseSpec, only: set[str] | None = None) -> None:
        """Create an evaluator.

        Args:
            spec: the exercise spec.
            only: compute only these metric ids (and what they depend on, and the side
                metric); default all.
        """
        self.spec = spec
        if only is not None and spec.side is not None:
            only = only | {spec.side.metric}
        wanted = _with_dependencies(spec.metrics, only) if only is not None else set(spec.metrics)
        self._order = [m for m in self._dependency_order(spec.metrics) if m.id in wanted]
        points = [m for m in self._order if m.kind not in COMBINING_KINDS]
        self.sides = tuple(OTHER_SIDE) if spec.side is not None else ("left",)
        rows = {side: _rows(points, side) for side in self.sides}
        self._plans = {side: PointMetricPlan(spec.min_visibility, rows[side]) for side in self.sides}
        # The side metric alone, on each side, when it is a point metric.
        self._side_plans: dict[str, PointMetricPlan] = {}
        if spec.side is not None and any(mid == spec.side.metric for mid, _ in rows["left"]):
            self._side_plans = {
                side: PointMetricPlan(spec.min_visibility, [r for r in rows[side] if r[0] == spec.side.metric])
                for side in self.sides
            }
        self._single = [m for m in points if KINDS[m.kind].kernel is None]
        self._combined = [m for m in self._order if m.kind in COMBINING_KINDS]
        self._absolute = [m.id for m in self._order if m.absolute]
        self._indices = {
            (m.id, side): resolve_points(m.points, side) for m in spec.metrics.values() for side in OTHER_SIDE
        }
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
        """Forget the motion history."""
        self._motion: dict[str, deque[tuple[float, float]]] = {}
        self._last_pts: dict[str, tuple[float, np.ndarray]] = {}

    def point_rows(self, frame: PoseFrame) -> list[Point]:
        """The 39 image points of ``frame``: NaN where not visible, then the virtual points."""
        return point_tables(frame, self.spec.min_visibility)["image"].rows

    def side_values(self, frame: PoseFrame) -> tuple[float, float]:
        """The side metric evaluated for the left and the right side (NaN when unseen)."""
        assert self.spec.side is not None
        m = self.spec.metrics[self.spec.side.metric]
        if not self._side_plans:
            tables = point_tables(frame, self.spec.min_visibility)
            return (self._single_value(m, "left", tables, frame, stateful=False),
                    self._single_value(m, "right", tables, frame, stateful=False))
        return self._side_plans["left"].evaluate(frame)[m.id], self._side_plans["right"].evaluate(frame)[m.id]

    def update(self, frame: PoseFrame, side: str = "left") -> dict[str, float]:
        """Compute the spec's metrics for ``frame`` with the given side.

        Args:
            frame: the (smoothed) pose.
            side: "left" or "right", substituted for ``{side}`` in landmark names.

        Returns:
            metric id → value (NaN when unknown).
        """
        side = side if side in self.sides else "left"  # a spec without a side reads the same
        values = self._plans[side].evaluate(frame)
        if self._single:
            tables = point_tables(frame, self.spec.min_visibility)
            for m in self._single:
                values[m.id] = self._single_value(m, side, tables, frame, stateful=True)
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
        tables: Tables,
        frame: PoseFrame,
        *,
        stateful: bool,
    ) -> float:
        """Metrics computed one by one: stateful, mask-based, visibility and frontality."""
        k = m.kind
        if k == MetricKind.VISIBILITY:
            vis = frame_lists(frame).visibility
            real = [vis[i] for i in self._indices[(m.id, side)].tolist() if i < NUM_LANDMARKS]
            return sum(real) / len(real) if real else float("nan")
        if k == MetricKind.FRONTALITY:
            return frontality(frame)
        torso = tables["image"].torso
        p = tables["image"].points[self._indices[(m.id, side)]]
        if k == MetricKind.MASK_FLOOR_GAP:
            if frame.mask is None:
                return float("nan")
            return mask_floor_gap(frame.mask, p[0], p[1], frame.mask_scale) / torso
        if k == MetricKind.MOTION:
            return self._motion_speed(m, p / torso, frame.timestamp_s) if stateful else float("nan")
        raise AssertionError(f"unhandled metric kind {k}")  # pragma: no cover - specs validate kinds

    def _motion_speed(self, m: MetricSpec, pts: np.ndarray, t: float) -> float:
        """Mean speed of the points over the last ``window_s``, in torso lengths per second.

        With ``m.back_and_forth`` only the movement that comes back counts: the path travelled
        less the net displacement over the window, so moving into a new posture (lowering the
        hips, bending the knees) is not restlessness but fidgeting is.
        """
        hist = self._motion.setdefault(m.id, deque())
        last = self._last_pts.get(m.id)
        seen = np.isfinite(pts).all(axis=-1)
        if last is not None and t > last[0]:
            both = seen & np.isfinite(last[1]).all(axis=-1)
            # The points seen in both frames, if they are most of them: a hand hidden for a
            # moment behind the body does not stop the measurement.
            if 2 * int(both.sum()) >= len(both):
                hist.append((t, float(np.mean(np.linalg.norm(pts[both] - last[1][both], axis=-1))), pts))
        if 2 * int(seen.sum()) >= len(seen):
            self._last_pts[m.id] = (t, pts)
        while hist and hist[0][0] < t - m.window_s:
            hist.popleft()
        if len(hist) < 3 or t - hist[0][0] < min(MOTION_MIN_HISTORY_S, 0.5 * m.window_s):
            return float("nan")
        span = hist[-1][0] - hist[0][0]
        if span <= 0:
            return float("nan")
        path = sum(step for _, step, _ in list(hist)[1:])
        if m.back_and_forth:
            first, now = hist[0][2], hist[-1][2]
            both = np.isfinite(first).all(axis=-1) & np.isfinite(now).all(axis=-1)
            if both.any():
                path = max(0.0, path - float(np.mean(np.linalg.norm(now[both] - first[both], axis=-1))))
        return path / span
