"""CAS(ME)^3 Part A labels (``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` and the
macro-expression file ``cas(me)3_part_A_MaE_label_JpgIndex_v2_emotion.xlsx``).

Layout (sheet ``label`` or ``Sheet1``, header found by content)::

    ME file:   Subject | Filename | Onset | Apex | Offset | AU | Objective class | emotion
    MaE file:  sub     | seq      | onset | apex | offset | (AU) | emotion

- ``Subject`` is ``spNO.1``; ``Filename`` is the task video (``a`` .. ``m``). The frames
  of a video are ``spNO.1/a/color/<n>.jpg`` ("JpgIndex": the numbers are those image
  numbers); folders on disk may be spelt ``spNo.1``, so they are matched ignoring case.
  30 fps.
- The clip id is ``spNO.1/a`` (``spNO.1/a/color`` once found on disk).
- Kind: the file says it (a name containing ``MaE`` holds macro-expressions, ``ME``
  micro-expressions); otherwise from the duration at 30 fps.
- Emotions are lower-case words (``happy``, ``disgust``, ``others``); mapped to the
  schema's words, the word kept in ``emotion_raw``.
- Extra columns: ``subject``, ``filename``, ``objective_class``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from workbench.datasets.build import DatasetSpec, ImportResult, raw_text
from workbench.datasets.tables import import_table

FPS = 30.0

ALIASES = {
    "subject": ("Subject", "sub"),
    "filename": ("Filename", "seq", "File name"),
    "onset": ("Onset", "Onset Frame", "OnsetFrame"),
    "apex": ("Apex", "Apex Frame", "ApexFrame"),
    "offset": ("Offset", "Offset Frame", "OffsetFrame"),
    "aus": ("AU", "AUs", "Action Units"),
    "objective_class": ("Objective class", "Objective classes"),
    "emotion": ("emotion", "Estimated Emotion"),
    "kind": ("Type",),
}
REQUIRED = ("subject", "filename", "onset", "offset")


def clip_path(values: Mapping) -> str:
    """``spNO.1/a``: the subject's task video."""
    subject, filename = raw_text(values["subject"]), raw_text(values["filename"])
    if not subject or not filename:
        raise ValueError("empty Subject or Filename cell")
    return f"{subject}/{filename}"


def folders(values: Mapping) -> list[str]:
    """Where the video's images may be: ``spNO.1/a/color`` or ``spNO.1/a``."""
    clip = clip_path(values)
    return [f"{clip}/color", clip]


def frame_path(clip: str, number: int) -> str:
    """The image of dataset frame ``number``: ``spNO.1/a/color/116.jpg``."""
    folder = clip if clip.endswith("/color") else f"{clip}/color"
    return f"{folder}/{int(number)}.jpg"


SPEC = DatasetSpec(name="casme3", title="CAS(ME)^3", fps=FPS, clip=clip_path, folders=folders)


def kind_of_file(path: str | Path) -> str | None:
    """``macro`` for a ``..._MaE_...`` file, ``micro`` for a ``..._ME_...`` file, else None."""
    name = Path(path).name
    if re.search(r"(^|[_\W])MaE([_\W]|$)", name):
        return "macro"
    if re.search(r"(^|[_\W])ME([_\W]|$)", name):
        return "micro"
    return None


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import a CAS(ME)^3 Part A label file.

    Parameters
    ----------
    path
        The ME or MaE label workbook.
    media
        The folder holding ``spNO.1/a/color/1.jpg`` ..., or None.
    """
    kind = kind_of_file(path)

    def prepare(rows, report) -> None:
        if kind is None:
            return
        for row in rows:
            if raw_text(row.values.get("kind")) == "":
                row.values["kind"] = kind
                row.headers.setdefault("kind", "(file name)")

    return import_table(path, SPEC, ALIASES, REQUIRED, media, prepare)
