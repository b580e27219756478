"""OpenFace 2.x ``FeatureExtraction`` CSV: AU intensities (0-5) and presence (0/1) per frame.

Layout (``RecorderCSV.cpp``; the OpenFace wiki "Output-Format"): one header line, then one
row per frame::

    frame, face_id, timestamp, confidence, success, gaze_0_x, ..., AU01_r, ..., AU45_r, AU01_c, ..., AU45_c
    1, 0, 0.000, 0.98, 1, ..., 0.00, ..., 1.0

- Comma-separated; upstream writes ``", "`` (a space after each comma), some builds ``","``,
  and old files mix the two, so names and cells are stripped. CRLF or LF.
- ``frame`` counts from 1; ``timestamp`` is seconds ((frame - 1) / fps); ``face_id`` only in
  2.x; ``success`` 0 rows are still written with values that are not to be trusted: they
  become NaN. Columns are found by name (``AU28_c`` sits between ``AU26_c`` and ``AU45_c``).
- ``AUxx_r``: regression intensity 0-5 (the AU curves, ``AU1`` ... ``AU45``). ``AUxx_c``:
  presence 0/1 (kept as the ``presence`` kind). Only the columns needed are converted, so
  reading costs little more than the CSV parse itself (``benchmarks/import_curves.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.detect.imported import Channels, FrameTable, Scale, fail, last_line_check, numeric_columns, read_header

NAME = "openface"
TITLE = "an OpenFace 2.x CSV (header 'frame, ..., timestamp, confidence, success, ..., AU01_r, ...')"
INTENSITY = Scale("0-5 intensity (OpenFace AU_r)", 0.0, 5.0)
PRESENCE = Scale("0/1 presence (OpenFace AU_c)", 0.0, 1.0)
_AU = re.compile(r"^AU(\d+)_([rc])$")
REQUIRED = ("frame", "success")


def sniff(lines: list[str]) -> bool:
    """The first line names ``frame`` and ``success`` and some ``AUxx_r`` / ``AUxx_c``."""
    if not lines:
        return False
    names = {c.strip() for c in lines[0].split(",")}
    return "frame" in names and "success" in names and any(_AU.match(n) for n in names)


def read(path: str | Path) -> FrameTable:
    """Read an OpenFace CSV (see the module docstring).

    Raises
    ------
    ValueError
        Not an OpenFace CSV, no ``AUxx_r`` columns, a cell that is no number, a truncated
        last line (each naming the file, the line and the rule).
    """
    path = Path(path)
    header = read_header(path, 1)[0]
    names = [c.strip() for c in header.split(",")]
    if not sniff([header]):
        raise fail(TITLE, f"a first line starting {header[:60]!r}", path, 1)
    wanted = {n: i for i, n in enumerate(names) if n in ("frame", "timestamp", "success", "face_id") or _AU.match(n)}
    intensity = [n for n in wanted if n.endswith("_r")]
    if not intensity:
        raise fail("AU intensity columns AU01_r ... AU45_r", "none (only presence columns?)", path, 1)
    last_line_check(path, len(names), ",", 1)
    df = pd.read_csv(
        path,
        header=None,
        skiprows=1,
        usecols=list(wanted.values()),
        names=names,
        skipinitialspace=True,
        engine="c",
    )
    lines = np.arange(len(df), dtype=np.int64) + 2
    values = numeric_columns(df, list(wanted), path, lines)
    frame = values["frame"]
    if not np.isfinite(frame).all() or (frame != np.round(frame)).any():
        i = int(np.flatnonzero(~np.isfinite(frame) | (frame != np.round(frame)))[0])
        raise fail("a whole frame number", repr(df["frame"].iloc[i]), path, int(lines[i]), "frame")
    presence = [n for n in wanted if n.endswith("_c")]
    channels = {
        "au": Channels([_curve(n) for n in intensity], np.column_stack([values[n] for n in intensity]), INTENSITY)
    }
    if presence:
        channels["presence"] = Channels(
            [_curve(n) for n in presence], np.column_stack([values[n] for n in presence]), PRESENCE
        )
    time = values.get("timestamp")
    return FrameTable(
        path=path,
        format=NAME,
        lines=lines,
        frame=frame.astype(np.int64),
        frame_base=1,
        time=time,
        valid=values["success"] > 0.5,
        channels=channels,
    )


def _curve(column: str) -> str:
    """``AU01_r`` -> ``AU1`` (the curve names of :mod:`workbench.detect.au`)."""
    return f"AU{int(_AU.match(column).group(1))}"
