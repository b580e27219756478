"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the package writes (the annotation store, caches, answers, reports, sidecars)
goes through :func:`atomic_path` or :func:`atomic_write_bytes`: the data is written to a
temporary file in the same folder, flushed to disk, then renamed over the target, and
the folder entry is flushed too. A crash leaves the old file, never a torn one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def file_mode() -> int:
    """The mode a plain ``open(..., "w")`` would give: 0o666 less the user's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path``; on a clean exit it replaces ``path`` atomically.

    For writers that want a file name (netCDF, video encoders). The temporary file is
    removed if the block raises.

    Examples
    --------
    >>> with atomic_path("curves.nc") as tmp:  # doctest: +SKIP
    ...     curves.to_netcdf(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())  # mkstemp makes 0600; project files are shared
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
