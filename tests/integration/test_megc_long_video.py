"""The MEGC long-video evaluation end to end, through the command a user types.

A long video in the SAMM Long Videos layout (a folder of numbered frames, ``006_1/
006_1_0001.jpg`` ...) shows the sample's face with scripted expressions, micro and macro;
its ground truth is a spreadsheet in the SAMM-LV layout. Then, as the README says::

    workbench import samm_lv SAMM_LongVideos_V2_Release.xlsx --dataset samm_lv --project P
    workbench detect P/data/samm_lv --project P
    workbench agree samm_lv:samm_lv samm_lv:detector:mediapipe --mode megc2020 --fps 30 --project P
    workbench report samm_lv:samm_lv samm_lv:detector:mediapipe --mode megc2020 --fps 30 -o report.html
"""

from __future__ import annotations

import json

import pytest

from tests.sheets import write_xlsx
from workbench import paths
from workbench.cli import main
from workbench.detect import model
from workbench.sample import Expression, _frames_of
from workbench.store import Store
from workbench.video import write_folder

FPS = 30.0
SECONDS = 80.0  # 2,400 frames
#: Expressions across the long video: micro (< 0.5 s) and macro, with long neutral stretches.
SCRIPT = [
    Expression("happiness", (6, 12), 4.0, 0.40),
    Expression("surprise", (1, 2, 5, 26), 11.0, 0.40),
    Expression("disgust", (9, 10), 18.0, 0.45),
    Expression("happiness", (6, 12), 25.0, 1.50, apex_fraction=0.35),
    Expression("anger", (4, 7), 33.0, 0.45),
    Expression("surprise", (1, 2, 5, 26), 41.0, 1.20, apex_fraction=0.3),
    Expression("happiness", (6, 12), 50.0, 0.40, apex_fraction=0.5),
    Expression("disgust", (9, 10), 58.0, 1.00),
    Expression("surprise", (1, 2, 5, 26), 66.0, 0.45),
    Expression("anger", (4, 7), 73.0, 1.20),
]
HEADER = ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
          "Action Units", "Notes"]  # fmt: skip


def ground_truth_sheet(path):
    """SAMM-LV's spreadsheet: notes, the header, one row per expression; frame numbers are
    image numbers (the first image is 0001)."""
    rows = [["SAMM Long Videos (generated)"], [None], HEADER]
    for k, e in enumerate(SCRIPT, start=1):
        onset, apex, offset = (f + 1 for f in _frames_of(e, FPS))
        kind = "Micro - 1/2" if e.duration_s < 0.5 else "Macro"
        rows.append(["006", f"006_1_{k}", 1, onset, apex, offset, offset - onset + 1, kind, e.code(), None])
    return write_xlsx(path, {"FACS_Movement_Only": rows})


@pytest.fixture
def project(tmp_path, monkeypatch):
    from workbench.sample import render

    monkeypatch.setenv(model.ENV_MODEL, str(model.acquire_model()))
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))
    root = tmp_path / "project"
    frames = render(SCRIPT, FPS, seed=3, duration_s=SECONDS)
    write_folder(frames, root / "data" / "samm_lv" / "006_1", pattern="006_1_{:04d}.jpg", start=1, quality=92)
    ground_truth_sheet(tmp_path / "SAMM_LongVideos_V2_Release.xlsx")
    return root


@pytest.mark.slow
def test_megc_long_video_evaluation_end_to_end(project, tmp_path, capsys):
    p = ["--project", str(project)]
    sheet = tmp_path / "SAMM_LongVideos_V2_Release.xlsx"
    assert main(["import", "samm_lv", str(sheet), "--dataset", "samm_lv", *p]) == 0
    truth = Store(project / "annotations").read("samm_lv", "samm_lv")
    assert len(truth) == len(SCRIPT) and set(truth["clip"]) == {"006_1"}
    first = _frames_of(SCRIPT[0], FPS)
    assert truth[["onset", "apex", "offset"]].iloc[0].tolist() == list(first)  # image 0001 is frame 0
    assert truth["kind"].value_counts().to_dict() == {"micro": 6, "macro": 4}

    assert main(["detect", str(project / "data" / "samm_lv"), *p, "--no-progress"]) == 0
    assert "clips done: 1 (0 from cache), failed: 0" in capsys.readouterr().out

    refs = ["samm_lv:samm_lv", "samm_lv:detector:mediapipe", "--mode", "megc2020", "--fps", str(FPS)]
    assert main(["agree", *refs, *p, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    print(f"MEGC long video: TP {result['tp']} FP {result['fp']} FN {result['fn']} F1 {result['f1']:.2f}")
    assert result["settings"]["mode"] == "megc2020"
    assert result["tp"] + result["fn"] == len(SCRIPT)
    assert result["recall"] >= 0.7, result  # the scripted expressions are found (the sample's: 9 of 9)

    report = tmp_path / "megc-report.html"
    assert main(["report", *refs, *p, "-o", str(report), "--title", "MEGC long video"]) == 0
    html = report.read_text()
    assert "MEGC long video" in html and "megc2020" in html
