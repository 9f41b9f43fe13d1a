"""formcheck's web page: ``streamlit run app.py``.

Layout and wiring only; the logic lives in ``formcheck/web/`` and ``formcheck/live.py``.
"""

from __future__ import annotations

import streamlit as st

from formcheck.errors import FormcheckError
from formcheck.web import live_tab, upload_tab
from formcheck.web.access import require_access
from formcheck.web.page import session_resources, sidebar, specs_or_stop
from formcheck.web.routine_view import cached_routines

st.set_page_config(page_title="formcheck: pose form checker", page_icon="🧘", layout="wide")
require_access()  # before anything else is drawn: the token form when the page is served to other devices

specs = specs_or_stop()

try:
    routines, routine_errors = cached_routines(specs)
except FormcheckError as exc:
    st.error(f"The routines could not be loaded: {exc}")
    st.stop()
settings = sidebar(specs, routines)
for message in routine_errors:
    st.sidebar.warning(f"Your routine file was skipped: {message}")
resources = session_resources(specs, settings)

st.title("formcheck")
st.caption("Your coach for the psoas-release routine: it guides you step by step, checks your form and tells "
           "you what to correct. Pick the guided routine or one exercise in the sidebar, then press START. "
           "Your progress is on the Progress page.")

live, upload = st.tabs(["Live camera", "Upload a recording"])
with live:
    live_tab.render(specs, settings, resources)
with upload:
    upload_tab.render(specs, settings, resources)
