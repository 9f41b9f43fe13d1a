"""Which server folders the page's Batch tab may read, and which files it may offer for download.

The Batch tab scores a folder *on the machine running the page* and offers its outputs for
download, so a visitor who could name any folder could make the server read (and hand out
annotated copies of) files from anywhere it can read. Hence:

* The tab is **off** unless ``FORMCHECK_BATCH_ROOT`` names an allowed root folder, and off
  whenever the page is served beyond localhost (``formcheck serve --lan``); use
  ``formcheck batch`` on the server instead.
* :func:`resolve_under` accepts a folder only under that root: a relative path is taken from the
  root, an absolute one must lie inside it, ``..`` is refused outright, and the path is resolved
  (symbolic links followed) before the check, so a link that leaves the root is refused.
* :func:`links_leaving` finds links *inside* the chosen folder that point outside the root
  (``clip.mp4 -> /home/x/private.mp4``); the tab refuses such a folder.
* :func:`downloadable` keeps only files that resolve inside the tab's own output folder.

Pure functions of paths and the environment: no Streamlit here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: The folder under which the Batch tab may read (unset: the tab is off).
ROOT_ENV = "FORMCHECK_BATCH_ROOT"
#: At most this many links leaving the root are named in an error.
_MAX_NAMED = 5


class FolderRefusedError(ValueError):
    """A folder the Batch tab may not read; the message says why and what to do."""


@dataclass(frozen=True)
class BatchAccess:
    """Whether the Batch tab may read folders, and under which root.

    Attributes:
        root: the allowed root (resolved), or None when the tab is off.
        reason: why it is off ('' when on).
    """

    root: Path | None
    reason: str = ""


def batch_access(served: bool, environ: Mapping[str, str] | None = None) -> BatchAccess:
    """The Batch tab's access: on only with ``FORMCHECK_BATCH_ROOT`` set and the page local."""
    env = os.environ if environ is None else environ
    raw = env.get(ROOT_ENV, "").strip()
    if served:
        return BatchAccess(None, "Batch scoring is off while this page is shared on the network: it reads folders "
                           "on the server. Run `formcheck batch FOLDER` on the server instead.")
    if not raw:
        return BatchAccess(None, f"Batch scoring reads folders on this computer and is off until you allow one: "
                           f"set {ROOT_ENV} to the folder that holds your clip folders (e.g. {ROOT_ENV}=~/clips) "
                           "and restart the page. `formcheck batch FOLDER` works without it.")
    root = Path(raw).expanduser()
    if not root.is_dir():
        return BatchAccess(None, f"{ROOT_ENV}={raw}: no such folder; set it to an existing folder and restart "
                           "the page.")
    return BatchAccess(root.resolve())


def resolve_under(root: Path, text: str) -> Path:
    """The folder named by ``text`` (relative to ``root``, or absolute inside it), resolved.

    Raises:
        FolderRefusedError: empty, holds ``..`` or a NUL, or resolves (links followed) outside ``root``.
    """
    given = text.strip()
    if not given:
        raise FolderRefusedError(f"Enter a folder under {root} (a path relative to it, or absolute inside it).")
    if "\x00" in given:
        raise FolderRefusedError("The folder name holds a NUL character; type the path again.")
    path = Path(given)
    if ".." in path.parts or ".." in given.replace("\\", "/").split("/"):
        raise FolderRefusedError(f"{given}: '..' is not allowed; give a folder under {root}.")
    root = root.resolve()
    candidate = path if path.is_absolute() else root / path
    resolved = candidate.resolve(strict=False)
    if not resolved.is_relative_to(root):
        via = " (through a symbolic link)" if candidate.absolute().is_relative_to(root) else ""
        raise FolderRefusedError(f"{given}: outside the allowed folder {root}{via}; give a folder under it "
                            f"(or change {ROOT_ENV} and restart the page).")
    return resolved


def links_leaving(folder: Path, root: Path) -> list[Path]:
    """Symbolic links under ``folder`` (not followed into) whose targets resolve outside ``root``."""
    root = root.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            if p.is_symlink() and not p.resolve(strict=False).is_relative_to(root):
                found.append(p)
    return sorted(found)


def check_no_links_leaving(folder: Path, root: Path) -> None:
    """Refuse a folder holding links that lead outside ``root``.

    Raises:
        FolderRefusedError: naming up to five such links.
    """
    bad = links_leaving(folder, root)
    if bad:
        named = ", ".join(str(p.relative_to(folder)) for p in bad[:_MAX_NAMED])
        more = f" and {len(bad) - _MAX_NAMED} more" if len(bad) > _MAX_NAMED else ""
        raise FolderRefusedError(f"{folder}: holds symbolic links to files outside {root} ({named}{more}); copy those "
                            "files into the folder or remove the links.")


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` resolves (links followed) to a location inside ``folder``."""
    try:
        return path.resolve(strict=False).is_relative_to(folder.resolve(strict=False))
    except (OSError, RuntimeError):  # a link loop
        return False


def downloadable(files: Iterable[Path], out_dir: Path) -> list[Path]:
    """The regular files among ``files`` that lie inside ``out_dir`` (anything else is never offered)."""
    return [Path(f) for f in files if is_inside(Path(f), out_dir) and Path(f).resolve().is_file()]
