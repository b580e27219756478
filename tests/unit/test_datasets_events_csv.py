"""Any detector's events CSV, with a column mapping: ``workbench import events``."""

from __future__ import annotations

import pytest

from workbench.cli import main
from workbench.datasets import events_csv
from workbench.store import Store

CSV = """video;start;end;peak;label;au;score
c1;10;20;15;Happy;6+12;0.9
c1;40;44;;surprised;1+2;0.4
c2;5;30;12;repression;;
"""


@pytest.fixture
def preds(tmp_path):
    path = tmp_path / "preds.csv"
    path.write_text(CSV)
    return path


MAPPING = "clip=video,onset=start,offset=end,apex=peak,emotion=label,aus=au,confidence=score"


def test_columns_are_mapped_and_events_validated(preds):
    result = events_csv.load(preds, fps=30, columns=MAPPING, rater="detector:mynet")
    ev = result.events
    assert list(ev["clip"]) == ["c1", "c1", "c2"] and set(ev["rater"]) == {"detector:mynet"}
    assert list(ev["onset"]) == [10, 40, 5] and ev["apex"].isna().tolist() == [False, True, False]
    assert list(ev["emotion"]) == ["happiness", "surprise", "others"]
    assert list(ev["emotion_raw"]) == ["Happy", "surprised", "repression"]
    assert list(ev["aus"]) == ["6+12", "1+2", ""]
    assert ev["confidence"].iloc[0] == pytest.approx(0.9) and ev["confidence"].isna().iloc[2]
    assert list(ev["kind"]) == ["micro", "micro", "macro"]  # 11 and 5 frames <= 0.5 s at 30 fps; 26 frames not
    assert list(ev["source_row"]) == [2, 3, 4]
    assert events_csv.load(preds, fps=30, columns=MAPPING).events["event_id"].tolist() == ev["event_id"].tolist()


def test_fields_found_by_their_own_names_and_times_in_seconds(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Clip,Onset,Offset\nc1,0.5,0.6\n")
    ev = events_csv.load(path, fps=200, unit="s").events
    assert (ev["onset"].iloc[0], ev["offset"].iloc[0], ev["onset_raw"].iloc[0]) == (100, 120, "0.5")
    with pytest.raises(ValueError, match=r"Expected --fps with --unit ms"):
        events_csv.load(path, unit="ms")


@pytest.mark.parametrize(
    ("text", "columns", "match"),
    [
        ("video,start\nc1,3\n", "clip=video,onset=start", r"Expected columns for clip.*no column for .offset."),
        ("clip,onset,offset\nc1,3,2\n", None, r"Expected onset <= offset.*p\.csv, line 2"),
        ("clip,onset,offset,aus\nc1,3,5,12\nc1,3,5,banana\n", None, r"p\.csv, line 3, column 'aus'"),
        ("clip,onset,offset,confidence\nc1,3,5,high\n", None, r"a number, but got .high. .*line 2, column .confid"),
        ("clip,onset,offset\nc1,3,5\n", "clip=video", r"Expected a column 'video' for clip"),
        ("clip,onset,offset\nc1,3,5\n", "start=onset", r"Expected a field among clip, onset"),
    ],
)  # fmt: skip
def test_bad_input_names_the_file_line_and_column(tmp_path, text, columns, match):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        events_csv.load(path, columns=columns)


def test_cli_imports_into_the_store(preds, tmp_path, capsys):
    argv = ["import", "events", str(preds), "--dataset", "demo", "--project", str(tmp_path), "--fps", "30",
            "--columns", MAPPING, "--rater", "detector:mynet"]  # fmt: skip
    assert main(argv) == 0
    assert "3 events into" in capsys.readouterr().out
    assert len(Store(tmp_path / "annotations").read("demo", "detector:mynet")) == 3
