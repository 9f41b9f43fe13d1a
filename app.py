"""formcheck's web page: ``streamlit run app.py``.

Layout and wiring only; the logic lives in ``formcheck/web/`` and ``formcheck/live.py``.
"""

from __future__ import annotations

import streamlit as st

from formcheck.errors import FormcheckError
from formcheck.web import batch_tab, live_tab, upload_tab
from formcheck.web.access import require_access
from formcheck.web.page import cached_specs, session_resources, sidebar

st.set_page_config(page_title="formcheck: pose form checker", page_icon="🧘", layout="wide")
require_access()  # before anything else is drawn: the token form when the page is served to other devices

try:
    specs = cached_specs()
except FormcheckError as exc:
    st.error(f"The exercise specs could not be loaded: {exc}")
    st.stop()

settings = sidebar(specs)
resources = session_resources(specs, settings)

st.title("formcheck")
st.caption("Live feedback on your form for a psoas-release routine: pose landmarks, geometric checks, spoken or "
           "written cues. Pick the exercise in the sidebar and read its camera guide.")

live, upload, batch = st.tabs(["Live camera", "Upload a recording", "Batch"])
with live:
    live_tab.render(specs, settings, resources)
with upload:
    upload_tab.render(specs, settings, resources)
with batch:
    batch_tab.render(resources)
