"""F1 against the IoU threshold and against a boundary tolerance, hand-counted."""

from __future__ import annotations

import pytest

from workbench.agreement import f1_by_iou, f1_by_tolerance, match
from workbench.agreement.timeline import events_from_ascii as draw

# frame 0         1         2         3         4         5
#       0123456789012345678901234567890123456789012345678901234
# ref   [========]          [========]          [========]
# hyp   [===]               [========]               [========]
# IoU   5/10 = 0.5          1.0                      5/15 = 0.33
REF = draw("[========]          [========]          [========]")
HYP = draw("[===]               [========]               [========]", rater="b")


def test_f1_by_iou_hand_counted():
    curve = f1_by_iou(REF, HYP, thresholds=[0.3, 0.5, 0.6, 1.0]).set_index("iou")
    assert curve["tp"].tolist() == [3, 2, 1, 1]
    assert curve["fp"].tolist() == [0, 1, 2, 2]
    assert curve["fn"].tolist() == [0, 1, 2, 2]
    assert curve.loc[0.5, "f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_f1_by_iou_equals_matching_at_each_threshold():
    curve = f1_by_iou(REF, HYP)
    for t, tp in zip(curve["iou"], curve["tp"], strict=True):
        assert match(REF, HYP, iou=t).tp == tp
    assert curve["tp"].is_monotonic_decreasing


def test_f1_by_tolerance_hand_counted():
    # boundaries: pair 1 offset 9 vs 4 (5 frames); pair 2 exact; pair 3 onset and offset 5 late
    curve = f1_by_tolerance(REF, HYP, tolerances=[0, 4, 5]).set_index("tolerance")
    assert curve["tp"].tolist() == [1, 1, 3]
    assert curve.loc[5, "f1"] == 1.0


def test_curves_on_empty_raters():
    empty = draw("")
    assert f1_by_iou(empty, empty, thresholds=[0.5])["f1"].isna().all()
    assert f1_by_tolerance(REF, empty, tolerances=[0]).loc[0, ["tp", "fn", "recall"]].tolist() == [0, 3, 0.0]
    nothing_found = f1_by_iou(empty, HYP, thresholds=[0.5]).iloc[0]  # no truth: every detection is a false alarm
    assert (nothing_found["tp"], nothing_found["fp"], nothing_found["fn"], nothing_found["precision"]) == (0, 3, 0, 0.0)
