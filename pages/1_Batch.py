"""The Batch page, for instructors and researchers: score a folder of labelled clips."""

from __future__ import annotations

import streamlit as st

from formcheck.engine.engine import AUTO
from formcheck.web import batch_tab
from formcheck.web.access import require_access
from formcheck.web.page import PageSettings, exercise_label, session_resources, specs_or_stop

st.set_page_config(page_title="formcheck: batch scoring", page_icon="🧘", layout="wide")
require_access()  # every page: the token form first when the page is served to other devices
specs = specs_or_stop()
st.title("Batch scoring")
st.caption("For instructors and researchers: analyse every clip of a folder and compare the checker with the "
           "folder's labels.csv (precision, recall and F1 per correction).")
res = st.session_state.get("fc_session") or session_resources(specs, PageSettings(exercise=AUTO))
choices = ["labels", AUTO, *specs]
exercise = st.selectbox(
    "Judge the clips as", choices, index=0, key="fc_batch_exercise",
    format_func=lambda e: "Each clip's labelled exercise" if e == "labels" else exercise_label(specs, e),
)
batch_tab.render(res, exercise=exercise)
