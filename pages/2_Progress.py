"""The Progress page: your sessions, kept on this computer."""

from __future__ import annotations

import streamlit as st

from formcheck.web import progress_view
from formcheck.web.access import require_access
from formcheck.web.page import specs_or_stop

st.set_page_config(page_title="formcheck: progress", page_icon="🧘", layout="wide")
require_access()  # every page: the token form first when the page is served to other devices
specs = specs_or_stop()
progress_view.render(specs)
