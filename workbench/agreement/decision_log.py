"""A review's decision log on disk: its columns, where it lives, writing and reading it.

The log is a CSV of :data:`LOG_COLUMNS`, one record per decision or revert, rewritten
atomically (temporary file, fsync, rename) after every change, so that a restarted
kernel resumes a review where it stopped.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from workbench.atomic import atomic_write_bytes
from workbench.project import Project
from workbench.schema import FRAME_COLUMNS
from workbench.store import rater_filename

#: Columns of a decision log, in order.
LOG_COLUMNS: tuple[str, ...] = (
    "record_id",
    "action",
    "target",
    "item_id",
    "type",
    "clip",
    "ref_id",
    "hyp_id",
    "reason",
    "stands",
    *(f"new_{c}" for c in (*FRAME_COLUMNS, "emotion", "aus")),
    "reviewer",
    "at",
    "note",
)


def review_log_path(project: str | Path, dataset: str, reference: str, hypothesis: str) -> Path:
    """Where a review's decision log lives: ``<project>/reviews/<dataset>/<ref>--vs--<hyp>.csv``."""
    name = f"{rater_filename(reference)}--vs--{rater_filename(hypothesis)}.csv"
    return Project(project).reviews(dataset) / name


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes with ``\\n`` line ends and no index."""
    buf = io.StringIO()
    table.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_log(path: str | Path, records: list[dict]) -> None:
    """Write a decision log as CSV, atomically (temporary file, fsync, rename)."""
    atomic_write_bytes(Path(path), csv_bytes(pd.DataFrame(records, columns=list(LOG_COLUMNS))))


def read_log(path: str | Path) -> list[dict]:
    """Read a decision log written by :func:`write_log`."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in LOG_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"Expected the columns {', '.join(LOG_COLUMNS)}, but got none of {missing} ({path}).")
    return table[list(LOG_COLUMNS)].to_dict("records")
