"""ELAN ``.eaf`` (EAF 3.0) export and import, one file per clip.

Layout written (and read back)::

    TIER "alice"              time-alignable, one annotation per event:
                              onset .. offset, value = emotion
      TIER "alice/apex"       Symbolic_Association: apex frame index ("59"; empty if NA)
      TIER "alice/aus"        Symbolic_Association: FACS code ("1+2+R12")
      TIER "alice/kind"       Symbolic_Association: micro / macro
      TIER "alice/note"       Symbolic_Association: note
      TIER "alice/event_id"   Symbolic_Association: the event id
      TIER "alice/confidence" Symbolic_Association: detector score (only when any)
    TIER "alice #2"           a second lane when alice's events overlap in time
                              (ELAN draws one annotation at a time per tier)

- One tier per rater (plus lanes for overlapping events); the dependent tiers use
  the linguistic type ``workbench-detail`` (``Symbolic_Association``, not time
  alignable), the event tiers ``workbench-event``.
- Times are milliseconds from the clip's fps: an event covers its frames from the
  start of ``onset`` to the start of ``offset + 1``, so
  ``start = round(onset * 1000 / fps)``, ``end = round((offset + 1) * 1000 / fps)``
  and reading back rounds to the nearest frame: export then import gives the same
  frames for any fps up to 1000.
- The media file is linked in a ``MEDIA_DESCRIPTOR`` (absolute ``file:`` URL when the
  media root is given, and a relative URL); the header properties ``workbench:clip``
  and ``workbench:fps`` let the import recover the clip id and the frame rate.
- Import reads any ELAN file: each top-level tier is a rater (lanes ``"name #k"``
  merged), its annotations events; dependent tiers named ``<tier>/<field>`` fill the
  fields above, other tiers are reported and left out.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.datasets.build import FRAME_BASIS_INDEX, ImportResult
from workbench.datasets.report import Report
from workbench.schema import (
    EMOTIONS,
    SCHEMA_VERSION,
    canonical_emotion,
    coerce_events,
    empty_events,
    events_from_records,
    frame_to_ms,
    validate_events,
)

EVENT_TYPE = "workbench-event"
DETAIL_TYPE = "workbench-detail"
#: Dependent tiers: event field -> text for ELAN.
DETAIL_FIELDS = ("apex", "aus", "kind", "note", "event_id", "confidence")
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_LANE = re.compile(r"^(?P<rater>.+) #(?P<lane>\d+)$")


# --------------------------------------------------------------------------- times


def frames_to_ms(onset: int, offset: int, fps: float) -> tuple[int, int]:
    """ELAN start and end (ms) of an event covering frames ``onset..offset`` inclusive."""
    return int(round(float(frame_to_ms(onset, fps)))), int(round(float(frame_to_ms(offset + 1, fps))))


def ms_to_frames(start: int, end: int, fps: float) -> tuple[int, int]:
    """Frames ``onset..offset`` of an ELAN annotation from ``start`` to ``end`` (ms)."""
    onset = int(round(start * fps / 1000.0))
    offset = max(onset, int(round(end * fps / 1000.0)) - 1)
    return onset, offset


# --------------------------------------------------------------------------- export


def _lanes(events: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """(tier id, events) per rater and lane; a lane holds events that do not overlap."""
    for rater, group in events.groupby("rater", sort=True):
        lanes: list[list[int]] = []
        ends: list[int] = []
        for i, row in group.sort_values(["onset", "offset"]).iterrows():
            k = next((k for k, end in enumerate(ends) if int(row["onset"]) > end), None)
            if k is None:
                lanes.append([])
                ends.append(-1)
                k = len(lanes) - 1
            lanes[k].append(i)
            ends[k] = int(row["offset"])
        for k, rows in enumerate(lanes):
            yield (str(rater) if k == 0 else f"{rater} #{k + 1}"), group.loc[rows]


def _detail_text(field: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if field == "apex":
        return str(int(value))
    if field == "confidence":
        return repr(float(value))
    return str(value)


def _media(eaf, clip: str, media_root: str | Path | None, eaf_path: Path) -> None:
    """Link the clip's media: absolute file URL when the root is known, and a relative URL."""
    if media_root is not None:
        path = (Path(media_root) / clip).resolve()
        url = path.as_uri()
        rel = os.path.relpath(path, eaf_path.resolve().parent)
    else:
        path, url, rel = Path(clip), Path(clip).as_posix(), None
    mime = mimetypes.guess_type(path.name)[0] or ("image/jpeg" if not path.suffix else "video/*")
    eaf.add_linked_file(url, relpath=None if rel is None else Path(rel).as_posix(), mimetype=mime)


def to_eaf(events: pd.DataFrame, fps: float, clip: str, eaf_path: Path, media_root=None):
    """A :class:`pympi.Elan.Eaf` holding the events of one clip (every rater)."""
    from pympi import Elan

    eaf = Elan.Eaf(author="workbench")
    eaf.adocument.update(
        {
            "VERSION": "3.0",
            "FORMAT": "3.0",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
        }
    )
    eaf.header.update({"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    eaf.remove_tier("default")
    eaf.add_linguistic_type(EVENT_TYPE, timealignable=True)
    eaf.add_linguistic_type(DETAIL_TYPE, constraints="Symbolic_Association", timealignable=False)
    _media(eaf, clip, media_root, eaf_path)
    fields = [f for f in DETAIL_FIELDS if f != "confidence" or events["confidence"].notna().any()]
    for tier, group in _lanes(events):
        eaf.add_tier(tier, ling=EVENT_TYPE)
        for field in fields:
            eaf.add_tier(f"{tier}/{field}", ling=DETAIL_TYPE, parent=tier)
        for _, ev in group.iterrows():
            start, end = frames_to_ms(int(ev["onset"]), int(ev["offset"]), fps)
            emotion = "" if pd.isna(ev["emotion"]) else str(ev["emotion"])
            eaf.add_annotation(tier, start, end, emotion)
            # pympi finds the parent by time: the middle of the event lies in no other
            # annotation of this lane (an event may start where the previous one ends)
            middle = (start + end) / 2
            for field in fields:
                text = _detail_text(field, ev[field])
                eaf.add_ref_annotation(f"{tier}/{field}", tier, middle, text)
    eaf.properties = [
        ("lastUsedAnnotation", str(eaf.maxaid)),
        ("workbench:clip", clip),
        ("workbench:fps", repr(float(fps))),
        ("workbench:schema_version", str(SCHEMA_VERSION)),
    ]
    return eaf


def eaf_name(clip: str) -> str:
    """File name for a clip's ELAN file: ``sub01/EP02_01f`` -> ``sub01__EP02_01f.eaf``."""
    return clip.replace("/", "__") + ".eaf"


def export_elan(events: pd.DataFrame, out: str | Path, fps: float, media_root: str | Path | None = None) -> list[Path]:
    """Write one EAF 3.0 file per clip.

    Parameters
    ----------
    events
        Events of any raters and clips.
    out
        A ``.eaf`` file (when all events are of one clip) or a folder.
    fps
        The clips' frame rate (frames -> ms).
    media_root
        The folder the clip ids are relative to, for absolute media links.

    Returns
    -------
    list of Path
        The files written.
    """
    from pympi import Elan

    events = coerce_events(events)
    out = Path(out)
    clips = sorted(events["clip"].unique())
    if out.suffix.lower() == ".eaf":
        if len(clips) != 1:
            raise ValueError(
                f"Expected the events of one clip for the single file {out}, but got "
                f"{len(clips)} clips ({', '.join(clips[:3])}...); give a folder instead."
            )
        targets = {clips[0]: out}
    else:
        targets = {clip: out / eaf_name(clip) for clip in clips}
    written = []
    for clip, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        eaf = to_eaf(events[events["clip"] == clip], fps, clip, path, media_root)
        path.write_text(XML_DECLARATION + Elan.to_string(eaf), encoding="utf-8")
        written.append(path)
    return written


# --------------------------------------------------------------------------- import


def _property(eaf, name: str) -> str | None:
    return next((str(v) for k, v in eaf.properties if k == name), None)


def _clip_of(eaf, path: Path) -> str:
    clip = _property(eaf, "workbench:clip")
    if clip:
        return clip
    for md in eaf.media_descriptors:
        url = md.get("RELATIVE_MEDIA_URL") or md.get("MEDIA_URL")
        if url:
            return re.sub(r"^(file:)?(//)?\.?/", "", url)
    return path.stem


def _fps_of(eaf, path: Path, fps: float | None) -> float:
    if fps:
        return float(fps)
    text = _property(eaf, "workbench:fps")
    if text is None:
        raise ValueError(
            f"Expected the clip's fps (--fps) for {path}: it has no workbench:fps property "
            "and ELAN times must be turned into frames."
        )
    return float(text)


def _details(eaf, tier: str, report: Report) -> dict[str, dict[str, str]]:
    """Field -> {parent annotation id -> value} from the tier's dependent tiers."""
    out: dict[str, dict[str, str]] = {}
    for child, (_, refs, attrs, _) in eaf.tiers.items():
        if attrs.get("PARENT_REF") != tier:
            continue
        field = child.rsplit("/", 1)[-1]
        if not child.startswith(f"{tier}/") or field not in DETAIL_FIELDS:
            report.add(None, child, "", "skipped", f"dependent tier of {tier!r} is not a known field")
            continue
        out[field] = {ref: value for ref, value, *_ in refs.values()}
    return out


def _event(aid, ann, details, eaf, fps, clip, rater, report) -> dict:
    ts1, ts2, value, _ = ann
    onset, offset = ms_to_frames(eaf.timeslots[ts1], eaf.timeslots[ts2], fps)
    d = {f: details.get(f, {}).get(aid, "") for f in DETAIL_FIELDS}
    apex = pd.NA
    if d["apex"]:
        try:
            apex = int(d["apex"])
        except ValueError:
            report.add(None, f"{rater}/apex", d["apex"], "cleared", "apex is no frame number")
    text = (value or "").strip()
    emotion = canonical_emotion(text) or ("others" if text else None)
    return {
        "clip": clip,
        "rater": rater,
        "event_id": d["event_id"] or None,
        "onset": onset,
        "apex": apex,
        "offset": offset,
        "emotion": emotion,
        "aus": d["aus"],
        "kind": d["kind"] or None,
        "confidence": float(d["confidence"]) if d["confidence"] else np.nan,
        "note": d["note"],
        "emotion_raw": text,
        "frame_basis": FRAME_BASIS_INDEX,
    }


def read_eaf(path: str | Path, fps: float | None = None) -> tuple[pd.DataFrame, Report, float]:
    """Events, report and fps of an ELAN file (see the module docstring)."""
    from pympi import Elan

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Expected an ELAN file at {path}, but there is no such file.")
    try:
        eaf = Elan.Eaf(str(path), suppress_version_warning=True)
    except Exception as exc:  # pympi raises what its XML parser raises
        raise ValueError(f"Expected an ELAN .eaf file, but {path} could not be read: {exc}") from exc
    report = Report()
    fps = _fps_of(eaf, path, fps)
    clip = _clip_of(eaf, path)
    records = []
    for tier, (aligned, _, attrs, _) in eaf.tiers.items():
        if attrs.get("PARENT_REF"):
            continue
        m = _LANE.match(tier)
        rater = m.group("rater") if m else tier
        details = _details(eaf, tier, report)
        for aid, ann in aligned.items():
            records.append(_event(aid, ann, details, eaf, fps, clip, rater, report))
    if not records:
        report.add(None, "", "", "note", f"{path.name} has no annotations on top-level tiers")
        return empty_events(), report, fps
    df = events_from_records(records)
    df["emotion"] = pd.Categorical(df["emotion"], categories=list(EMOTIONS))
    return validate_events(df, source=str(path)), report, fps


def load(path: str | Path, media: str | Path | None = None, fps: float | None = None) -> ImportResult:
    """Import an ELAN file (``media`` is unused: ELAN times are already clip times)."""
    events, report, fps = read_eaf(path, fps)
    return ImportResult(events, report.to_frame(), fps, "elan")
