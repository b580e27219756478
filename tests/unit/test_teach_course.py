"""The METT-shaped course: forms, stages, arms, confused pairs, telling AUs, gains and intervals."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from workbench import teach
from workbench.schema import EMOTIONS
from workbench.teach import QuizItem
from workbench.teach.course import Course, assign, confused_pairs, next_stage, split_forms, telling_aus


def _item(event_id: str, emotion: str) -> QuizItem:
    return QuizItem(1, event_id, "a.mp4", 10, 12, 20, emotion, "", 200.0, 0)


def _pool(counts: dict[str, int]) -> list[QuizItem]:
    return [_item(f"{e[:3]}{k}", e) for e, n in counts.items() for k in range(n)]


@pytest.mark.parametrize(
    "counts",
    [
        {"happiness": 3, "surprise": 2, "disgust": 2},  # the docstring's case
        {"happiness": 3, "surprise": 3, "disgust": 2, "anger": 1},  # the built-in sample
        {"fear": 1, "anger": 1},
        {e: 5 for e in EMOTIONS},
    ],
)
def test_forms_are_disjoint_and_balanced_by_emotion(counts):
    a, b = split_forms(_pool(counts), seed=3)
    ids_a, ids_b = {it.event_id for it in a}, {it.event_id for it in b}
    assert not ids_a & ids_b
    assert len(ids_a) + len(ids_b) == sum(counts.values())  # nothing dropped without n
    ca, cb = Counter(it.emotion for it in a), Counter(it.emotion for it in b)
    assert all(abs(ca[e] - cb[e]) <= 1 for e in counts)
    assert abs(len(a) - len(b)) <= 1
    assert [it.number for it in a] == list(range(1, len(a) + 1))


def test_docstring_case_by_hand():
    # happiness h0 h1 h2 -> A B A; surprise starts on B (A has 2): B A; disgust starts on B (3 vs 2)... by count
    a, b = split_forms(_pool({"happiness": 3, "surprise": 2, "disgust": 2}), seed=0)
    assert Counter(it.emotion for it in a) == {"happiness": 2, "surprise": 1, "disgust": 1}
    assert Counter(it.emotion for it in b) == {"happiness": 1, "surprise": 1, "disgust": 1}


def test_forms_capped_keep_the_balance_and_the_seed_repeats():
    pool = _pool({"happiness": 10, "anger": 10, "fear": 2})
    a, b = split_forms(pool, n=4, seed=1)
    assert len(a) == len(b) == 4
    assert Counter(it.emotion for it in a) == {"happiness": 1, "anger": 2, "fear": 1} or Counter(
        it.emotion for it in a
    ) == {"happiness": 2, "anger": 1, "fear": 1}
    assert [it.event_id for it in split_forms(pool, n=4, seed=1)[0]] == [it.event_id for it in a]


def test_too_few_items_refused():
    with pytest.raises(ValueError, match="at least 2 items"):
        split_forms(_pool({"anger": 1}))


def test_course_pre_and_post_differ_and_practice_never_holds_post_items():
    pool = _pool({"happiness": 3, "surprise": 3, "disgust": 2, "anger": 1})
    course = Course.from_items(pool, n_test=3, n_practice=28)
    for form in (0, 1):
        pre = {it.event_id for it in course.items("pre", form)}
        post = {it.event_id for it in course.items("post", form)}
        practice = {it.event_id for it in course.items("practice", form)}
        assert pre and post and not pre & post
        assert not practice & post
        assert pre <= practice  # the pre-test's faces again, now with feedback, plus the spare ones
    assert course.items("pre", 0) == course.items("post", 1)
    assert course.items("training", 0) == []
    with pytest.raises(ValueError, match="form 0 or 1"):
        course.items("pre", 2)


def test_assignment_balances_forms_and_arms_in_blocks():
    cells = [assign(k, control=True, seed=7) for k in range(8)]
    assert Counter(cells) == {(0, "trained"): 2, (0, "retest"): 2, (1, "trained"): 2, (1, "retest"): 2}
    plain = [assign(k, seed=7) for k in range(6)]
    assert Counter(f for f, _ in plain) == {0: 3, 1: 3} and {a for _, a in plain} == {"trained"}
    assert assign(5, control=True, seed=7) == cells[5]  # reproducible: a restart assigns the same


def test_stage_order_per_arm():
    assert next_stage("trained", []) == "pre"
    assert next_stage("trained", ["pre"]) == "training"
    assert next_stage("retest", ["pre"]) == "post"
    assert next_stage("retest", ["pre", "post", "training", "practice"]) is None


def _confusion(cells: dict[tuple[str, str], int]) -> pd.DataFrame:
    m = pd.DataFrame(0, index=list(EMOTIONS), columns=list(EMOTIONS))
    for (truth, answer), n in cells.items():
        m.loc[truth, answer] = n
    return m


def test_confused_pairs_count_both_ways_and_rank():
    # the docstring's matrix: fear/surprise 3 + 2 = 5, anger/disgust 1 + 0 = 1
    m = _confusion(
        {
            ("surprise", "surprise"): 5,
            ("surprise", "fear"): 3,
            ("fear", "surprise"): 2,
            ("fear", "fear"): 4,
            ("anger", "anger"): 6,
            ("anger", "disgust"): 1,
            ("disgust", "disgust"): 7,
            ("happiness", "others"): 9,  # "others" is not an emotion to train
        }
    )
    pairs = confused_pairs(m, k=2, fill=False)
    assert [(p.first, p.second, p.confusions, p.source) for p in pairs] == [
        ("fear", "surprise", 5, "class"),
        ("anger", "disgust", 1, "class"),
    ]


def test_confused_pairs_filled_from_prototypes_among_the_course_emotions():
    pairs = confused_pairs(_confusion({}), k=2, among=["happiness", "surprise", "anger", "disgust"])
    assert len(pairs) <= 2 and all(p.source == "prototypes" and p.confusions == 0 for p in pairs)
    assert all({p.first, p.second} <= {"happiness", "surprise", "anger", "disgust"} for p in pairs)
    # anger (4+5+7+23) and surprise (1+2+5+26) share AU5: the only pair of those four with a shared AU
    assert [(p.first, p.second) for p in pairs] == [("anger", "surprise")]


def test_telling_aus_in_plain_words():
    rows = {r["region"]: r for r in telling_aus("fear", "surprise")}
    assert rows["brows"]["tells"] == "brow lowerer (AU4): only in fear"
    assert "lip stretcher (AU20): only in fear" in rows["mouth"]["tells"]
    assert "nose" not in rows
    happy = {r["region"]: r for r in telling_aus("happiness", "contempt")}
    assert happy["eyes"]["tells"] == "cheek raiser (AU6): only in happiness"
    assert "dimpler (AU14): only in contempt" in happy["mouth"]["tells"]


def test_mean_ci_hand_checked():
    # mean 0.2, s = 0.1, se = 0.1/sqrt(3) = 0.05774, t(0.975, 2) = 4.3027 -> 0.2 ± 0.2484
    mean, low, high, n = teach.mean_ci([0.1, 0.2, 0.3])
    assert (round(mean, 6), round(low, 4), round(high, 4), n) == (0.2, -0.0484, 0.4484, 3)
    assert teach.mean_ci([0.5])[0] == 0.5 and np.isnan(teach.mean_ci([0.5])[1])
    assert teach.mean_ci([])[3] == 0
    assert teach.mean_ci([0.25, 0.25]) == (0.25, 0.25, 0.25, 2)  # no spread: a zero-width interval


def _answers(rows: list[tuple[str, str, str, bool]], arm: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "student": s,
                "name": s.upper(),
                "arm": (arm or {}).get(s, "trained"),
                "form": "A",
                "stage": stage,
                "truth": "anger",
                "answer": "anger" if ok else "fear",
                "correct": ok,
                "flash_disturbed": d,
            }
            for s, stage, ok, d in ((*r, False) if len(r) == 3 else r for r in rows)
        ]
    )


def test_gains_per_student_and_class_interval():
    # ann: pre 1/2, post 2/2 -> +0.5; bob: pre 0/2, post 1/2 -> +0.5; cat: pre 1/2, post 1/2 -> 0
    rows = [
        ("ann", "pre", True), ("ann", "pre", False), ("ann", "post", True), ("ann", "post", True),
        ("bob", "pre", False), ("bob", "pre", False), ("bob", "post", True), ("bob", "post", False),
        ("cat", "pre", True), ("cat", "pre", False), ("cat", "post", True), ("cat", "post", False),
        ("dan", "pre", True),  # no post-test yet: no gain
        ("ann", "practice", False),  # practice does not count
    ]  # fmt: skip
    g = teach.gains(_answers(rows))
    assert g["gain"].round(3).dropna().to_dict() == {"ann": 0.5, "bob": 0.5, "cat": 0.0}
    assert np.isnan(g.loc["dan", "gain"])
    assert g.loc["ann", "name"] == "ANN" and g.loc["ann", "n_pre"] == 2
    table = teach.class_gain(g)
    # gains 0.5, 0.5, 0: mean 1/3, s = 0.2887, se = 0.1667, t(0.975, 2) = 4.3027 -> 0.3333 ± 0.7171
    row = table.loc["trained"]
    assert row["students"] == 3 and round(row["gain"], 4) == 0.3333
    assert (round(row["low"], 4), round(row["high"], 4)) == (-0.3838, 1.0504)
    assert "retest" not in table.index


def test_gains_leave_out_disturbed_flashes_when_asked():
    rows = [("ann", "pre", False, False), ("ann", "pre", True, True), ("ann", "post", True, False)]
    assert teach.gains(_answers(rows))["pre"]["ann"] == 0.5
    assert teach.gains(_answers(rows), exclude_disturbed=True)["pre"]["ann"] == 0.0


def test_trained_minus_retest_with_welch_interval():
    rows = []
    for s, (pre, post) in {"a": (0, 2), "b": (1, 2), "c": (0, 1), "x": (1, 1), "y": (0, 1), "z": (1, 1)}.items():
        rows += [(s, "pre", k < pre) for k in range(2)] + [(s, "post", k < post) for k in range(2)]
    arms = {"x": "retest", "y": "retest", "z": "retest"}
    table = teach.class_gain(teach.gains(_answers(rows, arms)))
    # trained gains 1, .5, .5 (mean .6667); retest 0, .5, 0 (mean .1667): difference 0.5
    assert round(table.loc["trained", "gain"], 4) == 0.6667 and round(table.loc["retest", "gain"], 4) == 0.1667
    diff = table.loc["trained - retest"]
    assert round(diff["gain"], 4) == 0.5
    # Welch: both variances 1/12, se = sqrt(2/36) = 0.2357, df = 4, t(0.975, 4) = 2.7764 -> 0.5 ± 0.6544
    assert (round(diff["low"], 4), round(diff["high"], 4)) == (-0.1544, 1.1544)


def test_course_record_columns():
    item = _item("e1", "anger")
    row = teach.course_record(
        item, "fear", seminar="s1", student="ann", name="Ann B", arm="trained", form=1, stage="pre", response_ms=300
    )
    assert tuple(row) == teach.COURSE_COLUMNS
    assert row["form"] == "B" and row["correct"] is False and row["truth"] == "anger"
    with pytest.raises(ValueError, match="stage with answers"):
        teach.course_record(item, "fear", seminar="s", student="a", name="a", arm="trained", form=0, stage="training")
