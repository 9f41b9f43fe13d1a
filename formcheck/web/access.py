"""Who may use the page: local by default, an access token when it is served to other devices.

The page listens on 127.0.0.1 (``.streamlit/config.toml``), so only this computer reaches it.
``formcheck serve --lan`` (see :mod:`formcheck.serve`) serves it to the network over HTTPS and
sets ``FORMCHECK_ACCESS_TOKEN``; :func:`require_access` then shows a token form before any tab
(or sidebar) and compares the answer in constant time. A page served beyond localhost without
a token (e.g. ``streamlit run app.py --server.address 0.0.0.0``) shows nothing but an error
saying how to set one.

Call :func:`require_access` at the top of every page script (``app.py`` and each file in
``pages/``), right after ``st.set_page_config``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

#: The access token (or password) visitors must enter; set by ``formcheck serve --lan``.
TOKEN_ENV = "FORMCHECK_ACCESS_TOKEN"
#: Set to 1 when the page is reachable from other devices although Streamlit listens on
#: localhost (behind a reverse proxy or a tunnel): the token is then required too.
SERVED_ENV = "FORMCHECK_SERVED"
#: Shortest token accepted (a guessable password would make the gate pointless).
MIN_TOKEN_CHARS = 8
#: Seconds a wrong answer is held before the form comes back (slows guessing).
WRONG_TOKEN_DELAY_S = 1.0
_OK_KEY = "fc_access_ok"
_FAILS_KEY = "fc_access_fails"


@dataclass(frozen=True)
class AccessPolicy:
    """What the gate does.

    Attributes:
        token: the expected token ('' when none is set).
        served: the page is reachable from other devices.
        error: why no visitor can be let in ('' when the policy is usable).
    """

    token: str
    served: bool
    error: str = ""

    @property
    def needs_token(self) -> bool:
        """Visitors must enter the token."""
        return bool(self.token)


def is_loopback(address: str | None) -> bool:
    """Whether Streamlit's ``server.address`` reaches this computer only.

    ``None``/'' (Streamlit's default: every interface), ``0.0.0.0``, ``::`` and LAN addresses are not.
    """
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: assume it is reachable from elsewhere
        return False


def access_policy(address: str | None, environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """The gate's policy for a server listening on ``address`` with the given environment."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip()
    served = not is_loopback(address) or env.get(SERVED_ENV, "").strip().lower() in ("1", "true", "yes")
    if token and len(token) < MIN_TOKEN_CHARS:
        return AccessPolicy(token, served, f"{TOKEN_ENV} is shorter than {MIN_TOKEN_CHARS} characters; set a "
                            "longer one (or unset it and start the page with `formcheck serve --lan`, which "
                            "makes one)")
    if served and not token:
        return AccessPolicy("", served, "this page is served to other devices but no access token is set. Stop "
                            "it and start it with `formcheck serve --lan` (HTTPS and a token), or set "
                            f"{TOKEN_ENV}; to use it on this computer only, leave server.address at 127.0.0.1")
    return AccessPolicy(token, served)


def token_matches(given: str, expected: str) -> bool:
    """Compare a visitor's answer with the token in constant time (``hmac.compare_digest``)."""
    return bool(expected) and hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def current_policy() -> AccessPolicy:
    """The policy of the running Streamlit server."""
    import streamlit as st  # noqa: PLC0415 - the pure functions above serve `formcheck serve` without Streamlit

    return access_policy(st.get_option("server.address"))


def is_served() -> bool:
    """Whether the running page is reachable from other devices (the Batch tab is then off)."""
    return current_policy().served


def require_access() -> None:
    """Stop the script run unless this browser session may see the page.

    Local page without a token: nothing to do. Otherwise the session must have entered the
    token once (remembered in its session state, for every page of the app); until then only
    the token form is drawn. A misconfigured server (served, no token) shows only an error.
    """
    import streamlit as st  # noqa: PLC0415

    policy = current_policy()
    if policy.error:
        st.error(f"formcheck cannot be opened: {policy.error}.")
        st.stop()
    if not policy.needs_token:
        return
    if st.session_state.get(_OK_KEY) == _fingerprint(policy.token):
        return
    st.title("formcheck")
    with st.form("fc_access_form"):
        st.markdown("This page is shared on the network. Enter the **access token** that `formcheck serve` "
                    "printed (ask whoever runs it).")
        given = st.text_input("Access token", type="password", key="fc_access_token")
        sent = st.form_submit_button("Open")
    if sent:
        if token_matches(given, policy.token):
            st.session_state[_OK_KEY] = _fingerprint(policy.token)
            st.rerun()
        fails = int(st.session_state.get(_FAILS_KEY, 0)) + 1
        st.session_state[_FAILS_KEY] = fails
        time.sleep(min(10.0, WRONG_TOKEN_DELAY_S * fails))
        st.error("Wrong access token. Check it (it is case-sensitive) and try again.")
    st.stop()
