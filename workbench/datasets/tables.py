"""Read a coding spreadsheet into :class:`~workbench.datasets.build.SourceRow` objects.

The sheet is the first one whose header row (found by content, see
:func:`workbench.datasets.sheet.find_header`) names every required field. Columns the
importer knows become fields (``onset``, ``aus``, ``subject``...); every other
named column is kept under a snake_case name (``"Inducement Code"`` ->
``inducement_code``). Values in a column without a header are reported, not kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from workbench.datasets.build import SourceRow, build_events
from workbench.datasets.report import Report
from workbench.datasets.sheet import Header, find_header, is_empty_row, read_sheets, snake_case


def pick_sheet(
    sheets: Mapping[str, list[tuple]],
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    source: str,
) -> tuple[str, Header]:
    """The first sheet with a header row naming every required field."""
    errors = []
    for title, rows in sheets.items():
        try:
            return title, find_header(rows, aliases, required, f"{source}, sheet {title!r}")
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError(errors[0] if len(errors) == 1 else " ".join(errors))


def _names(header: Header) -> dict[int, tuple[str, str]]:
    """Column position -> (field key, header as written) for every named column."""
    by_pos = {pos: field for field, pos in header.fields.items()}
    out: dict[int, tuple[str, str]] = {}
    taken = set(header.fields)
    for pos, name in enumerate(header.names):
        if pos in by_pos:
            out[pos] = (by_pos[pos], name)
        elif name:
            key = snake_case(name)
            while key in taken:
                key += "_2"
            taken.add(key)
            out[pos] = (key, name)
    return out


def rows_from_sheet(rows: Sequence[tuple], header: Header, report: Report) -> list[SourceRow]:
    """Data rows below the header as :class:`SourceRow` (empty rows reported and left out)."""
    names = _names(header)
    headers = {key: name for key, name in names.values()}
    unnamed_reported: set[int] = set()
    out = []
    for i in range(header.index + 1, len(rows)):
        row = rows[i]
        number = i + 1
        if is_empty_row(row):
            report.add(number, "", "", "skipped", "empty row")
            continue
        values = {}
        for pos, cell in enumerate(row):
            if pos in names:
                values[names[pos][0]] = cell
            elif cell is not None and str(cell).strip() and pos not in unnamed_reported:
                unnamed_reported.add(pos)
                report.add(
                    number,
                    f"column {pos + 1} (no header)",
                    cell,
                    "skipped",
                    "a value in a column without a header is not imported",
                )
        for key, _ in names.values():
            values.setdefault(key, None)
        out.append(SourceRow(number, values, headers))
    return out


def read_table(
    path: str | Path,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    report: Report,
) -> list[SourceRow]:
    """Find the sheet and header in ``path`` and return its data rows."""
    sheets = read_sheets(path)
    title, header = pick_sheet(sheets, aliases, required, str(path))
    if header.index:
        report.add(
            header.row_number,
            "",
            "",
            "note",
            f"header found on row {header.row_number} of sheet {title!r}; "
            f"the {header.index} row(s) above it are a preamble",
        )
    return rows_from_sheet(sheets[title], header, report)


def import_table(
    path: str | Path,
    spec,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    media: str | Path | None = None,
    prepare=None,
):
    """Read a coding sheet and build its events: the whole import of a one-table dataset.

    ``prepare(rows, report)`` may rewrite row values (pad subject codes, ...) in place.
    """

    report = Report()
    rows = read_table(path, aliases, required, report)
    if prepare is not None:
        prepare(rows, report)
    return build_events(rows, spec, str(path), report, None if media is None else str(media))
