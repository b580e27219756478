"""``workbench agree`` / ``workbench report``: files and store names, JSON keys, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from workbench.agreement.cli import add_parsers, load_events, main
from workbench.agreement.timeline import events_from_ascii as draw

# clip c, frame 0         1         2
#               0123456789012345678901234
# ref           [=^==]    [===^]    [==]      happiness surprise fear; AUs 6+12, 1+2, 4
# hyp            [=^==]   [=^==]              happiness fear;          AUs 12,   1+2+5
# pairs: ref0-hyp0 (IoU 5/7), ref1-hyp1 (IoU 4/6): TP 2, FP 0, FN 1
REF = draw(
    "[=^==]    [===^]    [==]",
    rater="ann",
    clip="c",
    emotions=["happiness", "surprise", "fear"],
    aus=["6+12", "1+2", "4"],
    kind=["micro"] * 3,
)
HYP = draw(
    " [=^==]   [=^==]",
    rater="detector:x",
    clip="c",
    emotions=["happiness", "fear"],
    aus=["12", "1+2+5"],
    kind=["micro"] * 2,
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ref, hyp = tmp_path / "ref.csv", tmp_path / "hyp.parquet"
    REF.to_csv(ref, index=False)
    HYP.to_parquet(hyp)
    return ref, hyp


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_agree_json_has_the_documented_keys(files, capsys):
    ref, hyp = files
    code, out, _ = run(capsys, "agree", str(ref), str(hyp), "--json", "--fps", "100")
    assert code == 0
    result = json.loads(out)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 0, 1)
    assert result["precision"] == 1.0 and result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(0.8)
    assert set(result["by_kind"]) == {"micro", "macro"}
    assert result["by_kind"]["micro"]["tp"] == 2 and result["by_kind"]["macro"]["f1"] is None
    for phase in ("onset", "apex", "offset"):
        assert {"mae_frames", "mae_ms", "bias_frames"} <= set(result["boundary"][phase])
    # onsets: 0 -> 1, 10 -> 10: MAE 0.5 frames = 5 ms at 100 fps, bias +0.5
    assert result["boundary"]["onset"] == {
        "mae_frames": 0.5,
        "mae_ms": 5.0,
        "bias_frames": 0.5,
        "bias_ms": 5.0,
    }
    assert result["emotion"]["n_pairs"] == 2
    assert {"cohen_kappa", "krippendorff_alpha"} <= set(result["emotion"])
    # AU ratios: {6, 12} vs {12}: 2/3; {1, 2} vs {1, 2, 5}: 4/5
    assert result["au"]["agreement_ratio"] == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_agree_prints_tables(files, capsys):
    ref, hyp = files
    code, out, _ = run(capsys, "agree", str(ref), str(hyp), "--per-clip")
    assert code == 0
    assert "Spotting" in out and "Boundaries" in out and "Per clip" in out and "TOTAL" in out


def test_megc_and_apex_modes(files, capsys):
    ref, hyp = files
    code, out, _ = run(capsys, "agree", str(ref), str(hyp), "--json", "--mode", "apex", "--tolerance", "0")
    # apexes: ref 2, 14, (none: 21); hyp 3, 12 -> no pair within 0 frames
    assert code == 0 and json.loads(out)["tp"] == 0
    code, out, _ = run(capsys, "agree", str(ref), str(hyp), "--json", "--mode", "apex", "--tolerance", "2")
    assert json.loads(out)["tp"] == 2


def test_store_names_are_read_from_the_project(tmp_path, capsys):
    from workbench.store import Store

    store = Store(tmp_path / "annotations")
    store.write("demo", "ann", REF)
    store.write("demo", "detector:x", HYP)
    code, out, err = run(capsys, "agree", "demo:ann", "demo:detector:x", "--json", "--project", str(tmp_path))
    assert code == 0, err
    assert json.loads(out)["tp"] == 2
    assert load_events("demo:detector:x", tmp_path)["rater"].unique().tolist() == ["detector:x"]


def test_unknown_rater_lists_the_raters_there(tmp_path, capsys):
    from workbench.store import Store

    Store(tmp_path / "annotations").write("demo", "ann", REF)
    code, _, err = run(capsys, "agree", "demo:ann", "demo:bob", "--project", str(tmp_path))
    assert code == 2
    assert "Expected a rater of dataset 'demo'" in err and "raters there: demo:ann" in err


def test_invalid_rows_are_named_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("clip,rater,onset,apex,offset\nc,a,1,2,3\nc,a,9,,4\n")
    code, _, err = run(capsys, "agree", str(bad), str(bad))
    assert code == 2
    assert f"({bad}, line 3, column 'offset')" in err


def test_missing_file_and_missing_tolerance(tmp_path, files, capsys):
    code, _, err = run(capsys, "agree", str(tmp_path / "none.csv"), str(files[1]))
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "agree", str(files[0]), str(files[1]), "--mode", "apex")
    assert code == 2 and "Expected --tolerance K with --mode apex" in err


def test_report_is_one_self_contained_html_file(files, tmp_path, capsys):
    ref, hyp = files
    out = tmp_path / "out" / "report.html"
    code, printed, _ = run(capsys, "report", str(ref), str(hyp), "-o", str(out), "--fps", "100")
    assert code == 0 and str(out) in printed
    page = out.read_text(encoding="utf-8")
    assert page.count("<script src=") == 0  # plotly.js is inlined, not fetched
    assert page.count("Plotly.newPlot") == 4  # confusion, histograms, F1-IoU, F1-tolerance
    for heading in ("Emotion confusion matrix", "Boundary errors", "F1 against the IoU threshold", "Per clip"):
        assert heading in page


def test_report_shows_how_far_a_detectors_emotion_clue_held(tmp_path, capsys):
    """A detector's events with clue columns: the report tells, by its prototype-match score, how
    often its emotion agreed with the reference (here: the 0.9 match agreed, the 0.4 one did not)."""
    ref, hyp = tmp_path / "ref.csv", tmp_path / "hyp.csv"
    REF.to_csv(ref, index=False)
    HYP.assign(emotion_score=[0.9, 0.4], runner_up=["contempt", "surprise"], runner_up_score=[0.3, 0.35]).to_csv(
        hyp, index=False
    )
    out = tmp_path / "report.html"
    assert run(capsys, "report", str(ref), str(hyp), "-o", str(out), "--fps", "100")[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "emotion clues" in page and "never a verdict" in page
    table = page.split("emotion clues", 1)[1].split("</table>", 1)[0]
    rows = {
        cells[1]: cells[2:4]
        for cells in (re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in table.split("<tr")[1:])
        if len(cells) >= 4 and cells[1][:1].isdigit()
    }
    assert rows["0.75-1.00"] == ["1", "1"] and rows["0.25-0.50"] == ["1", "0"]
    assert sum(int(pairs) for pairs, _ in rows.values()) == 2
    # a person's table (no clue columns) gets no such section
    REF.to_csv(hyp, index=False)
    run(capsys, "report", str(ref), str(hyp), "-o", str(out), "--fps", "100")
    assert "emotion clues" not in out.read_text(encoding="utf-8")


def test_add_parsers_sets_func_for_both_commands():
    import argparse

    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command"))
    for command in ("agree", "report"):
        args = parser.parse_args([command, "a.csv", "b.csv"])
        assert callable(args.func) and args.iou == 0.5 and args.mode == "one-to-one"
    with pytest.raises(SystemExit):
        parser.parse_args(["agree", "a.csv", "b.csv", "--mode", "boundary"])


def test_load_events_reads_csv_like_the_store(files):
    table = load_events(str(files[0]))
    assert isinstance(table, pd.DataFrame) and len(table) == 3
    assert table["onset"].dtype == "Int64"
