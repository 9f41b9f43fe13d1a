"""Where formcheck keeps the user's own files: history and routines (stdlib + platformdirs).

The folder is the platform's user data folder (``platformdirs.user_data_dir("formcheck")``,
e.g. ``~/.local/share/formcheck`` on Linux); ``FORMCHECK_DATA_DIR`` overrides it. Saving the
history can be switched off with ``FORMCHECK_HISTORY=off`` (or the page's sidebar switch).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "FORMCHECK_DATA_DIR"
HISTORY_ENV = "FORMCHECK_HISTORY"
_OFF = {"0", "off", "no", "false"}


def data_dir() -> Path:
    """The user's formcheck data folder (not created here)."""
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs  # noqa: PLC0415 - only needed when no override is set

    return Path(platformdirs.user_data_dir("formcheck", appauthor=False))


def history_path() -> Path:
    """The history database file."""
    return data_dir() / "history.sqlite3"


def user_routine_dir() -> Path:
    """The folder where a user puts routine files of their own."""
    return data_dir() / "routines"


def history_enabled() -> bool:
    """False when ``FORMCHECK_HISTORY`` is set to off/0/no/false."""
    return os.environ.get(HISTORY_ENV, "").strip().lower() not in _OFF
