"""Close a gone session's WebRTC connection when its resources are released.

A tab that is killed (not closed) sends no goodbye: its peer connection, decoder threads and
frame queue would live on until aioice's consent checks fail, about 30 s later. The page's
janitor releases a session once it has been gone for ``server.disconnectedSessionTTL``; it then
calls :func:`stop_stream` on the session's ``webrtc_streamer`` context, which closes the
connection at once.
"""

from __future__ import annotations

import logging
from typing import Any

_LOG = logging.getLogger(__name__)
#: Where the Live tab keeps its ``webrtc_streamer`` context in ``SessionResources.state``.
CTX_KEY = "webrtc_ctx"


def stop_stream(ctx: Any, timeout_s: float = 1.0) -> bool:
    """Stop the WebRTC worker behind a ``WebRtcStreamerContext``; False when there is none to stop.

    streamlit-webrtc has no public call for this: its context's ``_get_worker()`` is used when it
    exists (checked, so a changed streamlit-webrtc only loses the early close, nothing else).
    """
    get_worker = getattr(ctx, "_get_worker", None)
    worker = get_worker() if callable(get_worker) else None
    stop = getattr(worker, "stop", None)
    if not callable(stop):
        return False
    try:
        stop(timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - a failed early close must not stop the janitor
        _LOG.warning("could not close a gone session's WebRTC connection: %s", exc)
        return False
    return True
