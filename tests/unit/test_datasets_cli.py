"""``workbench import`` / ``workbench export`` through their argparse sub-commands, and exports."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from tests.sheets import touch_frames, write_xlsx
from workbench.datasets import cli
from workbench.datasets.export import events_table, export
from workbench.schema import COLUMNS, events_from_records, make_event
from workbench.store import Store

CASME2_HEADER = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None,
                 "Action Units", "Estimated Emotion", "Objective Classes"]  # fmt: skip


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.fixture
def coding(tmp_path):
    rows = [
        CASME2_HEADER,
        ["01", "EP02_01f", None, 46, 59, 86, None, 12, "happiness", 1],
        ["02", "EP01_11f", None, 46, "/", 96, None, 15, "repression", 5],
    ]
    return write_xlsx(tmp_path / "CASME2-coding-cli.xlsx", {"Sheet1": rows})


def test_import_writes_the_store_and_prints_report_and_counts(coding, tmp_path, capsys):
    project = tmp_path / "project"
    assert run("import", "casme2", str(coding), "--dataset", "casme2", "--project", str(project)) == 0
    out = capsys.readouterr().out
    assert "report: 1 repaired, 1 note" in out and "'/'" in out
    assert "2 events into" in out and "happiness" in out and "others" in out
    events = Store(project / "annotations").read("casme2", "casme2")
    assert events["clip"].tolist() == ["sub01/EP02_01f", "sub02/EP01_11f"]
    assert events["emotion_raw"].tolist() == ["happiness", "repression"]


def test_import_uses_project_data_folder_as_media(coding, tmp_path):
    project = tmp_path / "project"
    touch_frames(project / "data" / "casme2" / "sub01" / "EP02_01f", [f"img{n}.jpg" for n in range(41, 100)])
    assert run("import", "casme2", str(coding), "--dataset", "casme2", "--project", str(project)) == 0
    events = Store(project / "annotations").read("casme2", "casme2")
    assert events["onset"].tolist() == [5, 46] and events["frame_basis"].tolist() == ["index", "dataset number"]


def test_import_error_is_one_located_message(tmp_path, capsys):
    bad = write_xlsx(tmp_path / "bad.xlsx", {"Sheet1": [["x"], [1]]})
    assert run("import", "samm", str(bad), "--dataset", "samm", "--project", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Expected a header row") and "bad.xlsx" in err


def test_export_formats(coding, tmp_path, capsys):
    project = tmp_path / "p"
    run("import", "casme2", str(coding), "--dataset", "casme2", "--project", str(project))
    out = tmp_path / "out"
    assert run("export", "csv", "casme2:casme2", "--out", str(out / "a.csv"), "--project", str(project)) == 0
    csv = pd.read_csv(out / "a.csv")
    assert list(csv.columns[: len(COLUMNS)]) == list(COLUMNS) and len(csv) == 2
    assert run("export", "parquet", "casme2:casme2", "--out", str(out / "a.parquet"), "--project", str(project)) == 0
    assert pd.read_parquet(out / "a.parquet")["onset"].tolist() == [46, 46]
    assert run("export", "elan", "casme2:casme2", "--out", str(out / "elan"), "--project", str(project)) == 0
    assert sorted(p.name for p in (out / "elan").iterdir()) == ["sub01__EP02_01f.eaf", "sub02__EP01_11f.eaf"]
    refs = ("casme2:casme2", "casme2:casme2")
    assert run("export", "megc", *refs, "--out", str(out / "log.csv"), "--project", str(project)) == 0
    assert pd.read_csv(out / "log.csv")["Result"].tolist() == ["TP", "TP"]


def test_export_of_an_unknown_rater_set(tmp_path, capsys):
    assert run("export", "csv", "casme2:nobody", "--out", str(tmp_path / "x.csv"), "--project", str(tmp_path)) == 2
    assert "Expected a rater set casme2:nobody" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fmt", "n", "fps", "match"),
    [
        ("elan", 1, None, "Expected the clips' fps for an ELAN export"),
        ("megc", 1, None, "Expected two rater sets for a MEGC log"),
        ("xml", 1, None, "Expected an export format among csv, parquet, elan, megc"),
    ],
)
def test_export_refuses(tmp_path, fmt, n, fps, match):
    frames = [events_from_records([make_event("c", "a", 1, 2)])] * n
    with pytest.raises(ValueError, match=match):
        export(fmt, frames, tmp_path / "x", fps=fps)


def test_events_table_keeps_extra_columns_after_schema_columns():
    a = events_from_records([make_event("c", "a", 1, 2, subject="01")])
    b = events_from_records([make_event("c", "b", 0, 5, score_raw="x")])
    table = events_table([a, b])
    assert list(table.columns) == [*COLUMNS, "subject", "score_raw"]
    assert table["rater"].tolist() == ["b", "a"]  # sorted by clip, onset
