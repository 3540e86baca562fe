"""Files in an output directory: paths that cannot leave it, atomic and durable writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gavel.core.errors import OutputPathError

RESTRICTED_MODE = 0o600
PUBLIC_MODE = 0o644
RESTRICTED_DIR_MODE = 0o700
PUBLIC_DIR_MODE = 0o755


def safe_path(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``."""
    if "\x00" in relative or relative.startswith(("/", "\\")) or ".." in Path(relative).parts:
        raise OutputPathError(f"refusing output path {relative!r}: it leaves {root}")
    target = (root / relative).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise OutputPathError(f"refusing output path {relative!r}: it leaves {root}")
    return target


def settle_directories(root: Path, stem: Path, restricted: bool) -> None:
    """Give each directory between ``root`` (excluded) and the files of a meeting (``stem.*``) its mode: public
    (0755) when the meeting is public or the directory holds anything else world-readable, else restricted
    (0700), so a directory that only restricted meetings use does not even show their names.

    The meeting's own files (``stem.*``) do not count (they may be about to change mode), nor do hidden
    entries (temporary files); the directories are settled from the deepest up, each seeing its child's mode.
    """
    base = root.resolve()
    directory = stem.parent.resolve()
    own: str | None = stem.name + "."
    while directory != base and base in directory.parents:
        public = not restricted or any(
            entry.stat().st_mode & 0o004
            for entry in directory.iterdir()
            if not entry.name.startswith(".") and not (own and entry.name.startswith(own))
        )
        os.chmod(directory, PUBLIC_DIR_MODE if public else RESTRICTED_DIR_MODE)
        directory, own = directory.parent, None


def fsync_dir(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_atomic(path: Path, text: str | Iterable[str], mode: int = PUBLIC_MODE, *, durable: bool = False) -> None:
    """Write ``text`` (a string or its chunks) to ``path`` through a temporary file and a rename.

    Readers never see half a file. ``durable``: fsync the file before the rename (the caller fsyncs
    the directory), for the live bot, which deletes a meeting's journal once its files are written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".gavel-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            if isinstance(text, str):
                stream.write(text)
            else:
                stream.writelines(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
