"""The Streamlit page's building blocks (``app.py`` at the repo root only wires them up).

Modules: :mod:`~formcheck.web.settings` (ICE servers, upload limit), :mod:`~formcheck.web.guide`
(exercise guides from the specs), :mod:`~formcheck.web.speech` (spoken cues),
:mod:`~formcheck.web.files` (per-session temporary files), :mod:`~formcheck.web.timeline`
(metric timelines, from the Upload tab's in-memory writer) and the tabs
:mod:`~formcheck.web.live_tab`, :mod:`~formcheck.web.upload_tab`, :mod:`~formcheck.web.batch_tab`.
"""
