"""Importers on small spreadsheets built here, each reproducing a quirk of the real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.sheets import touch_frames, write_xlsx
from workbench.datasets import FRAME_PATHS, IMPORTERS, casme2, casme3, casme_sq, mmew, samm, samm_lv
from workbench.datasets.sheet import find_header
from workbench.schema import COLUMNS, validate_events


def report_rows(result, action: str | None = None) -> pd.DataFrame:
    rep = result.report
    return rep if action is None else rep[rep["action"] == action]


# --------------------------------------------------------------------------- CASME II

CASME2_HEADER = [
    "Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None,
    "Action Units", "Estimated Emotion", "Objective Classes",
]  # fmt: skip


@pytest.fixture
def casme2_file(tmp_path):
    rows = [
        CASME2_HEADER,
        ["01", "EP02_01f", None, 46, 59, 86, None, 12, "happiness", 1],
        ["02", "EP01_11f", None, 46, 91, 96, None, 15, "repression", 5],
        ["04", "EP12_01f", None, 261, "/", 321, None, "4+7+L10", "disgust", 4],
        ["05", "EP03_01", None, 10, 20, 30, None, "R4+R10", "others", 7],
    ]
    return write_xlsx(tmp_path / "CASME2-coding-test.xlsx", {"Sheet1": rows, "Sheet2": []})


def test_casme2_quirks(casme2_file):
    result = casme2.load(casme2_file)
    ev = result.events
    assert list(ev.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert ev["clip"].tolist() == [
        "sub01/EP02_01f",
        "sub02/EP01_11f",
        "sub04/EP12_01f",
        "sub05/EP03_01",
    ]
    assert set(ev["rater"]) == {"casme2"}
    assert ev["aus"].tolist() == ["12", "15", "4+7+L10", "R4+R10"]  # the int cell 12 -> "12"
    assert ev["emotion"].tolist() == ["happiness", "others", "disgust", "others"]
    assert ev["emotion_raw"].tolist() == ["happiness", "repression", "disgust", "others"]
    assert pd.isna(ev.loc[2, "apex"]) and ev.loc[2, "apex_raw"] == "/"
    assert ev["onset"].tolist() == [46, 46, 261, 10]  # no media: dataset numbers kept
    assert ev["onset_raw"].tolist() == ["46", "46", "261", "10"]
    assert set(ev["frame_basis"]) == {"dataset number"}
    assert ev["objective_class"].tolist() == ["1", "5", "4", "7"]
    assert ev["subject"].tolist() == ["01", "02", "04", "05"]
    apex = report_rows(result, "repaired")
    assert apex[["row", "column", "value"]].values.tolist() == [[4, "ApexFrame", "'/'"]]
    assert "not coded" in apex["why"].iloc[0]
    notes = report_rows(result, "note")
    assert notes["why"].str.contains("dataset's frame numbers").any()
    validate_events(ev)


def test_casme2_event_ids_are_stable(casme2_file):
    assert casme2.load(casme2_file).events["event_id"].tolist() == (
        casme2.load(casme2_file).events["event_id"].tolist()
    )


def test_casme2_frames_on_disk_map_to_indices(casme2_file, tmp_path):
    media = tmp_path / "CASME2_RAW"
    touch_frames(media / "sub01" / "EP02_01f", [f"img{n}.jpg" for n in range(40, 91)])
    touch_frames(media / "sub02" / "EP01_11f", [f"img{n}.jpg" for n in range(1, 50)])  # too short
    result = casme2.load(casme2_file, media=media)
    ev = result.events.set_index("source_row")
    assert ev.loc[2, ["onset", "apex", "offset"]].tolist() == [6, 19, 46]  # img46 is 7th image
    assert ev.loc[2, "onset_raw"] == "46" and ev.loc[2, "frame_basis"] == "index"
    assert 3 not in ev.index  # its apex/offset images are not on disk: skipped, reported
    skipped = report_rows(result, "skipped")
    assert skipped["row"].tolist() == [3] and "not among the images" in skipped["why"].iloc[0]
    assert ev.loc[4, "frame_basis"] == "dataset number"  # no folder: numbers kept, reported
    kept = report_rows(result, "kept")
    assert set(kept["value"]) == {"'sub04/EP12_01f'", "'sub05/EP03_01'"}


# --------------------------------------------------------------------------- SAMM

SAMM_PREAMBLE = [
    ["SAMM Dataset - Master FACS Codes", None, None, None, "(Note to the users: ...)"],
    [None],
    ["9/9/17 - New updates with Emotional and Objective Classes."],
    [None],
    [None],
    ["Symbol Key:"],
    ['"/" = or'],
    ['"?" = some AU\'s continue for a while and have unclear offset'],
    [None],
    ["AU Help:"],
    ['"L2 or R2" = Unilateral AU 2'],
    ['"A2" = Asymmetric AU 2'],
    [None],
]
SAMM_HEADER = [
    "Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame",
    "Duration", "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes",
]  # fmt: skip


@pytest.fixture
def samm_file(tmp_path):
    rows = [
        *SAMM_PREAMBLE,
        SAMM_HEADER,
        [
            "006",
            "006_1_2",
            1,
            5562,
            5588,
            5632,
            "=F15-D15+1",
            "Micro - 1/2",
            "4+7",
            "Anger",
            3,
            None,
        ],
        ["007", "007_3_1", 3, 100, 110, 130, 31, "Micro - 1/2", "A1B+A2C", "Surprise", 2, "Blinks"],
        ["011", "011_2_3", 2, 50, 60, 70, 21, "Micro - 1/2", "R12 or R14", "Contempt", 6, "L12?"],
        ["018", "018_4_1", 4, 5, 9, 12, 8, "Micro - 1/2", "(R6 or R12) + R15", "Other", 7, None],
    ]
    return write_xlsx(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", {"MICRO_ONLY": rows})


def test_samm_preamble_types_and_notes(samm_file):
    result = samm.load(samm_file)
    ev = result.events
    assert len(ev) == 4
    assert ev["clip"].tolist() == ["006/006_1_2", "007/007_3_1", "011/011_2_3", "018/018_4_1"]
    assert set(ev["kind"]) == {"micro"} and set(ev["kind_raw"]) == {"Micro - 1/2"}
    assert ev["emotion"].tolist() == ["anger", "surprise", "contempt", "others"]
    assert ev["emotion_raw"].tolist() == ["Anger", "Surprise", "Contempt", "Other"]
    assert ev["aus"].tolist() == ["4+7", "A1B+A2C", "R12 or R14", "(R6 or R12) + R15"]
    assert ev["notes"].tolist() == ["", "Blinks", "L12?", ""]
    assert ev["source_row"].tolist() == [15, 16, 17, 18]
    assert ev["duration"].tolist()[1:] == ["31", "21", "8"]  # a formula never computed is ""
    note = report_rows(result, "note")
    assert note["why"].str.contains("header found on row 14").any()


# --------------------------------------------------------------------------- SAMM Long Videos

SAMM_LV_HEADER = [
    "Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
    "Action Units", "Notes",
]  # fmt: skip


@pytest.fixture
def samm_lv_file(tmp_path):
    rows = [
        ["SAMM Long Videos"],
        ["Release v2"],
        [None],
        ["Type: Macro or Micro - 1/2"],
        SAMM_LV_HEADER,
        ["006", "006_1_1", 1, 324, 352, 403, 80, "Macro", "4+7", None],
        ["006", "006_1_2", 1, 5562, -1, 5632, 71, "Micro - 1/2", "4+7", "apex not coded"],
        ["007", "007_3_4", 3, 1234.5, 1250, 1299.4, 65, "Micro - 1/2", "12", None],
        ["007", "007_3_5", 3, 10, 20, 30, 21, "?", "12", None],
    ]
    return write_xlsx(tmp_path / "SAMM_LongVideos_V2_Release.xlsx", {"FACS_Movement_Only": rows})


def test_samm_lv_header_kinds_fractions_and_missing_apex(samm_lv_file):
    result = samm_lv.load(samm_lv_file)
    ev = result.events
    assert ev["clip"].tolist() == ["006_1", "006_1", "007_3", "007_3"]
    assert ev["kind"].tolist() == ["macro", "micro", "micro", "micro"]  # last: from duration
    assert pd.isna(ev.loc[1, "apex"]) and ev.loc[1, "apex_raw"] == "-1"
    assert ev.loc[2, ["onset", "offset"]].tolist() == [1235, 1299]
    assert ev.loc[2, "onset_raw"] == "1234.5"
    assert ev["emotion"].isna().all()  # SAMM-LV has no emotion column
    rep = report_rows(result, "repaired")
    assert rep["row"].tolist() == [7, 8, 8, 9]
    assert rep["why"].str.contains("not coded").iloc[0]
    assert rep["why"].str.contains("rounded").iloc[1:3].all()
    assert "neither micro nor macro" in rep["why"].iloc[3]


# --------------------------------------------------------------------------- CAS(ME)^2


@pytest.fixture
def casme_sq_file(tmp_path):
    codes = [
        [1, "anger1_1", 557, 572, 608, "4+10+14+15", "negative", "macro-expression", "anger"],
        [1, "happy1_2", 100, 105, 0, "12", "positive", "micro-expression", "happy"],
        [2, "disgust1_3", 40, 0, 50, "9", "negative", "micro-expression", None],
        [3, "disgust2_1", 10, 12, 14, "1+2", "surprise", "micro-expression", None],
    ]
    subjects = [["subject", 15, 1], ["subject", 16, 2]]  # no row for subject 3
    clips = [["0101", "disgust1"], ["0102", "disgust2"], ["0401", "anger1"], ["0502", "happy1"]]
    return write_xlsx(
        tmp_path / "CAS(ME)^2code_final.xlsx",
        {"Sheet1": codes, "naming rule1": subjects, "naming rule2": clips},
    )


def test_casme_sq_naming_sheets_and_uncoded_offset(casme_sq_file):
    result = casme_sq.load(casme_sq_file)
    ev = result.events
    assert ev["clip"].tolist() == [
        "s15/15_0401girlcrashing",
        "s15/15_0502funnyerrors",
        "s16/16_0101disgustingteeth",
        "3/disgust2_1",
    ]
    assert ev.loc[1, ["onset", "apex", "offset"]].tolist() == [100, 105, 105]  # offset 0 -> apex
    assert pd.isna(ev.loc[2, "apex"])  # apex 0: not coded
    assert ev["kind"].tolist() == ["macro", "micro", "micro", "micro"]
    assert ev["emotion"].tolist() == ["others", "others", "others", "surprise"]
    assert ev["emotion_raw"].tolist()[:2] == ["negative", "positive"]
    assert ev["self_report"].tolist() == ["anger", "happy", "", ""]
    rep = result.report
    assert "no header row" in rep["why"].iloc[0]
    offset = rep[(rep["row"] == 2) & (rep["action"] == "repaired")]
    assert "apex frame 105 is used as offset" in offset["why"].iloc[0]
    assert rep[rep["action"] == "kept"]["row"].tolist() == [4]  # subject 3 not in naming


def test_casme_sq_folders_on_disk_by_prefix(casme_sq_file, tmp_path):
    rawpic = tmp_path / "rawpic"
    touch_frames(rawpic / "s15" / "15_0401girlcrashing", [f"img{n}.jpg" for n in range(1, 700)])
    result = casme_sq.load(casme_sq_file, media=rawpic)
    first = result.events.iloc[0]
    assert first["clip"] == "s15/15_0401girlcrashing"
    assert (first["onset"], first["offset"], first["frame_basis"]) == (556, 607, "index")


# --------------------------------------------------------------------------- CAS(ME)^3 and MMEW


@pytest.fixture
def casme3_file(tmp_path):
    rows = [
        ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"],
        ["spNO.1", "a", 116, 120, 125, "L12", 1, "happy"],
        ["spNO.1", "b", 200, 203, 260, "4", 3, "disgust"],
    ]
    return write_xlsx(tmp_path / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", {"label": rows})


def test_casme3_layout_kind_from_file_and_case_insensitive_folders(casme3_file, tmp_path):
    media = tmp_path / "part_A"
    touch_frames(media / "spNo.1" / "a" / "color", [f"{n}.jpg" for n in range(1, 300)])
    result = casme3.load(casme3_file, media=media)
    ev = result.events
    assert ev["clip"].tolist() == ["spNo.1/a/color", "spNO.1/b"]
    assert ev["onset"].tolist() == [115, 200]
    assert ev["kind"].tolist() == ["micro", "micro"]  # the ME file, though 61 frames > 0.5 s
    assert ev["emotion"].tolist() == ["happiness", "disgust"]
    assert ev["objective_class"].tolist() == ["1", "3"]


def test_casme3_macro_file_with_short_headers(tmp_path):
    rows = [["sub", "seq", "onset", "apex", "offset", "emotion"], ["spNO.2", "c", 1, 30, 90, "sad"]]
    path = write_xlsx(tmp_path / "cas(me)3_part_A_MaE_label_JpgIndex_v2_emotion.xlsx", {"Sheet1": rows})
    ev = casme3.load(path).events
    assert ev.loc[0, ["clip", "kind", "emotion"]].tolist() == ["spNO.2/c", "macro", "sadness"]


def test_mmew_layout(tmp_path):
    rows = [
        ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
         "Estimated Emotion", "remarks"],
        [1, "S01-01-001", 1, 12, 30, "AU6+AU12", "happiness", None],
        [13, "S13-07-001", 2, 20, 80, "4+7", "anger", "head moves"],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "MMEW_Micro_Exp.xlsx", {"Sheet1": rows})
    media = tmp_path / "MMEW"
    touch_frames(media / "Micro_Expression" / "anger" / "S13-07-001", [f"{n}.jpg" for n in range(1, 90)])
    ev = mmew.load(path, media=media).events
    assert ev["clip"].tolist() == ["happiness/S01-01-001", "Micro_Expression/anger/S13-07-001"]
    assert ev["onset"].tolist() == [1, 1]  # dataset number kept / index of image 2
    assert ev["kind"].tolist() == ["micro", "macro"]  # 30 frames = 0.33 s, 79 frames = 0.88 s
    assert ev["aus"].tolist() == ["AU6+AU12", "4+7"]
    assert ev["remarks"].tolist() == ["", "head moves"]


# --------------------------------------------------------------------------- errors and reports


def test_missing_header_names_the_file(tmp_path):
    path = write_xlsx(tmp_path / "CASME2-coding-bad.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    with pytest.raises(ValueError, match=r"Expected a header row with the columns 'Subject'.*CASME2-coding-bad"):
        casme2.load(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.xlsx"):
        samm.load(tmp_path / "nope.xlsx")


def test_unreadable_cells_are_reported_not_dropped_silently(tmp_path):
    rows = [
        CASME2_HEADER,
        ["01", "EP01", None, "abc", 5, 9, None, "4", "happiness", 1],
        ["01", "EP02", None, 9, 5, 3, None, "4", "happiness", 1],
        ["01", "EP03", None, 1, 9, 5, None, "x12", "happiness", 1],
        [None] * 10,
        ["01", "EP04", None, 1, 2, 3, None, "4", "happiness", 1, "stray"],
    ]
    result = casme2.load(write_xlsx(tmp_path / "CASME2-coding-x.xlsx", {"Sheet1": rows}))
    assert result.events["filename"].tolist() == ["EP03", "EP04"]
    rep = result.report.set_index("row")
    assert rep.loc[2, "action"] == "skipped" and "no onset frame (unreadable" in rep.loc[2, "why"]
    assert rep.loc[3, "action"] == "skipped" and "onset <= offset" in rep.loc[3, "why"]
    cleared = result.report[result.report["action"] == "cleared"]
    assert cleared["column"].tolist() == ["ApexFrame", "Action Units"]
    assert result.events.loc[0, "aus_raw"] == "x12" and result.events.loc[0, "aus"] == ""
    assert rep.loc[5, "why"] == "empty row"
    assert "without a header" in rep.loc[6, "why"]


HEADER_ALIASES = {"onset": ["OnsetFrame"], "apex": ["Apex Frame"], "offset": ["Offset Frame"]}


@pytest.mark.parametrize(
    ("row", "found"),
    [
        (["Onset Frame", "apex_frame", "OFFSETFRAME"], {"onset": 0, "apex": 1, "offset": 2}),
        (
            [None, "offset frame", "ONSET  FRAME", "Apex Frame"],
            {"onset": 2, "apex": 3, "offset": 1},
        ),
    ],
)
def test_header_names_match_ignoring_case_spaces_underscores(row, found):
    header = find_header([["preamble"], row], HEADER_ALIASES, list(HEADER_ALIASES), "test")
    assert header.index == 1 and header.fields == found


def test_registry_names_every_format():
    assert set(IMPORTERS) == {
        "casme2",
        "samm",
        "samm_lv",
        "casme_sq",
        "casme3",
        "mmew",
        "elan",
        "megc",
        "events",
    }


@pytest.mark.parametrize(
    ("dataset", "clip", "number", "path"),
    [
        ("casme2", "sub01/EP02_01f", 46, "sub01/EP02_01f/img46.jpg"),
        ("samm", "006/006_1_2", 5562, "006/006_1_2/006_05562.jpg"),
        ("casme_sq", "s15/15_0101disgustingteeth", 1, "s15/15_0101disgustingteeth/img1.jpg"),
        ("casme3", "spNO.1/a", 116, "spNO.1/a/color/116.jpg"),
        ("casme3", "spNo.1/a/color", 116, "spNo.1/a/color/116.jpg"),
        ("mmew", "happiness/S01-01-001", 12, "happiness/S01-01-001/12.jpg"),
    ],
)
def test_frame_paths_follow_each_layout(dataset, clip, number, path):
    assert FRAME_PATHS[dataset](clip, number) == path


def test_samm_frame_path_images_are_found_by_the_importer(samm_file, tmp_path):
    media = tmp_path / "SAMM"
    names = [Path(samm.frame_path("006/006_1_2", n)).name for n in range(5550, 5640)]
    touch_frames(media / "006" / "006_1_2", names)
    ev = samm.load(samm_file, media=media).events
    assert ev.loc[0, ["onset", "apex", "offset", "frame_basis"]].tolist() == [12, 38, 82, "index"]


def test_casme_sq_copy_with_a_header_row(tmp_path):
    codes = [
        ["Subject", "Video", "Onset", "Apex", "Offset", "AU", "Emotion", "Type"],
        [1, "anger1_1", 557, 572, 608, "4+10", "negative", "macro-expression"],
    ]
    naming = {"s": [["x", "s15", 1]], "c": [["401", "anger1"]]}  # codes read as numbers lose "0"
    result = casme_sq.load(write_xlsx(tmp_path / "code_final.xlsx", {"codes": codes, **naming}))
    assert result.events.loc[0, ["clip", "kind", "source_row"]].tolist() == [
        "s15/15_0401girlcrashing",
        "macro",
        2,
    ]
    assert "no header row" not in " ".join(result.report["why"])
