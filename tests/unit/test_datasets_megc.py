"""MEGC spotting log: the rows the MEGC evaluation reads, and reading them back."""

from __future__ import annotations

from collections import Counter

import pytest

from workbench.datasets import megc
from workbench.schema import events_from_records, make_event

#   frame      0    100   200   300   400   500   600   700
#   truth v1              |----|   |--------------|          206-308, 345-707
#   pred  v1          |--|                                   160-232: IoU 0 -> FP; both truths FN
#   truth v2  840-937        pred v2  841-920: IoU 80/98 >= 0.5 -> TP
TRUTH = [("015_3", 206, 308), ("015_3", 345, 707), ("025_5", 840, 937)]
PRED = [("015_3", 160, 232), ("025_5", 841, 920)]


def table(rows, rater, **kw):
    return events_from_records([make_event(c, rater, on, off, **kw) for c, on, off in rows])


@pytest.fixture
def log(tmp_path):
    return megc.export_megc(table(TRUTH, "truth"), table(PRED, "detector:x"), tmp_path / "log.csv")


def test_log_rows(log):
    assert log.read_text().splitlines() == [
        "Video_ID,GT_onset,GT_offset,Predicted_onset,Predicted_offset,Result",
        "015_3,-,-,160,232,FP",
        "015_3,206,308,-,-,FN",
        "015_3,345,707,-,-,FN",
        "025_5,840,937,841,920,TP",
    ]


def test_import_gives_both_rater_sets_back(log):
    ev = megc.load(log, fps=200, truth_rater="samm_lv").events
    got = {r: Counter(zip(g["clip"], g["onset"], g["offset"], strict=True)) for r, g in ev.groupby("rater")}
    assert got == {"samm_lv": Counter(TRUTH), "detector:megc": Counter(PRED)}
    assert set(ev["kind"]) == {"micro", "macro"}  # 0.51 s at 200 fps is macro
    assert ev.sort_values("source_row")["result"].tolist() == ["FP", "FN", "FN", "TP", "TP"]


def test_dataset_numbers_from_raw_columns(tmp_path):
    truth = table([("v", 0, 10)], "t", onset_raw="46", apex_raw="", offset_raw="56")
    pred = table([("v", 0, 10)], "p")
    rows = megc.log_table(truth, pred, numbers="dataset")
    assert rows.iloc[0].tolist() == ["v", "46", "56", "0", "10", "TP"]


def test_megc2020_text_log(tmp_path):
    path = tmp_path / "MEGC2020_log_file.txt"
    path.write_text("1\n019_7   -         -       277     347     FP\n025_5   840       937     841     920     TP\n")
    result = megc.load(path)
    assert result.events[["clip", "onset", "offset"]].values.tolist() == [
        ["019_7", 277, 347],
        ["025_5", 840, 937],
        ["025_5", 841, 920],
    ]
    assert result.events["kind"].isna().all()  # no fps given
    assert result.report[["row", "action"]].values.tolist() == [[1, "skipped"]]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("v1,1,2,3", r"Expected 6 fields .*line 2"),
        ("v1,a,2,-,-,FN", r"Expected frame numbers or '-' in GT_onset and GT_offset, but got 'a', '2' .*line 2"),
    ],
)
def test_bad_lines_are_located(tmp_path, line, match):
    path = tmp_path / "log.csv"
    path.write_text(",".join(megc.LOG_COLUMNS) + "\n" + line + "\n")
    with pytest.raises(ValueError, match=match):
        megc.load(path)


def test_inconsistent_result_is_reported(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(",".join(megc.LOG_COLUMNS) + "\nv1,1,20,-,-,TP\n")
    report = megc.load(path).report
    assert report[["row", "column", "action"]].values.tolist() == [[2, "Result", "kept"]]
