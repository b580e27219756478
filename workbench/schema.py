"""The events table: column names, vocabularies and validation.

One row per event. Positions are 0-based integer frame indices of the clip as
displayed; time in seconds is derived from ``fps`` in :func:`frame_to_ms` only.

Validation happens at the boundaries (load, save, add). A row that breaks a rule
is refused with a message that names the source, the row, the column, the value
and the rule, in one pattern::

    Expected onset <= apex <= offset, but got onset=52, apex=40, offset=60
    (annotations/demo/alice.csv, line 5, column 'apex').
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from natsort import natsort_keygen

from workbench.facs import parse as parse_facs

SCHEMA_VERSION = 1

#: The fixed columns, in file order.
COLUMNS: tuple[str, ...] = (
    "clip",
    "rater",
    "event_id",
    "onset",
    "apex",
    "offset",
    "emotion",
    "aus",
    "kind",
    "confidence",
    "note",
)
FRAME_COLUMNS: tuple[str, ...] = ("onset", "apex", "offset")
PHASES = FRAME_COLUMNS

#: The seven basic emotions plus "others" (CASME II's catch-all).
EMOTIONS: tuple[str, ...] = (
    "happiness",
    "sadness",
    "anger",
    "fear",
    "disgust",
    "surprise",
    "contempt",
    "others",
)
#: The answer and labelling keys, in the buttons' order: "1" happiness ... "7" contempt, "0" others.
#: Sent to the browser as a trait (the players and the quiz read no copy of their own).
EMOTION_KEYS: tuple[tuple[str, str], ...] = tuple((str((k + 1) % len(EMOTIONS)), e) for k, e in enumerate(EMOTIONS))
KINDS: tuple[str, ...] = ("micro", "macro")
#: Columns a detector adds after the fixed ones: its emotion clue (the prototype match, the runner-up).
CLUE_COLUMNS: tuple[str, ...] = ("emotion_score", "runner_up", "runner_up_score")

#: Longest micro-expression, in seconds (the usual dataset rule: up to 0.5 s).
MICRO_MAX_SECONDS = 0.5

DETECTOR_PREFIX = "detector:"


def detector_rater(name: str) -> str:
    """The rater name of a detector's events: ``detector:<name>``."""
    return f"{DETECTOR_PREFIX}{name}"


#: Spellings found in datasets and typed by people, mapped to EMOTIONS.
EMOTION_SYNONYMS: dict[str, str] = {
    "happy": "happiness",
    "happiness": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "sadness": "sadness",
    "anger": "anger",
    "angry": "anger",
    "fear": "fear",
    "afraid": "fear",
    "disgust": "disgust",
    "disgusted": "disgust",
    "surprise": "surprise",
    "surprised": "surprise",
    "contempt": "contempt",
    "others": "others",
    "other": "others",
}


class EventError(ValueError):
    """An event row broke a rule of the schema.

    Attributes
    ----------
    problems : list of Problem
        Every rule broken, in row order (the message shows the first few).
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(p.message() for p in problems[:5])
        more = f"\n... and {len(problems) - 5} more problem(s)." if len(problems) > 5 else ""
        super().__init__(shown + more)


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (source, row, column), what came, what was expected."""

    rule: str
    got: str
    column: str
    row: int | None = None
    source: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.line is not None:
            parts.append(f"line {self.line}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def message(self) -> str:
        return f"Expected {self.rule}, but got {self.got} ({self.where()})."


def new_event_id() -> str:
    """A stable event id (uuid4 hex)."""
    return uuid.uuid4().hex


def is_detector(rater: str) -> bool:
    return str(rater).startswith(DETECTOR_PREFIX)


def canonical_emotion(text: object) -> str | None:
    """Map a dataset's or a person's emotion word to :data:`EMOTIONS`.

    Returns None when the word is none of them (e.g. CASME II's "repression"),
    so that the caller can store ``others`` and keep the word in ``emotion_raw``.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return EMOTION_SYNONYMS.get(str(text).strip().lower())


def kind_from_duration(onset: int, offset: int, fps: float) -> str:
    """``micro`` when the event lasts at most 0.5 s (inclusive frame count), else ``macro``."""
    return "micro" if (int(offset) - int(onset) + 1) / float(fps) <= MICRO_MAX_SECONDS else "macro"


def frame_to_ms(frame: int | np.ndarray, fps: float) -> float | np.ndarray:
    """Time of a frame's start in milliseconds: the one place frames become time."""
    return np.asarray(frame, dtype=float) * 1000.0 / float(fps)


def empty_events(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """An events table with no rows and the schema's dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in (*COLUMNS, *extra)})
    return coerce_events(df)


def make_event(
    clip: str,
    rater: str,
    onset: int,
    offset: int,
    apex: int | None = None,
    emotion: str = "others",
    aus: str = "",
    kind: str | None = None,
    fps: float | None = None,
    confidence: float | None = None,
    note: str = "",
    event_id: str | None = None,
    **extra: object,
) -> dict:
    """One event as a dict of the schema's columns (validate it with :func:`validate_events`).

    ``kind`` defaults to :func:`kind_from_duration` when ``fps`` is given.
    """
    if kind is None and fps is not None:
        kind = kind_from_duration(onset, offset, fps)
    row = {
        "clip": clip,
        "rater": rater,
        "event_id": event_id or new_event_id(),
        "onset": onset,
        "apex": apex,
        "offset": offset,
        "emotion": emotion,
        "aus": aus,
        "kind": kind,
        "confidence": confidence,
        "note": note,
    }
    row.update(extra)
    return row


def events_from_records(records: list[Mapping], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Build an events table from dicts (e.g. :func:`make_event` results), columns in order."""
    df = pd.DataFrame.from_records(list(records))
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype="object")
    rest = [c for c in df.columns if c not in COLUMNS]
    return coerce_events(df[[*COLUMNS, *rest, *[e for e in extra if e not in df.columns]]])


def _to_int_frames(values: pd.Series) -> pd.Series:
    """Frames as pandas nullable Int64; raises ValueError/TypeError on non-integers."""
    if values.dtype == "Int64":
        return values
    num = pd.to_numeric(values.replace({"": None}), errors="raise")
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(arr)
    if not np.all(np.equal(np.mod(arr[finite], 1), 0)):
        raise ValueError("not whole numbers")
    return pd.array(np.where(finite, arr, np.nan), dtype="Float64").astype("Int64")


def coerce_events(df: pd.DataFrame) -> pd.DataFrame:
    """Give a table the schema's dtypes (no rule checks; see :func:`validate_events`).

    Raises ValueError/TypeError when a frame column holds something that is no
    integer; :func:`validate_events` turns that into a located :class:`EventError`.
    """
    out = df.copy()
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype="object")
    for c in FRAME_COLUMNS:
        out[c] = _to_int_frames(out[c])
    for c in ("clip", "rater", "event_id", "aus", "note"):
        out[c] = out[c].astype("object").where(out[c].notna(), "").astype(str)
    out["emotion"] = pd.Categorical(out["emotion"].astype("object"), categories=list(EMOTIONS))
    out["kind"] = pd.Categorical(out["kind"].astype("object"), categories=list(KINDS))
    out["confidence"] = pd.to_numeric(out["confidence"].replace({"": None}), errors="coerce")
    out["confidence"] = out["confidence"].astype("Float64")
    rest = [c for c in out.columns if c not in COLUMNS]
    return out[[*COLUMNS, *rest]]


def _locate(i: int, source: str | None, line_of: Callable[[int], int] | None) -> dict:
    return {"row": i, "source": source, "line": line_of(i) if line_of else None}


def _frame_problems(raw: pd.DataFrame, source, line_of) -> tuple[list[Problem], pd.DataFrame]:
    """Check the frame columns hold integers; return problems and the coerced frames."""
    problems: list[Problem] = []
    frames = pd.DataFrame(index=raw.index)
    for c in FRAME_COLUMNS:
        col = raw[c] if c in raw.columns else pd.Series([None] * len(raw), index=raw.index)
        try:
            frames[c] = _to_int_frames(col)
        except (ValueError, TypeError):
            for pos, v in enumerate(col.tolist()):
                try:
                    _to_int_frames(pd.Series([v], dtype="object"))
                except (ValueError, TypeError):
                    problems.append(
                        Problem(
                            "an integer frame index",
                            f"{c}={v!r}",
                            c,
                            **_locate(pos, source, line_of),
                        )
                    )
            frames[c] = pd.array([None] * len(raw), dtype="Int64")
    return problems, frames


def validate_events(
    df: pd.DataFrame,
    *,
    source: str | None = None,
    line_of: Callable[[int], int] | None = None,
    n_frames: int | Mapping[str, int] | None = None,
    check_aus: bool = True,
) -> pd.DataFrame:
    """Check every rule of the schema and return the table with the schema's dtypes.

    Parameters
    ----------
    df
        The table to check. Extra columns (``*_raw`` and the like) are kept.
    source
        The file the rows came from, named in messages.
    line_of
        Maps a 0-based row position to the line number shown in messages
        (for a CSV with a header: ``lambda i: i + 2``).
    n_frames
        Frames in the clip (one number for all rows, or a mapping clip -> frames);
        frames at or past it are refused. Clips missing from a mapping are not checked.
    check_aus
        Parse ``aus`` with :func:`workbench.facs.parse` and refuse codes it cannot read.

    Raises
    ------
    EventError
        Naming each broken rule: source, line or row, column, value, rule.
    """
    raw = df.reset_index(drop=True)
    missing = [c for c in ("clip", "rater", "onset", "offset") if c not in raw.columns]
    if missing:
        raise EventError(
            [Problem("the columns " + ", ".join(COLUMNS), f"no column '{m}'", m, source=source) for m in missing]
        )
    problems, frames = _frame_problems(raw, source, line_of)
    on, ap, off = (frames[c].to_numpy(dtype=float, na_value=np.nan) for c in FRAME_COLUMNS)

    def add(mask: np.ndarray, rule: str, column: str, got: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            problems.append(Problem(rule, got(int(i)), column, **_locate(int(i), source, line_of)))

    add(np.isnan(on), "an onset frame", "onset", lambda i: "an empty cell")
    add(np.isnan(off), "an offset frame", "offset", lambda i: "an empty cell")
    for c, v in (("onset", on), ("apex", ap), ("offset", off)):
        add(v < 0, "a frame index >= 0", c, lambda i, c=c, v=v: f"{c}={int(v[i])}")
    with np.errstate(invalid="ignore"):
        add(
            on > off,
            "onset <= offset",
            "offset",
            lambda i: f"onset={int(on[i])}, offset={int(off[i])}",
        )
        bad_apex = (ap < on) | (ap > off)
    add(
        bad_apex,
        "onset <= apex <= offset",
        "apex",
        lambda i: f"onset={int(on[i])}, apex={int(ap[i])}, offset={int(off[i])}",
    )
    if n_frames is not None:
        clips = raw["clip"].astype(str).to_numpy()
        limit = np.array(
            [n_frames.get(c, np.inf) if isinstance(n_frames, Mapping) else n_frames for c in clips],
            dtype=float,
        )
        for c, v in (("onset", on), ("apex", ap), ("offset", off)):
            with np.errstate(invalid="ignore"):
                add(
                    v >= limit,
                    "a frame inside the clip",
                    c,
                    lambda i, c=c, v=v: (
                        f"{c}={int(v[i])} in clip '{clips[i]}' of {int(limit[i])} frames "
                        f"(last frame {int(limit[i]) - 1})"
                    ),
                )
    for c in ("clip", "rater"):
        vals = raw[c]
        empty = vals.isna().to_numpy() | (vals.astype(str).str.strip() == "").to_numpy()
        add(empty, f"a non-empty '{c}'", c, lambda i: "an empty cell")
    if "emotion" in raw.columns:
        emo = raw["emotion"].astype("object")
        bad = emo.notna().to_numpy() & ~emo.isin(EMOTIONS).to_numpy() & (emo.astype(str) != "").to_numpy()
        allowed = ", ".join(EMOTIONS)
        add(bad, f"an emotion among {allowed}", "emotion", lambda i: f"emotion={emo.iloc[i]!r}")
    if "kind" in raw.columns:
        kind = raw["kind"].astype("object")
        bad = kind.notna().to_numpy() & ~kind.isin(KINDS).to_numpy() & (kind.astype(str) != "").to_numpy()
        add(bad, "kind 'micro' or 'macro'", "kind", lambda i: f"kind={kind.iloc[i]!r}")
    if "confidence" in raw.columns:
        conf = pd.to_numeric(raw["confidence"].replace({"": None}), errors="coerce")
        unreadable = (
            conf.isna().to_numpy()
            & raw["confidence"].notna().to_numpy()
            & (raw["confidence"].astype(str) != "").to_numpy()
        )
        add(
            unreadable,
            "a number for confidence",
            "confidence",
            lambda i: f"confidence={raw['confidence'].iloc[i]!r}",
        )
    if "event_id" in raw.columns:
        ids = raw["event_id"].astype("object")
        present = ids.notna() & (ids.astype(str) != "")
        dup = present & ids.duplicated(keep="first")
        add(
            dup.to_numpy(),
            "a unique event_id",
            "event_id",
            lambda i: f"event_id={ids.iloc[i]!r} twice",
        )
    if check_aus and "aus" in raw.columns:
        problems.extend(_aus_problems(raw["aus"], source, line_of))
    if problems:
        problems.sort(key=lambda p: p.row if p.row is not None else -1)
        raise EventError(problems)
    out = raw.copy()
    for c in FRAME_COLUMNS:
        out[c] = frames[c]
    if "event_id" not in out.columns:
        out["event_id"] = None
    ids = out["event_id"].astype("object")
    need = ids.isna() | (ids.astype(str) == "")
    if need.any():
        out.loc[need, "event_id"] = [new_event_id() for _ in range(int(need.sum()))]
    return coerce_events(out)


def _aus_problems(aus: pd.Series, source, line_of) -> list[Problem]:
    problems = []
    for i, code in enumerate(aus.tolist()):
        if code is None or (isinstance(code, float) and np.isnan(code)) or str(code).strip() == "":
            continue
        try:
            parse_facs(str(code))
        except ValueError as exc:
            problems.append(
                Problem(
                    "a FACS code (e.g. 1+2+R12)",
                    f"aus={code!r}: {exc}",
                    "aus",
                    **_locate(i, source, line_of),
                )
            )
    return problems


def sort_events(df: pd.DataFrame) -> pd.DataFrame:
    """Stable, diff-friendly row order: clip (natural order), onset, offset, apex (empty first), event_id."""
    if df.empty:
        return df.reset_index(drop=True)
    clip_key = natsort_keygen()
    order = ["clip", "onset", "offset", "apex", "event_id"]
    out = df.sort_values(
        order,
        key=lambda col: col.astype(str).map(clip_key) if col.name == "clip" else col,
        na_position="first",
        kind="stable",
    )
    return out.reset_index(drop=True)
