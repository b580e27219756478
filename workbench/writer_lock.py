"""One writer per file: an advisory ``flock`` on a lock file that names who holds it.

The store (one writer per rater file) and the seminar's ledger (one server per class) both
take it; each turns :class:`LockHeld` into its own message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what it wrote in the lock file."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def take(path: Path, holder: str) -> int:
    """Lock ``path`` (created if missing) without waiting and write ``holder`` in it; the open
    descriptor, for :func:`release`. Raises :class:`LockHeld` when another process has it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        held = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "unknown"
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise LockHeld(held) from None
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.encode(), 0)
    return fd


def release(fd: int) -> None:
    """Unlock and close a descriptor from :func:`take`."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
