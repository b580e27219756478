"""Teaching mode: flash-quiz items, answers of a class, scores, tallies and confusion.

A lecturer picks events with known labels (a dataset's truth, or the built-in sample's);
each becomes a :class:`QuizItem`. The quiz widget (:mod:`workbench.ui.quiz`) shows a
neutral frame, flashes the expression, shows the neutral frame again and asks for one of
the eight answers of :data:`workbench.schema.EMOTIONS`. Everything here is pure (tables in,
tables out) except :func:`record_answer` and :func:`load_answers`, which write and read the
shared answers folder: one CSV per student, each rewritten atomically, so a reader sees a
student's old file or the new one, never half of it.

The browser measures every flash (:func:`flash_record`): a flash the display did not show
as asked (a frame dropped, or the duration off by more than one refresh) is *disturbed*.
The student is told so and may replay it; an answer given after a disturbed flash anyway
carries ``flash_disturbed=True``, and the class results mark it (or leave it out, with
``exclude_disturbed=True``).

::

    neutral ......... │ expression │ neutral ...... answer   reveal
    frame `neutral`   │ onset..offset at the clip's real speed
                      │ (or the apex held for hold_ms, 40 to 200 ms)
                      ├── asked_ms ┤

Examples
--------
>>> from workbench.schema import events_from_records, make_event
>>> ev = events_from_records([make_event("a.mp4", "truth", onset=100, apex=110, offset=139,
...                                      emotion="happiness", aus="6+12", event_id="e1")])
>>> [item] = select_items(ev, fps=200)
>>> item.neutral, item.asked_ms, len(item.expression_frames())
(60, 200.0, 40)
>>> select_items(ev, fps=200, mode="apex", hold_ms=40)[0].expression_frames()
[110]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.schema import EMOTIONS, frame_to_ms

#: How an expression is flashed: the clip's frames at real speed, or the apex held.
MODES: tuple[str, ...] = ("real", "apex")
#: Shortest and longest apex hold (1/25 s and 1/5 s), in milliseconds.
HOLD_RANGE_MS: tuple[float, float] = (1000.0 / 25, 1000.0 / 5)
#: The neutral frame is taken this long before the onset (when that frame is free of events).
NEUTRAL_GAP_MS = 200.0
#: Answer keys, as in the player: 1-7 the basic emotions, 0 "others".
ANSWER_KEYS: dict[str, str] = {str((k + 1) % 8): e for k, e in enumerate(EMOTIONS)}
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
_STUDENT = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,63}$")


@dataclass(frozen=True)
class QuizItem:
    """One event to flash: where it is, what it is, how to show it.

    Attributes
    ----------
    number : int
        1-based position in the quiz.
    event_id, clip : str
        The event and its clip id (relative to ``data/<dataset>/``).
    onset, apex, offset : int
        Frames of the event (apex: the middle frame when the source has none).
    emotion, aus : str
        The truth: one of :data:`EMOTIONS`, and the FACS code.
    fps : float
        The clip's frame rate.
    neutral : int
        The frame shown before and after the flash.
    mode : str
        ``"real"`` (onset..offset at the clip's speed) or ``"apex"`` (apex held ``hold_ms``).
    hold_ms : float or None
        Apex hold in ms (``mode="apex"`` only).
    """

    number: int
    event_id: str
    clip: str
    onset: int
    apex: int
    offset: int
    emotion: str
    aus: str
    fps: float
    neutral: int
    mode: str = "real"
    hold_ms: float | None = None

    @property
    def asked_ms(self) -> float:
        """How long the expression should be on screen, in ms."""
        if self.mode == "apex":
            return float(self.hold_ms)
        return float(frame_to_ms(self.offset - self.onset + 1, self.fps))

    def expression_frames(self) -> list[int]:
        """Frames shown during the flash, in order."""
        if self.mode == "apex":
            return [self.apex]
        return list(range(self.onset, self.offset + 1))

    def frame_times_ms(self) -> list[float]:
        """When each of :meth:`expression_frames` starts, in ms after the flash starts."""
        if self.mode == "apex":
            return [0.0]
        return [float(t) for t in frame_to_ms(np.arange(self.offset - self.onset + 1), self.fps)]

    def to_dict(self) -> dict:
        """The item as plain JSON-able values (``asked_ms`` included)."""
        return {**asdict(self), "asked_ms": self.asked_ms}


def check_hold_ms(hold_ms: float) -> float:
    """Refuse an apex hold outside 1/25 s to 1/5 s (40 to 200 ms)."""
    lo, hi = HOLD_RANGE_MS
    value = float(hold_ms)
    if not lo - 1e-9 <= value <= hi + 1e-9:
        raise ValueError(f"Expected hold_ms between {lo:g} and {hi:g} (1/25 s to 1/5 s), but got hold_ms={hold_ms!r}.")
    return value


def check_student(student: str) -> str:
    """A student id usable as a file name: letters, digits, ``_ . @ -`` (1 to 64)."""
    if not isinstance(student, str) or not _STUDENT.match(student):
        raise ValueError(
            "Expected a student id of letters, digits, '_', '.', '@', '-' (1 to 64, not starting "
            f"with '.'), but got {student!r}."
        )
    return student


def neutral_frame(onset: int, spans: Sequence[tuple[int, int]], fps: float, gap_ms: float = NEUTRAL_GAP_MS) -> int:
    """A frame before ``onset`` outside every span of the same clip.

    Starts ``gap_ms`` before the onset and steps before any event it falls in; when no
    such frame exists (an event at the very start), the onset itself (the last still frame).

    Parameters
    ----------
    onset : int
        The event's onset.
    spans : sequence of (int, int)
        ``(onset, offset)`` of the clip's other events (inclusive).
    fps : float
        Frame rate, to turn ``gap_ms`` into frames.
    gap_ms : float
        Preferred distance before the onset.

    Examples
    --------
    >>> neutral_frame(100, [], fps=200)
    60
    >>> neutral_frame(100, [(50, 70)], fps=200)
    49
    >>> neutral_frame(5, [], fps=200)
    0
    """
    gap = max(1, int(round(gap_ms * fps / 1000.0)))
    candidate = onset - gap
    if candidate < 0:
        candidate = 0 if onset > 0 else onset
    moved = True
    while moved and candidate < onset:
        moved = False
        for lo, hi in spans:
            if lo <= candidate <= hi:
                candidate, moved = lo - 1, True
        if candidate < 0:
            return onset
    return candidate


def _per_clip(value: float | Mapping[str, float], clip: str, name: str) -> float:
    if isinstance(value, Mapping):
        if clip not in value:
            raise KeyError(f"Expected {name} of clip '{clip}', but the mapping has only {sorted(value)}.")
        return float(value[clip])
    return float(value)


def select_items(
    events: pd.DataFrame,
    *,
    fps: float | Mapping[str, float],
    event_ids: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    emotions: Sequence[str] | None = None,
    n: int | None = None,
    seed: int | None = None,
    mode: str = "real",
    hold_ms: float | Sequence[float] | None = None,
    gap_ms: float = NEUTRAL_GAP_MS,
) -> list[QuizItem]:
    """Turn events with known labels into quiz items.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table (one rater's truth); the neutral frames avoid all of its events.
    fps : float or mapping
        Frame rate, one for all clips or per clip id.
    event_ids : sequence of str, optional
        The events to ask, in this order (the presenter's pick). Unknown ids are refused.
    kinds, emotions : sequence of str, optional
        Keep only these kinds (``micro``, ``macro``) / truths (when ``event_ids`` is None).
    n : int, optional
        Ask at most ``n`` events (a random draw when ``seed`` is given, else the first ``n``).
    seed : int, optional
        Shuffle the order reproducibly (every student gets the same quiz for one seed).
    mode : str
        ``"real"`` or ``"apex"``.
    hold_ms : float or sequence of float, optional
        Apex hold (``mode="apex"``): one value, or one per item. Default 1/25 s.
    gap_ms : float
        See :func:`neutral_frame`.

    Returns
    -------
    list of QuizItem
    """
    if mode not in MODES:
        raise ValueError(f"Expected mode among {', '.join(MODES)}, but got mode={mode!r}.")
    if mode == "real" and hold_ms is not None:
        raise ValueError("Expected hold_ms only with mode='apex', but got it with mode='real'.")
    table = events.reset_index(drop=True)
    if event_ids is not None:
        ids = table["event_id"].astype(str)
        missing = [e for e in event_ids if e not in set(ids)]
        if missing:
            raise KeyError(f"Expected event ids of the table, but got unknown {missing} (known: {sorted(ids)[:12]}).")
        rows = [table.index[ids == e][0] for e in event_ids]
        picked = table.loc[rows]
    else:
        picked = table
        if kinds is not None:
            picked = picked[picked["kind"].astype(str).isin(kinds)]
        if emotions is not None:
            picked = picked[picked["emotion"].astype(str).isin(emotions)]
        picked = picked[picked["emotion"].astype(str).isin(EMOTIONS)]
        if seed is not None:
            picked = picked.sample(frac=1.0, random_state=seed)
        if n is not None:
            picked = picked.head(int(n))
    if picked.empty:
        raise ValueError("Expected at least one event with a known emotion to ask, but the selection is empty.")
    holds = _holds(mode, hold_ms, len(picked))
    items = []
    for k, (_, row) in enumerate(picked.iterrows()):
        clip = str(row["clip"])
        rate = _per_clip(fps, clip, "fps")
        onset, offset = int(row["onset"]), int(row["offset"])
        apex = int(row["apex"]) if pd.notna(row["apex"]) else (onset + offset) // 2
        same = table[(table["clip"].astype(str) == clip) & (table["event_id"] != row["event_id"])]
        spans = list(zip(same["onset"].astype(int), same["offset"].astype(int), strict=True))
        emotion = str(row["emotion"]) if pd.notna(row["emotion"]) else ""
        if emotion not in EMOTIONS:
            raise ValueError(f"Expected event '{row['event_id']}' to have a known emotion, but got {emotion!r}.")
        items.append(
            QuizItem(
                number=k + 1,
                event_id=str(row["event_id"]),
                clip=clip,
                onset=onset,
                apex=apex,
                offset=offset,
                emotion=emotion,
                aus=str(row["aus"] or ""),
                fps=rate,
                neutral=neutral_frame(onset, spans, rate, gap_ms),
                mode=mode,
                hold_ms=holds[k],
            )
        )
    return items


def _holds(mode: str, hold_ms, n: int) -> list[float | None]:
    if mode == "real":
        return [None] * n
    if hold_ms is None:
        return [HOLD_RANGE_MS[0]] * n
    if np.ndim(hold_ms) == 0:
        return [check_hold_ms(hold_ms)] * n
    values = [check_hold_ms(h) for h in hold_ms]
    if len(values) != n:
        raise ValueError(f"Expected one hold_ms per item ({n}), but got {len(values)} values.")
    return values


# --------------------------------------------------------------------------- flashes


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


# --------------------------------------------------------------------------- answers


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
    from workbench.store import atomic_write_bytes

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


# --------------------------------------------------------------------------- class results


def is_disturbed(answers: pd.DataFrame) -> pd.Series:
    """Which answers followed a disturbed flash (all False for a table without the column)."""
    if "flash_disturbed" not in answers.columns:
        return pd.Series(False, index=answers.index)
    return answers["flash_disturbed"].fillna(False).astype(bool)


def _kept(answers: pd.DataFrame, exclude_disturbed: bool) -> pd.DataFrame:
    return answers[~is_disturbed(answers)] if exclude_disturbed else answers


def tally(
    answers: pd.DataFrame, items: Sequence[QuizItem] | None = None, *, exclude_disturbed: bool = False
) -> pd.DataFrame:
    """How many students gave each answer to each item: rows item, columns :data:`EMOTIONS`.

    Items of ``items`` nobody answered yet are rows of zeros; so are items whose every
    answer followed a disturbed flash, with ``exclude_disturbed``.
    """
    numbers = sorted({int(i) for i in answers["item"]} | {it.number for it in items or []})
    answers = _kept(answers, exclude_disturbed)
    counts = pd.crosstab(answers["item"].astype(int), pd.Categorical(answers["answer"], categories=list(EMOTIONS)))
    counts = counts.reindex(index=numbers, columns=list(EMOTIONS), fill_value=0)
    counts.index.name, counts.columns.name = "item", "answer"
    return counts.astype(int)


def emotion_tally(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """Per true emotion: answers given, correct ones, and the share correct."""
    answers = _kept(answers, exclude_disturbed)
    grouped = answers.groupby(pd.Categorical(answers["truth"], categories=list(EMOTIONS)), observed=False)
    out = pd.DataFrame({"answers": grouped.size(), "correct": grouped["correct"].sum().astype(int)})
    out["accuracy"] = out["correct"] / out["answers"].where(out["answers"] > 0)
    out.index.name = "truth"
    return out


def scores(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """Each student's score, and a ``TOTAL`` row for the class.

    Columns: ``answered``, ``correct``, ``accuracy`` (0 to 1), ``median_response_ms``,
    ``disturbed``. By default every answer counts and ``disturbed`` says how many of them
    followed a disturbed flash; with ``exclude_disturbed`` those are left out of the score
    and ``disturbed`` says how many were left out.
    """

    def row(df: pd.DataFrame) -> dict:
        marked = is_disturbed(df)
        kept = df[~marked] if exclude_disturbed else df
        n = len(kept)
        return {
            "answered": n,
            "correct": int(kept["correct"].sum()),
            "accuracy": float(kept["correct"].mean()) if n else float("nan"),
            "median_response_ms": float(pd.to_numeric(kept["response_ms"]).median()) if n else float("nan"),
            "disturbed": int(marked.sum()),
        }

    rows = {student: row(df) for student, df in answers.groupby("student", sort=True)}
    rows["TOTAL"] = row(answers)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "student"
    return out


def confusion(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """The class's confusion matrix: rows truth, columns answer, both :data:`EMOTIONS`."""
    from sklearn.metrics import confusion_matrix

    answers = _kept(answers, exclude_disturbed)
    labels = list(EMOTIONS)
    if answers.empty:
        matrix = np.zeros((len(labels), len(labels)), dtype=int)
    else:
        matrix = confusion_matrix(answers["truth"].astype(str), answers["answer"].astype(str), labels=labels)
    out = pd.DataFrame(matrix, index=pd.Index(labels, name="truth"), columns=pd.Index(labels, name="answer"))
    return out


def export_csv(answers: pd.DataFrame, path: str | Path) -> Path:
    """Write the class's answers (one row per answer, :data:`ANSWER_COLUMNS`) atomically."""
    from workbench.store import atomic_write_bytes

    path = Path(path)
    table = answers[list(ANSWER_COLUMNS)].sort_values(["item", "student"], kind="stable")
    atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
    return path


# --------------------------------------------------------------------------- reveal


def au_explanations(code: str) -> list[tuple[str, str]]:
    """``[("AU9", "nose wrinkler"), ...]`` for a FACS code, in the code's order of numbers.

    Unreadable codes give ``[(code, "(code not readable)")]``, so that the reveal still shows them.
    """
    from workbench.facs import AU_NAMES, au_numbers

    if not str(code).strip():
        return []
    try:
        numbers = sorted(au_numbers(code))
    except ValueError:
        return [(str(code), "(code not readable)")]
    return [(f"AU{n}", AU_NAMES.get(n, "(no plain-words name)")) for n in numbers]


def motion_image(
    before: np.ndarray,
    after: np.ndarray,
    *,
    gain: float = 6.0,
    blur: int = 3,
    outlines: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """An amplified difference image: where the face moved between two frames.

    The grey face of ``after`` is shown dimmed, with the absolute difference (summed over
    colour, blurred, multiplied by ``gain``) in a heat colour on top, and optional
    outlines (eyes, brows, nose, mouth) drawn in white.

    Parameters
    ----------
    before, after : numpy.ndarray
        uint8 RGB frames (h, w, 3) of one size (e.g. the onset and the apex).
    gain : float
        Amplification of the difference.
    blur : int
        Gaussian blur (pixels) that removes sensor noise before amplifying.
    outlines : sequence of numpy.ndarray
        Polylines in pixel coordinates, each ``(k, 2)``.

    Returns
    -------
    numpy.ndarray
        uint8 RGB (h, w, 3).
    """
    import cv2

    a, b = np.asarray(before), np.asarray(after)
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"Expected two RGB frames of one size, but got shapes {a.shape} and {b.shape}.")
    diff = np.abs(b.astype(np.float32) - a.astype(np.float32)).mean(axis=2)
    if blur > 0:
        diff = cv2.GaussianBlur(diff, (0, 0), blur)
    heat = np.clip(diff * gain, 0, 255).astype(np.uint8)
    colour = cv2.applyColorMap(heat, cv2.COLORMAP_INFERNO)[..., ::-1].astype(np.float32)
    grey = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None] * 0.45
    alpha = (heat.astype(np.float32) / 255.0)[..., None]
    out = np.clip(grey * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
    for line in outlines:
        pts = np.asarray(line, dtype=float)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) > 1:
            cv2.polylines(out, [np.round(pts).astype(np.int32)], False, (235, 235, 235), 1, cv2.LINE_AA)
    return out


def curve_window(curves, item: QuizItem, pad: int | None = None) -> dict | None:
    """The AU curves named in the item's code around the event, ready to plot.

    Parameters
    ----------
    curves : xarray.DataArray or None
        ``(frame, au)`` AU curves of the item's clip (:func:`workbench.au.au_curves`).
    item : QuizItem
        The event.
    pad : int, optional
        Frames shown before the onset and after the offset (default: half the event, >= 10).

    Returns
    -------
    dict or None
        ``{"frames": (n,) int, "names": [str], "values": (k, n) float32}``; None without
        curves. The bilateral curve of each AU of the code is used, else the most active
        curves of the window.
    """
    if curves is None:
        return None
    length = item.offset - item.onset + 1
    pad = max(10, length // 2) if pad is None else int(pad)
    frames = curves["frame"].values.astype(int)
    keep = (frames >= item.onset - pad) & (frames <= item.offset + pad)
    window = curves.isel(frame=np.flatnonzero(keep))
    available = [str(a) for a in curves["au"].values]
    names = [name for name, _ in au_explanations(item.aus) if name in available]
    if not names:
        bilateral = [a for a in available if not a.endswith(("L", "R"))]
        spread = window.sel(au=bilateral).max("frame") - window.sel(au=bilateral).min("frame")
        names = [str(a) for a in spread.sortby(spread, ascending=False)["au"].values[:3]]
    values = window.sel(au=names).transpose("au", "frame").values.astype(np.float32)
    return {"frames": window["frame"].values.astype(int), "names": names, "values": values}


def region_outlines(
    landmarks: np.ndarray, regions: Mapping[str, Sequence[int]], width: int, height: int
) -> list[np.ndarray]:
    """Polylines in pixels of face regions (eyes, brows, nose, mouth) from normalised landmarks.

    Parameters
    ----------
    landmarks : numpy.ndarray
        ``(n_points, 2+)`` normalised x, y of one frame (NaN: no face).
    regions : mapping
        Region name -> landmark indices of its contour (e.g. Face Mesh contours).
    width, height : int
        Image size in pixels.

    Returns
    -------
    list of numpy.ndarray
        One ``(k, 2)`` array per region; empty when the frame has no face.
    """
    lm = np.asarray(landmarks, dtype=float)
    if lm.ndim != 2 or lm.shape[1] < 2:
        raise ValueError(f"Expected landmarks of shape (n_points, 2+), but got {lm.shape}.")
    if not np.isfinite(lm[:, :2]).any():
        return []
    scale = np.array([width, height], dtype=float)
    return [lm[list(idx), :2] * scale for idx in regions.values()]
