"""FACS codes: every notation of the datasets parses, formats back, and names emotions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import facs
from workbench.facs import AU, Alternatives, Code, Descriptor, Unclear

# (written by a coder, canonical spelling, bare AU numbers)
valid_cases = [
    ("12", "12", {12}),
    ("1+L2", "1+L2", {1, 2}),
    ("R4+R10", "R4+R10", {4, 10}),
    ("15A+17", "15A+17", {15, 17}),
    ("A1B+A2C", "A1B+A2C", {1, 2}),
    ("T18", "T18", {18}),
    ("B18+25", "B18+25", {18, 25}),
    ("ref(43)", "ref(43)", {43}),
    ("7B+ ref(43)", "7B+ref(43)", {7, 43}),
    ("ref(L10)+A12B", "ref(L10)+A12B", {10, 12}),
    ("12/14", "12 or 14", {12, 14}),
    ("L12 or L14", "L12 or L14", {12, 14}),
    ("R14A or 17A or 24A", "R14A or 17A or 24A", {14, 17, 24}),
    ("(R6 or R12) + R15", "(R6 or R12)+R15", {6, 12, 15}),
    ("10A/B", "10(A/B)", {10}),
    ("A/L12", "(A/L)12", {12}),
    ("(L/A)12(B/A)", "(L/A)12(B/A)", {12}),
    ("12?", "12?", {12}),
    ("?", "?", set()),
    ("12(k)", "12(k)", {12}),
    ("1, 2,4", "1+2+4", {1, 2, 4}),
    ("12+15 ", "12+15", {12, 15}),
    ("L12 + 61", "L12+61", {12, 61}),
    ("R14+17+soft focus", "R14+17+soft focus", {14, 17}),
    ("AU12+AU4", "12+4", {12, 4}),
    ("12A/B18", "12A or B18", {12, 18}),
    (12, "12", {12}),
]


@pytest.mark.parametrize(("text", "canonical", "numbers"), valid_cases)
def test_parse_format_valid(text, canonical, numbers):
    code = facs.parse(text)
    assert facs.format(code) == canonical
    assert facs.parse(canonical) == code
    assert facs.au_numbers(code) == numbers


invalid_cases = [
    ("", "position 0"),
    ("   ", "position 3"),
    ("12+", "position 3"),
    ("1++2", "position 2"),
    ("x12", "position 0"),
    ("(1+2", r"'\)' closing the group.*position 4"),
    ("12 or", "position 5"),
    ("12Z", "position 2"),
    ("L", "AU number.*position 0"),
    ("ref(12", r"'\)' closing ref"),
    ("12 hard", "position 3"),
]


@pytest.mark.parametrize(("text", "match"), invalid_cases)
def test_parse_invalid_names_text_and_position(text, match):
    with pytest.raises(ValueError, match=match) as info:
        facs.parse(text)
    assert repr(text) in str(info.value)


def test_parse_refuses_non_text():
    with pytest.raises(ValueError, match="Expected a FACS code as text"):
        facs.parse(None)


def test_parse_structure_of_a_grouped_alternative():
    code = facs.parse("(R6 or R12)+R15")
    assert code == Code((Alternatives((AU(6, sides=("R",)), AU(12, sides=("R",)))), AU(15, sides=("R",))))


def test_au_sides_and_names():
    assert facs.au_sides("R12+14+L/A4") == {12: {"R"}, 14: set(), 4: {"L", "A"}}
    for n in (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26, 43, 45, 46):
        assert facs.AU_NAMES[n]
    assert facs.au_name(12) == "lip corner puller"
    assert facs.au_name(51) == "head turn left"
    assert facs.au_name(999) == "AU 999"


# --------------------------------------------------------------------------- emotions

sides = st.lists(st.sampled_from(list(facs.SIDES)), min_size=0, max_size=2, unique=True)
intensities = st.lists(st.sampled_from(list(facs.INTENSITIES)), max_size=2, unique=True)
aus = st.builds(
    AU,
    number=st.integers(0, 99),
    sides=sides.map(tuple),
    intensity=intensities.map(tuple),
    ref=st.booleans(),
    unclear=st.booleans(),
    suffix=st.sampled_from(["", "k"]),
)
leaves = aus | st.just(Unclear()) | st.sampled_from([Descriptor(d) for d in facs.DESCRIPTORS])


def _nest(children):
    groups = st.lists(children, min_size=2, max_size=3)
    return groups.map(lambda xs: facs._join(Code, xs)) | groups.map(lambda xs: facs._join(Alternatives, xs))


terms = st.recursive(leaves, _nest, max_leaves=6)
codes = terms.map(lambda t: t if isinstance(t, Code) else Code((t,)))


@settings(max_examples=200, deadline=None)
@given(codes)
def test_format_then_parse_gives_the_same_code(code):
    assert facs.parse(facs.format(code)) == code


@settings(max_examples=100, deadline=None)
@given(codes)
def test_format_is_stable(code):
    text = facs.format(code)
    assert facs.format(facs.parse(text)) == text
