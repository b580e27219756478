"""The timeline: curves or none, event spans by rater, the cursor, click to seek."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from workbench.schema import events_from_records, make_event
from workbench.ui.timeline import OWN, Timeline, rater_colours


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


def test_colours_distinct():
    c = rater_colours(["alice", "bob", "detector:x"], me="alice")
    assert c["alice"] == OWN and len(set(c.values())) == 3
    assert isinstance(pd.DataFrame(), pd.DataFrame)
