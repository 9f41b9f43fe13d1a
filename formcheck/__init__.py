"""formcheck: a pose-form checker for a psoas-release Pilates/yoga routine.

Frames → MediaPipe Pose Landmarker → One Euro smoothing → per-exercise geometric rules from
``pose_specs/*.toml`` → cues, scores and hold time.
"""

__version__ = "0.1.0"
