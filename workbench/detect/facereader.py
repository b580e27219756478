"""Noldus FaceReader detailed log (the text export of an analysis, one row per video frame).

Layout, as Noldus's detailed-log export writes it and the published readers parse it
(``facereadeR::read_facereader``, ``facereaderconverter::convertFRfiles``, FaceReader 6.1 and
FaceReader 7-9 logs):

- A title line (``Video analysis detailed log``), then ``Key<TAB>Value`` lines (``Face
  Model``, ``Calibration``, ``Start time``, ``Filename``, ``Frame rate``; 6.1 writes a colon
  after the key), blank lines, then the header, whose first cell is ``Video Time``.
  Tab-separated (a semicolon or comma when re-saved); LF, CRLF or CR-only line endings.
- ``Video Time``: ``hh:mm:ss.fff`` (one row per frame at ``Frame rate``). A log re-saved
  through a spreadsheet shows ``mm:ss.f``, too coarse to tell frames apart; then row ``i`` is
  frame ``i`` (the export writes every frame from the start).
- AUs: ``Action Unit 12 - Lip Corner Puller``, per side ``Action Unit 12 - Left - Lip Corner
  Puller`` (curves ``AU12``, ``AU12L``, ``AU12R``; a bilateral curve is the mean of the sides
  when only sides are given). Values are intensities 0-1, or FACS letters in 6.1
  (``NotActive``, ``A`` ... ``E``, read as 0-5). Combined units (``Action Unit 03 + 04``) are
  skipped and listed in attr ``skipped_columns``.
- Emotions 0-1: ``Neutral, Happy, Sad, Angry, Surprised, Scared, Disgusted, Contempt``.
- ``FIND_FAILED`` (no face) and ``FIT_FAILED`` (the model did not fit) fill every cell of a
  frame the analysis failed on: NaN.

No raw FaceReader log could be vendored (the public ones are GPL-3 or carry no AU columns);
the tests write their fixtures from this layout.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.detect.imported import (
    Channels,
    FrameTable,
    Scale,
    count_lines,
    fail,
    last_line_check,
    numeric_columns,
    read_header,
    with_bilateral,
)

NAME = "facereader"
TITLE = "a FaceReader detailed log (a header line starting 'Video Time')"
INTENSITY = Scale("0-1 intensity (FaceReader)", 0.0, 1.0)
LETTERS = Scale("0-5 FACS intensity (FaceReader NotActive, A-E)", 0.0, 5.0)
PROBABILITY = Scale("0-1 (FaceReader)", 0.0, 1.0)
_AU = re.compile(r"^Action Unit (\d+)(?: \+ (\d+))?(?: - (Left|Right))? - (.+)$")
#: FaceReader's emotion columns -> the workbench's emotion names.
EMOTIONS = {
    "Neutral": "neutral", "Happy": "happiness", "Sad": "sadness", "Angry": "anger",
    "Surprised": "surprise", "Scared": "fear", "Disgusted": "disgust", "Contempt": "contempt",
}  # fmt: skip
#: FACS intensity letters as FaceReader 6.1 writes them -> 0..5.
LETTER_VALUES = {"NotActive": 0.0, "A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0, "E": 5.0}
FAILED = ("FIND_FAILED", "FIT_FAILED")
_TIME = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")


def find_header(lines: list[str]) -> int | None:
    """0-based index of the line whose first cell is ``Video Time``."""
    return next((i for i, line in enumerate(lines) if re.split(r"[\t;,]", line)[0].strip() == "Video Time"), None)


def sniff(lines: list[str]) -> bool:
    return find_header(lines) is not None


def _frame_rate(lines: list[str]) -> tuple[float | None, int | None]:
    for i, line in enumerate(lines):
        cells = re.split(r"\t|;", line)
        if cells[0].strip().rstrip(":").lower() == "frame rate" and len(cells) > 1:
            try:
                return float(cells[1].strip().replace(",", ".")), i + 1
            except ValueError:
                return None, None
    return None, None


def seconds(text: str) -> float:
    """``00:00:01.033`` or ``01:27.4`` -> seconds; NaN when unreadable."""
    m = _TIME.match(text.strip())
    if m is None:
        return float("nan")
    hours, minutes, secs = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)


def read(path: str | Path) -> FrameTable:
    """Read a FaceReader detailed log (see the module docstring).

    Raises
    ------
    ValueError
        No ``Video Time`` header, no AU columns, an unreadable time or cell, a truncated
        last line (each naming the file, the line and the rule).
    """
    path = Path(path)
    head = read_header(path, 60)
    at = find_header(head)
    if at is None:
        raise fail(TITLE, f"no such line in the first {len(head)} lines", path, 1)
    sep = next(s for s in ("\t", ";", ",") if s in head[at] or s == ",")
    names = [c.strip() for c in head[at].split(sep)]
    while names and not names[-1]:
        names.pop()
    au_columns = {n: _AU.match(n) for n in names if _AU.match(n)}
    single = {n: f"AU{int(m.group(1))}{(m.group(3) or '')[:1]}" for n, m in au_columns.items() if not m.group(2)}
    if not single:
        raise fail("AU columns 'Action Unit NN - Name'", "none (export the Action Units in FaceReader)", path, at + 1)
    emotions = {n: EMOTIONS[n] for n in names if n in EMOTIONS}
    fps, fps_line = _frame_rate(head[:at])
    last_line_check(path, len(names), sep, at + 1)
    with open(path, encoding="utf-8-sig", newline=None) as f:
        text = f.read()
    body = "\n".join(text.split("\n")[at:])
    df = pd.read_csv(io.StringIO(body), sep=sep, dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    lines = np.arange(len(df), dtype=np.int64) + at + 2
    df = df.apply(lambda c: c.str.strip())
    failed = df[names[1]].isin(FAILED).to_numpy() if len(names) > 1 else np.zeros(len(df), bool)
    letters = _uses_letters(df, list(single))
    measures = df.loc[:, [*single, *emotions]].mask(df.loc[:, [*single, *emotions]].isin(FAILED), "")
    if letters:
        measures[list(single)] = measures[list(single)].replace(LETTER_VALUES)
    values = numeric_columns(measures, [*single, *emotions], path, lines)
    au_names, au_values = with_bilateral(list(single.values()), np.column_stack([values[c] for c in single]))
    channels = {"au": Channels(au_names, au_values, LETTERS if letters else INTENSITY)}
    if emotions:
        channels["emotion"] = Channels(
            list(emotions.values()), np.column_stack([values[c] for c in emotions]), PROBABILITY
        )
    times = df["Video Time"].to_numpy(dtype=str)
    time, placed = _times(times, path, lines)
    return FrameTable(
        path=path,
        format=NAME,
        lines=lines,
        frame=np.arange(len(df), dtype=np.int64) if placed == "row" else None,
        frame_base=0,
        time=time if placed == "time" else None,
        valid=~failed & np.isfinite(au_values).any(axis=1),
        channels=channels,
        fps=fps,
        fps_line=fps_line,
        attrs={
            "skipped_columns": "; ".join(n for n in au_columns if n not in single),
            "time_resolution": "ms" if placed == "time" else "coarse (row = frame)",
            "file_lines": count_lines(path),
        },
    )


def _uses_letters(df: pd.DataFrame, columns: list[str]) -> bool:
    cells = df[columns].to_numpy().ravel()
    return bool(np.isin(cells, list(LETTER_VALUES)).any())


def _times(texts: np.ndarray, path: Path, lines: np.ndarray) -> tuple[np.ndarray, str]:
    """Seconds of each row and how rows are placed: ``time`` (ms resolution) or ``row``."""
    time = np.array([seconds(t) for t in texts], dtype=float)
    bad = np.flatnonzero(~np.isfinite(time))
    if bad.size:
        i = int(bad[0])
        raise fail("a Video Time as hh:mm:ss.fff", repr(texts[i]), path, int(lines[i]), "Video Time")
    decimals = [len(t.partition(".")[2]) for t in texts[: min(len(texts), 50)]]
    return time, "time" if decimals and min(decimals) >= 3 else "row"
