"""A class's answers: each flash as measured, each answer as a row, one CSV per student.

The browser measures every flash (:func:`flash_record`): a flash the display did not show
as asked (a frame dropped, or the duration off by more than one refresh) is *disturbed*.
The student is told so and may replay it; an answer given after a disturbed flash anyway
carries ``flash_disturbed=True``, and the class results (:mod:`workbench.teach.results`)
mark it (or leave it out).

:func:`record_answer` and :func:`load_answers` write and read the shared answers folder:
one CSV per student, each rewritten atomically, so a reader sees a student's old file or
the new one, never half of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.atomic import atomic_write_bytes
from workbench.schema import EMOTIONS
from workbench.teach.items import QuizItem, check_student

#: Columns of a student's answers file, in order.
ANSWER_COLUMNS: tuple[str, ...] = (
    "student",
    "item",
    "event_id",
    "clip",
    "mode",
    "answer",
    "truth",
    "correct",
    "response_ms",
    "asked_ms",
    "shown_ms",
    "refresh_ms",
    "dropped_frames",
    "flash_disturbed",
    "answered_at",
)
#: Columns added with the disturbed-flash check: files written before it lack them and are read
#: as unknown refresh and drops (NaN) and an undisturbed flash.
FLASH_COLUMNS: tuple[str, ...] = ("refresh_ms", "dropped_frames", "flash_disturbed")
#: A flash is disturbed when one display refresh took longer than this many measured refreshes.
DISTURBED_INTERVAL = 1.5


def flash_record(
    asked_ms: float,
    shown_ms: float,
    refresh_ms: float | None = None,
    dropped_frames: int | None = None,
    disturbed: bool | None = None,
) -> dict:
    """One flash as the browser measured it, checked: ``{asked_ms, shown_ms, refresh_ms, dropped_frames, disturbed}``.

    The browser decides ``disturbed`` from its rAF timestamps (a refresh longer than
    :data:`DISTURBED_INTERVAL` measured refreshes, or ``|shown - asked|`` over one refresh).
    The second rule is applied here as well, so a flash shown too long or too short is never
    recorded as undisturbed, even from a front end that does not send ``disturbed``.

    Parameters
    ----------
    asked_ms, shown_ms : float
        Asked duration and the one measured on screen (first paint of the expression to the
        first paint of the neutral frame after it).
    refresh_ms : float, optional
        The display's refresh measured just before the flash (None or 0: unknown).
    dropped_frames : int, optional
        Refreshes missed during the flash (None: 0).
    disturbed : bool, optional
        The browser's verdict.

    Examples
    --------
    >>> flash_record(40, 133.4, 16.7, 6, True)["disturbed"]
    True
    >>> flash_record(40, 50.1, 16.7)
    {'asked_ms': 40.0, 'shown_ms': 50.1, 'refresh_ms': 16.7, 'dropped_frames': 0, 'disturbed': False}
    >>> flash_record(40, 133.4, 16.7)["disturbed"]  # off by more than one refresh
    True
    """
    asked, shown = float(asked_ms), float(shown_ms)
    refresh = float(refresh_ms or 0.0)
    if not (np.isfinite(shown) and shown >= 0):
        raise ValueError(f"Expected a shown duration >= 0 ms, but got shown_ms={shown_ms!r}.")
    if not (np.isfinite(refresh) and refresh >= 0):
        raise ValueError(f"Expected a display refresh >= 0 ms, but got refresh_ms={refresh_ms!r}.")
    dropped = int(dropped_frames or 0)
    if dropped < 0:
        raise ValueError(f"Expected dropped_frames >= 0, but got dropped_frames={dropped_frames!r}.")
    off = refresh > 0 and abs(shown - asked) > refresh
    return {
        "asked_ms": round(asked, 2),
        "shown_ms": round(shown, 2),
        "refresh_ms": round(refresh, 2),
        "dropped_frames": dropped,
        "disturbed": bool(disturbed) or bool(off),
    }


def answer_record(
    item: QuizItem,
    answer: str,
    *,
    student: str,
    response_ms: float | None = None,
    shown_ms: float | None = None,
    refresh_ms: float | None = None,
    dropped_frames: int | None = None,
    flash_disturbed: bool = False,
    answered_at: str | None = None,
) -> dict:
    """One answer as a row of :data:`ANSWER_COLUMNS` (``correct`` computed here).

    ``shown_ms``, ``refresh_ms``, ``dropped_frames`` and ``flash_disturbed`` describe the
    flash the answer followed (see :func:`flash_record`); None is unknown (NaN).

    Raises
    ------
    ValueError
        When the answer is none of :data:`EMOTIONS` or the student id is unusable.
    """
    if answer not in EMOTIONS:
        raise ValueError(f"Expected an answer among {', '.join(EMOTIONS)}, but got answer={answer!r}.")
    return {
        "student": check_student(student),
        "item": int(item.number),
        "event_id": item.event_id,
        "clip": item.clip,
        "mode": item.mode,
        "answer": answer,
        "truth": item.emotion,
        "correct": bool(answer == item.emotion),
        "response_ms": float("nan") if response_ms is None else round(float(response_ms), 1),
        "asked_ms": round(item.asked_ms, 2),
        "shown_ms": float("nan") if shown_ms is None else round(float(shown_ms), 2),
        "refresh_ms": float("nan") if refresh_ms is None else round(float(refresh_ms), 2),
        "dropped_frames": float("nan") if dropped_frames is None else int(dropped_frames),
        "flash_disturbed": bool(flash_disturbed),
        "answered_at": answered_at or datetime.now(UTC).isoformat(timespec="seconds"),
    }


def answers_path(folder: str | Path, student: str) -> Path:
    """``<folder>/<student>.csv``."""
    return Path(folder) / f"{check_student(student)}.csv"


def record_answer(folder: str | Path, record: Mapping) -> Path:
    """Add (or replace) one answer in the student's file with an atomic rewrite.

    A second answer to the same item replaces the first. Returns the file's path.
    """
    path = answers_path(folder, record["student"])
    rows = read_answer_file(path) if path.exists() else _empty_answers()
    keep = rows[~((rows["item"] == int(record["item"])) & (rows["event_id"] == record["event_id"]))]
    new = pd.DataFrame([{c: record.get(c) for c in ANSWER_COLUMNS}])
    table = new if keep.empty else pd.concat([keep, new], ignore_index=True)
    table = table.sort_values("item", kind="stable")
    atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
    return path


def _empty_answers() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ANSWER_COLUMNS})


_TRUE, _FALSE = {"true", "1", "1.0", "yes"}, {"false", "0", "0.0", "no", "", "nan"}


def _flags(values: pd.Series, path: Path) -> pd.Series:
    """``flash_disturbed`` read back from a CSV: True/False (empty: False); anything else is refused."""
    text = values.astype(str).str.strip().str.lower().where(values.notna(), "")
    bad = text.index[~text.isin(_TRUE | _FALSE)]
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"Expected flash_disturbed True or False, but got {values[i]!r} ({path}, line {i + 2}).")
    return text.isin(_TRUE)


def read_answer_file(path: str | Path) -> pd.DataFrame:
    """One student's answers, checked: the columns, the student named in the file name.

    Raises
    ------
    ValueError
        Naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"student": str, "event_id": str, "clip": str, "answer": str, "truth": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"Expected an answers CSV, but {path} cannot be read: {exc}") from exc
    for column in FLASH_COLUMNS:  # files written before the disturbed-flash check
        if column not in df.columns:
            df[column] = False if column == "flash_disturbed" else float("nan")
    missing = [c for c in ANSWER_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"Expected the columns {', '.join(ANSWER_COLUMNS)}, but {path} lacks {', '.join(missing)}.")
    others = sorted(set(df["student"].astype(str)) - {path.stem})
    if others:
        raise ValueError(f"Expected only student '{path.stem}' in {path}, but got {others}.")
    bad = df.index[~df["answer"].isin(EMOTIONS) | ~df["truth"].isin(EMOTIONS)]
    if len(bad):
        i = int(bad[0])
        raise ValueError(
            f"Expected answer and truth among {', '.join(EMOTIONS)}, but got answer={df['answer'][i]!r}, "
            f"truth={df['truth'][i]!r} ({path}, line {i + 2})."
        )
    df["item"] = df["item"].astype(int)
    df["correct"] = df["answer"] == df["truth"]
    df["flash_disturbed"] = _flags(df["flash_disturbed"], path)
    for column in ("refresh_ms", "dropped_frames"):
        df[column] = pd.to_numeric(df[column], errors="coerce")
    return df[list(ANSWER_COLUMNS)]


def load_answers(folder: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Every student's answers in ``folder`` and the problems of files that could not be read.

    A live tally keeps going when one file is broken; :func:`read_answers` raises instead.
    Hidden files (the temporary files of atomic writes) are ignored.
    """
    folder = Path(folder)
    tables, problems = [], []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        if path.name.startswith("."):
            continue
        try:
            tables.append(read_answer_file(path))
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
    tables = [t for t in tables if not t.empty]
    if not tables:
        return _empty_answers().astype({"item": int, "correct": bool, "flash_disturbed": bool}), problems
    return pd.concat(tables, ignore_index=True), problems


def read_answers(folder: str | Path) -> pd.DataFrame:
    """Every student's answers in ``folder``; raises ValueError naming a file that is broken."""
    df, problems = load_answers(folder)
    if problems:
        raise ValueError("\n".join(problems))
    return df
