"""The timeline: curves or none, event spans by rater, the cursor, click to seek."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench.schema import events_from_records, make_event
from workbench.ui.timeline import DETECTORS, OWN, PEOPLE, Timeline, rater_colours


def curves(n=50):
    data = np.zeros((n, 3), np.float32)
    data[20:30, 1] = np.hanning(10)
    return xr.DataArray(
        data, dims=("frame", "au"), coords={"frame": np.arange(n), "au": ["AU1", "AU12", "AU4"]}, attrs={"fps": 30.0}
    )


def events():
    return events_from_records(
        [
            make_event("c", "alice", 20, 29, apex=25, emotion="happiness", aus="12"),
            make_event("c", "bob", 18, 31, apex=24, emotion="happiness"),
            make_event("c", "detector:mediapipe", 21, 28, apex=25, confidence=0.8),
        ]
    )


def test_events_only_says_so():
    tl = Timeline()
    tl.set_clip(50, 30.0, None)
    assert "No AU curves" in tl.info.value
    assert [t.name for t in tl.figure.data] == ["seek"]


def test_curves_events_and_blind():
    tl = Timeline()
    tl.set_events(events(), me="alice")
    tl.set_clip(50, 30.0, curves())
    assert "AU12" in tl.au_picker.value
    spans = [s for s in tl.figure.layout.shapes if s.type == "rect"]
    assert len(spans) == 3 and spans[-1].fillcolor == OWN  # own drawn last, in front
    tl.blind.value = True
    spans = [s for s in tl.figure.layout.shapes if s.type == "rect"]
    assert [s.fillcolor for s in spans] == [OWN]
    assert tl.figure.layout.shapes[-1].name == "cursor"


def test_cursor_and_click_seek():
    tl = Timeline()
    tl.set_clip(50, 30.0, curves())
    tl.set_cursor(7)
    assert tl.figure.layout.shapes[-1].x0 == 7.5
    got = []
    tl.on_seek(got.append)

    class P:
        xs = [12.5]

    tl._on_click(None, P(), None)
    assert got == [12]


def test_browser_cursor_sends_no_relayout_while_scrubbing(monkeypatch):
    """With the player drawing the cursor, the figure has no cursor shape and moving the
    cursor sends plotly nothing (the kernel only records the frame)."""
    tl = Timeline(browser_cursor=True)
    tl.set_events(events(), me="alice")
    tl.set_clip(50, 30.0, curves())
    assert all(s.name != "cursor" for s in tl.figure.layout.shapes)
    sent = []

    def spy(figure):
        for name in ("_send_relayout_msg", "_send_update_msg"):
            monkeypatch.setattr(figure, name, lambda *a, **k: sent.append(a))

    spy(tl.figure)
    tl.set_cursor(9)
    assert tl.cursor == 9 and sent == []
    plain = Timeline()
    plain.set_clip(50, 30.0, curves())
    spy(plain.figure)
    plain.set_cursor(9)
    assert len(sent) == 1  # without a linked player the figure moves its own cursor


def test_colours_distinct():
    c = rater_colours(["alice", "bob", "carol", "detector:x", "detector:y"], me="alice")
    assert c["alice"] == OWN and len(set(c.values())) == 5  # everyone apart, me in my own colour
    assert {c["detector:x"], c["detector:y"]} <= set(DETECTORS)  # detectors in the detectors' colours
    assert {c["bob"], c["carol"]} <= set(PEOPLE)  # people in the people's
    assert rater_colours(["bob", "alice"], me="alice") == {"alice": OWN, "bob": c["bob"]}  # stable, any order


def test_the_curves_of_picker_chooses_a_detector_and_shows_imported_curves_on_0_1():
    openface = curves() * 5  # OpenFace's 0-5 scale, declared in attrs
    openface.attrs.update(detector="openface", scale="0-5", scale_min=0.0, scale_max=5.0, scale_transform="linear")
    openface = openface.sel(au=["AU12", "AU4"])
    tl = Timeline()
    tl.set_clip(50, 30.0, curves())
    assert tl.detector_pick.layout.display == "none"  # one set: no picker
    tl.set_clip(50, 30.0, {"mediapipe": curves(), "openface": openface})
    assert tl.detector_pick.layout.display == "" and list(tl.detector_pick.options) == ["mediapipe", "openface"]
    tl.au_picker.value = ("AU1", "AU12")
    tl.detector_pick.value = "openface"
    assert tl.au_picker.options == ("AU12", "AU4") and tl.au_picker.value == ("AU12",)  # AU1: openface has none
    assert [t.name for t in tl.figure.data] == ["AU12", "seek"]
    assert max(tl.figure.data[0].y) == pytest.approx(np.hanning(10).max(), rel=1e-6)  # 0-5 shown on 0-1
    tl.set_clip(50, 30.0, {"mediapipe": curves(), "openface": openface})
    assert tl.detector_pick.value == "openface"  # the choice holds from clip to clip
