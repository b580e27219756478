"""Any detector's event predictions as a plain CSV, with a column mapping.

One row per predicted event; the columns may have any names, mapped on the command line::

    workbench import events preds.csv --dataset casme2 --rater detector:mynet \\
        --columns clip=video,onset=start,offset=end,apex=peak,emotion=label,aus=au,confidence=score

=============  =========  ===============================================================
field          required   meaning
=============  =========  ===============================================================
``clip``       yes        clip id (its path under ``data/<dataset>/``)
``onset``      yes        first frame of the event (``--unit`` frames, s or ms)
``offset``     yes        last frame
``apex``       no         frame of the peak
``emotion``    no         any spelling of the seven emotions (else ``others``; the word is
                          kept in ``emotion_raw``)
``aus``        no         FACS code (``6+12``, ``R12``); checked against the grammar
``confidence`` no         the detector's score
=============  =========  ===============================================================

A field without a mapping is looked for under its own name (any case). Times (``--unit s``
or ``ms``) become frames with ``--fps``: ``round(t * fps)``; the cell as written is kept in
``onset_raw``, ``apex_raw``, ``offset_raw``. The separator (comma, semicolon, tab) is found
from the header. Every event is checked like any other (:func:`workbench.schema.validate_events`):
a bad row is an error naming the file, the line, the column and the rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.datasets.build import ImportResult
from workbench.datasets.report import Report
from workbench.schema import canonical_emotion, events_from_records, kind_from_duration, validate_events

FIELDS = ("clip", "onset", "offset", "apex", "emotion", "aus", "confidence")
REQUIRED = ("clip", "onset", "offset")
UNITS = ("frames", "s", "ms")
DEFAULT_RATER = "detector:events"
_ID_NAMESPACE = uuid.UUID("8f0b3c52-51f4-4f0e-9e7e-3a1c2b9d4e61")


def parse_columns(text: str | None) -> dict[str, str]:
    """``"onset=start,offset=end"`` -> ``{"onset": "start", "offset": "end"}``.

    Raises
    ------
    ValueError
        For an unknown field or a pair without ``=``.
    """
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column:
            raise ValueError(f"Expected FIELD=COLUMN pairs separated by commas, but got {part.strip()!r}.")
        if field not in FIELDS:
            raise ValueError(f"Expected a field among {', '.join(FIELDS)}, but got {field!r} (in --columns).")
        mapping[field] = column
    return mapping


def _columns(names: list[str], mapping: Mapping[str, str], path: Path) -> dict[str, str]:
    """Field -> the file's column, from the mapping or by name (any case)."""
    lower = {n.strip().lower(): n for n in names}
    found = {}
    for field in FIELDS:
        if field in mapping:
            if mapping[field] not in names:
                raise ValueError(
                    f"Expected a column {mapping[field]!r} for {field} (--columns), but got columns "
                    f"{', '.join(map(repr, names))} ({path}, line 1)."
                )
            found[field] = mapping[field]
        elif field in lower:
            found[field] = lower[field]
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise ValueError(
            f"Expected columns for {', '.join(REQUIRED)} (map them with --columns {missing[0]}=NAME), but got "
            f"{', '.join(map(repr, names))} ({path}, line 1, no column for {missing[0]!r})."
        )
    return found


def _frames(cells: pd.Series, unit: str, fps: float | None) -> pd.Series:
    """Frame numbers from frames or times; unreadable cells stay as written (the schema refuses them)."""
    if unit == "frames":
        return cells
    numbers = pd.to_numeric(cells, errors="coerce")
    seconds = numbers / (1000.0 if unit == "ms" else 1.0)
    frames = np.rint(seconds.to_numpy(dtype=float) * float(fps))
    return cells.where(numbers.isna() & cells.notna(), pd.Series(frames, index=cells.index))


def _confidence(table: pd.DataFrame, column: str | None, path: Path) -> pd.Series | None:
    if column is None:
        return None
    cells = table[column].str.strip().replace("", None)
    numbers = pd.to_numeric(cells, errors="coerce")
    bad = np.flatnonzero(numbers.isna().to_numpy() & cells.notna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"Expected a number, but got {cells.iloc[i]!r} ({path}, line {i + 2}, column {column!r}).")
    return numbers


def load(
    path: str | Path,
    media: str | Path | None = None,
    fps: float | None = None,
    columns: Mapping[str, str] | str | None = None,
    unit: str = "frames",
    rater: str = DEFAULT_RATER,
) -> ImportResult:
    """Import a CSV of event predictions (see the module docstring).

    Parameters
    ----------
    path
        The CSV.
    media
        Unused (the frames are the clips' own indices).
    fps
        The clips' frame rate: needed for ``unit`` s or ms; gives ``kind`` from duration.
    columns
        Field -> column name (or the ``--columns`` text).
    unit
        ``frames``, ``s`` or ``ms``.
    rater
        The rater the events belong to (``detector:<name>``).

    Raises
    ------
    ValueError
        A missing column, a time without ``fps``, or a row breaking a rule of the schema
        (naming the file, the line and the column).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected an events CSV at {path}, but there is no such file.")
    if unit not in UNITS:
        raise ValueError(f"Expected a unit among {', '.join(UNITS)}, but got {unit!r}.")
    if unit != "frames" and not fps:
        raise ValueError(f"Expected --fps with --unit {unit} (times become frames), but got no frame rate.")
    mapping = parse_columns(columns) if isinstance(columns, str) or columns is None else dict(columns)
    table = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    found = _columns([str(c) for c in table.columns], mapping, path)
    report = Report()
    out = pd.DataFrame({"clip": table[found["clip"]].str.strip(), "rater": rater})
    for field in ("onset", "apex", "offset"):
        cells = (
            table[found[field]].str.strip().replace("", None) if field in found else pd.Series(None, index=table.index)
        )
        out[field] = _frames(cells, unit, fps)
        if field in found and unit != "frames":
            out[f"{field}_raw"] = table[found[field]]
    if unit != "frames":
        report.add(None, "", unit, "note", f"times in {unit} became frames at {fps:g} fps (round(t * fps))")
    words = table[found["emotion"]].str.strip() if "emotion" in found else pd.Series("", index=table.index)
    out["emotion"] = [canonical_emotion(w) or "others" for w in words]
    out["emotion_raw"] = words
    out["aus"] = table[found["aus"]].str.strip() if "aus" in found else ""
    out["confidence"] = _confidence(table, found.get("confidence"), path)
    out["event_id"] = [uuid.uuid5(_ID_NAMESPACE, f"{path.name}|{i + 2}").hex for i in range(len(table))]
    out["source_row"] = np.arange(len(table)) + 2
    events = validate_events(events_from_records(out.to_dict("records")), source=str(path), line_of=lambda i: i + 2)
    if fps:
        events["kind"] = pd.Categorical(
            [kind_from_duration(a, b, fps) for a, b in zip(events["onset"], events["offset"], strict=True)],
            categories=events["kind"].cat.categories,
        )
    return ImportResult(events, report.to_frame(), fps, "events")
