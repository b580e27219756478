"""Emotion prototypes: naming an emotion from AU codes, as a scored clue."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from tests.unit.test_facs import codes
from workbench import emotions
from workbench.schema import EMOTIONS

emotion_cases = [
    ({6, 12}, None, "happiness"),
    ({12}, None, "happiness"),
    ({1, 2, 5, 26}, None, "surprise"),
    ({1, 2}, None, "surprise"),
    ({1, 2, 5}, None, "surprise"),
    ({1, 2, 26}, None, "surprise"),
    ({1, 4, 15}, None, "sadness"),
    ({1, 2, 4, 5, 7, 20, 26}, None, "fear"),
    ({4, 5, 7, 23}, None, "anger"),
    ({4, 7}, None, "anger"),
    ({4, 5}, None, "anger"),
    ({9, 15, 16}, None, "disgust"),
    ({9}, None, "disgust"),
    ({10}, None, "disgust"),
    ({9, 10}, None, "disgust"),
    ({12, 14}, {12: "R", 14: "R"}, "contempt"),
    ({12}, {12: "L"}, "contempt"),
    ({14}, {14: "R"}, "contempt"),
    ("R12+R14", None, "contempt"),
    ("R6A+R12", None, "happiness"),  # a unilateral 12 with 6 is still a smile
    ({14}, None, "others"),  # bilateral dimpler is no contempt
    ({17}, None, "others"),
    (set(), None, "others"),
    ({1, 12}, None, "others"),  # tie: surprise 1+2 and happiness 6+12 both 1/3 -> below
    ({12: 0.8, 6: 0.4, 4: 0.0}, None, "happiness"),
]


@pytest.mark.parametrize(("aus", "sides", "expected"), emotion_cases)
def test_emotion_from_aus(aus, sides, expected):
    assert emotions.emotion_from_aus(aus, sides=sides) == expected


def test_emotion_tie_between_emotions_is_others(monkeypatch):
    monkeypatch.setattr(emotions, "PROTOTYPES", (("anger", frozenset({4})), ("sadness", frozenset({15}))))
    assert emotions.emotion_from_aus({4, 15}) == "others"
    assert emotions.emotion_from_aus({4}) == "anger"


def test_scores_cover_every_emotion_but_others():
    scores = emotions.score_emotions({6, 12})
    assert set(scores) == set(EMOTIONS) - {"others"}
    assert scores["happiness"] == 1.0


# --------------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None)
@given(codes)
def test_emotion_is_one_of_the_schema_emotions(code):
    assert emotions.emotion_from_aus(code) in EMOTIONS
