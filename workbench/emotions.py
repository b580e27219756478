"""Emotion prototypes (EMFACS, FACS Investigator's Guide) and naming an emotion from AUs.

An emotion named from AUs is a clue, never a verdict: :func:`score_emotions` gives every
emotion's best prototype overlap, and :func:`emotion_from_aus` names the best one only when
it reaches :data:`MIN_OVERLAP` (else ``others``).
"""

from __future__ import annotations

from collections.abc import Mapping

from workbench.facs import AU, Alternatives, Code, au_numbers, au_sides
from workbench.schema import EMOTIONS

#: Emotion prototypes: (emotion, AUs). A string "U12" stands for a unilateral AU 12
#: (written L12 or R12). Sources:
#: - Friesen, W. V. & Ekman, P. (1983). EMFACS-7: Emotional Facial Action Coding System.
#:   Unpublished manual, University of California, San Francisco (prototypes and major
#:   variants).
#: - Ekman, P., Friesen, W. V. & Hager, J. C. (2002). Facial Action Coding System:
#:   Investigator's Guide, chapter 12, table 12-1 (emotion prototypes), Research Nexus.
#: - Contempt as unilateral 12 and/or 14: Ekman & Friesen (1986), "A new pan-cultural
#:   facial expression of emotion", Motivation and Emotion 10(2), 159-168; Investigator's
#:   Guide table 12-1 (R12A+R14A).
PROTOTYPES: tuple[tuple[str, frozenset], ...] = tuple(
    (emotion, frozenset(aus))
    for emotion, aus in (
        ("happiness", {6, 12}),
        ("surprise", {1, 2, 5, 26}),
        ("surprise", {1, 2}),
        ("surprise", {1, 2, 5}),
        ("surprise", {1, 2, 26}),
        ("sadness", {1, 4, 15}),
        ("fear", {1, 2, 4, 5, 7, 20, 26}),
        ("fear", {1, 2, 4}),  # EMFACS fear brow: 1+2+4 (with or without 5)
        ("fear", {1, 2, 4, 5}),
        ("anger", {4, 5, 7, 23}),
        ("anger", {4, 7}),
        ("anger", {4, 5}),
        ("disgust", {9, 15, 16}),
        ("disgust", {9}),
        ("disgust", {10}),
        ("disgust", {9, 10}),
        ("contempt", {"U12", "U14"}),
        ("contempt", {"U12"}),
        ("contempt", {"U14"}),
    )
)
#: Least overlap (Jaccard) a prototype needs to name an emotion; below it: "others".
MIN_OVERLAP = 0.5


def _observed(aus, sides: Mapping | None) -> dict[int, bool]:
    """AU numbers present -> whether written on one side only (L, R or U)."""
    if isinstance(aus, str | Code | AU | Alternatives):
        sides = {**au_sides(aus), **(sides or {})}
        aus = au_numbers(aus)
    elif isinstance(aus, Mapping):
        aus = {int(k) for k, v in aus.items() if v is not None and v == v and float(v) > 0}
    sides = {int(k): str(v if isinstance(v, str) else "".join(v)).upper() for k, v in (sides or {}).items()}
    return {int(a): bool(set(sides.get(int(a), "")) & {"L", "R", "U"}) for a in aus}


def _overlap(observed: dict[int, bool], proto: frozenset) -> float:
    """Jaccard overlap; a prototype item "U12" is met only by a unilateral AU 12."""
    met = sum((observed.get(int(p[1:])) is True) if isinstance(p, str) else (p in observed) for p in proto)
    union = len(observed) + len(proto) - met
    return met / union if union else 0.0


def score_emotions(aus, sides: Mapping | None = None) -> dict[str, float]:
    """Best overlap of the observed AUs with each emotion's prototypes (Jaccard, 0 to 1).

    Parameters
    ----------
    aus
        A set of AU numbers; a dict AU -> intensity (AUs with a value > 0 count); or a
        FACS code (text or :class:`Code`), whose L/R sides are read from the code.
    sides
        Optional AU -> side letters ("L", "R", "U"; "" or "A" for bilateral/asymmetric).

    Returns
    -------
    dict
        Emotion -> best overlap, for every emotion of :data:`EMOTIONS` but ``others``.
    """
    observed = _observed(aus, sides)
    scores = {e: 0.0 for e in EMOTIONS if e != "others"}
    for emotion, proto in PROTOTYPES:
        scores[emotion] = max(scores[emotion], _overlap(observed, proto))
    return scores


def emotion_from_aus(aus, sides: Mapping | None = None) -> str:
    """The emotion whose FACS prototype best overlaps the observed AUs.

    Scoring: for each prototype, |observed ∩ prototype| / |observed ∪ prototype|
    (Jaccard); an emotion scores its best prototype. The best emotion wins when it scores
    at least :data:`MIN_OVERLAP`. Ties: when two emotions share the best score the
    answer is ``"others"`` (the AUs do not decide between them), as it is when no
    prototype overlaps enough.

    Parameters
    ----------
    aus
        Set of AU numbers, dict AU -> intensity, or a FACS code (text or parsed).
    sides
        Optional AU -> side letters; contempt needs AU 12 or 14 on one side only.

    Returns
    -------
    str
        One of :data:`workbench.schema.EMOTIONS`.

    Examples
    --------
    >>> emotion_from_aus({1, 2, 5, 26})
    'surprise'
    >>> emotion_from_aus({12}, sides={12: "R"})
    'contempt'
    >>> emotion_from_aus({17})
    'others'
    """
    scores = score_emotions(aus, sides)
    best = max(scores.values())
    winners = [e for e, s in scores.items() if s == best]
    if best < MIN_OVERLAP or len(winners) > 1:
        return "others"
    return winners[0]
