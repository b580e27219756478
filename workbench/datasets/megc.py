"""MEGC spotting log: the per-interval result file of the MEGC 2020-2022 spotting task.

The MEGC evaluation (baseline of He et al., MEGC 2020, and the 2021/2022 editions on
CAS(ME)^2 and SAMM Long Videos) writes one row per interval, each ground-truth
interval and each predicted one, with whether it is a true positive (IoU >= 0.5
with an interval of the other side), a miss or a false alarm::

    Video_ID,GT_onset,GT_offset,Predicted_onset,Predicted_offset,Result
    015_3,206,308,-,-,FN
    015_3,-,-,160,232,FP
    025_5,840,937,841,920,TP

- ``-`` marks the side a row does not have. Rows of a video are ordered by the
  predicted onset (TP, FP) or the ground-truth onset (FN), as the MEGC log is.
- Export matches the two rater sets with :func:`workbench.agreement.match`
  (one-to-one at IoU >= 0.5 by default; ``mode="megc2020"`` for the baseline's
  counting). ``Video_ID`` is the clip id. Frames are the events' clip frame indices,
  or with ``numbers="dataset"`` the dataset's own numbers (``*_raw`` columns),
  which is what MEGC ground truth uses.
- Import reads that CSV, and also the MEGC 2020 baseline's whitespace-separated
  text log (whose lines holding only a dataset number are reported and skipped).
  Ground-truth intervals become events of the ground-truth rater, predicted ones
  events of ``detector:megc``. A log written with many-to-one matching repeats an
  interval on several rows; each row is read as its own event.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd

from workbench.agreement.match import match
from workbench.datasets.build import ImportResult
from workbench.datasets.report import Report
from workbench.schema import (
    coerce_events,
    empty_events,
    events_from_records,
    kind_from_duration,
    validate_events,
)

LOG_COLUMNS = ("Video_ID", "GT_onset", "GT_offset", "Predicted_onset", "Predicted_offset", "Result")
MISSING = "-"
PREDICTED_RATER = "detector:megc"
_ID_NAMESPACE = uuid.UUID("0c6f7f0e-33a2-4a43-9c3e-6d0f5b1e2a11")


# --------------------------------------------------------------------------- export


def _frames(df: pd.DataFrame, numbers: str) -> pd.DataFrame:
    """onset/offset as the log writes them: clip indices or the dataset's numbers."""
    out = df[["clip", "event_id"]].copy()
    for col in ("onset", "offset"):
        values = df[col].astype("Int64").astype(object)
        if numbers == "dataset" and f"{col}_raw" in df.columns:
            raw = df[f"{col}_raw"].astype(str)
            values = raw.where(raw.str.strip() != "", values.astype(str))
        out[col] = values.astype(str)
    return out


def log_table(
    truth: pd.DataFrame,
    predicted: pd.DataFrame,
    iou: float = 0.5,
    mode: str = "one-to-one",
    numbers: str = "index",
) -> pd.DataFrame:
    """The MEGC log rows for ground-truth and predicted events (columns :data:`LOG_COLUMNS`).

    Parameters
    ----------
    truth, predicted
        Events tables (one rater each).
    iou
        Least IoU of a true positive (MEGC: 0.5).
    mode
        ``"one-to-one"`` or ``"megc2020"`` (see :func:`workbench.agreement.match`).
    numbers
        ``"index"`` (clip frame indices) or ``"dataset"`` (the ``*_raw`` numbers).
    """
    from natsort import natsort_keygen

    if numbers not in ("index", "dataset"):
        raise ValueError(f"Expected numbers='index' or 'dataset', but got numbers={numbers!r}.")
    truth, predicted = coerce_events(truth), coerce_events(predicted)
    m = match(truth, predicted, iou=iou, mode=mode)
    gt = _frames(truth, numbers).set_index("event_id")
    pr = _frames(predicted, numbers).set_index("event_id")
    rows = []
    for _, p in m.pairs.iterrows():
        g, h = gt.loc[p["ref_id"]], pr.loc[p["hyp_id"]]
        rows.append((p["clip"], g["onset"], g["offset"], h["onset"], h["offset"], "TP"))
    for _, g in gt.loc[m.misses["event_id"]].iterrows():
        rows.append((g["clip"], g["onset"], g["offset"], MISSING, MISSING, "FN"))
    for _, h in pr.loc[m.false_alarms["event_id"]].iterrows():
        rows.append((h["clip"], MISSING, MISSING, h["onset"], h["offset"], "FP"))
    key = natsort_keygen()
    rows.sort(key=lambda r: (key(r[0]), int(r[3] if r[5] != "FN" else r[1])))
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))


def export_megc(truth: pd.DataFrame, predicted: pd.DataFrame, out: str | Path, **options) -> Path:
    """Write the MEGC log CSV of ``predicted`` against ``truth`` (options: see :func:`log_table`)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_table(truth, predicted, **options).to_csv(out, index=False, lineterminator="\n")
    return out


# --------------------------------------------------------------------------- import


def _read_log(path: Path, report: Report) -> list[tuple[int, list[str]]]:
    """(line number, six fields) per data line, from the CSV or the whitespace text log."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = [f.strip() for f in (line.split(",") if "," in line else line.split())]
        if [f.lower() for f in fields] == [c.lower() for c in LOG_COLUMNS]:
            continue
        if len(fields) == 1 and fields[0].isdigit():
            report.add(n, "", fields[0], "skipped", "a dataset number line of the MEGC 2020 text log")
            continue
        if len(fields) != len(LOG_COLUMNS):
            raise ValueError(
                f"Expected {len(LOG_COLUMNS)} fields ({', '.join(LOG_COLUMNS)}), but got "
                f"{len(fields)} ({line!r}) ({path}, line {n})."
            )
        out.append((n, fields))
    return out


def _interval(fields: list[str], a: int, path: Path, n: int) -> tuple[int, int] | None:
    on, off = fields[a], fields[a + 1]
    if on == MISSING and off == MISSING:
        return None
    try:
        return int(float(on)), int(float(off))
    except ValueError:
        column = LOG_COLUMNS[a] if not re.fullmatch(r"-?\d+(\.\d*)?", on) else LOG_COLUMNS[a + 1]
        raise ValueError(
            f"Expected frame numbers or '-' in {LOG_COLUMNS[a]} and {LOG_COLUMNS[a + 1]}, "
            f"but got {on!r}, {off!r} ({path}, line {n}, column {column!r})."
        ) from None


def _check_result(fields, gt, pred, n, report) -> None:
    expected = "TP" if gt and pred else ("FN" if gt else "FP")
    if fields[5].upper() != expected:
        report.add(
            n,
            "Result",
            fields[5],
            "kept",
            f"Expected {expected} for a row with {'both sides' if gt and pred else 'one side'}",
        )


def load(
    path: str | Path,
    media: str | Path | None = None,
    fps: float | None = None,
    truth_rater: str = "megc",
) -> ImportResult:
    """Import a MEGC spotting log: ground truth (``truth_rater``) and ``detector:megc`` events.

    Parameters
    ----------
    path
        The log (CSV with header :data:`LOG_COLUMNS`, or the MEGC 2020 text log).
    media
        Unused (the log holds no media paths).
    fps
        The videos' frame rate: gives ``kind`` from duration; None leaves kind empty.
    truth_rater
        Rater name of the ground-truth events.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Expected a MEGC log at {path}, but there is no such file.")
    report = Report()
    records = []
    for n, fields in _read_log(path, report):
        gt, pred = _interval(fields, 1, path, n), _interval(fields, 3, path, n)
        _check_result(fields, gt, pred, n, report)
        for side, rater, interval in (("gt", truth_rater, gt), ("pred", PREDICTED_RATER, pred)):
            if interval is None:
                continue
            onset, offset = interval
            records.append({
                "clip": fields[0], "rater": rater,
                "event_id": uuid.uuid5(_ID_NAMESPACE, f"{path.name}|{n}|{side}").hex,
                "onset": onset, "offset": offset, "apex": None, "emotion": None, "aus": "",
                "kind": kind_from_duration(onset, offset, fps) if fps else None,
                "result": fields[5].upper(), "source_row": n,
            })  # fmt: skip
    if not records:
        return ImportResult(empty_events(), report.to_frame(), fps, "megc")
    events = validate_events(events_from_records(records), source=str(path))
    return ImportResult(events, report.to_frame(), fps, "megc")
