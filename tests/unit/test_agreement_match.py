"""Matching two raters' events: hand-counted ASCII timelines (one character per frame)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.agreement import match
from workbench.agreement.match import iou_of, prepare
from workbench.agreement.timeline import events_from_ascii as draw


def counts(m):
    return m.tp, m.fp, m.fn


def test_inclusive_iou_shares_the_touching_frame():
    # frame  0         1         2         3
    #        0123456789012345678901234567890
    # ref              [=========]              [10, 20]
    # hyp                        [=========]    [20, 30]: 1 frame shared of 21
    ref = draw("          [=========]")
    hyp = draw("                    [=========]")
    r, h, _ = prepare(ref, hyp)
    assert iou_of(r, h, np.array([0]), np.array([0]))[0] == pytest.approx(1 / 21)


def test_iou_exactly_one_half_is_a_match():
    # ref  [========]   frames 0-9
    # hyp  [===]        frames 0-4: IoU 5/10 = 0.5 -> TP
    assert counts(match(draw("[========]"), draw("[===]"))) == (1, 0, 0)
    # hyp  [==]         frames 0-3: IoU 4/10 -> FN 1, FP 1
    assert counts(match(draw("[========]"), draw("[==]"))) == (0, 1, 1)


def test_hits_misses_and_false_alarms():
    # frame 0         1         2         3
    #       0123456789012345678901234567890123
    # ref   [====]      [==^=]     [===]
    # hyp    [====]           [=]         [==]
    # pairs: ref0-hyp0 (IoU 5/7)    TP 1
    # ref1 [12,17] vs hyp1 [18,20]: no overlap; ref2 [23,27] vs hyp2 [30,33]: none
    #                                FN 2, FP 2
    ref = draw("[====]      [==^=]     [===]")
    hyp = draw(" [====]           [=]         [==]")
    m = match(ref, hyp)
    assert counts(m) == (1, 2, 2)
    assert m.pairs[["ref_id", "hyp_id"]].values.tolist() == [["a-clip-0", "a-clip-0"]]
    assert m.misses["onset"].tolist() == [12, 23]
    assert m.false_alarms["onset"].tolist() == [18, 30]


def test_optimal_assignment_beats_greedy():
    # frame 0         1
    #       012345678901
    # ref   [========]      A [0, 9]
    # ref     [========]    B [2, 11]
    # hyp   [========]      X [0, 9]  A-X 1.0, B-X 8/12
    # hyp   [====]          Y [0, 5]  A-Y 0.6, B-Y 4/12 (< 0.5)
    # greedy takes A-X and leaves B alone (TP 1); the optimum is A-Y, B-X: TP 2
    ref = pd.concat([draw("[========]", clip="c"), draw("  [========]", rater="a2", clip="c")])
    hyp = pd.concat([draw("[========]", rater="b", clip="c"), draw("[====]", rater="b2", clip="c")])
    m = match(ref, hyp)
    assert counts(m) == (2, 0, 0)
    assert sorted(m.pairs[["ref_id", "hyp_id"]].values.tolist()) == [
        ["a-c-0", "b2-c-0"],
        ["a2-c-0", "b-c-0"],
    ]


def test_megc2020_counts_found_truths_and_predictions_minus_tp():
    # frame 0
    #       0123456789
    # ref   [===][===]     two truths [0, 4] and [5, 9]
    # hyp   [========]     one prediction [0, 9]: IoU 0.5 with each
    # one-to-one: TP 1, FP 0, FN 1
    # megc2020: both truths found -> TP 2, FP = max(1 - 2, 0) = 0, FN 0
    ref, hyp = draw("[===][===]"), draw("[========]")
    assert counts(match(ref, hyp)) == (1, 0, 1)
    assert counts(match(ref, hyp, mode="megc2020")) == (2, 0, 0)


def test_megc2020_two_predictions_on_one_truth():
    # ref   [========]      one truth [0, 9]
    # hyp   [======]        [0, 7] IoU 0.8
    # hyp    [========]     [1, 10] IoU 9/11
    # megc2020: TP 1, FP = 2 - 1 = 1, FN 0; the truth pairs with its best prediction
    ref = draw("[========]")
    hyp = pd.concat([draw("[======]", rater="b"), draw(" [========]", rater="c")])
    m = match(ref, hyp, mode="megc2020")
    assert counts(m) == (1, 1, 0)
    assert m.pairs["hyp_id"].tolist() == ["c-clip-0"]


def test_apex_mode_uses_the_tolerance():
    # frame 0         1         2
    #       012345678901234567890
    # ref   [=^====]   [===^=]        apexes 2 and 15
    # hyp    [====^=]   [^====]       apexes 6 and 13
    # k=3: 2 vs 6 is 4 frames (no), 15 vs 13 is 2 (yes): TP 1, FP 1, FN 1
    # k=4: both                                          TP 2
    ref = draw("[=^====]   [===^=]")
    hyp = draw(" [====^=]   [^====]")
    assert counts(match(ref, hyp, mode="apex", tolerance=3)) == (1, 1, 1)
    assert counts(match(ref, hyp, mode="apex", tolerance=4)) == (2, 0, 0)


def test_apex_mode_falls_back_on_the_middle_frame():
    # ref   [====]     no apex drawn: middle frame (0 + 5) // 2 = 2
    # hyp     #        a one-frame event at 2 (its own middle)
    assert counts(match(draw("[====]"), draw("  #"), mode="apex", tolerance=0)) == (1, 0, 0)


def test_boundary_mode_needs_both_ends_within_tolerance():
    # ref   [======]       [0, 7]
    # hyp     [======]     [2, 9]: onset and offset each 2 frames late
    ref, hyp = draw("[======]"), draw("  [======]")
    assert counts(match(ref, hyp, mode="boundary", tolerance=1)) == (0, 1, 1)
    assert counts(match(ref, hyp, mode="boundary", tolerance=2)) == (1, 0, 0)


def test_events_match_only_within_their_clip():
    # clip x: ref [====]     clip y: hyp [====] on the same frames -> no pair
    ref, hyp = draw("[====]", clip="x"), draw("[====]", clip="y")
    m = match(ref, hyp)
    assert counts(m) == (0, 1, 1)
    assert m.counts_by_clip().to_dict("index") == {
        "x": {"tp": 0, "fp": 0, "fn": 1},
        "y": {"tp": 0, "fp": 1, "fn": 0},
    }


def test_empty_raters():
    empty = draw("")
    assert counts(match(empty, draw("[==]"))) == (0, 1, 0)
    assert counts(match(draw("[==]"), empty)) == (0, 0, 1)
    assert counts(match(empty, empty)) == (0, 0, 0)


def test_paired_gives_both_sides_values():
    ref = draw("[=^==]", emotions=["fear"], aus=["1+2+4"])
    hyp = draw(" [==^=]", rater="b", emotions=["surprise"], aus=["1+2"])
    p = match(ref, hyp).paired(("onset", "apex", "emotion", "aus"))
    row = p.iloc[0]
    assert (row.onset_ref, row.onset_hyp, row.apex_ref, row.apex_hyp) == (0, 1, 2, 4)
    assert (row.emotion_ref, row.emotion_hyp, row.aus_ref, row.aus_hyp) == ("fear", "surprise", "1+2+4", "1+2")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "best"}, "Expected mode among one-to-one, megc2020, apex, boundary, but got mode='best'"),
        ({"mode": "apex"}, "Expected a tolerance >= 0 frames for mode='apex', but got tolerance=None"),
        ({"iou": 0}, r"Expected 0 < iou <= 1, but got iou=0"),
    ],
)
def test_invalid_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        match(draw("[==]"), draw("[==]"), **kwargs)


def test_missing_columns_are_named():
    with pytest.raises(
        ValueError, match=r"in the hypothesis events, but got 'clip', 'onset' .*missing: event_id, offset"
    ):
        match(draw("[==]"), pd.DataFrame({"clip": ["c"], "onset": [1]}))


def test_drawing_errors_name_the_frame():
    with pytest.raises(ValueError, match=r"but got 'x' at frame 2"):
        draw("[=x]")
    with pytest.raises(ValueError, match=r"Expected '\]' to close the event opened at frame 1"):
        draw(" [==")
