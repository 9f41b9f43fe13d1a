"""Local by default, HTTPS and an access token when served: the policy, the launcher and the gate (AppTest).

The real servers (which address they listen on, HTTPS, the token form in Chromium) are in
``tests/test_serving_browser.py``.
"""

from __future__ import annotations

import hmac
import os
import ssl
import stat
from pathlib import Path
from unittest import mock

import pytest
from page_app import ROOT, patched_page, run_app

from formcheck.serve import ServeError, ServeOptions, build_launch, cert_fingerprint, describe, make_self_signed
from formcheck.web import access
from formcheck.web.access import SERVED_ENV, TOKEN_ENV, access_policy, is_loopback, token_matches

TOKEN = "correct-horse-battery"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("myhost", False)],
)
def test_is_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_policy_local_served_and_misconfigured() -> None:
    assert access_policy("127.0.0.1", {}) == access.AccessPolicy("", False)
    local_token = access_policy("127.0.0.1", {TOKEN_ENV: TOKEN})
    assert local_token.needs_token and not local_token.served and not local_token.error
    served = access_policy("0.0.0.0", {TOKEN_ENV: TOKEN})
    assert served.served and served.needs_token and not served.error
    bare = access_policy("0.0.0.0", {})
    assert bare.served and "no access token is set" in bare.error and "formcheck serve --lan" in bare.error
    proxied = access_policy("127.0.0.1", {SERVED_ENV: "1"})  # behind a reverse proxy
    assert proxied.served and proxied.error
    assert "shorter than 8" in access_policy("127.0.0.1", {TOKEN_ENV: "1234"}).error


def test_token_is_compared_in_constant_time() -> None:
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as cmp:
        assert token_matches(f" {TOKEN} ", TOKEN)
        assert not token_matches("correct-horse-batterY", TOKEN)
        assert not token_matches("", TOKEN)
    assert cmp.call_count == 3
    assert not token_matches("", "")  # no token set: nothing matches


def test_local_launch_binds_localhost_without_tls(tmp_path: Path) -> None:
    launch = build_launch(ServeOptions(port=8600), {"HOME": str(tmp_path)})
    argv = " ".join(launch.argv)
    assert "--server.address 127.0.0.1" in argv and "--server.port 8600" in argv
    assert "--browser.gatherUsageStats false" in argv and "ssl" not in argv
    assert launch.urls == ["http://localhost:8600"] and launch.cwd == ROOT and SERVED_ENV not in launch.env
    assert "Only this computer" in describe(launch)


def test_lan_launch_makes_a_certificate_and_a_token_once(tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    launch = build_launch(ServeOptions(lan=True, port=8601, tls_dir=tls), {"HOME": str(tmp_path)})
    argv = launch.argv
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert argv[argv.index("--server.sslCertFile") + 1] == str(tls / "cert.pem")
    assert argv[argv.index("--server.sslKeyFile") + 1] == str(tls / "key.pem")
    assert launch.env[SERVED_ENV] == "1" and launch.env[TOKEN_ENV] == launch.token and len(launch.token) >= 20
    assert launch.token_generated and launch.cert_generated
    assert all(u.startswith("https://") for u in launch.urls)
    text = describe(launch)
    assert launch.token in text and cert_fingerprint(tls / "cert.pem") in text
    again = build_launch(ServeOptions(lan=True, tls_dir=tls), {"HOME": str(tmp_path), TOKEN_ENV: TOKEN})
    assert not again.cert_generated and again.token == TOKEN and not again.token_generated
    assert TOKEN not in describe(again), "a token the user chose is never printed"


def test_lan_launch_refuses_half_a_certificate_and_short_tokens(tmp_path: Path) -> None:
    cert, key = make_self_signed(tmp_path / "tls")
    with pytest.raises(ServeError, match="--cert and --key go together"):
        build_launch(ServeOptions(lan=True, cert=cert), {})
    with pytest.raises(ServeError, match="--key .*no such file"):
        build_launch(ServeOptions(lan=True, cert=cert, key=tmp_path / "missing.pem"), {})
    with pytest.raises(ServeError, match="shorter than 8"):
        build_launch(ServeOptions(lan=True, cert=cert, key=key), {TOKEN_ENV: "short"})
    own = build_launch(ServeOptions(lan=True, cert=cert, key=key), {TOKEN_ENV: TOKEN})
    assert not own.cert_generated and own.cert == cert.resolve()


def test_self_signed_certificate_is_a_valid_pair_with_a_private_key(tmp_path: Path) -> None:
    from cryptography import x509

    cert, key = make_self_signed(tmp_path, hosts=["studio.local", "10.1.2.3"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)  # raises when they do not match
    san = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert {"localhost", "studio.local"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "10.1.2.3"} <= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def test_streamlit_config_is_local_and_private() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False


def test_every_page_script_calls_the_gate_first() -> None:
    """app.py and every pages/*.py call require_access() before drawing anything else."""
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    for script in scripts:
        lines = [ln.strip() for ln in script.read_text(encoding="utf-8").splitlines()]
        calls = [i for i, ln in enumerate(lines) if ln.startswith("st.") or ln.startswith("require_access(")]
        assert calls, f"{script.name}: draws nothing?"
        first_other = next((i for i in calls if not lines[i].startswith(("st.set_page_config", "require_access("))),
                           len(lines))
        gate = next((i for i in calls if lines[i].startswith("require_access(")), None)
        assert gate is not None and gate < first_other, f"{script.name}: require_access() must come first"


# -- the gate in the page (AppTest) ----------------------------------------------------------


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with patched_page(monkeypatch, tmp_path) as streamer:
        monkeypatch.setattr(access, "WRONG_TOKEN_DELAY_S", 0.01)
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        monkeypatch.delenv(SERVED_ENV, raising=False)
        yield streamer


def test_gate_shows_only_the_token_form_until_the_right_token(page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(SERVED_ENV, "1")
    at = run_app()
    assert len(at.tabs) == 0 and len(at.sidebar.selectbox) == 0, "nothing but the form before the token"
    assert "fc_session" not in at.session_state, "no per-session resources before the token"
    assert not page.called
    at.text_input(key="fc_access_token").input("wrong-token-123")
    at.button[0].click().run()
    assert any("Wrong access token" in e.value for e in at.error) and len(at.tabs) == 0
    at.text_input(key="fc_access_token").input(TOKEN)
    at.button[0].click().run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Live camera", "Upload a recording"]
    at.run()  # remembered for the session
    assert len(at.tabs) == 2


def test_served_without_a_token_shows_only_an_error(page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")
    at = run_app()
    assert len(at.tabs) == 0 and len(at.text_input) == 0
    assert any("no access token is set" in e.value for e in at.error)


def test_local_page_needs_no_token(page) -> None:
    at = run_app()
    assert len(at.tabs) == 2 and [w for w in at.text_input if w.key == "fc_access_token"] == []
    assert os.environ.get(TOKEN_ENV) is None
