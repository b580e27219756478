"""Properties of matching and agreement on random raters (hypothesis, bounded examples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.naive import naive_counts
from workbench.agreement import cohen_kappa, match, summary
from workbench.schema import events_from_records, make_event

LABELS = ("happiness", "surprise", "disgust")
CODES = ("6+12", "1+2", "R12", "", "4+7+9")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def raters(draw, max_events: int = 12) -> pd.DataFrame:
    """A rater's events over two clips, 0-60 frames, often overlapping."""
    rater = draw(st.sampled_from(["r1", "r2", "r3"]))
    rows = []
    for k in range(draw(st.integers(0, max_events))):
        onset = draw(st.integers(0, 50))
        offset = onset + draw(st.integers(0, 10))
        apex = draw(st.one_of(st.none(), st.integers(onset, offset)))
        rows.append(
            make_event(
                draw(st.sampled_from(["c1", "c2"])),
                rater,
                onset,
                offset,
                apex=apex,
                emotion=draw(st.sampled_from(LABELS)),
                aus=draw(st.sampled_from(CODES)),
                event_id=f"{rater}-{k}",
                kind=draw(st.sampled_from(["micro", "macro"])),
            )
        )
    if not rows:
        return events_from_records([make_event("c1", rater, 0, 0)]).iloc[:0]
    return events_from_records(rows)


def f1_of(m) -> float:
    return 2 * m.tp / (2 * m.tp + m.fp + m.fn) if m.tp + m.fp + m.fn else float("nan")


@FAST
@given(raters(), raters(), st.sampled_from([0.3, 0.5, 0.8]))
def test_swapping_raters_swaps_fp_and_fn_and_keeps_f1(ref, hyp, iou):
    ab, ba = match(ref, hyp, iou=iou), match(hyp, ref, iou=iou)
    assert (ab.tp, ab.fp, ab.fn) == (ba.tp, ba.fn, ba.fp)
    assert f1_of(ab) == pytest.approx(f1_of(ba), nan_ok=True)


@FAST
@given(raters(), st.sampled_from(["one-to-one", "megc2020", "apex"]))
def test_identical_raters_agree_perfectly(ref, mode):
    if ref.empty:
        return
    out = summary(ref, ref.assign(rater="copy"), mode=mode, tolerance=0, fps=30.0)
    assert (out["tp"], out["fp"], out["fn"], out["f1"]) == (len(ref), 0, 0, 1.0)
    assert out["boundary"]["onset"]["mae_frames"] == 0.0
    two_labels = ref["emotion"].nunique() >= 2
    assert out["emotion"]["cohen_kappa"] == (1.0 if two_labels else None)
    assert out["emotion"]["krippendorff_alpha"] == (1.0 if two_labels else None)


@FAST
@given(raters(), raters(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(ref, hyp, rnd):
    shuffled_ref = ref.sample(frac=1, random_state=rnd.randint(0, 10**6))
    shuffled_hyp = hyp.sample(frac=1, random_state=rnd.randint(0, 10**6))
    a, b = match(ref, hyp), match(shuffled_ref, shuffled_hyp)
    assert (a.tp, a.fp, a.fn) == (b.tp, b.fp, b.fn)
    assert a.pairs[["ref_id", "hyp_id"]].equals(b.pairs[["ref_id", "hyp_id"]])
    assert summary(ref, hyp, fps=30.0) == summary(shuffled_ref, shuffled_hyp, fps=30.0)


def _within(value, low, high) -> bool:
    return value is None or low - 1e-9 <= value <= high + 1e-9


@FAST
@given(raters(), raters(), st.sampled_from(["one-to-one", "megc2020", "apex"]))
def test_every_value_within_its_bounds(ref, hyp, mode):
    out = summary(ref, hyp, mode=mode, tolerance=2, fps=30.0)
    assert out["tp"] + out["fn"] == len(ref)
    assert out["tp"] >= 0 and out["fp"] >= 0 and out["fn"] >= 0
    for scores in (out, out["by_kind"]["micro"], out["by_kind"]["macro"]):
        for key in ("precision", "recall", "f1"):
            assert _within(scores[key], 0, 1)
    assert _within(out["emotion"]["cohen_kappa"], -1, 1)
    assert _within(out["emotion"]["krippendorff_alpha"], -1, 1)
    assert _within(out["au"]["agreement_ratio"], 0, 1)
    assert _within(out["au"]["pooled"], 0, 1)
    assert _within(out["boundary"]["asr"], 0, 1)
    assert _within(out["emotion"]["elan"]["kappa_ipf"], -1, 1)
    for phase in ("onset", "apex", "offset"):
        assert _within(out["boundary"][phase]["mae_frames"], 0, np.inf)


@FAST
@given(raters(), raters(), st.sampled_from([0.2, 0.5, 0.7]))
def test_one_to_one_agrees_with_the_naive_loop(ref, hyp, iou):
    m = match(ref, hyp, iou=iou)
    assert (m.tp, m.fp, m.fn) == naive_counts(ref, hyp, iou=iou)
    assert (m.pairs["iou"] >= iou).all()
    assert m.pairs["ref_id"].is_unique and m.pairs["hyp_id"].is_unique


@FAST
@given(raters(), raters())
def test_kappa_is_symmetric(ref, hyp):
    m = match(ref, hyp)
    p = m.paired(("emotion",))
    a = cohen_kappa(p["emotion_ref"], p["emotion_hyp"])
    b = cohen_kappa(p["emotion_hyp"], p["emotion_ref"])
    assert a == pytest.approx(b, nan_ok=True)


def _decide_all(review, choice: dict[str, str]) -> None:
    for item in review.items.itertuples():
        review.decide(item.item_id, reason="other", stands=choice[item.type], reviewer="prop")


def _marks(events: pd.DataFrame, apex: bool = True) -> list[tuple]:
    cols = ["clip", "onset", *(["apex"] if apex else []), "offset", "emotion", "aus"]
    rows = events[cols].astype(object).where(events[cols].notna(), None)
    return sorted(map(tuple, rows.values.tolist()), key=repr)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raters(), raters())
def test_consensus_is_the_side_every_decision_chose(ref, hyp):
    from workbench.agreement.review import Review

    hyp = hyp.assign(rater="other", event_id="h" + hyp["event_id"])
    options = {"boundary_tolerance": 0, "au_threshold": 1.0}
    keep_ref = Review(ref, hyp, **options)
    _decide_all(keep_ref, {"miss": "ref", "false_alarm": "neither", "boundary": "ref", "label": "ref", "au": "ref"})
    assert _marks(keep_ref.consensus()) == _marks(ref)
    keep_hyp = Review(ref, hyp, **options)
    _decide_all(keep_hyp, {"miss": "neither", "false_alarm": "hyp", "boundary": "hyp", "label": "hyp", "au": "hyp"})
    # an apex marked by one rater only is no disagreement: the agreed pair keeps the reference's
    assert _marks(keep_hyp.consensus(), apex=False) == _marks(hyp, apex=False)
    while keep_hyp.undo("prop") is not None:
        pass
    assert _marks(keep_hyp.consensus()) == _marks(keep_hyp.consensus(pending="reference"))
    assert keep_hyp.decisions().empty
