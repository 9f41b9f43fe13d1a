"""``formcheck serve``: start the web page, on this computer or (``--lan``) for other devices.

Two modes:

* local (default): ``streamlit run app.py`` on ``127.0.0.1`` only, plain HTTP (browsers give
  ``http://localhost`` the camera); no token.
* ``--lan``: every interface (``0.0.0.0``, or ``--address``), HTTPS with the given certificate
  or a self-signed one made on first use, and an access token (``FORMCHECK_ACCESS_TOKEN``, or a
  random one printed once) that the page asks for before showing anything
  (:mod:`formcheck.web.access`).

``formcheck make-cert`` writes a self-signed certificate and key for the LAN mode.
Usage statistics stay off in both modes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.errors import FormcheckError
from formcheck.web.access import MIN_TOKEN_CHARS, SERVED_ENV, TOKEN_ENV

DEFAULT_PORT = 8501
#: Where ``--lan`` keeps its self-signed certificate unless ``--tls-dir`` says otherwise.
TLS_DIR_ENV = "FORMCHECK_TLS_DIR"
CERT_NAME, KEY_NAME = "cert.pem", "key.pem"
#: Days a self-signed certificate is valid (browsers cap server certificates at 825 days).
CERT_DAYS = 825


class ServeError(FormcheckError):
    """The page cannot be served as asked; the message says what to do."""


@dataclass(frozen=True)
class ServeOptions:
    """How to serve the page.

    Attributes:
        lan: serve to other devices (HTTPS and an access token).
        port: TCP port.
        address: the interface to listen on in LAN mode (default every interface).
        cert: TLS certificate (PEM); with ``key``. LAN mode without them uses ``tls_dir``.
        key: TLS private key (PEM).
        tls_dir: folder for the self-signed certificate made on first use.
        app: the page script (default: ``app.py`` of this source tree).
        extra: further ``streamlit run`` options, passed as they are.
    """

    lan: bool = False
    port: int = DEFAULT_PORT
    address: str = "0.0.0.0"
    cert: Path | None = None
    key: Path | None = None
    tls_dir: Path | None = None
    app: Path | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Launch:
    """The ``streamlit run`` command to start.

    Attributes:
        argv: the command line.
        env: its environment.
        cwd: its working folder (the app's, so ``.streamlit/config.toml`` applies).
        urls: where to open the page.
        token: the access token ('' in local mode).
        token_generated: the token was made here (print it once).
        cert_generated: a self-signed certificate was made here.
        cert: the certificate in use (LAN mode).
    """

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    urls: list[str]
    token: str = ""
    token_generated: bool = False
    cert_generated: bool = False
    cert: Path | None = None


def default_app() -> Path:
    """``app.py`` next to the ``formcheck`` package (a source checkout or an editable install).

    Raises:
        ServeError: it is not there (a wheel install); pass ``--app``.
    """
    app = Path(__file__).resolve().parents[1] / "app.py"
    if not app.is_file():
        raise ServeError(f"{app}: the page script is not there (formcheck was installed without its source "
                         "tree); pass --app PATH/TO/app.py from a checkout of formcheck")
    return app


def default_tls_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$FORMCHECK_TLS_DIR``, else ``$XDG_CONFIG_HOME/formcheck/tls`` (``~/.config/formcheck/tls``)."""
    env = os.environ if environ is None else environ
    if env.get(TLS_DIR_ENV):
        return Path(env[TLS_DIR_ENV]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "formcheck" / "tls"


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses other devices may reach (best effort; sends no packet)."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # UDP connect only picks the outgoing interface
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]


def make_self_signed(out_dir: Path, hosts: Sequence[str] = (), days: int = CERT_DAYS) -> tuple[Path, Path]:
    """Write a self-signed certificate (``cert.pem``) and its key (``key.pem``, mode 0600) to ``out_dir``.

    The certificate names ``localhost``, ``127.0.0.1``, this computer's name and LAN
    addresses, and ``hosts``. Browsers warn once about a self-signed certificate; accept it
    (compare the SHA-256 fingerprint :func:`cert_fingerprint` prints) or use your own.

    Raises:
        ServeError: the folder cannot be written, or ``cryptography`` is missing.
    """
    try:
        from cryptography import x509  # noqa: PLC0415 - only this command needs it
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.x509.oid import NameOID  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - aiortc (streamlit-webrtc) already needs it
        raise ServeError(f"making a certificate needs the 'cryptography' package ({exc}); pip install cryptography, "
                         "or make one with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-days 825 -keyout key.pem -out cert.pem -subj /CN=formcheck "
                         "-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:YOUR_LAN_IP") from exc
    names = ["localhost", socket.gethostname(), *hosts]
    ips = ["127.0.0.1", *lan_addresses()]
    alt: list[x509.GeneralName] = []
    for h in dict.fromkeys([*names, *ips]):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            alt.append(x509.DNSName(h))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "formcheck (self-signed)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = out_dir / KEY_NAME, out_dir / CERT_NAME
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise ServeError(f"{out_dir}: cannot write the certificate ({exc}); pass --tls-dir with a writable folder") \
            from exc
    return cert_path, key_path


def cert_fingerprint(cert: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (``AB:CD:...``), or '' if unreadable."""
    try:
        from cryptography import x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415

        digest = x509.load_pem_x509_certificate(cert.read_bytes()).fingerprint(hashes.SHA256())
    except (ImportError, OSError, ValueError):
        return ""
    return ":".join(f"{b:02X}" for b in digest)


def build_launch(opts: ServeOptions, environ: Mapping[str, str] | None = None) -> Launch:
    """The ``streamlit run`` command for ``opts`` (makes the certificate when LAN mode needs one).

    Raises:
        ServeError: half a certificate pair, missing files, a short token, or no app script.
    """
    env = dict(os.environ if environ is None else environ)
    app = (opts.app or default_app()).resolve()
    if not app.is_file():
        raise ServeError(f"{app}: no such page script; pass --app PATH/TO/app.py")
    if not 1 <= opts.port <= 65535:
        raise ServeError(f"--port {opts.port}: must be 1..65535")
    argv = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(opts.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    if not opts.lan:
        env.pop(SERVED_ENV, None)
        argv += ["--server.address", "127.0.0.1", *opts.extra]
        return Launch(argv, env, app.parent, [f"http://localhost:{opts.port}"], token=env.get(TOKEN_ENV, ""))

    if (opts.cert is None) != (opts.key is None):
        raise ServeError("--cert and --key go together: pass both (your own certificate) or neither (a self-signed "
                         "one is made)")
    generated = False
    if opts.cert is not None and opts.key is not None:
        cert, key = opts.cert.expanduser().resolve(), opts.key.expanduser().resolve()
        for path, what in ((cert, "--cert"), (key, "--key")):
            if not path.is_file():
                raise ServeError(f"{what} {path}: no such file")
    else:
        tls = (opts.tls_dir or default_tls_dir(env)).expanduser()
        cert, key = tls / CERT_NAME, tls / KEY_NAME
        if not (cert.is_file() and key.is_file()):
            cert, key = make_self_signed(tls)
            generated = True
    token = env.get(TOKEN_ENV, "").strip()
    token_generated = not token
    if token_generated:
        token = secrets.token_urlsafe(16)
    elif len(token) < MIN_TOKEN_CHARS:
        raise ServeError(f"{TOKEN_ENV} is shorter than {MIN_TOKEN_CHARS} characters; set a longer one, or unset it "
                         "and a random token is made")
    env[TOKEN_ENV] = token
    env[SERVED_ENV] = "1"
    argv += ["--server.address", opts.address, "--server.sslCertFile", str(cert), "--server.sslKeyFile", str(key),
             *opts.extra]
    hosts = lan_addresses() if opts.address in ("0.0.0.0", "::") else [opts.address]
    urls = [f"https://{h}:{opts.port}" for h in (hosts or [socket.gethostname()])]
    return Launch(argv, env, app.parent, urls, token, token_generated, generated, cert)


def describe(launch: Launch) -> str:
    """What to tell the person starting the server."""
    lines = [f"formcheck page: {', '.join(launch.urls)}"]
    if launch.cert is None:
        lines.append("Only this computer can open it. To use it from a phone or another computer on this network: "
                     "formcheck serve --lan")
        return "\n".join(lines)
    lines.append("Served to this network over HTTPS; visitors must enter the access token.")
    if launch.cert_generated:
        lines.append(f"Made a self-signed certificate: {launch.cert}")
    fp = cert_fingerprint(launch.cert)
    if fp:
        lines.append(f"Browsers warn about a self-signed certificate once: accept it if its SHA-256 fingerprint "
                     f"is {fp}")
    if launch.token_generated:
        lines.append(f"Access token (shown only now; set {TOKEN_ENV} to choose your own): {launch.token}")
    else:
        lines.append(f"Access token: the value of {TOKEN_ENV}")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``formcheck serve``'s options."""
    p.add_argument("--lan", action="store_true",
                   help="serve to other devices on this network: HTTPS and an access token")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--address", default="0.0.0.0", help="with --lan: the interface to listen on (default: all)")
    p.add_argument("--cert", type=Path, help="with --lan: your TLS certificate (PEM), with --key")
    p.add_argument("--key", type=Path, help="with --lan: your TLS private key (PEM), with --cert")
    p.add_argument("--tls-dir", type=Path, help=f"with --lan: where the self-signed certificate is kept (default "
                   f"${TLS_DIR_ENV} or ~/.config/formcheck/tls)")
    p.add_argument("--app", type=Path, help="the page script (default: app.py of this checkout)")


def options_from_args(args: argparse.Namespace, extra: Sequence[str] = ()) -> ServeOptions:
    """:class:`ServeOptions` from parsed ``formcheck serve`` arguments."""
    return ServeOptions(lan=args.lan, port=args.port, address=args.address, cert=args.cert, key=args.key,
                        tls_dir=args.tls_dir, app=args.app, extra=tuple(extra))


def serve(opts: ServeOptions) -> int:
    """Start the page; return its exit code.

    On POSIX this process becomes the Streamlit server (``exec``), so signals (Ctrl-C, a
    service manager's SIGTERM) reach it directly and no child is left behind.

    Raises:
        ServeError: see :func:`build_launch`.
    """
    launch = build_launch(opts)
    print(describe(launch), flush=True)
    if os.name == "posix":
        os.chdir(launch.cwd)
        os.execve(launch.argv[0], launch.argv, launch.env)
    proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise


def make_cert_main(out_dir: Path | None, hosts: Sequence[str]) -> int:
    """``formcheck make-cert``: write a self-signed certificate and say where."""
    folder = out_dir or default_tls_dir()
    cert, key = make_self_signed(folder, hosts)
    print(f"certificate: {cert}\nkey:         {key}\nSHA-256 fingerprint: {cert_fingerprint(cert)}\n"
          f"use it: formcheck serve --lan --cert {cert} --key {key}")
    return 0
