"""SAMM micro-movement FACS codes (``SAMM_Micro_FACS_Codes_v2.xlsx``).

Layout (sheet ``MICRO_ONLY``): a 13-row preamble (title, citation notes, symbol key),
then the header row, found by content::

    Subject | Filename | Inducement Code | Onset Frame | Apex Frame | Offset Frame |
    Duration | Micro | Action Units | Estimated Emotion | Objective Classes | Notes

- ``Subject`` is zero-padded text (``"006"``); the clip folder is ``006/006_1_2`` with
  images ``006_05562.jpg`` numbered by the recording's frame number; 200 fps.
- ``Duration`` is a formula; its cached value is kept as the ``duration`` column.
- ``Micro`` holds the type (``"Micro - 1/2"``): kind micro.
- "Action Units" use the full FACS notation (``A1B+A2C``, ``R12 or R14``, ``ref(43)``);
  see :mod:`workbench.facs`.
- Emotions are capitalised (``Anger``, ``Other``): mapped to the schema's words.
- Extra columns: ``subject``, ``filename``, ``inducement_code``, ``duration``,
  ``objective_class``, ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from workbench.datasets.build import DatasetSpec, ImportResult, raw_text
from workbench.datasets.tables import import_table

FPS = 200.0

ALIASES = {
    "subject": ("Subject",),
    "filename": ("Filename", "File name"),
    "inducement_code": ("Inducement Code",),
    "onset": ("Onset Frame", "OnsetFrame", "Onset"),
    "apex": ("Apex Frame", "ApexFrame", "Apex"),
    "offset": ("Offset Frame", "OffsetFrame", "Offset"),
    "duration": ("Duration",),
    "kind": ("Micro", "Type"),
    "aus": ("Action Units", "AUs", "AU"),
    "emotion": ("Estimated Emotion", "Emotion"),
    "objective_class": ("Objective Classes", "Objective Class"),
    "notes": ("Notes", "Note"),
}
REQUIRED = ("subject", "filename", "onset", "offset")


def subject_code(value: object) -> str:
    """``6`` or ``"006"`` -> ``"006"`` (SAMM pads subjects to three digits)."""
    text = raw_text(value)
    if not text:
        raise ValueError("empty Subject cell")
    return text.zfill(3) if text.isdigit() else text


def clip_path(values: Mapping) -> str:
    """``006/006_1_2``: the clip folder relative to the SAMM root."""
    filename = raw_text(values["filename"])
    if not filename:
        raise ValueError("empty Filename cell")
    return f"{subject_code(values['subject'])}/{filename}"


def frame_path(clip: str, number: int) -> str:
    """The image of dataset frame ``number``: ``006/006_1_2/006_05562.jpg``."""
    subject = clip.split("/")[0]
    return f"{clip}/{subject}_{int(number):05d}.jpg"


def _pad_subjects(rows, report) -> None:
    """Subject codes as the folders spell them; a blank cell is left for the row's own report."""
    for row in rows:
        if raw_text(row.values.get("subject")):
            row.values["subject"] = subject_code(row.values["subject"])


SPEC = DatasetSpec(name="samm", title="SAMM", fps=FPS, clip=clip_path)


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import the SAMM FACS codes spreadsheet.

    Parameters
    ----------
    path
        ``SAMM_Micro_FACS_Codes_v2.xlsx``.
    media
        The folder holding ``006/006_1_2/006_05562.jpg`` ..., or None.

    Returns
    -------
    ImportResult
        Events with rater ``"samm"``, and the report.
    """
    return import_table(path, SPEC, ALIASES, REQUIRED, media, _pad_subjects)
