"""The agreement notebook runs top to bottom on the sample and writes its report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_agreement_notebook_runs_on_the_sample(sample_project, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    project = tmp_path / "project"
    shutil.copytree(sample_project, project, ignore=shutil.ignore_patterns(".locks"))
    (project / "notebooks").mkdir()
    nb = nbformat.read(REPO / "notebooks" / "agreement.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(project / "notebooks")}}
    ).execute()
    report = project / "reports" / "sample-truth-vs-detector-mediapipe.html"
    assert report.exists() and report.stat().st_size > 1_000_000  # plotly.js inlined: opens offline
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "raters of sample" in text
    from workbench.store import Store

    assert "detector:mediapipe" in Store(project / "annotations").raters("sample")  # the notebook ran the detector
    html = "".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "f1" in html and "tp" in html
