"""An append-only journal: JSON lines, each fsynced before the write that it records is acknowledged.

The durability half of every store in the package: the annotation store (:mod:`workbench.store`)
journals each edit before rewriting its CSV, the seminar (:mod:`workbench.seminar.ledger`)
journals each answer before acknowledging it to the student. A record is one line; a crash
mid-append leaves at most a torn last line, which :meth:`Journal.records` skips with a warning
(that write was never acknowledged).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import warnings
from pathlib import Path


class Journal:
    """Append-only JSON lines at ``path``.

    Examples
    --------
    >>> j = Journal(tmp / "log.jsonl")  # doctest: +SKIP
    >>> j.append({"op": "add", "seq": 1})  # doctest: +SKIP
    >>> j.records()  # doctest: +SKIP
    [{'op': 'add', 'seq': 1}]
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def records(self) -> list[dict]:
        """Every complete record, in order (a torn last line is skipped with a warning)."""
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    # A torn last line from a crash mid-append: that write was never acknowledged.
                    warnings.warn(f"{self.path}, line {n}: ignoring an incomplete journal record.", stacklevel=2)
                    break
        return out

    def append(self, record: dict) -> None:
        """Append one record and fsync it before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def repair(self) -> int:
        """Cut a torn last line (a crash mid-append) so that new records follow complete ones.

        Returns the number of bytes cut (0: the journal ends with a complete record).
        """
        if not self.path.exists():
            return 0
        data = self.path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep == len(data):
            return 0
        with open(self.path, "rb+") as f:
            f.truncate(keep)
            os.fsync(f.fileno())
        return len(data) - keep

    def set_aside(self) -> Path | None:
        """Rename the journal to ``<stem>.<time>.jsonl`` (kept, no longer replayed); returns the new path."""
        if not self.path.exists():
            return None
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        dst = self.path.with_name(f"{self.path.stem}.{stamp}.jsonl")
        os.replace(self.path, dst)
        return dst
