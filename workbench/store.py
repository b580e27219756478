"""The annotation store: one human-readable CSV per (dataset, rater).

Layout::

    annotations/<dataset>/<rater>.csv             the events (stable row order, diff-friendly)
    annotations/<dataset>/.journal/<rater>.jsonl  every edit, appended and fsynced first
    annotations/<dataset>/.locks/<rater>.lock     held by the one session writing that rater

Durability. Every edit is appended to the journal (:class:`workbench.journal.Journal`) and fsynced *before* the call
returns (an acknowledged edit survives a killed kernel), then the CSV is rewritten
atomically (temporary file, fsync, rename, fsync of the folder). Before each rename
the journal records a checkpoint with the sha256 of the CSV about to appear. On
open, the journal's edits after the last checkpoint that matches the CSV on disk
are replayed, so a crash between the journal append and the rename loses nothing.
Undo and redo are journal records too, so they survive a restart.

Concurrency. Two raters never share a file. A session holds an exclusive
``flock`` on its rater's lock file; a second writer is refused with the holder's
pid, host and start time. If the CSV changes on disk behind a session (an editor,
``git checkout``), the session refuses to overwrite it.

A CSV edited by hand while no session was open is accepted as it is: its
validation errors name the file and line, and the old journal is set aside
(``.journal/<rater>.<time>.jsonl``) so nothing is lost.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import hashlib
import io
import os
import re
import socket
import warnings
from pathlib import Path

import pandas as pd

from workbench import writer_lock
from workbench.atomic import atomic_write_bytes
from workbench.journal import Journal
from workbench.schema import (
    COLUMNS,
    EventError,
    Problem,
    coerce_events,
    empty_events,
    make_event,
    sort_events,
    validate_events,
)

_RATER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*(:[A-Za-z0-9][A-Za-z0-9_.@-]*)?$")
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class StoreLockedError(RuntimeError):
    """Another session is writing the same rater file."""


class StoreConflictError(RuntimeError):
    """The file changed on disk behind the session; saving would overwrite it."""


def parse_rater_ref(ref: str) -> tuple[str, str]:
    """Split ``DATASET:RATER`` on the first colon: ``"sample:detector:mediapipe"``
    -> ``("sample", "detector:mediapipe")``."""
    dataset, sep, rater = ref.partition(":")
    if not sep or not dataset or not rater:
        raise ValueError(f"Expected DATASET:RATER (e.g. sample:truth), but got {ref!r}.")
    return dataset, rater


def check_name(kind: str, value: str) -> str:
    pattern = _RATER if kind == "rater" else _DATASET
    if not isinstance(value, str) or not pattern.match(value):
        rule = (
            "letters, digits, '_', '.', '@', '-', with one optional 'prefix:' (e.g. detector:mediapipe)"
            if kind == "rater"
            else "letters, digits, '_', '.', '-'"
        )
        raise ValueError(f"Expected a {kind} name of {rule}, but got {value!r}.")
    return value


def rater_filename(rater: str) -> str:
    """``detector:mediapipe`` -> ``detector--mediapipe`` (colons are awkward in file names)."""
    return check_name("rater", rater).replace(":", "--")


def events_to_csv(df: pd.DataFrame) -> bytes:
    """The canonical CSV text of an events table (fixed columns first, stable row order)."""
    df = sort_events(coerce_events(df))
    rest = sorted(c for c in df.columns if c not in COLUMNS)
    buf = io.StringIO()
    df[[*COLUMNS, *rest]].to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def read_events_csv(path: Path, n_frames=None) -> pd.DataFrame:
    """Read and validate an events CSV; errors name the file, line and column."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return empty_events()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise EventError([Problem("a CSV events table", f"unreadable text: {exc}", "-", source=str(path))]) from exc
    return validate_events(raw, source=str(path), line_of=lambda i: i + 2, n_frames=n_frames)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def _jsonable(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out[k] = None
        elif hasattr(v, "item"):
            out[k] = v.item()
        else:
            out[k] = v
    return out


class Store:
    """The annotation store rooted at ``<project>/annotations``.

    Examples
    --------
    >>> store = Store("annotations")  # doctest: +SKIP
    >>> with store.open("sample", "alice") as s:  # doctest: +SKIP
    ...     eid = s.add(dict(clip="astronaut_1.mp4", onset=10, apex=14, offset=20, emotion="happiness"))
    ...     s.undo()
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, dataset: str, rater: str) -> Path:
        return self.root / check_name("dataset", dataset) / f"{rater_filename(rater)}.csv"

    def datasets(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def raters(self, dataset: str) -> list[str]:
        folder = self.root / check_name("dataset", dataset)
        if not folder.exists():
            return []
        return sorted(p.stem.replace("--", ":") for p in folder.glob("*.csv") if not p.name.startswith("."))

    def read(self, dataset: str, rater: str) -> pd.DataFrame:
        """The rater's events as saved, with unsaved journal edits replayed (no lock taken)."""
        path = self.path(dataset, rater)
        journal = Journal(self.root / dataset / ".journal" / f"{rater_filename(rater)}.jsonl")
        df = read_events_csv(path) if path.exists() else empty_events()
        data = path.read_bytes() if path.exists() else b""
        records = journal.records()
        if records:
            with contextlib.suppress(_StaleJournal):
                df = _replay(df, records, _sha(data))
        return df

    def read_all(self, dataset: str) -> pd.DataFrame:
        frames = [self.read(dataset, r) for r in self.raters(dataset)]
        frames = [f for f in frames if not f.empty]
        return coerce_events(pd.concat(frames, ignore_index=True)) if frames else empty_events()

    def open(self, dataset: str, rater: str, author: str | None = None) -> RaterSession:
        """A writing session for one rater (use as a context manager, or call ``close``)."""
        return RaterSession(self, dataset, rater, author=author)

    def write(self, dataset: str, rater: str, df: pd.DataFrame, author: str | None = None) -> None:
        """Replace a rater's events with ``df`` in one journalled, undoable step."""
        with self.open(dataset, rater, author=author) as s:
            s.replace(df)


class _StaleJournal(Exception):
    pass


def _apply(df: pd.DataFrame, op: dict, inverse: bool = False) -> pd.DataFrame:
    """Apply one edit record (or, with ``inverse``, undo it) to a table.

    =========  ==================  ==================
    op         forward             inverse
    =========  ==================  ==================
    add        insert ``after``    remove the event
    delete     remove the event    insert ``before``
    update     row := ``after``    row := ``before``
    replace    table := ``after``  table := ``before``
    =========  ==================  ==================
    """
    kind = op["op"]
    if kind == "replace":
        rows = op["before"] if inverse else op["after"]
        table = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(COLUMNS))
        return validate_events(table, check_aus=False)
    row = {
        ("add", False): op.get("after"),
        ("add", True): None,
        ("delete", False): None,
        ("delete", True): op.get("before"),
        ("update", False): op.get("after"),
        ("update", True): op.get("before"),
    }[(kind, inverse)]
    without = df[df["event_id"].astype(str) != op["event_id"]]
    if row is None:
        return without.reset_index(drop=True)
    new = validate_events(pd.DataFrame([row]), check_aus=False)
    return coerce_events(pd.concat([without, new], ignore_index=True)) if not without.empty else new


def _stacks(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Undo and redo stacks (edit records) rebuilt from the whole journal."""
    undo: list[dict] = []
    redo: list[dict] = []
    for r in records:
        if r["op"] in ("add", "update", "delete", "replace"):
            undo.append(r)
            redo.clear()
        elif r["op"] == "undo" and undo:
            redo.append(undo.pop())
        elif r["op"] == "redo" and redo:
            undo.append(redo.pop())
    return undo, redo


def _replay(df: pd.DataFrame, records: list[dict], csv_sha: str) -> pd.DataFrame:
    """Apply the journal's edits that the CSV on disk does not yet contain."""
    start = None
    for k in range(len(records) - 1, -1, -1):
        if records[k]["op"] == "checkpoint" and records[k]["sha256"] == csv_sha:
            start = k + 1
            break
    if start is None:
        raise _StaleJournal
    undo, redo = _stacks(records[:start])
    for r in records[start:]:
        if r["op"] in ("add", "update", "delete", "replace"):
            df = _apply(df, r)
            undo.append(r)
            redo.clear()
        elif r["op"] == "undo" and undo:
            op = undo.pop()
            df = _apply(df, op, inverse=True)
            redo.append(op)
        elif r["op"] == "redo" and redo:
            op = redo.pop()
            df = _apply(df, op)
            undo.append(op)
    return df


class RaterSession:
    """One writer's session on one rater file: edits, autosave, undo/redo.

    Every method that changes events journals the edit (fsync), applies it, then
    saves the CSV atomically. Refused input (validation) changes nothing.
    """

    def __init__(self, store: Store, dataset: str, rater: str, author: str | None = None):
        self.store = store
        self.dataset = check_name("dataset", dataset)
        self.rater = check_name("rater", rater)
        self.author = author or getpass.getuser()
        self.path = store.path(dataset, rater)
        folder = self.path.parent
        self.journal = Journal(folder / ".journal" / f"{rater_filename(rater)}.jsonl")
        self._lock_path = folder / ".locks" / f"{rater_filename(rater)}.lock"
        self._lock_fd: int | None = None
        self._acquire_lock()
        try:
            self._load()
        except BaseException:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------
    def _acquire_lock(self) -> None:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        info = f"pid {os.getpid()} on {socket.gethostname()} by {self.author} since {_now()}"
        try:
            self._lock_fd = writer_lock.take(self._lock_path, info)
        except writer_lock.LockHeld as held:
            raise StoreLockedError(
                f"{self.path} is already open for writing ({held.holder}). Close that session, "
                f"or save as another rater; two writers on one rater file would overwrite each other."
            ) from None

    def close(self) -> None:
        if self._lock_fd is not None:
            writer_lock.release(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> RaterSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    @property
    def closed(self) -> bool:
        return self._lock_fd is None

    def _load(self) -> None:
        data = self.path.read_bytes() if self.path.exists() else b""
        df = read_events_csv(self.path) if data else empty_events()
        records = self.journal.records()
        if records:
            try:
                df = _replay(df, records, _sha(data))
            except _StaleJournal:
                aside = self.journal.set_aside()
                warnings.warn(
                    f"{self.path} was changed outside the workbench; its journal was set aside as {aside} "
                    f"and the file is taken as it is (undo history starts afresh).",
                    stacklevel=3,
                )
                records = []
        self._undo, self._redo = _stacks(records)
        self._seq = max((r.get("seq", 0) for r in records), default=0)
        self._events = df
        self._disk_sha = _sha(data)
        if records and records[-1]["op"] != "checkpoint":
            self._save()  # fold replayed edits into the CSV now

    # -- reading -----------------------------------------------------------------------
    @property
    def events(self) -> pd.DataFrame:
        """This rater's events (a copy, in the file's row order)."""
        return sort_events(self._events.copy())

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def get(self, event_id: str) -> dict:
        rows = self._events[self._events["event_id"].astype(str) == str(event_id)]
        if rows.empty:
            raise KeyError(f"Expected an event id of rater {self.rater!r} in {self.path}, but got {event_id!r}.")
        return _jsonable(rows.iloc[0].to_dict())

    # -- editing -----------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError(f"This session on {self.path} is closed; open a new one to edit.")

    def _validated_row(self, row: dict) -> dict:
        df = validate_events(pd.DataFrame([row]), source=f"event for {self.path}")
        return _jsonable(df.iloc[0].to_dict())

    def add(self, event: dict) -> str:
        """Add an event (validated); ``rater`` is this session's. Returns the event id."""
        self._check_open()
        row = dict(event)
        row["rater"] = self.rater
        if "clip" not in row or "onset" not in row or "offset" not in row:
            raise ValueError(f"Expected an event with clip, onset and offset, but got keys {sorted(row)}.")
        full = make_event(**{k: v for k, v in row.items() if k != "rater"}, rater=self.rater)
        full = self._validated_row(full)
        if full["event_id"] in set(self._events["event_id"].astype(str)):
            raise ValueError(f"Expected a new event id, but {full['event_id']!r} is already in {self.path}.")
        self._commit({"op": "add", "event_id": full["event_id"], "after": full})
        return full["event_id"]

    def update(self, event_id: str, **changes) -> None:
        """Change fields of one event (validated as a whole row)."""
        self._check_open()
        before = self.get(event_id)
        if "event_id" in changes or "rater" in changes:
            raise ValueError("Expected changes to event fields, but event_id and rater cannot change.")
        after = self._validated_row({**before, **changes})
        self._commit({"op": "update", "event_id": event_id, "before": before, "after": after})

    def delete(self, event_id: str) -> None:
        self._check_open()
        before = self.get(event_id)
        self._commit({"op": "delete", "event_id": event_id, "before": before})

    def replace(self, df: pd.DataFrame) -> None:
        """Replace all of this rater's events (an import); one undoable step."""
        self._check_open()
        new = df.copy()
        new["rater"] = self.rater
        new = validate_events(new, source=f"events for {self.path}")
        if events_to_csv(new) == events_to_csv(self._events):
            return  # nothing changes: no journal record, no undo step
        before = [_jsonable(r) for r in self._events.to_dict("records")]
        after = [_jsonable(r) for r in new.to_dict("records")]
        self._commit({"op": "replace", "before": before, "after": after})

    def undo(self) -> bool:
        """Undo the last edit; False when there is nothing to undo."""
        self._check_open()
        if not self._undo:
            return False
        op = self._undo[-1]
        events = _apply(self._events, op, inverse=True)
        self._append({"op": "undo", "target": op["seq"]})
        self._redo.append(self._undo.pop())
        self._events = events
        self._save()
        return True

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is nothing to redo."""
        self._check_open()
        if not self._redo:
            return False
        op = self._redo[-1]
        events = _apply(self._events, op)
        self._append({"op": "redo", "target": op["seq"]})
        self._undo.append(self._redo.pop())
        self._events = events
        self._save()
        return True

    # -- persistence -------------------------------------------------------------------
    def _append(self, record: dict) -> dict:
        self._seq += 1
        record = {**record, "seq": self._seq, "at": _now(), "by": self.author}
        self.journal.append(record)
        return record

    def _commit(self, op: dict) -> None:
        events = _apply(self._events, op)  # raises before anything is written
        record = self._append(op)
        self._undo.append(record)
        self._redo.clear()
        self._events = events
        self._save()

    def _save(self) -> None:
        current = self.path.read_bytes() if self.path.exists() else b""
        if _sha(current) != self._disk_sha:
            raise StoreConflictError(
                f"{self.path} changed on disk since this session opened it (another program or a "
                f"checkout). Your edits are safe in {self.journal.path}; reopen the session to merge."
            )
        data = events_to_csv(self._events)
        sha = _sha(data)
        self._append({"op": "checkpoint", "sha256": sha})
        atomic_write_bytes(self.path, data)
        self._disk_sha = sha
