"""Review logic: the disagreement queue, the reversible decision log, the consensus, the audit."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from workbench.agreement.review import REASONS, Review, disagreements, read_log, review_log_path
from workbench.agreement.timeline import events_from_ascii as draw

# frame  0         1         2         3         4
#        012345678901234567890123456789012345678901234
# ann    [==^=]    [==^===]      [==^=]    [===]
# det    [==^=]       [==^===]   [==^=]              [==]
#
# ann0-det0 identical, labels happiness/happiness, AUs 6+12 / 6+12      -> no item
# ann1 [10,17] vs det1 [13,20]: IoU 5/11 < 0.5                          -> miss + false alarm
# ann2-det2 identical frames, surprise vs fear                          -> label
# ann3 [34,38]: nothing overlapping                                     -> miss (worst)
# det3 [44,47]: nothing overlapping                                     -> false alarm (worst)
ANN = draw(
    "[==^=]    [==^===]      [==^=]    [===]",
    rater="ann",
    emotions=["happiness", "disgust", "surprise", "anger"],
    aus=["6+12", "9+10", "1+2+5", "4+7"],
)
DET = draw(
    "[==^=]       [==^===]   [==^=]              [==]",
    rater="det",
    emotions=["happiness", "disgust", "fear", "others"],
    aus=["6+12", "9", "1+2+5", ""],
)


def ticking_clock():
    counter = itertools.count()
    return lambda: f"2026-01-01T00:00:{next(counter):02d}.000+00:00"


def test_queue_lists_every_disagreement_worst_first():
    items = disagreements(ANN, DET)
    assert items["type"].tolist() == ["miss", "false_alarm", "miss", "false_alarm", "label"]
    assert items["ref_id"].tolist()[:3] == ["ann-clip-3", "", "ann-clip-1"]
    # no overlap at all (severity 4) before a near miss (3 + 1 - 5/11)
    assert items["severity"].tolist()[:4] == pytest.approx([4.0, 4.0, 4 - 5 / 11, 4 - 5 / 11])
    assert items.loc[4, "description"] == "surprise (ann) vs fear (det)"
    assert items.loc[0, "description"] == "ann marked 34-38; det marked nothing overlapping"
    assert items.loc[2, "description"] == "ann marked 10-17 (apex 13); det has nothing reaching IoU 0.5 (best 0.45)"
    # frames to show: events +- 10 frames, never before frame 0
    assert items.loc[0, ["start", "end"]].tolist() == [24, 48]
    assert items["item_id"].is_unique


def test_boundary_and_au_items():
    # ref   [==^===]        onset 0, apex 3, offset 7; AUs 1+2
    # hyp      [==^==]      onset 3, apex 6, offset 9: errors +3, +3, +2; AUs 1+2+5 (ratio 0.8)
    ref = draw("[==^===]", rater="a", aus=["1+2"])
    hyp = draw("   [==^==]", rater="b", aus=["1+2+5"])
    items = disagreements(ref, hyp, iou=0.3, boundary_tolerance=2)
    assert items["type"].tolist() == ["boundary", "au"]
    assert items.loc[0, "description"] == "onset +3, apex +3, offset +2 frames (b - a)"
    assert items.loc[0, "severity"] == pytest.approx(1 + 3 / (3 + 2 + 1))
    assert items.loc[1, "description"] == "AUs 1+2 (a) vs 1+2+5 (b): agreement 0.80"
    assert disagreements(ref, hyp, iou=0.3, boundary_tolerance=3)["type"].tolist() == ["au"]
    assert disagreements(ref, hyp, iou=0.3, boundary_tolerance=3, au_threshold=0.8).empty


def test_undecided_consensus_follows_the_reference():
    review = Review(ANN, DET)
    consensus = review.consensus()
    assert consensus["onset"].tolist() == [0, 10, 24, 34]
    assert set(consensus["rater"]) == {"consensus"}
    assert consensus["source_rater"].tolist() == ["ann"] * 4
    assert consensus["decided_by"].tolist() == [""] * 4
    assert review.consensus(pending="drop")["onset"].tolist() == [0]  # only the agreed pair


def test_decisions_build_the_consensus_with_provenance():
    review = Review(ANN, DET, clock=ticking_clock())
    items = review.items.set_index("type", append=True)["item_id"].droplevel(0)
    review.decide(items["label"], reason="label error", stands="hyp", reviewer="eve")
    review.decide(review.items["item_id"][0], reason="occlusion", stands="neither", reviewer="eve")
    review.decide(review.items["item_id"][1], reason="true miss", stands="hyp", reviewer="bob")
    consensus = review.consensus().set_index("onset")
    assert consensus.index.tolist() == [0, 10, 24, 44]  # ann3 dropped, det3 added
    label = consensus.loc[24]
    assert (label["emotion"], label["source_rater"], label["source_event_id"]) == (
        "fear",
        "ann+det",
        "ann-clip-2+det-clip-2",
    )
    assert (label["decided_by"], label["decided_at"], label["note"]) == (
        "eve",
        "2026-01-01T00:00:00.000+00:00",
        "label error",
    )
    added = consensus.loc[44]
    assert (added["source_rater"], added["source_event_id"], added["decided_by"]) == ("det", "det-clip-3", "bob")


def test_a_new_mark_replaces_the_event():
    review = Review(ANN, DET)
    item = review.items["item_id"][2]  # the near miss ann1 [10, 17]
    review.decide(
        item,
        reason="other",
        stands="new",
        reviewer="eve",
        event={"onset": 11, "apex": 15, "offset": 19, "emotion": "disgust"},
    )
    row = review.consensus().set_index("onset").loc[11]
    assert (row["apex"], row["offset"], row["emotion"], row["aus"]) == (15, 19, "disgust", "9+10")
    assert (row["source_rater"], row["source_event_id"], row["decided_by"]) == ("eve", "", "eve")


def test_every_decision_is_reversible():
    review = Review(ANN, DET)
    label = review.items.loc[review.items["type"] == "label", "item_id"].iloc[0]
    first = review.decide(label, reason="label error", stands="hyp", reviewer="eve")
    assert review.consensus().set_index("onset").loc[24, "emotion"] == "fear"
    undo = review.revert(first, reviewer="eve")
    assert review.consensus().set_index("onset").loc[24, "emotion"] == "surprise"
    review.revert(undo, reviewer="bob")  # revert the revert: the decision is back
    assert review.consensus().set_index("onset").loc[24, "emotion"] == "fear"
    assert review.undo("eve") is not None
    assert review.consensus().set_index("onset").loc[24, "emotion"] == "surprise"
    log = review.log
    assert log["action"].tolist() == ["decision", "revert", "revert", "revert"]  # append-only
    # the undo reverted the decision (the latest decision in effect); bob's revert
    # still cancels eve's first revert
    assert log["active"].tolist() == [False, False, True, True]
    assert review.undo("eve") is None  # no decision left in effect
    assert review.decisions().empty


def test_the_latest_decision_on_an_item_wins():
    review = Review(ANN, DET)
    label = review.items.loc[review.items["type"] == "label", "item_id"].iloc[0]
    review.decide(label, reason="label error", stands="hyp", reviewer="eve")
    review.decide(label, reason="other", stands="ref", reviewer="bob")
    assert review.consensus().set_index("onset").loc[24, "emotion"] == "surprise"
    queue = review.queue().set_index("item_id")
    assert (queue.loc[label, "stands"], queue.loc[label, "decided_by"], queue.loc[label, "decided"]) == (
        "ref",
        "bob",
        True,
    )
    assert queue["decided"].sum() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "tired"}, "Expected reason among blink, head motion, .*, but got reason='tired'"),
        ({"stands": "hyp"}, r"Expected stands among ref, new, neither, but got stands='hyp' \(item miss:"),
        ({"reviewer": " "}, "Expected a reviewer id"),
        ({"stands": "new"}, "Expected an event exactly when stands='new', but got stands='new', no event"),
        ({"stands": "new", "event": {"onset": 9, "offset": 3}}, r"Expected onset <= offset, but got onset=9"),
    ],
)
def test_invalid_decisions_are_refused(kwargs, message):
    review = Review(ANN, DET)
    args = {"reason": "blink", "stands": "ref", "reviewer": "eve"} | kwargs
    with pytest.raises(ValueError, match=message):
        review.decide(review.items["item_id"][0], **args)
    assert review.log.empty


def test_unknown_item_and_record():
    review = Review(ANN, DET)
    with pytest.raises(KeyError, match="Expected an item of this review's queue"):
        review.decide("nope", reason="blink", stands="ref", reviewer="eve")
    with pytest.raises(KeyError, match="Expected a record of this review's log"):
        review.revert("nope", reviewer="eve")


def test_the_log_persists_and_reloads(tmp_path):
    path = review_log_path(tmp_path, "demo", "ann", "detector:x")
    assert path == tmp_path / "reviews" / "demo" / "ann--vs--detector--x.csv"
    review = Review(ANN, DET, log_path=path)
    item = review.items["item_id"][2]
    review.decide(item, reason="other", stands="new", reviewer="eve", event={"onset": 11, "offset": 19})
    review.decide(review.items["item_id"][0], reason="blink", stands="neither", reviewer="eve")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    again = Review(ANN, DET, log_path=path)
    assert again.log.drop(columns="active").equals(review.log.drop(columns="active"))
    assert again.consensus().equals(review.consensus())
    assert len(read_log(path)) == 2


def test_audit_exports_tags_and_decisions(tmp_path):
    review = Review(ANN, DET)
    first = review.decide(review.items["item_id"][0], reason="blink", stands="neither", reviewer="eve")
    review.revert(first, reviewer="eve")
    out = review.export_audit(tmp_path / "audit.csv")
    audit = pd.read_csv(out, keep_default_na=False)
    assert audit["action"].tolist() == ["decision", "revert"]
    assert audit["reason"].tolist() == ["blink", ""]
    assert audit["description"].tolist() == ["ann marked 34-38; det marked nothing overlapping"] * 2
    assert audit["active"].tolist() == [False, True]
    assert set(REASONS) >= set(audit["reason"]) - {""}


def test_write_consensus_goes_through_the_store(tmp_path):
    from workbench.store import Store

    store = Store(tmp_path / "annotations")
    review = Review(ANN, DET)
    review.decide(review.items["item_id"][0], reason="blink", stands="neither", reviewer="eve")
    review.write_consensus(store, "demo")
    saved = store.read("demo", "consensus")
    assert saved["onset"].tolist() == [0, 10, 24]
    assert {"source_rater", "source_event_id", "decided_by", "decided_at"} <= set(saved.columns)


def _au12_curves(scores: dict[int, float], n: int = 40):
    import numpy as np
    import xarray as xr

    from workbench.arrays import ARRAYS_VERSION

    values = np.zeros(n, dtype=np.float32)
    for frame, score in scores.items():
        values[frame] = score
    return xr.DataArray(
        values[:, None],
        dims=("frame", "au"),
        coords={"frame": np.arange(n), "time": ("frame", np.arange(n) / 30), "au": ["AU12"],
                "au_number": ("au", [12]), "side": ("au", [""])},
        attrs={"fps": 30.0, "clip": "c", "detector": "x", "schema_version": ARRAYS_VERSION},
    )  # fmt: skip


def test_the_detector_curve_missing_a_coded_au_is_an_item_of_its_own():
    # frame  0         1         2         3         4
    #        01234567890123456789012345678901234567890123456789
    # coder  [=^=]     [=^=]     [=^=]     [=^=]     [=^=]      apexes 2, 12, 22, 32, 42
    # aus    12        12        12        4         4
    # AU12   0.9       0.8       0.1       0.2       0.3        at the apexes
    # best F1 at threshold 0.8 (TP 2, FP 0, FN 1: 0.8; at 0.1 it is 0.75): the 0.1 at apex 22 is a miss
    coder = draw(
        "[=^=]     [=^=]     [=^=]     [=^=]     [=^=]", rater="ann", clip="c", aus=["12", "12", "12", "4", "4"]
    )
    detector = draw("[=^=]", rater="detector:x", clip="c")
    curves = {"c": _au12_curves({2: 0.9, 12: 0.8, 22: 0.1, 32: 0.2, 42: 0.3}, n=50)}
    items = disagreements(coder, detector, curves=curves)
    found = items[items["type"] == "au_curve"]
    assert len(found) == 1
    item = found.iloc[0]
    assert item["description"] == (
        "the detector's AU12 missed the coder's AU12: detector:x 0.10 at ann's apex 22, "
        "under its threshold 0.80 (coded 12)"
    )
    assert item["ref_id"] == coder["event_id"].iloc[2] and item["hyp_id"] == "" and item["item_id"].endswith(":AU12")
    assert 0.5 <= item["severity"] <= 0.9
    assert disagreements(coder, detector)["type"].tolist().count("au_curve") == 0  # no curves, no such items
    review = Review(coder, detector, curves=curves)
    with pytest.raises(ValueError, match=r"Expected stands among ref, but got stands='neither'"):
        review.decide(item["item_id"], reason="occlusion", stands="neither", reviewer="eve")
    review.decide(item["item_id"], reason="occlusion", stands="ref", reviewer="eve")
    assert review.consensus()["source_event_id"].tolist() == coder["event_id"].tolist()  # a finding changes no event


def test_a_detectors_label_reaches_the_review_as_a_clue():
    """The queue carries a detector's confidence and emotion clue; the card shows them beside its
    label (a guess from its AUs, with the runner-up), and nothing of the kind beside a person's."""
    from workbench.ui.review_card import mark_cells
    from workbench.ui.review_queue import item_mark

    det = DET.assign(
        confidence=[0.9, 0.4, 0.62, 0.3],
        emotion_score=[1.0, 0.5, 0.55, 0.2],
        runner_up=["contempt", "anger", "surprise", ""],
        runner_up_score=[0.33, 0.25, 0.5, 0.0],
    )
    items = disagreements(ANN, det)
    label = items[items["type"] == "label"].iloc[0]
    assert (label["hyp_emotion"], label["hyp_emotion_score"], label["hyp_runner_up"]) == ("fear", 0.55, "surprise")
    assert pd.isna(label["ref_emotion_score"])  # a person's label is no clue
    cells = mark_cells(item_mark(label, "hyp"))
    assert "fear" in cells and "match 0.55" in cells and "runner-up surprise 0.50" in cells
    assert "confidence 0.62" in cells
    assert "clue" not in mark_cells(item_mark(label, "ref"))
