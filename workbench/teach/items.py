"""Quiz items: the events a lecturer picks, each with its neutral frame and how it is flashed.

A lecturer picks events with known labels (a dataset's truth, or the built-in sample's);
each becomes a :class:`QuizItem`. The quiz widget (:mod:`workbench.ui.quiz`) shows a
neutral frame, flashes the expression, shows the neutral frame again and asks for one of
the eight answers of :data:`workbench.schema.EMOTIONS`.

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

import numpy as np
import pandas as pd

from workbench.schema import EMOTIONS, frame_to_ms

#: How an expression is flashed: the clip's frames at real speed, or the apex held.
MODES: tuple[str, ...] = ("real", "apex")
#: Shortest and longest apex hold (1/25 s and 1/5 s), in milliseconds.
HOLD_RANGE_MS: tuple[float, float] = (1000.0 / 25, 1000.0 / 5)
#: The neutral frame is taken this long before the onset (when that frame is free of events).
NEUTRAL_GAP_MS = 200.0
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
