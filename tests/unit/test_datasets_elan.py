"""ELAN export and import: same events back, and a file ELAN's EAF 3.0 schema accepts."""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.datasets import elan
from workbench.schema import EMOTIONS, events_from_records, make_event

COMPARED = ["clip", "rater", "event_id", "onset", "apex", "offset", "emotion", "aus", "kind", "note", "confidence"]
#: Child elements of ANNOTATION_DOCUMENT in the order EAFv3.0.xsd requires.
XSD_ORDER = ["HEADER", "TIME_ORDER", "TIER", "LINGUISTIC_TYPE", "LOCALE", "LANGUAGE", "CONSTRAINT",
             "CONTROLLED_VOCABULARY", "LEXICON_REF", "EXTERNAL_REF"]  # fmt: skip


def same_events(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a[COMPARED].sort_values("event_id").reset_index(drop=True)
    b = b[COMPARED].sort_values("event_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)


def roundtrip(events: pd.DataFrame, fps: float, folder: Path) -> pd.DataFrame:
    files = elan.export_elan(events, folder, fps)
    return pd.concat([elan.read_eaf(f)[0] for f in files], ignore_index=True)


@pytest.fixture
def events():
    return events_from_records(
        [
            make_event("sub01/EP02_01f", "alice", 46, 86, apex=59, emotion="happiness", aus="6+12", fps=200),
            make_event("sub01/EP02_01f", "alice", 80, 120, emotion="surprise", aus="1+2", fps=200),  # overlaps
            make_event("sub01/EP02_01f", "detector:mp", 50, 90, apex=60, fps=200, confidence=0.75),
            make_event("sub02/EP01", "alice", 0, 0, apex=0, emotion="others", aus="A1B+A2C", note="blink"),
        ]
    )


def test_export_then_import_gives_the_same_events(events, tmp_path):
    same_events(events, roundtrip(events, 200.0, tmp_path))


def test_overlapping_events_go_to_a_second_lane(events, tmp_path):
    path = elan.export_elan(events, tmp_path, 200.0)[0]
    tiers = [t.get("TIER_ID") for t in ET.parse(path).getroot().iter("TIER") if not t.get("PARENT_REF")]
    assert tiers == ["alice", "alice #2", "detector:mp"]


def test_times_are_ms_from_fps(events, tmp_path):
    path = elan.export_elan(events.iloc[[0]], tmp_path / "one.eaf", 200.0)[0]
    slots = [int(s.get("TIME_VALUE")) for s in ET.parse(path).getroot().iter("TIME_SLOT")]
    assert slots == [230, 435]  # frame 46 starts at 230 ms; frame 86 ends at 87 * 5 ms


def test_file_follows_eaf_3_0(events, tmp_path):
    path = elan.export_elan(events, tmp_path, 200.0, media_root=tmp_path / "media")[0]
    assert path.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.parse(path).getroot()
    assert (root.get("FORMAT"), root.get("VERSION")) == ("3.0", "3.0")
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation").endswith("EAFv3.0.xsd")
    order = [XSD_ORDER.index(child.tag) for child in root]
    assert order == sorted(order)
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    assert media.get("MEDIA_URL") == (tmp_path / "media" / "sub01" / "EP02_01f").resolve().as_uri()
    assert media.get("RELATIVE_MEDIA_URL") == "media/sub01/EP02_01f" and media.get("MIME_TYPE")
    types = {lt.get("LINGUISTIC_TYPE_ID"): lt for lt in root.iter("LINGUISTIC_TYPE")}
    stereotypes = {c.get("STEREOTYPE") for c in root.iter("CONSTRAINT")}
    slots = {s.get("TIME_SLOT_ID") for s in root.iter("TIME_SLOT")}
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    for tier in tiers.values():
        lt = types[tier.get("LINGUISTIC_TYPE_REF")]
        parent = tier.get("PARENT_REF")
        if parent is None:
            assert lt.get("TIME_ALIGNABLE") == "true" and lt.get("CONSTRAINTS") is None
            for ann in tier.iter("ALIGNABLE_ANNOTATION"):
                assert {ann.get("TIME_SLOT_REF1"), ann.get("TIME_SLOT_REF2")} <= slots
            continue
        assert lt.get("CONSTRAINTS") == "Symbolic_Association" in stereotypes
        assert lt.get("TIME_ALIGNABLE") == "false"
        parent_ids = {a.get("ANNOTATION_ID") for a in tiers[parent].iter("ALIGNABLE_ANNOTATION")}
        refs = [a.get("ANNOTATION_REF") for a in tier.iter("REF_ANNOTATION")]
        assert sorted(refs) == sorted(parent_ids)  # one detail per event (1-1 association)
    ids = [a.get("ANNOTATION_ID") for a in root.iter() if a.tag.endswith("_ANNOTATION")]
    last = dict((p.get("NAME"), p.text) for p in root.iter("PROPERTY"))["lastUsedAnnotation"]
    assert len(ids) == len(set(ids)) and int(last) == max(int(i[1:]) for i in ids)


def test_single_file_needs_a_single_clip(events, tmp_path):
    with pytest.raises(ValueError, match=r"Expected the events of one clip for the single file .*2 clips"):
        elan.export_elan(events, tmp_path / "x.eaf", 200.0)


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-01-01T00:00:00+00:00" FORMAT="3.0" VERSION="3.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///data/clip7.mp4" MIME_TYPE="video/mp4"
        RELATIVE_MEDIA_URL="./clip7.mp4"/>
  </HEADER>
  <TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="1000"/><TIME_SLOT TIME_SLOT_ID="ts2"
      TIME_VALUE="1500"/></TIME_ORDER>
  <TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="bob">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
      <ANNOTATION_VALUE>Repression</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="sym" PARENT_REF="bob" TIER_ID="bob comments">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="a2" ANNOTATION_REF="a1">
      <ANNOTATION_VALUE>hmm</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default-lt" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
      LINGUISTIC_TYPE_ID="sym" TIME_ALIGNABLE="false"/>
  <CONSTRAINT DESCRIPTION="1-1 association with a parent annotation" STEREOTYPE="Symbolic_Association"/>
</ANNOTATION_DOCUMENT>
"""


def test_import_of_a_file_made_in_elan(tmp_path):
    path = tmp_path / "clip7.eaf"
    path.write_text(FOREIGN)
    with pytest.raises(ValueError, match=r"Expected the clip's fps \(--fps\) for .*clip7.eaf"):
        elan.load(path)
    result = elan.load(path, fps=30)
    ev = result.events
    assert ev[["clip", "rater", "onset", "offset", "emotion", "emotion_raw"]].values.tolist() == [
        ["clip7.mp4", "bob", 30, 44, "others", "Repression"]
    ]
    assert result.report["column"].tolist() == ["bob comments"]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.eaf"):
        elan.load(tmp_path / "nope.eaf")


@st.composite
def event_tables(draw):
    n = draw(st.integers(1, 6))
    records = []
    for _ in range(n):
        onset = draw(st.integers(0, 3000))
        offset = onset + draw(st.integers(0, 400))
        apex = draw(st.none() | st.integers(onset, offset))
        records.append(
            make_event(
                clip=draw(st.sampled_from(["c1.mp4", "sub01/EP02_01f"])),
                rater=draw(st.sampled_from(["alice", "casme2", "detector:mediapipe"])),
                onset=onset,
                offset=offset,
                apex=apex,
                emotion=draw(st.sampled_from([*EMOTIONS, None])),
                aus=draw(st.sampled_from(["", "12", "1+2+R12", "A1B+A2C", "L12 or L14", "ref(43)"])),
                kind=draw(st.sampled_from(["micro", "macro", None])),
                note=draw(st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), max_size=12)),
                confidence=draw(st.none() | st.floats(0, 1)),
            )
        )
    return events_from_records(records)


@settings(max_examples=25, deadline=None)
@given(event_tables(), st.sampled_from([25.0, 29.97, 30.0, 90.0, 200.0, 1000.0]))
def test_roundtrip_property(events, fps):
    with tempfile.TemporaryDirectory() as folder:
        same_events(events, roundtrip(events, fps, Path(folder)))


def test_adjacent_events_keep_their_own_details(tmp_path):
    # A ends (ms) exactly where B starts: B's details must not attach to A
    events = events_from_records(
        [
            make_event("c", "alice", 0, 10, apex=5, aus="12", fps=25),
            make_event("c", "alice", 11, 20, apex=15, aus="4+7", fps=25),
        ]
    )
    same_events(events, roundtrip(events, 25.0, tmp_path))
