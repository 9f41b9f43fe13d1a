"""Photos where nobody is found at first: retries, mapped back to the photo's pixels."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from poses import correct_pose

from formcheck.pose.photo import _padded, _unwarp, _Warp

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEPIA = SHARED / "realdata" / "pyramid" / "clinically_parsvottanasana.jpg"
MODELS = Path(os.environ.get("FORMCHECK_MODEL_DIR", SHARED / "models"))


def test_a_pose_found_in_a_changed_image_is_mapped_back() -> None:
    pose = correct_pose("tree_pose")
    w, h = pose.image_size
    warp = _Warp(np.zeros((h * 2 + 60, w * 2 + 100, 3), np.uint8), offset=(50.0, 30.0), scale=2.0)
    # The pose as the estimator would report it in the changed (enlarged, shifted) image, with a
    # mask that marks one block.
    mask = np.zeros((warp.image.shape[0] // 4, warp.image.shape[1] // 4), np.float32)
    mask[60:80, 100:140] = 1.0  # changed-image pixels 240..320 x 400..560
    seen = replace(pose, xy=pose.xy * 2.0 + [50.0, 30.0], z=pose.z * 2.0, image_size=warp.image.shape[1::-1],
                   mask=mask)
    back = _unwarp(seen, warp, (w, h), mask_max_side=256)
    np.testing.assert_allclose(back.xy, pose.xy)
    np.testing.assert_allclose(back.z, pose.z)
    assert back.image_size == (w, h)
    k = 256 / max(w, h)
    assert back.mask.shape == (round(h * k), round(w * k))
    ys, xs = np.nonzero(back.mask > 0.5)
    # The block is at original pixels ((400..560) - 50) / 2 = 175..255 (x), (240..320 - 30) / 2 = 105..145 (y).
    px = 1 / k + 1  # one mask pixel, in photo pixels
    assert xs.min() / k == pytest.approx(175, abs=px) and (xs.max() + 1) / k == pytest.approx(255, abs=px)
    assert ys.min() / k == pytest.approx(105, abs=px) and (ys.max() + 1) / k == pytest.approx(145, abs=px)


def test_padding_keeps_the_photo_in_the_middle() -> None:
    rgb = np.full((100, 60, 3), 200, np.uint8)
    warp = _padded(rgb)
    pad = int(warp.offset[0])
    assert warp.image.shape == (100 + 2 * pad, 60 + 2 * pad, 3) and warp.scale == 1.0
    assert (warp.image[pad : pad + 100, pad : pad + 60] == rgb).all()


@pytest.mark.realdata
@pytest.mark.skipif(not SEPIA.is_file() or not (MODELS / "pose_landmarker_full.task").is_file(),
                    reason="needs ../shared/realdata and the models")
def test_a_sepia_photo_cut_by_the_frame_is_found_after_a_retry(model_dir: Path) -> None:
    """The folded man fills the photo: nobody is found as is, the padded photo finds him."""
    from formcheck.analyze import AnalyzeOptions, analyze  # noqa: PLC0415
    from formcheck.media import read_image  # noqa: PLC0415
    from formcheck.pose.estimator import EstimatorOptions, PoseEstimator, RunningMode  # noqa: PLC0415
    from formcheck.pose.photo import detect_photo  # noqa: PLC0415

    rgb = read_image(SEPIA)
    with PoseEstimator(EstimatorOptions(model="full", mode=RunningMode.IMAGE)) as est:
        assert est.detect(rgb, 0.0) is None
        found = detect_photo(est, rgb)
    assert found.attempt == "padded" and found.pose is not None
    h, w = rgb.shape[:2]
    hips = found.pose.xy[[23, 24]].mean(axis=0)
    assert 0 <= hips[0] <= w and 0 <= hips[1] <= 0.5 * h  # the hips are up in the fold
    a = analyze(SEPIA, AnalyzeOptions(model="full", exercise="pyramid_pose"))
    assert a.run.photo_detection == "padded" and a.summary.frames_with_person == 1
    assert a.to_dict()["photo_detection"] == "padded"
