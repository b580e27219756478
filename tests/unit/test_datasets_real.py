"""The real CASME II and SAMM coding sheets, when ``../shared/data/datasets`` is present.

Expected counts are computed here from the raw cells (openpyxl, independent of the
importer), so the test checks the importer against the file, not against itself.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from workbench import facs
from workbench.datasets import casme2, samm
from workbench.schema import canonical_emotion, validate_events

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "datasets"
CASME2_FILE = DATA / "CASME2-coding-20190701.xlsx"
SAMM_FILE = DATA / "SAMM_Micro_FACS_Codes_v2.xlsx"


def sheet_rows(path: Path) -> list[tuple]:
    if not path.exists():
        pytest.skip(f"{path} is not present")
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return rows


def data_below(rows: list[tuple], first_cell: str) -> tuple[tuple, list[tuple]]:
    """The header (first cell equal to ``first_cell``) and the non-empty rows below it."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_cell)
    body = [r for r in rows[start + 1 :] if any(v is not None for v in r)]
    return rows[start], body


def expected_emotions(words) -> Counter:
    return Counter(canonical_emotion(w) or "others" for w in words)


@pytest.fixture(scope="module")
def casme2_result():
    if not CASME2_FILE.exists():
        pytest.skip(f"{CASME2_FILE} is not present")
    return casme2.load(CASME2_FILE)


@pytest.fixture(scope="module")
def samm_result():
    if not SAMM_FILE.exists():
        pytest.skip(f"{SAMM_FILE} is not present")
    return samm.load(SAMM_FILE)


def test_casme2_all_rows_and_emotions(casme2_result):
    header, body = data_below(sheet_rows(CASME2_FILE), "Subject")
    col = header.index("Estimated Emotion")
    ev = casme2_result.events
    assert len(body) == 255 and len(ev) == 255
    assert Counter(ev["emotion"].astype(str)) == expected_emotions(r[col] for r in body)
    assert Counter(ev["emotion_raw"]) == Counter(r[col] for r in body)
    assert (ev["emotion_raw"] == "repression").sum() == 27
    validate_events(ev)


def test_casme2_frames_aus_and_apex_slash(casme2_result):
    header, body = data_below(sheet_rows(CASME2_FILE), "Subject")
    on, ap, au = header.index("OnsetFrame"), header.index("ApexFrame"), header.index("Action Units")
    ev = casme2_result.events
    assert ev["onset"].tolist() == [r[on] for r in body]
    assert ev["aus"].tolist() == [str(r[au]) for r in body]
    slash = [i for i, r in enumerate(body) if r[ap] == "/"]
    assert ev["apex"].isna().to_numpy().nonzero()[0].tolist() == slash
    repaired = casme2_result.report[casme2_result.report["action"] == "repaired"]
    assert repaired["row"].tolist() == [i + 2 for i in slash]
    assert ev["clip"].str.fullmatch(r"sub\d\d/EP\w+").all()


def test_samm_all_rows_emotions_and_kinds(samm_result):
    header, body = data_below(sheet_rows(SAMM_FILE), "Subject")
    col = header.index("Estimated Emotion")
    ev = samm_result.events
    assert len(body) == 159 and len(ev) == 159
    assert Counter(ev["emotion"].astype(str)) == expected_emotions(r[col] for r in body)
    assert set(ev["kind"]) == {"micro"}
    assert ev["clip"].str.fullmatch(r"\d{3}/\d{3}_\d+_\d+").all()
    notes = header.index("Notes")
    assert sum(bool(v) for v in ev["notes"]) == sum(r[notes] is not None for r in body)


def test_samm_every_code_parses_and_apex_repairs_are_reported(samm_result):
    header, body = data_below(sheet_rows(SAMM_FILE), "Subject")
    au = header.index("Action Units")
    for r in body:
        facs.parse(str(r[au]))
    on, ap, off = (header.index(c) for c in ("Onset Frame", "Apex Frame", "Offset Frame"))
    outside = [i for i, r in enumerate(body) if not r[on] <= r[ap] <= r[off]]
    cleared = samm_result.report[samm_result.report["action"] == "cleared"]
    start = next(i for i, r in enumerate(sheet_rows(SAMM_FILE)) if r and r[0] == "Subject")
    assert cleared["row"].tolist() == [start + 2 + i for i in outside]
    assert samm_result.events["apex"].isna().sum() == len(outside)
