"""Find, download and verify MediaPipe Pose Landmarker model bundles.

:func:`resolve_model` looks, in order, at an explicit path, the folder named by the
``FORMCHECK_MODEL_DIR`` environment variable, the user cache
(``$XDG_CACHE_HOME/formcheck/models`` or ``~/.cache/formcheck/models``) and finally downloads
the official bundle into the cache, checking its SHA-256 before it is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Any
from urllib.request import urlopen

from formcheck.errors import ModelNotFoundError

#: Environment variable naming a folder that holds ``pose_landmarker_<variant>.task`` files.
MODEL_DIR_ENV = "FORMCHECK_MODEL_DIR"

_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{v}/float16/latest/pose_landmarker_{v}.task"
)
_CHUNK = 1 << 16
_TIMEOUT_S = 60.0

#: Per variant: (size in bytes, sha256 of float16/latest, other accepted sha256 digests).
#: ``full`` from ``float16/1/`` differs only in the zip entries' timestamps.
_CHECKSUMS: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "lite": (
        5_777_746,
        "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
        (),
    ),
    "full": (
        9_398_198,
        "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad",
        ("5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1",),
    ),
    "heavy": (
        30_664_242,
        "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",
        (),
    ),
}

#: Opens a URL and returns a readable binary response (``urllib.request.urlopen``-like).
UrlOpener = Callable[..., Any]


class ModelVariant(StrEnum):
    """The three official Pose Landmarker bundles: faster (lite) to more accurate (heavy)."""

    LITE = "lite"
    FULL = "full"
    HEAVY = "heavy"

    @property
    def filename(self) -> str:
        """File name of the bundle, e.g. ``pose_landmarker_full.task``."""
        return f"pose_landmarker_{self.value}.task"

    @property
    def size(self) -> int:
        """Size of the official bundle in bytes."""
        return _CHECKSUMS[self.value][0]

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bundle at :attr:`url` (``float16/latest``)."""
        return _CHECKSUMS[self.value][1]

    @property
    def sha256_accepted(self) -> frozenset[str]:
        """All SHA-256 digests accepted for this variant (``full`` has two official ones)."""
        return frozenset((_CHECKSUMS[self.value][1], *_CHECKSUMS[self.value][2]))

    @property
    def url(self) -> str:
        """The official download URL."""
        return _URL_TEMPLATE.format(v=self.value)

    @classmethod
    def parse(cls, value: ModelVariant | str) -> ModelVariant:
        """Return the variant for ``value`` (case-insensitive name or value).

        Raises:
            ValueError: ``value`` names no variant.
        """
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            names = ", ".join(v.value for v in cls)
            raise ValueError(f"unknown model variant {value!r}; choose one of: {names}") from None


#: The variant names, for the front ends' choices.
MODEL_NAMES: tuple[str, ...] = tuple(v.value for v in ModelVariant)


def default_cache_dir() -> Path:
    """Return the folder where downloaded models are kept.

    ``$XDG_CACHE_HOME/formcheck/models`` when ``XDG_CACHE_HOME`` is set, else
    ``~/.cache/formcheck/models``.
    """
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "formcheck" / "models"


def sha256_of(path: str | Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _manual_hint(variant: ModelVariant, folder: Path) -> str:
    return (
        f"download {variant.url} and put it in {folder}, "
        f"or set {MODEL_DIR_ENV} to a folder that holds {variant.filename}, "
        "or pass the file's path explicitly"
    )


def _explicit_model(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        what = "is a folder, not a file" if p.is_dir() else "does not exist"
        raise ModelNotFoundError(
            f"model file {p} {what}; pass the path of a pose_landmarker_*.task file "
            f"(official downloads: {_URL_TEMPLATE.format(v='full')})"
        )
    return p.resolve()


def _cached_model(folder: Path, variant: ModelVariant, *, check_size: bool) -> Path | None:
    """Return the bundle in ``folder`` if it is there (with the official size if asked)."""
    candidate = folder / variant.filename
    try:
        if candidate.is_file() and (not check_size or candidate.stat().st_size == variant.size):
            return candidate.resolve()
    except OSError:
        return None
    return None


def resolve_model(
    variant: ModelVariant | str = "full",
    path: str | Path | None = None,
    *,
    allow_download: bool = True,
    progress: bool = True,
    opener: UrlOpener | None = None,
) -> Path:
    """Return the path of a Pose Landmarker bundle, downloading it if needed.

    Lookup order:

    1. ``path`` when given (it must exist; it is used as is, without a hash check).
    2. ``$FORMCHECK_MODEL_DIR/pose_landmarker_<variant>.task`` when the variable is set and
       the file is there.
    3. The user cache (:func:`default_cache_dir`); a cached file of the wrong size (e.g. an
       interrupted copy) is ignored and replaced by a fresh download.
    4. A download of the official URL into the cache (only when ``allow_download``).

    Args:
        variant: ``"lite"``, ``"full"`` or ``"heavy"`` (or a :class:`ModelVariant`).
        path: explicit model file; overrides everything else.
        allow_download: whether step 4 may run.
        progress: show a tqdm progress bar while downloading.
        opener: ``urlopen``-like callable used for the download (for tests/proxies).

    Returns:
        Absolute path of an existing ``.task`` file.

    Raises:
        ModelNotFoundError: no model was found and none could be downloaded and verified.
        ValueError: ``variant`` names no variant.
    """
    if path is not None:
        return _explicit_model(path)
    v = ModelVariant.parse(variant)
    env_dir = os.environ.get(MODEL_DIR_ENV)
    if env_dir:
        found = _cached_model(Path(env_dir).expanduser(), v, check_size=False)
        if found is not None:
            return found
    cache = default_cache_dir()
    found = _cached_model(cache, v, check_size=True)
    if found is not None:
        return found
    if not allow_download:
        where = f"{MODEL_DIR_ENV}={env_dir!r} or {cache}" if env_dir else str(cache)
        raise ModelNotFoundError(f"no {v.filename} in {where} and downloading is disabled; {_manual_hint(v, cache)}")
    return download_model(v, cache, progress=progress, opener=opener)


def download_model(
    variant: ModelVariant | str,
    dest_dir: str | Path,
    *,
    url: str | None = None,
    progress: bool = True,
    opener: UrlOpener | None = None,
) -> Path:
    """Download a bundle to ``dest_dir``, verify its SHA-256 and move it into place atomically.

    The bytes go to a temporary file in ``dest_dir`` first; only a file whose hash is one of
    the variant's official digests is renamed to ``pose_landmarker_<variant>.task``.

    Args:
        variant: which bundle.
        dest_dir: target folder (created if missing).
        url: source URL; defaults to the official one. ``file://`` URLs work.
        progress: show a tqdm progress bar.
        opener: ``urlopen``-like callable; defaults to :func:`urllib.request.urlopen`.

    Returns:
        Path of the verified model file.

    Raises:
        ModelNotFoundError: the download failed or the hash did not match (the temporary
            file is deleted in both cases).
    """
    v = ModelVariant.parse(variant)
    dest = Path(dest_dir).expanduser()
    src = url or v.url
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelNotFoundError(
            f"cannot create model cache folder {dest} ({exc}); set {MODEL_DIR_ENV} to a "
            f"writable folder holding {v.filename}, or set XDG_CACHE_HOME"
        ) from exc
    fd, tmp_name = tempfile.mkstemp(prefix=f".{v.filename}.", suffix=".part", dir=dest)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _fetch(src, out, v, progress=progress, opener=opener or urlopen)
        if digest not in v.sha256_accepted:
            raise ModelNotFoundError(
                f"downloaded {src} but its sha256 is {digest}, expected "
                f"{' or '.join(sorted(v.sha256_accepted))}; the file was discarded. The "
                "download may be corrupt or intercepted by a proxy: retry, or " + _manual_hint(v, dest)
            )
        final = dest / v.filename
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return final.resolve()


def _fetch(
    src: str,
    out: IO[bytes],
    variant: ModelVariant,
    *,
    progress: bool,
    opener: UrlOpener,
) -> str:
    """Copy ``src`` into ``out`` and return the hex SHA-256 of the bytes."""
    digest = hashlib.sha256()
    try:
        with opener(src, timeout=_TIMEOUT_S) as response:
            total = _content_length(response) or variant.size
            with _progress_bar(total, variant.filename, enabled=progress) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar(len(chunk))
    except OSError as exc:  # urllib.error.URLError/HTTPError, timeouts, disk full
        raise ModelNotFoundError(
            f"could not download {variant.filename} from {src}: {exc}. If this machine is "
            f"offline, {_manual_hint(variant, default_cache_dir())}"
        ) from exc
    return digest.hexdigest()


def _content_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@contextlib.contextmanager
def _progress_bar(total: int, desc: str, *, enabled: bool) -> Iterator[Callable[[int], Any]]:
    """Yield an ``update(n_bytes)`` callable backed by tqdm (a no-op when disabled)."""
    if not enabled:
        yield lambda _n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc) as bar:
        yield bar.update
