"""MMEW micro-expressions (``MMEW_Micro_Exp.xlsx``).

Layout (first sheet, header on row 1, found by content)::

    Subject | Filename | OnsetFrame | ApexFrame | OffsetFrame | Action Units |
    Estimated Emotion | remarks

- Clips live in ``Micro_Expression/<emotion>/<Filename>/<n>.jpg`` (``happiness/S01-01-001``),
  images numbered from 1; the clip id is ``<emotion>/<Filename>`` with the emotion folder
  spelt as in the sheet. 90 fps.
- Kind from the duration at 90 fps (the sheet has no type column).
- Extra columns: ``subject``, ``filename``, ``remarks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from workbench.datasets.build import DatasetSpec, ImportResult, raw_text
from workbench.datasets.tables import import_table

FPS = 90.0

ALIASES = {
    "subject": ("Subject",),
    "filename": ("Filename", "File name"),
    "onset": ("OnsetFrame", "Onset Frame", "Onset"),
    "apex": ("ApexFrame", "Apex Frame", "Apex"),
    "offset": ("OffsetFrame", "Offset Frame", "Offset"),
    "aus": ("Action Units", "AUs", "AU"),
    "emotion": ("Estimated Emotion", "Emotion"),
    "remarks": ("remarks", "Notes"),
}
REQUIRED = ("filename", "onset", "offset", "emotion")


def clip_path(values: Mapping) -> str:
    """``happiness/S01-01-001``: emotion folder, then the clip folder."""
    emotion, filename = raw_text(values["emotion"]), raw_text(values["filename"])
    if not emotion or not filename:
        raise ValueError("empty Estimated Emotion or Filename cell")
    return f"{emotion}/{filename}"


def folders(values: Mapping) -> list[str]:
    """``<emotion>/<clip>``, or ``Micro_Expression/<emotion>/<clip>`` under a release root."""
    clip = clip_path(values)
    return [clip, f"Micro_Expression/{clip}"]


def frame_path(clip: str, number: int) -> str:
    """The image of dataset frame ``number``: ``happiness/S01-01-001/12.jpg``."""
    return f"{clip}/{int(number)}.jpg"


SPEC = DatasetSpec(name="mmew", title="MMEW", fps=FPS, clip=clip_path, folders=folders)


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import the MMEW micro-expression sheet.

    Parameters
    ----------
    path
        ``MMEW_Micro_Exp.xlsx``.
    media
        The folder holding ``happiness/S01-01-001/1.jpg`` ..., or None.
    """
    return import_table(path, SPEC, ALIASES, REQUIRED, media)
