"""Small spreadsheet and frame-folder fixtures the dataset tests build themselves."""

from __future__ import annotations

from pathlib import Path

import openpyxl


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with the given sheets (rows of cell values; "=..." are formulas)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def touch_frames(folder: Path, names: list[str]) -> None:
    """Empty files named like a clip's images (the importer only reads their names)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
