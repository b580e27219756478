"""The neutral reference: parsing what a user gives, and choosing the least active frames."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.detect import reference


@pytest.mark.parametrize(
    "given, expected",
    [
        (None, "auto"),
        ("auto", "auto"),
        (" Start ", "start"),
        ("40-50, 0-17", "0-17,40-50"),
        ("7", "7-7"),
        ([(40, 50), (0, 17)], "0-17,40-50"),
    ],
)
def test_valid_references_are_made_canonical(given, expected):
    assert reference.parse_reference(given) == expected


@pytest.mark.parametrize(
    "given, match",
    [("neutral", "Expected a reference 'auto', 'start' or frame ranges"), ("9-3", "0 <= a <= b"), ("", "a-b")],
)
def test_invalid_references_are_refused_with_what_was_expected(given, match):
    with pytest.raises(ValueError, match=match):
        reference.parse_reference(given)


def test_ranges_round_trip():
    frames = np.array([0, 1, 2, 5, 6, 9])
    text = reference.format_ranges(frames)
    assert text == "0-2,5-6,9"
    assert reference.ranges_of(text) == [(0, 2), (5, 6), (9, 9)]


def test_least_active_frames_skip_the_expression_however_long_it_is():
    act = np.r_[np.full(18, 0.1), np.full(54, 2.0)]  # neutral 18 frames, then 54 frames of smile
    act[:18] += np.linspace(0, 0.02, 18)
    chosen = reference.least_active(act)
    assert chosen.max() < 18 and len(chosen) >= reference.MIN_FRAMES


def test_a_mostly_quiet_clip_takes_all_its_quiet_frames():
    rng = np.random.default_rng(0)
    act = rng.uniform(0.10, 0.14, 200)
    act[50:60] = 3.0
    chosen = reference.least_active(act)
    assert len(chosen) > 150 and not set(range(50, 60)) & set(chosen.tolist())


def test_start_takes_the_first_frames_with_a_face():
    frames = np.arange(100)
    found = np.ones(100, bool)
    found[:2] = False
    got = reference.reference_positions("start", frames, found, 30.0, np.zeros(100))
    assert got.tolist() == list(range(2, 8))


def test_marked_frames_without_a_face_are_refused():
    frames, found = np.arange(20), np.zeros(20, bool)
    with pytest.raises(ValueError, match="to hold a face"):
        reference.reference_positions("0-5", frames, found, 30.0, np.zeros(20))
