"""Per-session temporary files: uploads and analysis outputs live here and nowhere else.

Each browser session gets one private folder (``formcheck-web-*`` in the system temp dir).
It is removed when the session ends (Streamlit drops the session's state when the tab has
been closed for ``server.disconnectedSessionTTL`` seconds), when the user clears it, or at the
latest when the server process exits. Nothing a user uploads is kept after their session.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

from formcheck.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

#: Uploadable extensions, without the dot (for ``st.file_uploader(type=...)``).
UPLOAD_TYPES = tuple(sorted(e.lstrip(".") for e in VIDEO_EXTENSIONS | IMAGE_EXTENSIONS))

PREFIX = "formcheck-web-"


class UploadError(ValueError):
    """An upload was refused; the message says why and what to do."""


def check_upload(name: str, size_bytes: int, limit_mb: int) -> str:
    """Check an upload's name and size; return its lower-case extension with the dot.

    Raises:
        UploadError: no or unsupported extension, empty file, or larger than ``limit_mb``.
    """
    suffix = Path(name).suffix.lower()
    if not suffix:
        raise UploadError(f"“{name}” has no file extension; upload a video (mp4, mov, webm, ...) or a photo "
                          "(jpg, png, ...)")
    if suffix not in VIDEO_EXTENSIONS | IMAGE_EXTENSIONS:
        raise UploadError(f"“{name}”: {suffix} files are not supported; upload a video (mp4, mov, webm, gif, ...) "
                          "or a photo (jpg, png, webp, ...)")
    if size_bytes <= 0:
        raise UploadError(f"“{name}” is empty (0 bytes); choose another file")
    limit = limit_mb * 1024 * 1024
    if size_bytes > limit:
        raise UploadError(f"“{name}” is {size_bytes / 1024 / 1024:.1f} MB, over the {limit_mb} MB limit; trim or "
                          "compress the clip (a few seconds of the pose is enough)")
    return suffix


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Job:
    """One analysis's folder: the uploaded input and the outputs written next to it."""

    folder: Path
    input: Path


class SessionFiles:
    """One browser session's private temporary folder.

    The folder is created on first use and removed by :meth:`cleanup`, when this object is
    garbage-collected (the session ended), or at interpreter exit, whichever comes first.
    """

    def __init__(self, base_dir: str | Path | None = None) -> None:
        self._base = str(base_dir) if base_dir is not None else None
        self._path: Path | None = None
        self._finalizer: weakref.finalize | None = None
        self._counter = itertools.count(1)

    @property
    def path(self) -> Path:
        """The session folder (created on first use)."""
        if self._path is None or not self._path.is_dir():
            self._path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self._base))
            self._finalizer = weakref.finalize(self, _remove, str(self._path))
        return self._path

    @property
    def exists(self) -> bool:
        """Whether the folder exists now."""
        return self._path is not None and self._path.is_dir()

    def new_job(self, name: str, data: bytes, suffix: str) -> Job:
        """Store an upload in a fresh job folder, removing earlier jobs (one analysis at a time).

        The stored file gets a sanitised version of the uploaded name (letters, digits, ``-``
        and ``_`` only), so the outputs written next to it carry a recognisable name.
        """
        root = self.path
        for old in root.iterdir():
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        folder = root / f"job{next(self._counter)}"
        folder.mkdir()
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem).strip("_") or "clip"
        path = folder / f"{stem[:60]}{suffix}"
        path.write_bytes(data)
        return Job(folder, path)

    def remove_job(self, job: Job) -> None:
        """Delete one job's folder (the user removed the upload)."""
        shutil.rmtree(job.folder, ignore_errors=True)

    def cleanup(self) -> None:
        """Remove the folder and everything in it now."""
        if self._finalizer is not None:
            self._finalizer()
        self._path = None
        self._finalizer = None
