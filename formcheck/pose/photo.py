"""Photos in which MediaPipe finds nobody at first: retry before giving up.

MediaPipe's person detector misses people that are small in the frame, in greyscale or low
contrast, cut by the frame's edge, or under an overlay (a video thumbnail's play button). A
photo has one frame, so a few more tries cost little: each attempt changes the image, and the
pose found is mapped back to the original photo's pixels. The attempt that found the person is
reported (``PhotoDetection.attempt``), so a surprising result can be traced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from formcheck.engine.landmarks import PoseFrame
from formcheck.errors import ModelNotFoundError
from formcheck.models import ModelVariant
from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode

#: Photos whose longer side is below this are upscaled for the "upscaled" attempt, in pixels.
UPSCALE_BELOW_PX = 900
#: Border added on every side for the "padded" attempt, as a share of the longer side.
PAD_SHARE = 0.5


@dataclass(frozen=True)
class PhotoDetection:
    """The pose found in a photo and how.

    Attributes:
        pose: the main person's pose in the original photo's pixels, or None.
        attempt: which attempt found it (``as_is``, ``padded``, ``upscaled``, ``contrast``,
            ``centre_crop``, ``heavy_model``), or ``none``.
    """

    pose: PoseFrame | None
    attempt: str


@dataclass(frozen=True)
class _Warp:
    """How an attempt's image maps to the original: original = (attempt − offset) / scale."""

    image: np.ndarray
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0


def _padded(rgb: np.ndarray) -> _Warp:
    h, w = rgb.shape[:2]
    pad = round(PAD_SHARE * max(h, w))
    fill = [int(c) for c in np.median(rgb.reshape(-1, 3), axis=0)]
    out = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)
    return _Warp(out, (pad, pad), 1.0)


def _upscaled(rgb: np.ndarray) -> _Warp | None:
    h, w = rgb.shape[:2]
    if max(h, w) >= UPSCALE_BELOW_PX:
        return None
    s = UPSCALE_BELOW_PX * 1.5 / max(h, w)
    return _Warp(cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC), (0.0, 0.0), s)


def _contrast(rgb: np.ndarray) -> _Warp:
    """Equalised luminance (CLAHE): greyscale, dim or washed-out photos."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return _Warp(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))


def _centre_crop(rgb: np.ndarray) -> _Warp:
    """The central two thirds, enlarged: a small person in the middle of a wide scene."""
    h, w = rgb.shape[:2]
    y0, x0 = h // 6, w // 6
    crop = rgb[y0 : h - y0, x0 : w - x0]
    return _Warp(cv2.resize(crop, (w, h), interpolation=cv2.INTER_CUBIC), (-x0 * 1.5, -y0 * 1.5), 1.5)


#: The attempts after the photo as it is, cheapest and most common first.
_ATTEMPTS: tuple[tuple[str, Callable[[np.ndarray], _Warp | None]], ...] = (
    ("padded", _padded),
    ("upscaled", _upscaled),
    ("contrast", _contrast),
    ("centre_crop", _centre_crop),
)


def _unwarp(pose: PoseFrame, warp: _Warp, size: tuple[int, int], mask_max_side: int) -> PoseFrame:
    """The pose in the original photo's pixels (its mask resampled onto the original too)."""
    xy = (pose.xy - np.asarray(warp.offset)) / warp.scale
    mask = pose.mask
    if mask is not None:
        w, h = size
        k = mask.shape[0] / warp.image.shape[0]  # mask pixels per attempt pixel
        k_out = min(1.0, mask_max_side / max(w, h))  # mask pixels per original pixel
        a = k * warp.scale / k_out
        m = np.array([[a, 0.0, k * warp.offset[0]], [0.0, a, k * warp.offset[1]]])  # original mask -> attempt mask
        out = (max(1, round(w * k_out)), max(1, round(h * k_out)))
        mask = cv2.warpAffine(np.ascontiguousarray(mask, dtype=np.float32), m, out,
                              flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderValue=0.0)
    return replace(pose, xy=xy, z=pose.z / warp.scale, image_size=size, mask=mask)


def detect_photo(estimator: PoseEstimator, rgb: np.ndarray, *, mask: bool = False) -> PhotoDetection:
    """Find the main person in a photo, retrying with changed images (and the heavy model).

    Args:
        estimator: an IMAGE-mode estimator.
        rgb: (H, W, 3) uint8 photo.
        mask: also return the segmentation mask.

    Returns:
        The pose in ``rgb``'s pixels and the attempt that found it.
    """
    pose = estimator.detect(rgb, 0.0, mask=mask)
    if pose is not None:
        return PhotoDetection(pose, "as_is")
    h, w = rgb.shape[:2]
    for name, make in _ATTEMPTS:
        warp = make(rgb)
        if warp is None:
            continue
        found = estimator.detect(warp.image, 0.0, mask=mask)
        if found is not None:
            return PhotoDetection(_unwarp(found, warp, (w, h), estimator.options.mask_max_side), name)
    heavy = _heavy_estimator(estimator)
    if heavy is not None:
        with heavy:
            for name, warp in (("heavy_model", _Warp(rgb)), ("heavy_model_padded", _padded(rgb))):
                found = heavy.detect(warp.image, 0.0, mask=mask)
                if found is not None:
                    return PhotoDetection(_unwarp(found, warp, (w, h), estimator.options.mask_max_side), name)
    return PhotoDetection(None, "none")


def _heavy_estimator(estimator: PoseEstimator) -> PoseEstimator | None:
    """An IMAGE-mode estimator on the heavy model, if it is not the one used and is on disk."""
    o = estimator.options
    if o.model_path is not None or ModelVariant.parse(o.model) == ModelVariant.HEAVY:
        return None
    try:
        return PoseEstimator(replace(o, model=ModelVariant.HEAVY, mode=RunningMode.IMAGE, people_check_s=0.0))
    except ModelNotFoundError:
        return None


__all__ = ["EstimatorOptions", "PhotoDetection", "detect_photo"]
