"""The pure engine: landmarks in, judgements out.

Everything in this package is numpy + stdlib only (no MediaPipe, OpenCV, PyAV or Streamlit), so
it can be unit-tested with synthetic poses and its source hashed as the batch cache's engine
fingerprint. Data flow: :mod:`landmarks` (the validated container) -> :mod:`smoothing` ->
:mod:`metrics` (from :mod:`specs`, with :mod:`geometry` and :mod:`view`) -> :mod:`rules` ->
:mod:`session` (+ :mod:`feedback`) -> :mod:`summary`; :mod:`recognition`
picks the exercise and :mod:`engine` ties them together per frame.
"""
