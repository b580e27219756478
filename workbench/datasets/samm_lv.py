"""SAMM Long Videos (``SAMM_LongVideos_V2_Release.xlsx``), the MEGC spotting set.

Layout (first sheet): a few rows of notes, then the header row (found by content)::

    Subject | Filename | Inducement Code | Onset | Apex | Offset | Duration | Type |
    Action Units | Notes

- Each row is one macro- or micro-expression in a long video; ``Type`` is ``Macro``
  or ``Micro - 1/2`` and gives the kind.
- ``Filename`` names the event (``006_1_1``); its first two parts name the long video
  folder (``006_1``), whose images are numbered by frame (``006_1_0001.jpg``); 200 fps.
- Some frame numbers are fractional (``1234.5``): rounded to the nearest frame, reported.
- An apex of ``-1`` means the apex was not coded: NA, reported.
- There is no emotion column: emotion is left empty (NA); ``emotion_raw`` is "".
- Extra columns: ``subject``, ``filename``, ``inducement_code``, ``duration``, ``notes``.
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
    "onset": ("Onset", "Onset Frame", "OnsetFrame"),
    "apex": ("Apex", "Apex Frame", "ApexFrame"),
    "offset": ("Offset", "Offset Frame", "OffsetFrame"),
    "duration": ("Duration",),
    "kind": ("Type", "Micro"),
    "aus": ("Action Units", "AUs", "AU"),
    "emotion": ("Estimated Emotion", "Emotion"),
    "notes": ("Notes", "Note"),
}
REQUIRED = ("filename", "onset", "offset", "kind")


def clip_path(values: Mapping) -> str:
    """``006_1_1`` -> ``006_1``: the long video holding the event."""
    filename = raw_text(values["filename"])
    parts = filename.split("_")
    if len(parts) < 2 or not all(parts[:2]):
        raise ValueError(f"Expected a Filename like 006_1_1, but got {filename!r}")
    return "_".join(parts[:2])


SPEC = DatasetSpec(name="samm_lv", title="SAMM Long Videos", fps=FPS, clip=clip_path)


def _prepare(rows, report) -> None:
    for row in rows:
        subject = raw_text(row.values.get("subject"))
        if subject.isdigit():
            row.values["subject"] = subject.zfill(3)


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import the SAMM Long Videos spreadsheet.

    Parameters
    ----------
    path
        ``SAMM_LongVideos_V2_Release.xlsx``.
    media
        The folder holding ``006_1/006_1_0001.jpg`` ..., or None.
    """
    return import_table(path, SPEC, ALIASES, REQUIRED, media, _prepare)
