"""The Progress page: your sessions, kept on this computer."""

from __future__ import annotations

import streamlit as st

from formcheck.errors import FormcheckError
from formcheck.web import progress_view
from formcheck.web.page import cached_specs

st.set_page_config(page_title="formcheck: progress", page_icon="🧘", layout="wide")
try:
    specs = cached_specs()
except FormcheckError as exc:
    st.error(f"The exercise specs could not be loaded: {exc}")
    st.stop()
progress_view.render(specs)
