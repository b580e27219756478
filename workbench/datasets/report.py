"""The import report: what an importer repaired, skipped or could not read.

One row per finding, with the place in the source (spreadsheet row as the
spreadsheet shows it, 1-based; column header as written), the value found, what
was done and why. Nothing is dropped silently: a skipped row is a report row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of an import report, in order.
REPORT_COLUMNS: tuple[str, ...] = ("row", "column", "value", "action", "why")

#: What an importer did about a finding.
ACTIONS: tuple[str, ...] = ("repaired", "skipped", "cleared", "kept", "note")


@dataclass
class Report:
    """Findings of one import, in the order they were made."""

    rows: list[dict] = field(default_factory=list)

    def add(self, row: int | None, column: str, value: object, action: str, why: str) -> None:
        """Record one finding.

        Parameters
        ----------
        row
            Row number as the source shows it (1-based spreadsheet row), or None for the file.
        column
            The column header as written in the source ("" for a whole row).
        value
            The value found (shown with ``repr`` for text, as is otherwise).
        action
            One of :data:`ACTIONS`.
        why
            The rule, in plain words.
        """
        if action not in ACTIONS:
            raise ValueError(f"Expected an action among {', '.join(ACTIONS)}, but got {action!r}.")
        shown = "" if value is None else (repr(value) if isinstance(value, str) else str(value))
        self.rows.append({"row": row, "column": column, "value": shown, "action": action, "why": why})

    def to_frame(self) -> pd.DataFrame:
        """The findings as a table with :data:`REPORT_COLUMNS` (``row`` as nullable Int64)."""
        df = pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))
        df["row"] = df["row"].astype("Int64")
        return df
