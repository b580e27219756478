"""AU agreement on curves: hand-computed r and ICC(3,1), AUC and F1 at the coder's apexes."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.agreement.au_curves import (
    apex_scores,
    curve_agreement,
    detector_vs_human,
    icc_3_1,
    misses,
    pearson_r,
)
from workbench.arrays import ARRAYS_VERSION
from workbench.schema import events_from_records, make_event


def curves(values: dict[str, list[float]], scale: tuple[float, float] | None = None, frames=None) -> xr.DataArray:
    names = list(values)
    data = np.array([values[n] for n in names], dtype=np.float32).T
    frames = np.arange(len(data)) if frames is None else np.asarray(frames)
    attrs = {"fps": 30.0, "clip": "c", "detector": "d", "schema_version": ARRAYS_VERSION}
    if scale:
        attrs.update(scale="x", scale_min=scale[0], scale_max=scale[1], scale_transform="linear")
    return xr.DataArray(
        data,
        dims=("frame", "au"),
        coords={
            "frame": frames,
            "time": ("frame", frames / 30.0),
            "au": names,
            "au_number": ("au", [int(n[2:].rstrip("LR")) for n in names]),
            "side": ("au", [n[-1] if n[-1] in "LR" else "" for n in names]),
        },
        attrs=attrs,
    )


# Two detectors, five frames of AU12:
#   x = 1 2 3 4 5      y = 2 2 4 5 5
# Pearson: dx = -2 -1 0 1 2, dy = -1.6 -1.6 .4 1.4 1.4; sum dxdy = 9, sum dx^2 = 10, sum dy^2 = 9.2
#   r = 9 / sqrt(10 * 9.2) = 0.938315
# ICC(3,1) from the two-way ANOVA (grand mean 3.3): row means 1.5 2 3.5 4.5 5
#   SSR = 2 * 9.3 = 18.6, MSR = 18.6 / 4 = 4.65; SSC = 5 * (0.09 + 0.09) = 0.9; SST = 20.1
#   SSE = 20.1 - 18.6 - 0.9 = 0.6, MSE = 0.6 / 4 = 0.15; ICC = (4.65 - 0.15) / (4.65 + 0.15) = 0.9375
X, Y = [1.0, 2, 3, 4, 5], [2.0, 2, 4, 5, 5]


def test_r_and_icc_hand_computed():
    assert pearson_r(np.array(X), np.array(Y)) == pytest.approx(9 / np.sqrt(92))
    assert icc_3_1(np.array(X), np.array(Y)) == pytest.approx(0.9375)


def test_curve_agreement_per_au_on_the_declared_scales():
    # detector a writes 0-5, detector b writes 0-10 (twice the numbers): normalised, they are X/5 and Y/5
    a = curves({"AU12": X, "AU4": X}, scale=(0, 5))
    b = curves({"AU12": [2 * v for v in Y], "AU6": Y}, scale=(0, 10))
    table = curve_agreement([(a, b)]).set_index("au")
    assert list(table.index) == ["AU12"]  # only AUs both give
    row = table.loc["AU12"]
    assert (row["n_clips"], row["n_frames"]) == (1, 5)
    assert row["pearson_r"] == pytest.approx(9 / np.sqrt(92), abs=1e-6)
    assert row["icc_3_1"] == pytest.approx(0.9375, abs=1e-6)


def test_frames_with_nan_and_frames_of_one_side_only_are_left_out_and_clips_pool():
    a = curves({"AU12": [*X, np.nan]}, frames=range(6))
    b = curves({"AU12": [9.0, *Y]}, frames=range(-1, 5))  # frame -1 only in b, frame 5 NaN in a
    one = curve_agreement([(a, b)]).iloc[0]
    assert one["n_frames"] == 5
    assert one["pearson_r"] == pytest.approx(9 / np.sqrt(92), abs=1e-6)
    two = curve_agreement([(a, b), (a, b)]).iloc[0]
    assert (two["n_clips"], two["n_frames"]) == (2, 10)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 5), min_size=4, max_size=30), st.floats(-2, 2))
def test_identical_curves_agree_perfectly_and_icc_ignores_an_offset(values, offset):
    x = np.array(values)
    if np.ptp(x) < 1e-3:
        return
    assert pearson_r(x, x) == pytest.approx(1.0)
    assert icc_3_1(x, x) == pytest.approx(1.0)
    assert icc_3_1(x, x + offset) == pytest.approx(1.0)
    y = x[::-1].copy()
    assert pearson_r(x, y) == pytest.approx(pearson_r(y, x))
    assert icc_3_1(x, y) == pytest.approx(icc_3_1(y, x))


# Detector against a coder: AU12's score at each apex (frames 10, 20, 30, 40, 50).
#   coded 12:     0.9  0.8  0.1        not coded: 0.2  0.3
# AUC = P(coded > not coded) over 3 x 2 pairs: 0.9, 0.8 beat both; 0.1 beats none -> 4/6
# best F1: threshold 0.8 -> TP 2, FP 0, FN 1: P 1, R 2/3, F1 0.8 (threshold 0.1: 0.75)
SCORES = {10: 0.9, 20: 0.8, 30: 0.1, 40: 0.2, 50: 0.3}


def coder_events():
    codes = {10: "6+12", 20: "R12", 30: "12", 40: "4", 50: "1+2"}
    rows = [make_event("c", "ann", f - 2, f + 2, apex=f, aus=codes[f]) for f in SCORES]
    rows.append(make_event("c", "ann", 60, 64, apex=62, aus=""))  # no AUs coded: says nothing
    rows.append(make_event("other", "ann", 1, 3, apex=2, aus="12"))  # no curves for this clip
    return events_from_records(rows)


def detector_curves():
    au12 = np.zeros(70)
    for frame, score in SCORES.items():
        au12[frame] = score
    return {"c": curves({"AU12": list(au12), "AU12L": list(au12), "AU4": list(np.full(70, 0.5))})}


def test_detector_vs_human_auc_and_best_f1_hand_counted():
    scores = apex_scores(detector_curves(), coder_events())
    assert sorted(scores["au"].unique()) == ["AU12", "AU4"]  # bilateral curves only
    assert len(scores[scores["au"] == "AU12"]) == 5
    table = detector_vs_human(scores).set_index("au")
    row = table.loc["AU12"]
    assert (row["n_events"], row["n_present"]) == (5, 3)
    assert row["auc"] == pytest.approx(4 / 6)
    assert row["f1"] == pytest.approx(0.8) and row["threshold"] == pytest.approx(0.8)
    assert (row["precision"], row["recall"]) == (pytest.approx(1.0), pytest.approx(2 / 3))
    assert table.loc["AU4", "auc"] == pytest.approx(0.5)  # a flat curve tells nothing


def test_misses_are_coded_aus_under_the_threshold():
    scores = apex_scores(detector_curves(), coder_events())
    missed = misses(scores, detector_vs_human(scores))
    assert missed[missed["au"] == "AU12"][["apex", "score"]].values.tolist() == [[30, pytest.approx(0.1)]]


def test_an_apex_left_empty_uses_the_middle_frame():
    events = events_from_records([make_event("c", "ann", 18, 22, aus="12")])
    assert apex_scores(detector_curves(), events)["apex"].unique().tolist() == [20]
