"""From a dataset's rows to the events table: the rules every importer shares.

Each importer reads its file into :class:`SourceRow` objects (field -> cell value,
with the header as written) and hands them to :func:`build_events` with its
:class:`DatasetSpec`. The rules, in order:

- **Frames.** A cell is read as a whole frame number. A fractional number is rounded
  to the nearest frame (reported). A negative number, ``/``, ``-`` or a value the
  dataset uses for "not coded" (CAS(ME)^2 offset 0) is not coded: NA (reported).
  A row without an onset is skipped (reported); a row without an offset takes its
  apex as offset (reported) or is skipped. An apex outside onset..offset is cleared.
- **Frame numbers and indices.** With a media root, each number maps to its index in
  the clip's folder sorted by image number (``frame_basis = "index"``). Without one,
  or when the clip's folder is not found, the dataset's numbers are kept as frame
  values (``frame_basis = "dataset number"``) and the report says so. The original
  numbers are always in ``onset_raw``, ``apex_raw``, ``offset_raw``.
- **Emotion.** :func:`workbench.schema.canonical_emotion`, else ``others``; the word
  as written is kept in ``emotion_raw`` (CASME II ``repression`` -> others).
- **AUs.** Kept as written (a number cell 12 -> ``"12"``); a code
  :func:`workbench.facs.parse` cannot read is cleared (reported), kept in ``aus_raw``.
- **Kind.** From the dataset's type column when it says micro or macro, else
  :func:`workbench.schema.kind_from_duration` with the dataset's fps.
- **Ids.** ``event_id`` is derived from dataset, file name and row, so importing the
  same file again gives the same ids.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench import facs
from workbench.datasets.frames import MediaIndex
from workbench.datasets.report import Report
from workbench.schema import (
    canonical_emotion,
    empty_events,
    events_from_records,
    kind_from_duration,
    validate_events,
)

FRAME_FIELDS = ("onset", "apex", "offset")
#: Fields the builder turns into schema columns; every other field becomes an extra column.
EVENT_FIELDS = (*FRAME_FIELDS, "emotion", "aus", "kind")
#: Cell texts that mean "not coded" in a frame column.
NOT_CODED_TEXT = frozenset({"/", "-", "?", "na", "n/a", "none"})
FRAME_BASIS_INDEX = "index"
FRAME_BASIS_NUMBER = "dataset number"
_ID_NAMESPACE = uuid.UUID("5d1f8a0e-7c1b-4f5e-9a57-3c9e2b1d6f40")


@dataclass(frozen=True)
class DatasetSpec:
    """What differs between datasets once their rows are read.

    Attributes
    ----------
    name : str
        Registry name, also the rater of the imported events (``"casme2"``).
    title : str
        The dataset's published name, for messages (``"CASME II"``).
    fps : float
        Recording frame rate, for ``kind`` from duration and for ELAN times.
    clip : callable
        Row values -> clip id (folder relative to the dataset's media root).
    folders : callable or None
        Row values -> candidate folders under the media root (default: the clip id).
    prefix_match : bool
        The last folder part may be a prefix of the name on disk (CAS(ME)^2).
    not_coded : mapping
        Field -> frame values that mean "not coded" (CAS(ME)^2 ``{"offset": {0}}``).
    """

    name: str
    title: str
    fps: float
    clip: Callable[[Mapping], str]
    folders: Callable[[Mapping], Sequence[str]] | None = None
    prefix_match: bool = False
    not_coded: Mapping[str, frozenset] = field(default_factory=dict)


@dataclass
class SourceRow:
    """One data row of a source file.

    Attributes
    ----------
    number : int
        The row number as the source shows it (1-based).
    values : dict
        Field -> cell value (``onset``, ``emotion``, ``subject``, ``notes``, ...).
    headers : dict
        Field -> header as written in the source, for report messages.
    """

    number: int
    values: dict
    headers: dict


@dataclass
class ImportResult:
    """What an importer returns.

    Attributes
    ----------
    events : DataFrame
        The validated events table (schema columns first, then the extra columns).
    report : DataFrame
        Findings: row, column, value, action, why (see :mod:`workbench.datasets.report`).
    fps : float or None
        The dataset's frame rate.
    dataset : str
        The dataset (registry) name.
    """

    events: pd.DataFrame
    report: pd.DataFrame
    fps: float | None
    dataset: str

    def emotion_counts(self) -> pd.Series:
        """Events per emotion (schema emotions), largest first."""
        return self.events["emotion"].value_counts(dropna=False)


# --------------------------------------------------------------------------- cells


def raw_text(value: object) -> str:
    """A cell as text for the ``*_raw`` columns: 46 -> "46", 46.0 -> "46", None -> ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def frame_number(value: object) -> tuple[int | None, str]:
    """Read a frame cell: (number or None, "" or what was done / why it is None).

    The second item starts with ``"rounded"``, ``"not coded"``, ``"empty"`` or
    ``"unreadable"`` when the cell was not a plain whole number.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "empty cell"
    if isinstance(value, bool):
        return None, "unreadable: a true/false cell"
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in NOT_CODED_TEXT:
            return None, f"not coded (written {text!r})"
        try:
            value = float(text)
        except ValueError:
            return None, "unreadable: no number"
    number = float(value)
    if math.isnan(number):
        return None, "empty cell"
    if number < 0:
        return None, f"not coded (negative number {raw_text(value)})"
    if not number.is_integer():
        return int(math.floor(number + 0.5)), "rounded to the nearest whole frame"
    return int(number), ""


def aus_text(value: object) -> str:
    """An "Action Units" cell as a code: 12 -> "12", " 12+15 " -> "12+15", None -> ""."""
    return raw_text(value)


def kind_text(value: object) -> str | None:
    """``micro`` / ``macro`` from a type cell ("Micro - 1/2", "macro-expression"), else None."""
    text = raw_text(value).lower()
    if "micro" in text:
        return "micro"
    if "macro" in text:
        return "macro"
    return None


# --------------------------------------------------------------------------- one row


def _frames(row: SourceRow, spec: DatasetSpec, report: Report) -> dict[str, int | None] | None:
    """The row's frame numbers after the repair rules, or None when the row is skipped."""
    out: dict[str, int | None] = {}
    for f in FRAME_FIELDS:
        value = row.values.get(f)
        header = row.headers.get(f, f)
        number, why = frame_number(value)
        if number is not None and number in spec.not_coded.get(f, ()):
            number, why = None, f"not coded ({spec.title} writes {number} for a frame not coded)"
        if why.startswith("rounded"):
            report.add(row.number, header, value, "repaired", f"fractional frame number {why}: {number}")
        elif number is None and f == "apex" and f in row.values:
            report.add(row.number, header, value, "repaired", f"apex {why}; apex set to NA")
        out[f] = number
        if number is None and f != "apex":
            out[f"{f}_why"] = why
    return _complete(row, out, report)


def _tell(report: Report, row: SourceRow, field: str, action: str, why: str) -> None:
    """Report a finding about one field of a row, with its header and value as written."""
    report.add(row.number, row.headers.get(field, field), row.values.get(field), action, why)


def _complete(row: SourceRow, fr: dict, report: Report) -> dict | None:
    """Apply the onset/offset/apex rules; None when the row cannot be an event."""
    onset, apex, offset = fr["onset"], fr["apex"], fr["offset"]
    if onset is None:
        _tell(report, row, "onset", "skipped", f"no onset frame ({fr['onset_why']})")
        return None
    if offset is None:
        if apex is None:
            why = f"no offset frame ({fr['offset_why']}) and no apex to stand in"
            _tell(report, row, "offset", "skipped", why)
            return None
        offset = apex
        why = f"offset {fr['offset_why']}; the apex frame {apex} is used as offset"
        _tell(report, row, "offset", "repaired", why)
    if onset > offset:
        why = f"Expected onset <= offset, but got onset={onset}, offset={offset}"
        _tell(report, row, "offset", "skipped", why)
        return None
    if apex is not None and not onset <= apex <= offset:
        why = f"Expected onset <= apex <= offset, but got {onset} <= {apex} <= {offset}; apex set to NA"
        _tell(report, row, "apex", "cleared", why)
        apex = None
    return {"onset": onset, "apex": apex, "offset": offset}


def _aus(row: SourceRow, report: Report) -> str:
    code = aus_text(row.values.get("aus"))
    if not code:
        return ""
    try:
        facs.parse(code)
    except ValueError as exc:
        _tell(report, row, "aus", "cleared", f"unreadable FACS code, kept in aus_raw: {exc}")
        return ""
    return code


def _kind(row: SourceRow, frames: dict, spec: DatasetSpec, report: Report) -> str:
    if "kind" in row.values:
        kind = kind_text(row.values["kind"])
        if kind:
            return kind
        why = f"type is neither micro nor macro; kind from duration at {spec.fps:g} fps"
        _tell(report, row, "kind", "repaired", why)
    return kind_from_duration(frames["onset"], frames["offset"], spec.fps)


def _record(row: SourceRow, spec: DatasetSpec, source: str, report: Report) -> dict | None:
    frames = _frames(row, spec, report)
    if frames is None:
        return None
    try:
        clip = spec.clip(row.values)
    except (KeyError, TypeError, ValueError) as exc:
        report.add(row.number, "", "", "skipped", f"no clip path for this row: {exc}")
        return None
    emotion_raw = raw_text(row.values.get("emotion"))
    has_emotion = "emotion" in row.values
    record = {
        "clip": clip,
        "rater": spec.name,
        "event_id": uuid.uuid5(_ID_NAMESPACE, f"{spec.name}|{source}|{row.number}").hex,
        **frames,
        "emotion": (canonical_emotion(emotion_raw) or "others") if has_emotion else None,
        "aus": _aus(row, report),
        "kind": _kind(row, frames, spec, report),
        "confidence": None,
        "note": "",
    }
    extras = {k: v for k, v in row.values.items() if k not in EVENT_FIELDS and k[0] != "_"}
    for f in FRAME_FIELDS:
        record[f"{f}_raw"] = raw_text(row.values.get(f))
    record["emotion_raw"] = emotion_raw
    record["aus_raw"] = aus_text(row.values.get("aus"))
    if "kind" in row.values:
        record["kind_raw"] = raw_text(row.values["kind"])
    record.update({k: raw_text(v) for k, v in extras.items()})
    record["source_row"] = row.number
    record["_values"] = row.values
    return record


# --------------------------------------------------------------------------- frames on disk


def _map_to_media(records: list[dict], spec: DatasetSpec, media: MediaIndex, report: Report) -> list[dict]:
    """Clip frame indices from the folders on disk; records whose frames are missing are dropped."""
    kept = []
    missing_clips: set[str] = set()
    for rec in records:
        candidates = spec.folders(rec["_values"]) if spec.folders else [rec["clip"]]
        hit = media.locate(candidates, spec.prefix_match)
        if hit is None:
            if rec["clip"] not in missing_clips:
                missing_clips.add(rec["clip"])
                report.add(
                    None,
                    "clip",
                    rec["clip"],
                    "kept",
                    f"no numbered images under {media.root} at {', '.join(candidates)}; "
                    "this clip keeps the dataset's frame numbers",
                )
            rec["frame_basis"] = FRAME_BASIS_NUMBER
            kept.append(rec)
            continue
        rel, numbers = hit
        if _index_frames(rec, numbers, rel, report):
            rec["clip"] = rel
            rec["frame_basis"] = FRAME_BASIS_INDEX
            kept.append(rec)
    return kept


def _index_frames(rec: dict, numbers: list[int], rel: str, report: Report) -> bool:
    position = {n: i for i, n in enumerate(numbers)}
    for f in FRAME_FIELDS:
        n = rec[f]
        if n is None:
            continue
        if n not in position:
            report.add(
                rec["source_row"],
                f,
                n,
                "skipped",
                f"frame number {n} is not among the images of {rel} (numbers {numbers[0]}..{numbers[-1]})",
            )
            return False
        rec[f] = position[n]
    return True


def build_events(
    rows: Sequence[SourceRow],
    spec: DatasetSpec,
    source: str,
    report: Report,
    media: str | None = None,
) -> ImportResult:
    """Apply the shared rules to a dataset's rows and validate the table.

    Parameters
    ----------
    rows
        The data rows, in source order.
    spec
        The dataset's :class:`DatasetSpec`.
    source
        The file the rows came from (named in messages; its name seeds the event ids).
    report
        Findings so far (e.g. from reading the file); this adds to it.
    media
        The dataset's media root (clip folders under it), or None.

    Returns
    -------
    ImportResult
    """
    name = Path(source).name
    records = [r for r in (_record(row, spec, name, report) for row in rows) if r is not None]
    if media is not None:
        records = _map_to_media(records, spec, MediaIndex(media), report)
    else:
        for rec in records:
            rec["frame_basis"] = FRAME_BASIS_NUMBER
        report.add(
            None,
            "onset, apex, offset",
            "",
            "note",
            "frames are the dataset's frame numbers (no media root given); "
            "they are also kept in onset_raw, apex_raw, offset_raw",
        )
    for rec in records:
        del rec["_values"]
    events = events_from_records(records) if records else empty_events()
    events = validate_events(events, source=source)
    return ImportResult(events, report.to_frame(), spec.fps, spec.name)
