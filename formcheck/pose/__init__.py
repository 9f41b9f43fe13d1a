"""Pose estimation: MediaPipe Pose Landmarker behind a small, typed wrapper."""

from formcheck.pose.estimator import (
    EstimatorOptions,
    PoseEstimator,
    RunningMode,
    select_main_pose,
)

__all__ = ["EstimatorOptions", "PoseEstimator", "RunningMode", "select_main_pose"]
