"""Spreadsheet reading shared by the importers: cells as Python values, header by content.

The datasets' coding sheets put their header row in different places (CASME II on
row 1, SAMM after a 13-row preamble, SAMM Long Videos a few rows down, CAS(ME)^2
has none), so the header is found by its content: the first row that holds every
required column name, compared after :func:`normalise_header`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: How many rows from the top a header row may be.
HEADER_SEARCH_ROWS = 50


def read_sheets(path: str | Path) -> dict[str, list[tuple]]:
    """All sheets of a workbook as lists of row tuples (cached values of formulas).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When the file is no readable .xlsx workbook (naming the file).
    """
    import openpyxl

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Expected a spreadsheet at {path}, but there is no such file.")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a bad file
        raise ValueError(f"Expected an .xlsx workbook, but {path} could not be read: {exc}") from exc
    try:
        return {ws.title: _trimmed(list(ws.iter_rows(values_only=True))) for ws in wb.worksheets}
    finally:
        wb.close()


def _trimmed(rows: list[tuple]) -> list[tuple]:
    """Rows without the empty rows at the end (read-only sheets often report extra rows)."""
    end = len(rows)
    while end and is_empty_row(rows[end - 1]):
        end -= 1
    return rows[:end]


def is_empty_row(row: Sequence) -> bool:
    """True when every cell is None or blank text."""
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def normalise_header(text: object) -> str:
    """``"Onset Frame"`` and ``"OnsetFrame"`` -> ``"onsetframe"``: case, spaces, ``_`` dropped."""
    if text is None:
        return ""
    return re.sub(r"[\s_]+", "", str(text)).lower()


def snake_case(text: object) -> str:
    """A clear column name from a header: ``"Objective Classes"`` -> ``"objective_classes"``."""
    words = re.findall(r"[A-Za-z0-9]+", str(text))
    return "_".join(w.lower() for w in words) or "column"


@dataclass(frozen=True)
class Header:
    """A located header row.

    Attributes
    ----------
    index : int
        0-based position of the header row in the sheet's rows.
    fields : dict
        Field name -> 0-based column position, for the fields the importer knows.
    names : tuple of str
        Every header cell as written ("" for empty cells).
    """

    index: int
    fields: dict[str, int]
    names: tuple[str, ...]

    @property
    def row_number(self) -> int:
        """The header's row number as the spreadsheet shows it (1-based)."""
        return self.index + 1


def match_header(row: Sequence, aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Field -> column position for every field whose alias appears in ``row``."""
    cells = [normalise_header(v) for v in row]
    found: dict[str, int] = {}
    for field, names in aliases.items():
        wanted = {normalise_header(n) for n in names}
        for pos, cell in enumerate(cells):
            if cell in wanted:
                found[field] = pos
                break
    return found


def find_header(
    rows: Sequence[Sequence],
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    source: str,
) -> Header:
    """Find the first row that names every required field.

    Raises
    ------
    ValueError
        Naming the source, the required column names and how far it looked.
    """
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = match_header(row, aliases)
        if all(f in found for f in required):
            names = tuple("" if v is None else str(v).strip() for v in row)
            return Header(i, found, names)
    wanted = ", ".join(repr(aliases[f][0]) for f in required)
    raise ValueError(
        f"Expected a header row with the columns {wanted} in the first {HEADER_SEARCH_ROWS} "
        f"rows, but found none ({source})."
    )
