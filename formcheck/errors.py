"""Exceptions raised by formcheck.

Every formcheck failure that a user can act on derives from :class:`FormcheckError`, so a
command-line front end can catch that one class and print the message. Each message says
what was wrong, where (which file or URL), and what to do about it.
"""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class of all errors that formcheck raises on purpose."""


class MediaError(FormcheckError):
    """An image or video could not be read or written (missing, corrupt, wrong kind)."""


class ModelNotFoundError(FormcheckError):
    """A pose model bundle could not be found, downloaded or verified."""
