"""iMotions sensor-data exports: Emotient FACET and Affectiva AFFDEX.

Layout (iMotions 5-7 TXT export, as in py-feat's ``iMotions_Test_v5.txt`` / ``_v6.txt`` and
py-feat's former ``read_facet``; iMotions 9/10 CSV export as documented for AFFDEX 2.0):

- Metadata lines first: ``#Study : ...``, ``#Version : 6.1.2667.3`` (TXT, often padded with
  tabs), or 24 metadata lines (9/10 CSV). The header line is found by its content: the first
  line with a ``Timestamp`` or ``FrameNo`` column and FACET or AFFDEX measures.
- Tab-separated (TXT) or comma-separated (CSV); CRLF.
- **FACET**: ``AU1 Evidence`` ... ``AU43 Evidence`` and ``Joy Evidence``, ``Anger Evidence``...
  (with ``... Intensity`` columns, all zero, ignored). Evidence is a log10 odds score
  (unbounded; ``1 / (1 + 10**-x)`` is the probability). Scale ``log10_odds``.
- **AFFDEX**: named expressions 0-100 (``Brow Furrow``, ``Smile``...), mapped to AUs as
  py-feat's ``read_affectiva`` did (Brow Furrow AU4, Smile AU12...; Smirk and Attention are
  no AUs), and emotions ``Joy``, ``Anger``... 0-100.
- Frames: ``FrameNo`` (from 0, restarting with each stimulus; -1 before the media starts:
  those rows are dropped), else ``FrameIndex``, else ``MediaTime`` / ``Timestamp`` in ms.
  A file with several stimuli is refused (export one stimulus per clip).
- Rows from other sensors (``EventSource`` ``ET``, with forward-filled copies of the face
  values) are dropped when the file names FACET or AFFDEX rows. ``NoOfFaces`` (or
  ``Number of faces``) below 1, or empty measure cells: no face (NaN).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.detect.imported import (
    Channels,
    FrameTable,
    Scale,
    fail,
    last_line_check,
    numeric_columns,
    read_header,
)
from workbench.schema import canonical_emotion

NAME = "imotions"
TITLE = "an iMotions export (tab- or comma-separated, 'Timestamp' or 'FrameNo' and FACET or AFFDEX columns)"
EVIDENCE = Scale("log10 odds evidence (iMotions FACET)", float("nan"), float("nan"), "log10_odds")
AFFDEX_SCALE = Scale("0-100 (iMotions AFFDEX)", 0.0, 100.0)
_FACET_AU = re.compile(r"^AU(\d+) Evidence$")
_FACET_EMOTION = re.compile(r"^(\w+) Evidence$")
#: AFFDEX expression (lower case, no spaces) -> AU (py-feat's ``read_affectiva``).
AFFDEX_AUS: dict[str, int] = {
    "innerbrowraise": 1, "browraise": 2, "browfurrow": 4, "eyewiden": 5, "cheekraise": 6,
    "lidtighten": 7, "nosewrinkle": 9, "upperlipraise": 10, "smile": 12, "dimpler": 14,
    "lipcornerdepressor": 15, "chinraise": 17, "lippucker": 18, "lipstretch": 20, "lippress": 24,
    "mouthopen": 25, "jawdrop": 26, "lipsuck": 28, "eyeclosure": 43,
}  # fmt: skip
#: Emotion words iMotions uses besides the workbench's own.
EXTRA_EMOTIONS = {"neutral": "neutral", "confusion": "confusion", "frustration": "frustration"}
FRAME_COLUMNS = ("FrameNo", "FrameIndex")
TIME_COLUMNS = ("MediaTime", "FrameTime", "Timestamp")
FACES_COLUMNS = ("NoOfFaces", "Number of faces")
STIMULUS_COLUMNS = ("StimulusName", "SourceStimuliName")


def _key(name: str) -> str:
    return re.sub(r"[\s_]", "", name).lower()


def _emotion(word: str) -> str | None:
    return EXTRA_EMOTIONS.get(word.lower()) or canonical_emotion(word)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("\t" if "\t" in line else ",")]


def _is_header(line: str) -> bool:
    if line.startswith("#"):
        return False
    cells = set(_cells(line))
    if not cells & {"Timestamp", "FrameNo", "FrameIndex"}:
        return False
    return any(_FACET_AU.match(c) for c in cells) or any(_key(c) in AFFDEX_AUS for c in cells)


def find_header(lines: list[str]) -> int | None:
    """0-based index of the header line among the first lines, or None."""
    return next((i for i, line in enumerate(lines) if _is_header(line)), None)


def sniff(lines: list[str]) -> bool:
    """A header line with ``Timestamp`` / ``FrameNo`` and FACET or AFFDEX measures."""
    return find_header(lines) is not None


def _measures(names: list[str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """The sensor (``facet`` or ``affdex``), AU column -> curve name, emotion column -> emotion."""
    facet_aus = {n: f"AU{int(_FACET_AU.match(n).group(1))}" for n in names if _FACET_AU.match(n)}
    if facet_aus:
        emotions = {}
        for n in names:
            m = _FACET_EMOTION.match(n)
            if m and n not in facet_aus and _emotion(m.group(1)):
                emotions[n] = _emotion(m.group(1))
        return "facet", facet_aus, emotions
    affdex_aus = {n: f"AU{AFFDEX_AUS[_key(n)]}" for n in names if _key(n) in AFFDEX_AUS}
    emotions = {n: _emotion(n) for n in names if _emotion(n) and n not in affdex_aus}
    return "affdex", affdex_aus, emotions


def _first(names: list[str], options: tuple[str, ...]) -> str | None:
    return next((c for c in options if c in names), None)


def read(path: str | Path) -> FrameTable:
    """Read an iMotions FACET or AFFDEX export (see the module docstring).

    Raises
    ------
    ValueError
        No header line, no AU columns, several stimuli, a cell that is no number, a
        truncated last line (each naming the file, the line and the rule).
    """
    path = Path(path)
    head = read_header(path, 200)
    at = find_header(head)
    if at is None:
        raise fail(TITLE, f"no such header line in the first {len(head)} lines", path, 1)
    header_line = at + 1
    sep = "\t" if "\t" in head[at] else ","
    names = [c.strip() for c in head[at].split(sep)]
    while names and not names[-1]:
        names.pop()
    sensor, aus, emotions = _measures(names)
    last_line_check(path, len(names), sep, header_line)
    df = pd.read_csv(
        path, sep=sep, skiprows=at, header=0, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="c"
    )
    df.columns = [str(c).strip() for c in df.columns]
    lines = np.arange(len(df), dtype=np.int64) + header_line + 1
    keep = _sensor_rows(df, sensor)
    frame_col, time_col = _first(names, FRAME_COLUMNS), _first(names, TIME_COLUMNS)
    if frame_col is None and time_col is None:
        raise fail("a FrameNo, FrameIndex, MediaTime or Timestamp column", "none", path, header_line)
    extra = [c for c in (frame_col, time_col, _first(names, FACES_COLUMNS)) if c]
    values = numeric_columns(df[keep], [*aus, *emotions, *extra], path, lines[keep])
    lines = lines[keep]
    rows = np.ones(len(lines), dtype=bool)
    if frame_col:
        rows = np.isfinite(values[frame_col]) & (values[frame_col] >= 0)
    _one_stimulus(df[keep][rows], names, path, lines[rows])
    au_values = np.column_stack([values[c] for c in aus])[rows]
    valid = np.isfinite(au_values).any(axis=1)
    faces = _first(names, FACES_COLUMNS)
    if faces:
        valid &= values[faces][rows] >= 1
    scale = EVIDENCE if sensor == "facet" else AFFDEX_SCALE
    channels = {"au": Channels(list(aus.values()), au_values, scale)}
    if emotions:
        channels["emotion"] = Channels(
            list(emotions.values()), np.column_stack([values[c] for c in emotions])[rows], scale
        )
    time = values[time_col][rows] / 1000.0 if time_col else None
    frame = values[frame_col][rows].astype(np.int64) if frame_col else None
    return FrameTable(
        path=path,
        format=NAME,
        lines=lines[rows],
        frame=frame,
        frame_base=0,
        time=time if frame is None or time_col in ("MediaTime", "FrameTime") else None,
        valid=valid,
        channels=channels,
        attrs={"sensor": sensor, "format_version": _version(head)},
    )


def _sensor_rows(df: pd.DataFrame, sensor: str) -> np.ndarray:
    """Rows of the face sensor when the file mixes sensors (``EventSource``)."""
    sources = [c for c in df.columns if c.startswith("EventSource")]
    keep = np.ones(len(df), dtype=bool)
    words = ("FACET",) if sensor == "facet" else ("AFFDEX", "Affectiva", "affraw")
    for column in sources:
        named = df[column].str.contains("|".join(words), case=False, regex=True).to_numpy()
        if named.any():
            keep &= named
    return keep


def _one_stimulus(df: pd.DataFrame, names: list[str], path: Path, lines: np.ndarray) -> None:
    column = _first(names, STIMULUS_COLUMNS)
    if column is None or df.empty:
        return
    values = df[column].to_numpy()
    other = np.flatnonzero(values != values[0])
    if other.size:
        i = int(other[0])
        raise fail(
            f"one stimulus per file (FrameNo restarts with each; export {values[0]!r} alone)",
            f"{values[i]!r} after {values[0]!r}",
            path,
            int(lines[i]),
            column,
        )


def _version(head: list[str]) -> str:
    for line in head:
        m = re.match(r"#\s*Version\s*:\s*([\d.]+)", line)
        if m:
            return m.group(1)
    return ""


def default_detector(table: FrameTable) -> str:
    """``facet`` or ``affdex``: the sensor the file holds."""
    return str(table.attrs.get("sensor", NAME))
