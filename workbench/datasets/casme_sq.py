"""CAS(ME)^2 codes (``CAS(ME)^2code_final.xlsx``), a MEGC spotting set.

Layout: three sheets, none with a header row.

- The **codes** sheet (the first), one expression per row, by position::

      subject | clip name | onset | apex | offset | AUs | emotion | type | self-report
      1       | anger1_1  | 557   | 572  | 608    | 4+10 | negative | macro-expression | ...

  If a copy carries a header row after all (``Subject``, ``Onset``...), it is found by
  content and used.
- The **subject naming** sheet: ``(?, subject folder code, subject number)`` rows, e.g.
  ``(.., 15, 1)``: subject 1 of the codes sheet is folder ``s15``.
- The **clip naming** sheet: ``(clip code, clip name)`` rows, e.g. ``("0401", "anger1")``:
  clip ``anger1_1`` of the codes sheet is video ``0401``.
  Both are recognised by their content, not by their position.
- The video folder is ``s15/15_0401girlcrashing`` (code, then a description); the
  clip id uses the descriptions of :data:`CLIP_DESCRIPTIONS`, and on disk the folder is
  matched by its ``15_0401`` prefix. Images are ``img1.jpg``...; 30 fps.
- An offset (or apex) of 0 means "not coded": an offset takes the apex frame
  instead, an apex becomes NA; both reported.
- ``type`` gives the kind (``macro-expression`` / ``micro-expression``); ``emotion`` holds
  ``positive``, ``negative``, ``surprise``, ``others``: the first two become ``others``
  with the word in ``emotion_raw``.
- Extra columns: ``subject``, ``filename``, ``self_report``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from workbench.datasets.build import DatasetSpec, ImportResult, SourceRow, build_events, raw_text
from workbench.datasets.report import Report
from workbench.datasets.sheet import find_header, is_empty_row, read_sheets
from workbench.datasets.tables import rows_from_sheet

FPS = 30.0

#: Column order of the codes sheet when it has no header row.
POSITIONAL = (
    "subject",
    "filename",
    "onset",
    "apex",
    "offset",
    "aus",
    "emotion",
    "kind",
    "self_report",
)
HEADERS = {
    "subject": "column A (subject)",
    "filename": "column B (clip name)",
    "onset": "column C (onset)",
    "apex": "column D (apex)",
    "offset": "column E (offset)",
    "aus": "column F (AUs)",
    "emotion": "column G (emotion)",
    "kind": "column H (type)",
    "self_report": "column I (self-report)",
}
ALIASES = {
    "subject": ("Subject", "sub"),
    "filename": ("Filename", "Video", "Clip"),
    "onset": ("Onset", "Onset Frame", "OnsetFrame"),
    "apex": ("Apex", "Apex Frame", "ApexFrame"),
    "offset": ("Offset", "Offset Frame", "OffsetFrame"),
    "aus": ("AU", "AUs", "Action Units"),
    "emotion": ("Emotion", "Estimated Emotion"),
    "kind": ("Type", "Expression type"),
    "self_report": ("Self-report", "Self report", "selfReport"),
}
REQUIRED = ("subject", "filename", "onset", "offset")

#: The description after the code in the CAS(ME)^2 video folder names (rawpic/s15/15_0101...).
CLIP_DESCRIPTIONS = {
    "0101": "disgustingteeth",
    "0102": "eatingworms",
    "0401": "girlcrashing",
    "0402": "beatingpregnantwoman",
    "0502": "funnyerrors",
    "0503": "unnyfarting",
    "0505": "funnyinnovations",
    "0507": "climbingthewall",
    "0508": "funnydunkey",
}

_CLIP_NAME = re.compile(r"[A-Za-z]+\d*")
_SUBJECT_CODE = re.compile(r"s?(\d+)", re.IGNORECASE)


def clip_naming(rows: Sequence[tuple]) -> dict[str, str]:
    """Clip name -> 4-digit video code, from ``("0401", "anger1")`` rows."""
    out = {}
    for row in rows:
        if len(row) < 2:
            continue
        code, name = raw_text(row[0]), raw_text(row[1])
        if code.isdigit() and len(code) <= 4 and _CLIP_NAME.fullmatch(name):
            out[name] = code.zfill(4)
    return out


def subject_naming(rows: Sequence[tuple]) -> dict[str, str]:
    """Subject number (as text) -> folder code, from ``(.., 15 or "s15", 1)`` rows."""
    out = {}
    for row in rows:
        if len(row) < 3:
            continue
        code, number = raw_text(row[1]), raw_text(row[2])
        m = _SUBJECT_CODE.fullmatch(code)
        if m and number.isdigit():
            out[str(int(number))] = m.group(1).zfill(2)
    return out


def _naming(sheets: Mapping[str, list[tuple]], first: str, report: Report) -> tuple[dict, dict]:
    """The naming tables found among the sheets after the codes sheet."""
    clips: dict[str, str] = {}
    subjects: dict[str, str] = {}
    for title, rows in sheets.items():
        if title == first:
            continue
        c, s = clip_naming(rows), subject_naming(rows)
        if len(c) > len(clips):
            clips = c
        if len(s) > len(subjects):
            subjects = s
    for what, table in (("clip naming", clips), ("subject naming", subjects)):
        if not table:
            report.add(None, "", "", "note", f"no {what} sheet found; clip ids use the codes sheet's names")
    return clips, subjects


def _codes_rows(rows: list[tuple], title: str, source: str, report: Report) -> list[SourceRow]:
    """Data rows of the codes sheet: by header when it has one, else by position."""
    try:
        header = find_header(rows, ALIASES, REQUIRED, f"{source}, sheet {title!r}")
    except ValueError:
        header = None
    if header is not None:
        return rows_from_sheet(rows, header, report)
    report.add(None, "", "", "note", f"sheet {title!r} has no header row; columns read by position")
    out = []
    for i, row in enumerate(rows):
        if is_empty_row(row):
            report.add(i + 1, "", "", "skipped", "empty row")
            continue
        values = {f: (row[pos] if pos < len(row) else None) for pos, f in enumerate(POSITIONAL)}
        out.append(SourceRow(i + 1, values, dict(HEADERS)))
    return out


def _clip_ids(rows: list[SourceRow], clips: dict, subjects: dict, report: Report) -> None:
    """Add ``_clip`` and ``_folder`` (on-disk prefix) to each row's values."""
    for row in rows:
        subject = raw_text(row.values.get("subject"))
        name = raw_text(row.values.get("filename"))
        code = subjects.get(str(int(subject)) if subject.isdigit() else subject)
        video = clips.get(name.split("_")[0])
        if code is None or video is None:
            missing = "subject" if code is None else "clip name"
            report.add(
                row.number,
                row.headers.get("subject" if code is None else "filename"),
                subject if code is None else name,
                "kept",
                f"no {missing} in the naming sheets; clip id made from the codes sheet",
            )
            row.values["_clip"] = f"{subject}/{name}"
            row.values["_folder"] = row.values["_clip"]
            continue
        prefix = f"s{code}/{code}_{video}"
        row.values["_clip"] = prefix + CLIP_DESCRIPTIONS.get(video, "")
        row.values["_folder"] = prefix


def frame_path(clip: str, number: int) -> str:
    """The image of dataset frame ``number``: ``s15/15_0101disgustingteeth/img1.jpg``."""
    return f"{clip}/img{int(number)}.jpg"


SPEC = DatasetSpec(
    name="casme_sq",
    title="CAS(ME)^2",
    fps=FPS,
    clip=lambda v: v["_clip"],
    folders=lambda v: [v["_clip"], v["_folder"]],
    prefix_match=True,
    not_coded={"offset": frozenset({0}), "apex": frozenset({0})},
)


def load(path: str | Path, media: str | Path | None = None) -> ImportResult:
    """Import the CAS(ME)^2 codes workbook.

    Parameters
    ----------
    path
        ``CAS(ME)^2code_final.xlsx`` (codes, subject naming and clip naming sheets).
    media
        The ``rawpic`` folder holding ``s15/15_0101disgustingteeth/img1.jpg`` ..., or None.
    """
    report = Report()
    sheets = read_sheets(path)
    if not sheets:
        raise ValueError(f"Expected a codes sheet in {path}, but the workbook has no sheets.")
    first = next(iter(sheets))
    rows = _codes_rows(sheets[first], first, str(path), report)
    clips, subjects = _naming(sheets, first, report)
    _clip_ids(rows, clips, subjects, report)
    return build_events(rows, SPEC, str(path), report, None if media is None else str(media))
