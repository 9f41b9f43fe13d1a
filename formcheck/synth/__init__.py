"""Synthetic clip generator: a parametric human body (anny) posed through each exercise and fault,
rendered on the CPU (pyrender + OSMesa) with per-frame ground-truth joint angles.

Optional extra (``formcheck[synth]``); nothing else in formcheck imports it.
"""
