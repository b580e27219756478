"""Event validation: every rule, located messages, and properties over random frames."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.schema import (
    COLUMNS,
    EventError,
    coerce_events,
    empty_events,
    kind_from_duration,
    make_event,
    sort_events,
    validate_events,
)


def one(**kw) -> pd.DataFrame:
    return pd.DataFrame([make_event(**{"clip": "c.mp4", "rater": "alice", "onset": 10, "offset": 20, **kw})])


valid_cases = [
    dict(apex=15),
    dict(apex=None),
    dict(onset=0, apex=0, offset=0),
    dict(emotion="surprise", aus="1+2+5+26"),
    dict(kind="macro", confidence=0.7, note="long"),
]


@pytest.mark.parametrize("kw", valid_cases)
def test_valid_events_pass_with_schema_dtypes(kw):
    df = validate_events(one(**kw))
    assert list(df.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert str(df["onset"].dtype) == "Int64" and str(df["emotion"].dtype) == "category"
    assert len(df["event_id"].iloc[0]) == 32


invalid_cases = [
    (dict(onset=30), r"onset <= offset, but got onset=30, offset=20 .*column 'offset'"),
    (
        dict(apex=25),
        r"onset <= apex <= offset, but got onset=10, apex=25, offset=20 .*column 'apex'",
    ),
    (dict(apex=5), r"onset <= apex <= offset, but got onset=10, apex=5"),
    (dict(onset=-1), r"frame index >= 0, but got onset=-1"),
    (dict(emotion="joy"), r"emotion among happiness, .* but got emotion='joy'"),
    (dict(kind="tiny"), r"kind 'micro' or 'macro', but got kind='tiny'"),
    (dict(onset=1.5), r"integer frame index, but got onset=1.5"),
    (dict(onset="ten"), r"integer frame index, but got onset='ten'"),
    (dict(clip=""), r"non-empty 'clip', but got an empty cell"),
    (dict(confidence="high"), r"number for confidence, but got confidence='high'"),
]


@pytest.mark.parametrize(("kw", "message"), invalid_cases)
def test_invalid_events_are_refused_with_a_located_message(kw, message):
    with pytest.raises(EventError, match=message):
        validate_events(one(**kw), source="alice.csv", line_of=lambda i: i + 2)


def test_message_names_file_line_and_column():
    with pytest.raises(EventError) as info:
        validate_events(one(apex=25), source="annotations/demo/alice.csv", line_of=lambda i: i + 2)
    assert "(annotations/demo/alice.csv, line 2, column 'apex')" in str(info.value)
    assert info.value.problems[0].column == "apex"


def test_frames_past_the_clip_are_refused():
    with pytest.raises(EventError, match=r"offset=20 in clip 'c.mp4' of 20 frames \(last frame 19\)"):
        validate_events(one(), n_frames={"c.mp4": 20})
    validate_events(one(), n_frames={"other.mp4": 5})  # clips not listed are not checked


def test_duplicate_event_ids_are_refused():
    df = pd.concat([one(event_id="e1"), one(event_id="e1")])
    with pytest.raises(EventError, match="unique event_id, but got event_id='e1' twice"):
        validate_events(df)


def test_unreadable_aus_code_is_refused():
    with pytest.raises(EventError, match=r"FACS code .* aus='12\+\+'"):
        validate_events(one(aus="12++"))


def test_all_problems_are_collected():
    df = pd.concat([one(onset=30), one(emotion="joy"), one(apex=99)])
    with pytest.raises(EventError) as info:
        validate_events(df)
    assert {p.row for p in info.value.problems} == {0, 1, 2}


def test_kind_from_duration_uses_inclusive_frames():
    assert kind_from_duration(0, 99, 200) == "micro"  # 100 frames = 0.5 s
    assert kind_from_duration(0, 100, 200) == "macro"
    assert kind_from_duration(0, 14, 30) == "micro"


def test_empty_table_has_the_columns():
    assert list(empty_events().columns) == list(COLUMNS)
    assert sort_events(empty_events()).empty


frames = st.integers(min_value=-5, max_value=60)


@settings(max_examples=200, deadline=None)
@given(onset=frames, apex=st.one_of(st.none(), frames), offset=frames, n=st.integers(1, 70))
def test_validation_accepts_exactly_the_ordered_in_clip_frames(onset, apex, offset, n):
    ok = 0 <= onset <= offset < n and (apex is None or onset <= apex <= offset)
    df = one(onset=onset, apex=apex, offset=offset)
    if ok:
        out = validate_events(df, n_frames=n)
        assert int(out["onset"].iloc[0]) == onset and int(out["offset"].iloc[0]) == offset
    else:
        with pytest.raises(EventError):
            validate_events(df, n_frames=n)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10)), min_size=1, max_size=8))
def test_sorting_is_independent_of_input_order(spans):
    rows = [make_event("c.mp4", "alice", a, a + d, event_id=f"e{k}") for k, (a, d) in enumerate(spans)]
    df = coerce_events(pd.DataFrame(rows))
    forward = sort_events(df)
    backward = sort_events(df.iloc[::-1])
    assert forward["event_id"].tolist() == backward["event_id"].tolist()
