"""Page settings from the environment: ICE servers and the upload size limit (stdlib)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: JSON list of RTCIceServer objects, e.g. ``[{"urls": ["stun:stun.example.org:3478"]}]``.
ICE_ENV = "FORMCHECK_ICE_SERVERS"
#: Upload size limit in MB (at most Streamlit's ``server.maxUploadSize``).
UPLOAD_ENV = "FORMCHECK_MAX_UPLOAD_MB"
#: Default upload limit in MB when neither the env var nor Streamlit's config says otherwise.
DEFAULT_UPLOAD_MB = 200


class SettingsError(ValueError):
    """A setting could not be understood; the message says which and how to fix it."""


@dataclass(frozen=True)
class IceConfig:
    """The ICE servers for WebRTC and where they came from.

    Attributes:
        servers: RTCIceServer dicts (empty: local connections only, no STUN/TURN lookups).
        error: why the given value was refused ('' when fine); ``servers`` is then empty.
    """

    servers: list[dict[str, Any]]
    error: str = ""

    @property
    def rtc_configuration(self) -> dict[str, Any]:
        """The ``rtc_configuration`` for ``webrtc_streamer``.

        An explicit (possibly empty) list stops streamlit-webrtc from adding its default
        public STUN servers, which stall start-up when they cannot be reached.
        """
        return {"iceServers": [dict(s) for s in self.servers]}


def parse_ice_servers(text: str | None) -> list[dict[str, Any]]:
    """Parse ICE servers from JSON text.

    Accepts a list of RTCIceServer objects (``[{"urls": "stun:host:3478"}, ...]``), a single
    object, or an object with an ``iceServers`` list. Empty text means no servers.

    Raises:
        SettingsError: the text is not valid JSON or an entry has no ``urls``.
    """
    if text is None or not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"ICE servers: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'expected e.g. [{"urls": ["stun:stun.example.org:3478"]}]'
        ) from None
    if isinstance(data, dict):
        data = data.get("iceServers", [data])
    if not isinstance(data, list):
        raise SettingsError(f"ICE servers: expected a JSON list of servers, got {type(data).__name__}")
    servers = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or "urls" not in entry:
            raise SettingsError(
                f'ICE servers: entry {i} needs a "urls" field, e.g. {{"urls": "turn:host:3478", '
                '"username": "u", "credential": "p"}}'
            )
        urls = entry["urls"]
        if not (isinstance(urls, str) or (isinstance(urls, list) and all(isinstance(u, str) for u in urls))):
            raise SettingsError(f'ICE servers: entry {i}: "urls" must be a string or a list of strings')
        servers.append(dict(entry))
    return servers


def ice_config(text: str | None) -> IceConfig:
    """Like :func:`parse_ice_servers` but never raises: an invalid value gives no servers and an error."""
    try:
        return IceConfig(parse_ice_servers(text))
    except SettingsError as exc:
        return IceConfig([], str(exc))


def ice_text_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The ICE servers JSON from ``FORMCHECK_ICE_SERVERS`` ('' when unset)."""
    env = os.environ if environ is None else environ
    return env.get(ICE_ENV, "").strip()


def upload_limit_mb(server_max_mb: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The upload limit in MB: ``FORMCHECK_MAX_UPLOAD_MB`` capped by Streamlit's ``server.maxUploadSize``.

    Raises:
        SettingsError: the env var is not a positive integer.
    """
    env = os.environ if environ is None else environ
    cap = int(server_max_mb) if server_max_mb else DEFAULT_UPLOAD_MB
    raw = env.get(UPLOAD_ENV, "").strip()
    if not raw:
        return cap
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{UPLOAD_ENV}={raw!r}: expected a whole number of megabytes, e.g. 100") from None
    if value < 1:
        raise SettingsError(f"{UPLOAD_ENV}={raw!r}: must be at least 1 MB")
    return min(value, cap)
