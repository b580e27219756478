"""Export rater sets: plain CSV, Parquet, ELAN ``.eaf`` and the MEGC spotting log.

=========  ==========================================================================
format     what is written
=========  ==========================================================================
csv        one table of every event (schema columns first, then the extra columns)
parquet    the same table as Parquet (nullable integers and categories kept)
elan       one EAF 3.0 file per clip, a tier per rater (:mod:`workbench.datasets.elan`)
megc       the spotting log of the 2nd rater set against the 1st (ground truth)
=========  ==========================================================================
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.datasets import elan, megc
from workbench.schema import COLUMNS, coerce_events, sort_events

FORMATS: tuple[str, ...] = ("csv", "parquet", "elan", "megc")


def events_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rater sets in one table: schema columns first, extra columns after in first-seen order."""
    frames = [coerce_events(f) for f in frames]
    table = pd.concat(frames, ignore_index=True) if frames else coerce_events(pd.DataFrame())
    table = coerce_events(table)
    return sort_events(table)[[*COLUMNS, *[c for c in table.columns if c not in COLUMNS]]]


def export_csv(frames: list[pd.DataFrame], out: str | Path) -> Path:
    """Every event of the rater sets in one CSV file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    events_table(frames).to_csv(out, index=False, lineterminator="\n")
    return out


def export_parquet(frames: list[pd.DataFrame], out: str | Path) -> Path:
    """Every event of the rater sets in one Parquet file (pyarrow)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = events_table(frames)
    for col in table.columns:
        if col not in COLUMNS and table[col].dtype == object:
            table[col] = table[col].map(lambda v: None if v is None or v != v else str(v))
    table.to_parquet(out, index=False)
    return out


def export(
    fmt: str,
    frames: list[pd.DataFrame],
    out: str | Path,
    fps: float | None = None,
    media_root: str | Path | None = None,
    **options,
) -> list[Path]:
    """Write rater sets in ``fmt`` (see :data:`FORMATS`); returns the files written.

    Raises
    ------
    ValueError
        For an unknown format, a missing fps (elan), or not exactly two rater sets (megc).
    """
    if fmt == "csv":
        return [export_csv(frames, out)]
    if fmt == "parquet":
        return [export_parquet(frames, out)]
    if fmt == "elan":
        if not fps:
            raise ValueError("Expected the clips' fps for an ELAN export (frames -> ms), but got none.")
        return elan.export_elan(events_table(frames), out, fps, media_root)
    if fmt == "megc":
        if len(frames) != 2:
            raise ValueError(
                f"Expected two rater sets for a MEGC log (ground truth, then predictions), but got {len(frames)}."
            )
        return [megc.export_megc(frames[0], frames[1], out, **options)]
    raise ValueError(f"Expected an export format among {', '.join(FORMATS)}, but got {fmt!r}.")
