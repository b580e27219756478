"""py-feat CSV (a ``Fex`` written with ``to_csv(index=False)`` or ``detect(..., save=path)``).

Layout (py-feat ``feat/detector.py``, ``feat/data.py``; its test files ``001.csv`` and
``Feat_Test.csv``): comma-separated, one header line, one row per detected face per frame.
Column order differs between versions, so every column is found by name:

- ``frame``: the video frame index, from 0 (kept even with ``skip_frames``).
- ``AU01`` ... ``AU43``: AU probabilities 0-1 (the AU curves ``AU1`` ... ``AU43``).
- Emotions, probabilities 0-1: ``anger, disgust, fear, happiness, sadness, surprise, neutral``
  (``Detector``) or ``Neutral, Happy, Sad, Surprise, Fear, Disgust, Anger`` (``Detectorv2``);
  they become the ``emotion`` curves under the workbench's emotion names.
- A frame without a face is a row of empty cells (``FaceScore`` and the AUs blank): NaN.
  Several faces give several rows of one frame: refused (one face per clip).
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

NAME = "pyfeat"
TITLE = "a py-feat CSV (columns 'frame' and 'AU01' ... 'AU43')"
PROBABILITY = Scale("0-1 probability (py-feat)", 0.0, 1.0)
_AU = re.compile(r"^AU(\d\d)$")


def emotion_name(column: str) -> str | None:
    """``Happy`` / ``happiness`` -> ``happiness``; ``neutral`` stays; others None."""
    text = column.strip().lower()
    return "neutral" if text == "neutral" else canonical_emotion(text)


def sniff(lines: list[str]) -> bool:
    """The first line names ``frame`` and ``AUnn`` columns."""
    if not lines:
        return False
    names = {c.strip() for c in lines[0].split(",")}
    return "frame" in names and any(_AU.match(n) for n in names)


def read(path: str | Path) -> FrameTable:
    """Read a py-feat CSV (see the module docstring).

    Raises
    ------
    ValueError
        Not a py-feat CSV, no AU columns, a cell that is no number, a truncated last line.
    """
    path = Path(path)
    header = read_header(path, 1)[0]
    names = [c.strip() for c in header.split(",")]
    aus = [n for n in names if _AU.match(n)]
    if "frame" not in names:
        raise fail(TITLE, f"no 'frame' column (first line starts {header[:60]!r})", path, 1)
    if not aus:
        raise fail("AU columns AU01 ... AU43", "none", path, 1)
    emotions = {n: emotion_name(n) for n in names if emotion_name(n)}
    last_line_check(path, len(names), ",", 1)
    wanted = ["frame", *aus, *emotions, *(["FaceScore"] if "FaceScore" in names else [])]
    df = pd.read_csv(path, usecols=wanted, skipinitialspace=True)
    lines = np.arange(len(df), dtype=np.int64) + 2
    values = numeric_columns(df, wanted, path, lines)
    frame = values["frame"]
    bad = ~np.isfinite(frame) | (frame != np.round(frame))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise fail("a whole frame number", repr(df["frame"].iloc[i]), path, int(lines[i]), "frame")
    au_values = np.column_stack([values[n] for n in aus])
    valid = np.isfinite(au_values).any(axis=1)
    if "FaceScore" in values:
        valid &= np.isfinite(values["FaceScore"])
    channels = {"au": Channels([f"AU{int(n[2:])}" for n in aus], au_values, PROBABILITY)}
    if emotions:
        channels["emotion"] = Channels(
            list(emotions.values()), np.column_stack([values[n] for n in emotions]), PROBABILITY
        )
    version = "2.x (Detectorv2)" if {"valence", "arousal"} & set(names) else "0.x-2.x (Detector)"
    return FrameTable(
        path=path,
        format=NAME,
        lines=lines,
        frame=frame.astype(np.int64),
        frame_base=0,
        time=None,
        valid=valid,
        channels=channels,
        attrs={"format_version": version},
    )
