"""The Progress page: your sessions, kept on this computer."""

from __future__ import annotations

import streamlit as st

from formcheck.web import progress_view
from formcheck.web.page import specs_or_stop

st.set_page_config(page_title="formcheck: progress", page_icon="🧘", layout="wide")
specs = specs_or_stop()
progress_view.render(specs)
