"""A class's ledger: who joined, every answer, each stage finished; journalled before acknowledged.

Layout (``answers/<class>/``, :meth:`workbench.project.Project.answers`)::

    .journal/ledger.jsonl   every join, answer and finished stage, appended and fsynced first
    answers.csv             one row per answer (:data:`workbench.teach.COURSE_COLUMNS`), rewritten atomically
    students.csv            one row per student: name, arm, form, stages done
    .lock                   held by the one server writing this class

Durability. :meth:`Ledger.answer` appends the answer to the journal (:class:`workbench.journal.Journal`)
and fsyncs it before returning; only then does the server acknowledge the answer to the student.
The CSV files are a view of the journal: a writer thread rewrites them atomically
(:mod:`workbench.atomic`) a moment after each change, and :meth:`Ledger.close` writes them once
more. A server killed at any point restarts from the journal: every acknowledged answer is
there, and the CSV files are written again from it.

Nothing is overwritten. An answer is one journal record; a second answer to the same item of
the same stage (a message sent again after a reload) is not recorded: the first one stands.
A name belongs to the browser that chose it first (a hash of the server's session cookie): the
same browser gets its place back (a reload, a restarted server), another browser is told the
name is taken.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
import socket
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench import writer_lock
from workbench.atomic import atomic_write_bytes
from workbench.journal import Journal
from workbench.teach.course import COURSE_COLUMNS, STAGES, assign, course_record, next_stage
from workbench.teach.items import QuizItem

_NAME = re.compile(r"^[\w .'-]{1,40}$")
STUDENT_COLUMNS: tuple[str, ...] = ("student", "name", "arm", "form", "joined_at", "done")


class NameTakenError(ValueError):
    """Another browser already joined the class under this name."""


class LedgerLockedError(RuntimeError):
    """Another server is writing this class's ledger."""


def check_name(name: str) -> str:
    """A student's name as typed, tidied: 1 to 40 letters, digits, spaces, ``. ' -``."""
    tidy = " ".join(str(name).split())
    if not _NAME.match(tidy) or not any(ch.isalnum() for ch in tidy):
        raise ValueError(
            f"Expected a name of 1 to 40 letters, digits, spaces, dots, apostrophes or dashes, but got {name!r}."
        )
    return tidy


def student_id(name: str) -> str:
    """The id of a name in files: ASCII letters and digits joined by ``_``; one id per name whatever the case.

    Examples
    --------
    >>> student_id("Zoë  O'Brien")
    'zoe_o_brien'
    """
    ascii_ = unicodedata.normalize("NFKD", check_name(name)).encode("ascii", "ignore").decode()
    slug = "_".join(re.findall(r"[a-z0-9]+", ascii_.casefold()))[:48]
    if not slug:  # a name in a script without ASCII letters: an id from its hash
        slug = "s-" + hashlib.sha256(check_name(name).casefold().encode()).hexdigest()[:10]
    return slug


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class Student:
    """One student of the class, as the ledger knows them."""

    student: str
    name: str
    arm: str
    form: int
    browser: str
    joined_at: str
    done: list[str] = field(default_factory=list)
    answers: dict[tuple[str, int], dict] = field(default_factory=dict)

    def stage(self) -> str | None:
        """The stage the student is in (None: the course is over)."""
        return next_stage(self.arm, self.done)

    def answered(self, stage: str) -> dict[int, dict]:
        """Item number -> the answer's row, for one stage."""
        return {number: row for (s, number), row in self.answers.items() if s == stage}


class Ledger:
    """The journalled record of one class (see the module's docstring).

    Parameters
    ----------
    folder : str or Path
        ``answers/<class>``.
    seminar : str
        The class's name (the ``seminar`` column).
    control : bool
        Assign half the students to the retest arm (:func:`workbench.teach.course.assign`).
    seed : int
        Seed of the assignment.
    flush_delay : float
        Seconds the CSV writer waits to gather changes before rewriting the files (a rewrite of
        the whole class costs the server tens of ms of CPU, which answers arriving meanwhile wait for).
    """

    def __init__(
        self,
        folder: str | Path,
        seminar: str,
        *,
        control: bool = False,
        seed: int = 0,
        flush_delay: float = 2.0,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seminar = seminar
        self.control = bool(control)
        self.seed = int(seed)
        self.flush_delay = float(flush_delay)
        self.journal = Journal(self.folder / ".journal" / "ledger.jsonl")
        self._lock_fd = self._acquire_lock()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.version = 0
        self.students: dict[str, Student] = {}
        self.online: dict[str, int] = {}
        self._dirty = threading.Event()
        self._closing = False
        try:
            for record in self.journal.records():
                self._apply(record)
            self.journal.repair()  # a torn last line was never acknowledged; new records follow whole ones
            self._write_files()
        except BaseException:
            self._release_lock()
            raise
        self._writer = threading.Thread(target=self._write_loop, name="ledger-writer", daemon=True)
        self._writer.start()

    # ---- one writer per class ------------------------------------------------------------
    def _acquire_lock(self) -> int:
        try:
            return writer_lock.take(
                self.folder / ".lock", f"pid {os.getpid()} on {socket.gethostname()} since {_now()}"
            )
        except writer_lock.LockHeld as held:
            raise LedgerLockedError(
                f"Expected no other server on {self.folder}, but one is running ({held.holder}). "
                "Stop it, or serve this seminar under another class name."
            ) from None

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            writer_lock.release(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        """Write the CSV files a last time and release the class."""
        self._closing = True
        self._dirty.set()
        if self._writer.is_alive():
            self._writer.join(timeout=30)
        with self._lock:
            self._write_files()
        self._release_lock()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- journal -------------------------------------------------------------------------------
    def _commit(self, record: dict) -> None:
        """Journal (fsync), then apply; the caller holds the lock."""
        record = {**record, "at": _now()}
        self.journal.append(record)
        self._apply(record)
        self._bump()

    def _apply(self, r: dict) -> None:
        op = r["op"]
        if op == "join":
            self.students[r["student"]] = Student(
                r["student"], r["name"], r["arm"], int(r["form"]), r["browser"], r["at"]
            )
        elif op == "answer":
            row = r["row"]
            self.students[row["student"]].answers[(row["stage"], int(row["item"]))] = row
        elif op == "stage":
            s = self.students[r["student"]]
            if r["stage"] not in s.done:
                s.done.append(r["stage"])
        else:
            raise ValueError(f"Expected a record join, answer or stage, but got op={op!r} in {self.journal.path}.")

    def _bump(self) -> None:
        self.version += 1
        self._dirty.set()
        self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the ledger changes after version ``seen`` (or ``timeout`` s); the version."""
        with self._lock:
            if self.version == seen:
                self._changed.wait(timeout)
            return self.version

    # ---- students ------------------------------------------------------------------------------
    def browser_key(self, token: str) -> str:
        """What the ledger keeps of a browser's session cookie: a hash, salted with the class name."""
        return hashlib.sha256(f"{self.seminar}\0{token}".encode()).hexdigest()[:32]

    def join(self, name: str, token: str) -> Student:
        """Join under ``name`` from the browser with session cookie ``token``; returns the student.

        The same browser joining again under its name gets the same student back (and resumes).

        Raises
        ------
        NameTakenError
            When another browser joined under this name (or one with the same id).
        ValueError
            When the name is unusable.
        """
        tidy = check_name(name)
        sid = student_id(tidy)
        browser = self.browser_key(token)
        with self._lock:
            known = self.students.get(sid)
            if known is not None:
                if known.browser != browser:
                    raise NameTakenError(
                        f"The name {known.name!r} is already taken in this class by someone else. "
                        "Add an initial or your second name."
                    )
                return known
            form, arm = assign(len(self.students), control=self.control, seed=self.seed)
            self._commit({"op": "join", "student": sid, "name": tidy, "arm": arm, "form": form, "browser": browser})
            return self.students[sid]

    def returning(self, token: str) -> Student | None:
        """The student who joined from this browser, if any (the most recent)."""
        browser = self.browser_key(token)
        with self._lock:
            mine = [s for s in self.students.values() if s.browser == browser]
            return mine[-1] if mine else None

    def connected(self, sid: str, delta: int) -> None:
        """Count a student's open pages (+1 when a page shows their course, -1 when it closes)."""
        with self._lock:
            self.online[sid] = max(0, self.online.get(sid, 0) + delta)
            if not self.online[sid]:
                del self.online[sid]
            self._bump()

    # ---- answers and stages ------------------------------------------------------------------------
    def answer(self, sid: str, stage: str, item: QuizItem, answer: str, **flash) -> tuple[dict, bool]:
        """Record one answer (journalled and fsynced before returning).

        Returns
        -------
        (dict, bool)
            The answer's row and whether it is new; an item already answered in this stage keeps
            its first answer, which is returned with False.
        """
        with self._lock:
            s = self.students[sid]
            first = s.answers.get((stage, item.number))
            if first is not None:
                return first, False
            row = course_record(
                item, answer, seminar=self.seminar, student=sid, name=s.name, arm=s.arm, form=s.form, stage=stage,
                answered_at=_now(), **flash,
            )  # fmt: skip
            self._commit({"op": "answer", "row": _plain(row)})
            return row, True

    def finish(self, sid: str, stage: str, items: Sequence[QuizItem] = ()) -> None:
        """Mark a stage done for a student; a test stage only once all its ``items`` are answered."""
        if stage not in STAGES:
            raise ValueError(f"Expected a stage among {', '.join(STAGES)}, but got stage={stage!r}.")
        with self._lock:
            s = self.students[sid]
            missing = [it.number for it in items if (stage, it.number) not in s.answers]
            if missing:
                raise ValueError(f"Expected every item of the {stage} answered, but items {missing} are not.")
            if stage not in s.done:
                self._commit({"op": "stage", "student": sid, "stage": stage})

    # ---- tables -------------------------------------------------------------------------------------
    def answers(self) -> pd.DataFrame:
        """Every answer of the class (:data:`COURSE_COLUMNS`), in the order given."""
        with self._lock:
            rows = [row for s in self.students.values() for row in s.answers.values()]
        df = pd.DataFrame(rows, columns=list(COURSE_COLUMNS))
        if not df.empty:
            df = df.sort_values("answered_at", kind="stable").reset_index(drop=True)
            df["correct"] = df["correct"].astype(bool)
            df["flash_disturbed"] = df["flash_disturbed"].astype(bool)
            df["item"] = df["item"].astype(int)
        return df

    def roster(self) -> pd.DataFrame:
        """One row per student: name, arm, form, joined, stages done, stage now, answers, online."""
        with self._lock:
            rows = [
                {
                    "student": s.student,
                    "name": s.name,
                    "arm": s.arm,
                    "form": "AB"[s.form],
                    "joined_at": s.joined_at,
                    "done": " ".join(s.done),
                    "stage": s.stage() or "finished",
                    "answers": len(s.answers),
                    "online": self.online.get(s.student, 0) > 0,
                }
                for s in self.students.values()
            ]
        return pd.DataFrame(rows, columns=[*STUDENT_COLUMNS, "stage", "answers", "online"])

    # ---- the CSV view ---------------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while not self._closing:
            self._dirty.wait()
            if self._closing:
                return
            threading.Event().wait(self.flush_delay)  # gather the answers arriving together
            self._dirty.clear()
            with contextlib.suppress(Exception):  # the journal holds everything; the next change retries
                self._write_files()

    def _write_files(self) -> None:
        answers = self.answers()
        atomic_write_bytes(self.folder / "answers.csv", answers.to_csv(index=False).encode("utf-8"))
        roster = self.roster()[list(STUDENT_COLUMNS)]
        atomic_write_bytes(self.folder / "students.csv", roster.to_csv(index=False).encode("utf-8"))


def _plain(row: dict) -> dict:
    """JSON-able values (NaN -> None, numpy scalars -> Python)."""
    out = {}
    for k, v in row.items():
        if hasattr(v, "item"):
            v = v.item()
        out[k] = None if isinstance(v, float) and v != v else v
    return out
