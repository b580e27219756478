"""Notebooks are clients of the package: few cells, committed without outputs or widget state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code), f"{path.name} has outputs; clear them before committing"
    assert all(c.get("execution_count") is None for c in code), f"{path.name} has execution counts"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name} carries saved widget state"
    assert len(code) <= 12, f"{path.name} has {len(code)} code cells; notebooks call the package, few cells"
    assert path.stat().st_size < 60_000, f"{path.name} is {path.stat().st_size} bytes"


def test_the_workbench_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"annotate.ipynb", "review.ipynb", "agreement.ipynb", "seminar.ipynb"} <= names
