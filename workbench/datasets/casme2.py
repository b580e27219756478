"""CASME II coding spreadsheet (``CASME2-coding-*.xlsx``).

Layout (sheet ``Sheet1``, header on row 1, found by content)::

    Subject | Filename | (empty) | OnsetFrame | ApexFrame | OffsetFrame | (empty) |
    Action Units | Estimated Emotion | Objective Classes

- ``Subject`` is zero-padded text (``"01"``); the clip folder is ``sub01/EP02_01f``
  with images ``img46.jpg`` numbered by the recording's frame number.
- Frame numbers are those image numbers; recorded at 200 fps.
- An apex written ``/`` (sub04 EP12_01f) is not coded: NA, reported.
- "Action Units" cells holding one AU are numbers (12); they become the code ``"12"``.
- Emotions include ``repression``, kept in ``emotion_raw`` with emotion ``others``.
- Every clip is a micro-expression by the dataset's definition; kind comes from the
  duration at 200 fps (the sheet has no type column).
- Extra columns: ``subject``, ``filename``, ``objective_class``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from workbench.datasets.build import DatasetSpec, ImportResult, raw_text
from workbench.datasets.tables import import_table

FPS = 200.0

ALIASES = {
    "subject": ("Subject", "Sub"),
    "filename": ("Filename", "File name", "Episode"),
    "onset": ("OnsetFrame", "Onset Frame", "Onset"),
    "apex": ("ApexFrame", "Apex Frame", "Apex"),
    "offset": ("OffsetFrame", "Offset Frame", "Offset"),
    "aus": ("Action Units", "AUs", "AU"),
    "emotion": ("Estimated Emotion", "Emotion"),
    "objective_class": ("Objective Classes", "Objective Class"),
}
REQUIRED = ("subject", "filename", "onset", "offset")


def subject_code(value: object) -> str:
    """``1``, ``"1"`` or ``"01"`` -> ``"01"`` (CASME II pads subjects to two digits)."""
    text = raw_text(value)
    if not text:
        raise ValueError("empty Subject cell")
    return text.zfill(2) if text.isdigit() else text


def clip_path(values: Mapping) -> str:
    """``sub01/EP02_01f``: the clip folder relative to the CASME II root (``CASME2_RAW``)."""
    filename = raw_text(values["filename"])
    if not filename:
        raise ValueError("empty Filename cell")
    return f"sub{subject_code(values['subject'])}/{filename}"


def frame_path(clip: str, number: int) -> str:
    """The image of dataset frame ``number``: ``sub01/EP02_01f/img46.jpg``."""
    return f"{clip}/img{int(number)}.jpg"


def _pad_subjects(rows, report) -> None:
    """Subject codes as the folders spell them; a blank cell is left for the row's own report."""
    for row in rows:
        if raw_text(row.values.get("subject")):
            row.values["subject"] = subject_code(row.values["subject"])


SPEC = DatasetSpec(name="casme2", title="CASME II", fps=FPS, clip=clip_path)


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import a CASME II coding spreadsheet.

    Parameters
    ----------
    path
        ``CASME2-coding-*.xlsx``.
    media
        The folder holding ``sub01/EP02_01f/img46.jpg`` ..., or None.

    Returns
    -------
    ImportResult
        Events with rater ``"casme2"``, and the report.
    """
    return import_table(path, SPEC, ALIASES, REQUIRED, media, _pad_subjects)
