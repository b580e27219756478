"""Fixtures shared by every test folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory) -> Path:
    """A project folder with the built-in sample (data/sample + annotations/sample/truth.csv).

    Copies the repository's prepared sample (``make sample``) when present, else makes it.
    Tests may add files to it but must not change the clips or truth.
    """
    from workbench.sample import DATASET, SCRIPTS, make_sample

    project = tmp_path_factory.mktemp("sample_project")
    src = REPO / "data" / DATASET
    if all((src / name).exists() for name in SCRIPTS):
        shutil.copytree(src, project / "data" / DATASET)
    make_sample(project)  # writes truth; keeps copied clips
    return project


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real dataset spreadsheets in ../shared (skips when absent)."""
    folder = SHARED / "data" / "datasets"
    if not folder.exists():
        pytest.skip(f"{folder} is absent (the suite runs without ../shared)")
    return folder
