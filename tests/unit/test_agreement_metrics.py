"""Metric objects: spotting, boundaries, labels, AUs, ELAN kappa; hand-counted timelines."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from workbench.agreement import (
    AUAgreement,
    BoundaryError,
    LabelAgreement,
    ModifiedKappa,
    SpottingF1,
    agreement_ratio,
    cohen_kappa,
    contingency,
    fleiss_kappa,
    kappa_ipf,
    krippendorff_alpha,
    match,
    reliability_table,
)
from workbench.agreement.statistics import UNMATCHED
from workbench.agreement.timeline import events_from_ascii as draw


@pytest.fixture
def two_clips():
    # clip x, frame 0         1         2
    #               0123456789012345678901234
    # ref           [====]      [==^=]
    # hyp            [====]           [=]
    # clip y
    # ref           [=^=]   [=^=]
    # hyp           [=^=]   [==^]   [==]
    # x: TP 1 (IoU 5/7), FP 1, FN 1     y: TP 2, FP 1, FN 0     total: TP 3, FP 2, FN 1
    ref = pd.concat([draw("[====]      [==^=]", clip="x"), draw("[=^=]   [=^=]", clip="y")])
    hyp = pd.concat(
        [draw(" [====]           [=]", rater="b", clip="x"), draw("[=^=]   [==^]   [==]", rater="b", clip="y")]
    )
    return ref, hyp


def test_spotting_pools_counts_over_clips(two_clips):
    ref, hyp = two_clips
    f1 = SpottingF1()
    assert f1(ref, hyp) == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    report = f1.report()
    assert report.index.tolist() == ["x", "y", "TOTAL"]
    assert report.loc["x", ["tp", "fp", "fn"]].tolist() == [1, 1, 1]
    assert report.loc["y", ["tp", "fp", "fn"]].tolist() == [2, 1, 0]
    assert report.loc["TOTAL", ["tp", "fp", "fn"]].tolist() == [3, 2, 1]
    assert report.loc["TOTAL", "precision"] == pytest.approx(3 / 5)
    assert report.loc["TOTAL", "recall"] == pytest.approx(3 / 4)


def test_spotting_accumulates_across_calls(two_clips):
    ref, hyp = two_clips
    f1 = SpottingF1()
    f1(ref[ref["clip"] == "x"], hyp[hyp["clip"] == "x"])
    f1(ref[ref["clip"] == "y"], hyp[hyp["clip"] == "y"])
    assert (f1["tp"], f1["fp"], f1["fn"]) == (3, 2, 1)
    assert abs(f1) == pytest.approx(6 / 9)
    f1.reset()
    assert f1["tp"] == 0


def test_spotting_by_kind_matches_each_kind_on_its_own():
    # ref   [========]        micro (given)        [==]  macro (given)
    # hyp   [========]        macro (given): not a micro hit, not a macro hit
    # hyp                                          [==]  no kind: 4 frames at 30 fps -> micro
    ref = draw("[========]       [==]", kind=["micro", "macro"])
    hyp = draw("[========]       [==]", rater="b", kind=["macro", None])
    micro, macro = SpottingF1(kind="micro", fps=30.0), SpottingF1(kind="macro", fps=30.0)
    assert micro(ref, hyp, detailed=True) == {"tp": 0.0, "fp": 1.0, "fn": 1.0, "f1": 0.0}
    assert macro(ref, hyp, detailed=True) == {"tp": 0.0, "fp": 1.0, "fn": 1.0, "f1": 0.0}


def test_f1_is_nan_without_events():
    f1 = SpottingF1()
    assert np.isnan(f1(draw(""), draw("")))


def test_boundary_errors_in_frames_and_ms():
    # frame 01234567
    # ref   [=^==]      onset 0, apex 2, offset 5
    # hyp     [===^]    onset 2, apex 6, offset 7: errors +2, +4, +2 frames
    #                   at 200 fps: +10, +20, +10 ms
    ref = draw("[=^==]")
    hyp = draw("  [===^]", rater="b")
    metric = BoundaryError(fps=200.0)
    assert metric(ref, hyp) == pytest.approx(2.0)
    total = metric.report().loc["TOTAL"]
    assert total[["onset_bias_frames", "apex_bias_frames", "offset_bias_frames"]].tolist() == [2, 4, 2]
    assert total[["onset_mae_ms", "apex_mae_ms", "offset_mae_ms"]].tolist() == [10.0, 20.0, 10.0]
    assert total["asr"] == 0.0  # hyp apex 6 outside ref [0, 5]
    assert total["asr_ref_in_hyp"] == 1.0  # ref apex 2 inside hyp [2, 7]


def test_boundary_errors_signed_mean_and_missing_apex():
    # ref   [====]     [====]       no apexes
    # hyp    [====]   [====]        onsets +1 and -1: bias 0, MAE 1
    ref = draw("[====]     [====]")
    hyp = draw(" [====]   [====]", rater="b")
    metric = BoundaryError()
    metric(ref, hyp)
    total = metric.report().loc["TOTAL"]
    assert (total["onset_mae_frames"], total["onset_bias_frames"]) == (1.0, 0.0)
    assert np.isnan(total["apex_mae_frames"]) and np.isnan(total["onset_mae_ms"])
    assert np.isnan(total["asr"])


def test_per_clip_fps_column_wins_over_the_argument():
    ref = draw("[===]", fps=[100.0])
    hyp = draw(" [===]", rater="b", fps=[100.0])
    errors = match(ref, hyp)
    metric = BoundaryError(fps=25.0)
    metric(matching=errors)
    assert metric.errors()["onset_error_ms"].tolist() == [10.0]


@pytest.fixture
def labelled():
    # ref   [==] [==] [==] [==] [==] [==]         happiness happiness surprise surprise fear fear
    # hyp   [==] [==] [==] [==] [==] [==]         happiness surprise  surprise surprise fear happiness
    line = "[==] [==] [==] [==] [==] [==]"
    ref = draw(line, emotions=["happiness", "happiness", "surprise", "surprise", "fear", "fear"])
    hyp = draw(line, rater="b", emotions=["happiness", "surprise", "surprise", "surprise", "fear", "happiness"])
    return ref, hyp


def test_labels_kappa_and_alpha_agree_with_the_libraries(labelled):
    ref, hyp = labelled
    a, b = ref["emotion"].astype(str).tolist(), hyp["emotion"].astype(str).tolist()
    metric = LabelAgreement()
    assert metric(ref, hyp) == pytest.approx(cohen_kappa_score(a, b))
    codes = {x: k for k, x in enumerate(sorted(set(a) | set(b)))}
    data = np.array([[codes[x] for x in a], [codes[x] for x in b]], dtype=float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert metric.krippendorff_alpha() == pytest.approx(expected)
    total = metric.report().loc["TOTAL"]
    assert (total["n_pairs"], total["agreed"]) == (6, 4)


def test_confusion_matrix_agrees_with_scikit_learn(labelled):
    ref, hyp = labelled
    metric = LabelAgreement()
    metric(ref, hyp)
    table = metric.confusion()
    assert table.index.tolist() == ["happiness", "fear", "surprise"]  # schema order
    a, b = ref["emotion"].astype(str), hyp["emotion"].astype(str)
    assert (table.to_numpy() == confusion_matrix(a, b, labels=table.index.tolist())).all()
    # rows: reference; happiness -> 1 happiness, 0 fear, 1 surprise
    assert table.loc["happiness"].tolist() == [1, 0, 1]


def test_cohen_kappa_conventions():
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "a", "b", "a"]) == pytest.approx(0.5)
    assert np.isnan(cohen_kappa(["a", "a"], ["a", "a"]))  # one label only: 0 / 0
    assert np.isnan(cohen_kappa([], []))
    assert cohen_kappa(["a", None, "b"], ["a", "b", "b"]) == pytest.approx(1.0)  # missing left out


def test_krippendorff_alpha_any_number_of_raters_with_missing_values():
    # Krippendorff (2011), nominal example: 4 raters, 12 units, missing values
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    table = pd.DataFrame(np.array(data, dtype=object).T, columns=["A", "B", "C", "D"])
    expected = krippendorff.alpha(reliability_data=np.array(data, dtype=float), level_of_measurement="nominal")
    assert krippendorff_alpha(table) == pytest.approx(expected)
    assert krippendorff_alpha(table) == pytest.approx(0.743, abs=1e-3)  # the published value


def test_fleiss_kappa_wikipedia_example():
    # 10 subjects, 14 raters, 5 categories: kappa = 0.210 (Fleiss 1971, as on Wikipedia)
    counts = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    rows = [[cat for cat, n in enumerate(row) for _ in range(n)] for row in counts]
    table = pd.DataFrame(rows, columns=[f"r{k}" for k in range(14)])
    assert fleiss_kappa(table) == pytest.approx(0.2099, abs=1e-4)


def test_fleiss_kappa_of_two_raters_drops_incomplete_units():
    table = pd.DataFrame({"a": ["x", "y", "x", None], "b": ["x", "y", "x", "y"]})
    assert fleiss_kappa(table) == pytest.approx(1.0)


def test_reliability_table_lines_up_three_raters():
    # ref   [==]    [==]    [==]         happiness surprise fear
    # b     [==]    [==]                 happiness surprise
    # c     [==]            [==]   [==]  happiness fear      (last one: no ref event)
    ref = draw("[==]    [==]    [==]", rater="a", emotions=["happiness", "surprise", "fear"])
    b = draw("[==]    [==]", rater="b", emotions=["happiness", "surprise"])
    c = draw("[==]            [==]   [==]", rater="c", emotions=["happiness", "fear", "anger"])
    table = reliability_table({"a": ref, "b": b, "c": c})
    assert table.values.tolist() == [
        ["happiness", "happiness", "happiness"],
        ["surprise", "surprise", None],
        ["fear", None, "fear"],
        [None, None, "anger"],
    ]
    assert krippendorff_alpha(table) == pytest.approx(1.0)
    assert fleiss_kappa(table) == pytest.approx(np.nan, nan_ok=True)  # one complete unit, one label


def test_agreement_ratio_hand_counted():
    # {1, 2, 12} and {1, 12, 25}: 2 * 2 / (3 + 3)
    assert agreement_ratio(["1+2+R12"], ["1+12+25"])[0] == pytest.approx(2 / 3)
    assert agreement_ratio(["A1B+A2C"], ["1+2"])[0] == pytest.approx(1.0)
    assert agreement_ratio(["4"], [""])[0] == 0.0
    assert np.isnan(agreement_ratio([""], [""])[0])


def test_au_metric_mean_pooled_and_per_au():
    # ref   [==]  [==]  [==]       6+12     1+2+5    (none)
    # hyp   [==]  [==]  [==]       12       1+2      (none)
    # ratios 2/3 and 4/5 (third pair: no AUs, left out); mean 11/15; pooled 6/8
    ref = draw("[==]  [==]  [==]", aus=["6+12", "1+2+5", ""])
    hyp = draw("[==]  [==]  [==]", rater="b", aus=["12", "1+2", ""])
    metric = AUAgreement()
    assert metric(ref, hyp) == pytest.approx((2 / 3 + 4 / 5) / 2)
    total = metric.report().loc["TOTAL"]
    assert (total["n_pairs"], total["pooled"]) == (2, pytest.approx(6 / 8))
    per_au = metric.per_au()
    assert per_au.loc[6, ["ref", "hyp", "both"]].tolist() == [1, 0, 0]
    # AU 1 is absent from pair 1 and present in pair 2 for both raters: kappa 1
    assert per_au.loc[1, ["ref", "hyp", "both"]].tolist() == [1, 1, 1]
    assert per_au.loc[1, "cohen_kappa"] == pytest.approx(cohen_kappa_score([0, 1], [0, 1]))
    # AU 5 only in ref's pair 2; AU 6 only in ref's pair 1: presence vectors differ
    assert per_au.loc[5, "cohen_kappa"] == pytest.approx(cohen_kappa_score([0, 1], [0, 0]))


def test_elan_kappa_without_unmatched_is_cohen(labelled):
    ref, hyp = labelled
    metric = ModifiedKappa()
    value = metric(ref, hyp)
    a, b = ref["emotion"].astype(str), hyp["emotion"].astype(str)
    assert value == pytest.approx(cohen_kappa_score(a, b))
    assert metric.values()["kappa_excl"] == pytest.approx(value)


def test_elan_kappa_counts_unmatched_events():
    # ref   [==]  [==]  [==]              happiness surprise surprise
    # hyp   [==]  [==]        [==]        happiness surprise          fear (false alarm)
    # pairs (h, h), (s, s); miss (s, ∅); false alarm (∅, f): raw agreement 2/4
    ref = draw("[==]  [==]  [==]", emotions=["happiness", "surprise", "surprise"])
    hyp = draw("[==]  [==]        [==]", rater="b", emotions=["happiness", "surprise", "fear"])
    metric = ModifiedKappa()
    metric(ref, hyp)
    values = metric.values()
    assert values["raw_agreement"] == pytest.approx(0.5)
    assert values["raw_agreement_excl"] == 1.0 and values["kappa_excl"] == 1.0
    assert values["kappa_ipf"] < values["kappa_excl"]
    assert values["kappa_ipf"] <= values["kappa_max"] + 1e-12
    assert metric.report().loc["TOTAL", "n_unmatched"] == 2


def test_kappa_ipf_fills_the_structural_zero_by_hand():
    # table (rows ref, cols hyp) over a, ∅:      a  ∅
    #                                        a  [2, 1]
    #                                        ∅  [1, 0*]   (* structural zero)
    # quasi-independence: E = [[x, y], [z, 0]] with row sums 3, 1 and column sums 3, 1:
    # z = 1, y = 1, x = 2 -> p_e = 2/4 = p_o: kappa_ipf = 0
    out = kappa_ipf(["a", "a", "a", UNMATCHED], ["a", "a", UNMATCHED, "a"])
    assert out["raw_agreement"] == 0.5
    assert out["kappa_ipf"] == pytest.approx(0.0, abs=1e-9)


def test_contingency_agrees_with_scikit_learn():
    a = ["x", "y", "x", "z", "y", None]
    b = ["x", "x", "x", "z", "z", "y"]
    labels = ["x", "y", "z"]
    expected = confusion_matrix(a[:5], b[:5], labels=labels)
    assert (contingency(a, b).to_numpy() == expected).all()


def test_label_report_per_clip_and_total():
    # clip x: (happiness, happiness), (surprise, surprise)  -> kappa 1
    # clip y: (happiness, surprise), (surprise, happiness)  -> kappa -1
    x = draw("[==] [==]", clip="x", emotions=["happiness", "surprise"])
    y = draw("[==] [==]", clip="y", emotions=["happiness", "surprise"])
    hx = draw("[==] [==]", rater="b", clip="x", emotions=["happiness", "surprise"])
    hy = draw("[==] [==]", rater="b", clip="y", emotions=["surprise", "happiness"])
    metric = LabelAgreement()
    total = metric(pd.concat([x, y]), pd.concat([hx, hy]))
    report = metric.report()
    assert report.loc["x", "cohen_kappa"] == pytest.approx(1.0)
    assert report.loc["y", "cohen_kappa"] == pytest.approx(-1.0)
    assert report.loc["TOTAL", "cohen_kappa"] == pytest.approx(total) == pytest.approx(0.0)
    assert report["n_pairs"].tolist() == [2, 2, 4]
    elan = ModifiedKappa()
    elan(pd.concat([x, y]), pd.concat([hx, hy]))
    assert elan.report().loc[["x", "y"], "kappa_excl"].tolist() == pytest.approx([1.0, -1.0])
