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


def span_traces(figure) -> list:
    """The event span traces (a rater's spans are one filled trace), in drawing order."""
    return [t for t in figure.data if t.meta == "events" and t.fill == "toself"]


def rectangles(trace) -> list[tuple[float, float]]:
    """(x0, x1) of each span of a span trace (rectangles of five points between gaps)."""
    x = np.asarray(trace.x, dtype=float).reshape(-1, 6)
    return [(float(a), float(b)) for a, b in x[:, :2]]


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
    spans = span_traces(tl.figure)
    assert [s.name for s in spans] == ["bob", "detector:mediapipe", "alice (you)"]
    assert spans[-1].fillcolor == OWN and rectangles(spans[-1]) == [(20, 30)]  # own drawn last, in front
    assert tl.figure.data[0].name == "AU12" and tl.figure.data[-1].name == "seek"  # events between
    hover = [t for t in tl.figure.data if t.meta == "events" and t.text]
    assert "alice (you): 20–29 · apex 25 · happiness · AU 12" in hover[-1].text  # hovering names the event
    tl.blind.value = True
    spans = span_traces(tl.figure)
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


def test_envelope_keeps_every_peak_of_a_long_curve():
    """Min and max per column: a one-frame spike survives decimation (a mean would lose it)."""
    from workbench.ui.decimation import decimate, envelope

    y = np.zeros(50_000)
    y[31_337] = 1.0
    y[7] = np.nan
    x, v = envelope(y, 0, len(y), 900)
    assert len(x) <= 2 * 900 and np.nanmax(v) == 1.0 and not np.isnan(v).any()
    x, v = decimate(y, (31_000, 32_000), columns=900)
    fine = (x >= 30_000) & (x < 33_000)
    assert np.array_equal(x[fine], np.arange(30_000, 33_000) + 0.5)  # every frame near the window
    assert len(x) < 12_000 and v.max() == 1.0 and np.all(np.diff(x) >= 0)


def test_a_long_clip_is_sent_decimated_with_a_range_slider_and_refined_on_zoom():
    import pandas as pd

    from workbench.ui.timeline import LONG, Timeline

    n = 50_000
    rng = np.random.default_rng(0)
    curves = xr.DataArray(
        rng.random((n, 4)).astype(np.float32),
        dims=("frame", "au"),
        coords={"frame": np.arange(n), "au": ["AU1", "AU2", "AU4", "AU12"]},
    )
    starts = np.arange(0, n - 100, n // 300)  # 300 events
    events = pd.DataFrame({"rater": "alice", "onset": starts, "apex": starts + 5, "offset": starts + 20, "aus": ""})
    tl = Timeline()
    tl.set_events(events, "alice")
    tl.set_clip(n, 200.0, curves, aus=["AU1", "AU12"])
    assert n > LONG and tl.figure.layout.xaxis.rangeslider.visible
    assert all(len(trace.x) < 4 * 940 for trace in tl.figure.data)  # not 50,000 points a trace
    tl.figure.plotly_relayout({"xaxis.range[0]": 20_000, "xaxis.range[1]": 20_500})  # the browser zooms
    assert tl.window == (20_000, 20_500)
    shown = np.asarray(tl.figure.data[0].x)
    assert np.isin(np.arange(20_000, 20_500) + 0.5, shown).all()  # every frame of the window
    tl.figure.plotly_relayout({"xaxis.range[0]": 20_300, "xaxis.range[1]": 20_800})  # a pan by most of a window
    assert tl.window == (20_300, 20_800) and np.array_equal(tl.figure.data[0].x, shown)  # fine already: not sent
    tl.figure.plotly_relayout({"xaxis.range[0]": 22_000, "xaxis.range[1]": 22_500})  # further than was sent finely
    assert np.isin(np.arange(22_000, 22_500) + 0.5, np.asarray(tl.figure.data[0].x)).all()
    (spans,) = span_traces(tl.figure)
    assert rectangles(spans) == [(a, a + 21) for a in starts]  # every event, zoomed or not
    assert len(tl.figure.layout.shapes) <= 1  # not a DOM node per event (the cursor, only)
    tl.window_pick.value = 2.0  # ±2 s around the cursor, following it
    tl.set_cursor(40_000)
    assert tl.window == (39_600, 40_400) and tuple(tl.figure.layout.xaxis.range) == (39_600, 40_400)
