"""Spotting on synthetic AU curves: known events in, events out.

Each test draws its curves as half-sine bumps on noise, e.g. happiness at frames
100..139 with the apex at 116::

    AU12  ____/‾‾\\____
    AU6   ____/‾‾\\____
              ^100  ^139
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.detect import au, spot
from workbench.sample import profile
from workbench.schema import validate_events

FPS = 200.0


def bump(n: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """0 outside [onset, offset], half-sine up to 1 at apex, half-cosine down (the sample's profile)."""
    return profile(n, onset, apex, offset)


def make_curves(n=600, events=(), sd=0.01, seed=0, sides=None) -> xr.DataArray:
    """Curves shaped like au.au_curves: events are (aus, onset, apex, offset, amplitude).

    ``sides`` maps an AU number to "L" or "R" for a movement on that side only.
    """
    rng = np.random.default_rng(seed)
    names = au.au_names()
    data = rng.normal(0, sd, size=(n, len(names)))
    for aus, onset, apex, offset, amp in events:
        shape = amp * bump(n, onset, apex, offset)
        for j, (_, number, side) in enumerate(names):
            if number not in aus:
                continue
            only = (sides or {}).get(number)
            if only is None or side == only:
                data[:, j] += shape
            elif side == "":
                data[:, j] += shape / 2
    noise = [au.robust_noise(data[:, j]) for j in range(len(names))]
    return xr.DataArray(
        data,
        dims=("frame", "au"),
        coords={
            "frame": np.arange(n),
            "au": [a for a, _, _ in names],
            "au_number": ("au", [m for _, m, _ in names]),
            "side": ("au", [s for _, _, s in names]),
            "noise": ("au", noise),
        },
        attrs={"fps": FPS, "clip": "synthetic.mp4", "detector": "mediapipe"},
    )


def test_one_happiness_event_is_found_with_its_frames_and_emotion():
    curves = make_curves(events=[((6, 12), 100, 116, 139, 0.8)])
    events = spot.spot(curves)
    assert len(events) == 1
    e = events.iloc[0]
    assert abs(e.onset - 100) <= 3 and abs(e.offset - 139) <= 3 and abs(e.apex - 116) <= 2
    assert (e.emotion, e.aus, e.kind) == ("happiness", "6+12", "micro")
    assert e["clip"] == "synthetic.mp4" and e["rater"] == "detector:mediapipe"
    assert 0 < e.confidence <= 1
    validate_events(events)


def test_two_events_and_a_macro_one():
    curves = make_curves(
        n=900,
        events=[((1, 2, 5, 26), 80, 92, 110, 0.7), ((4, 7), 300, 360, 480, 0.6)],
    )
    events = spot.spot(curves).sort_values("onset")
    assert events["emotion"].tolist() == ["surprise", "anger"]
    assert events["aus"].tolist() == ["1+2+5+26", "4+7"]
    assert events["kind"].tolist() == ["micro", "macro"]


def test_one_sided_smile_is_written_with_its_side_and_reads_contempt():
    curves = make_curves(events=[((12,), 200, 215, 240, 1.0)], sides={12: "R"})
    events = spot.spot(curves)
    assert events["aus"].tolist() == ["R12"]
    assert events["emotion"].tolist() == ["contempt"]


def test_noise_alone_gives_no_events():
    assert spot.spot(make_curves(sd=0.03)).empty


def test_all_nan_curves_give_no_events():
    curves = make_curves(n=50)
    curves[:] = np.nan
    events = spot.spot(curves)
    assert events.empty and list(events.columns)[:3] == ["clip", "rater", "event_id"]


def test_nan_frames_inside_do_not_break_spotting():
    curves = make_curves(events=[((6, 12), 100, 116, 139, 0.8)])
    curves[300:320] = np.nan
    assert len(spot.spot(curves)) == 1


@pytest.mark.parametrize(
    "params, expected",
    [
        (spot.SpotParams(), 1),
        (spot.SpotParams(threshold=0.5), 0),  # a 0.4 bump is below a 0.5 threshold
    ],
)
def test_threshold_is_a_parameter(params, expected):
    curves = make_curves(events=[((12,), 100, 110, 125, 0.4)])
    assert len(spot.spot(curves, params)) == expected


def test_blip_shorter_than_min_frames_is_dropped():
    curves = make_curves(sd=0.0, events=[((12,), 100, 100, 100, 1.0)])
    assert spot.spot(curves, spot.SpotParams(smooth=1, min_frames=4)).empty


def test_slow_drift_of_another_au_does_not_stretch_an_event():
    curves = make_curves(events=[((6, 12), 100, 116, 139, 0.8)])
    drift = 0.08 * np.sin(np.linspace(0, np.pi, curves.sizes["frame"]))
    curves.loc[{"au": "AU4"}] = curves.sel(au="AU4").values + drift
    e = spot.spot(curves).iloc[0]
    assert e.offset - e.onset < 60


def test_runs_and_facs_code_helpers():
    assert spot._runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 2), (4, 4)]
    assert spot.facs_code([6, 12], {12: "R"}) == "6+R12"
    assert spot.confidence(1.0) == 0.0 and 0.9 < spot.confidence(4.0) < 1


def test_frames_are_the_curves_frame_coordinate():
    curves = make_curves(events=[((6, 12), 100, 116, 139, 0.8)])
    curves = curves.assign_coords(frame=curves["frame"] + 1000)
    e = spot.spot(curves).iloc[0]
    assert 1095 <= e.onset <= 1100 and pd.notna(e.apex)


def test_weak_co_activation_is_left_out_of_the_code():
    curves = make_curves(events=[((6, 12), 100, 116, 139, 0.9), ((10,), 100, 116, 139, 0.35)])
    assert spot.spot(curves)["aus"].tolist() == ["6+12"]
    loose = spot.SpotParams(au_relative=0.0)
    assert spot.spot(curves, loose)["aus"].tolist() == ["6+10+12"]


def test_a_sustained_expression_is_one_event_with_its_onset_and_offset():
    # happiness held for 4.5 s (900 frames at 200 fps): the old 4 s cap dropped it
    curves = make_curves(n=1400)
    held = 0.8 * np.interp(np.arange(1400), [200, 300, 1000, 1099], [0, 1, 1, 0])
    smile = np.isin(curves["au_number"].values, [6, 12])
    curves[:, smile] = curves.values[:, smile] + held[:, None]
    events = spot.spot(curves)
    assert len(events) == 1
    e = events.iloc[0]
    assert abs(e.onset - 200) <= 30 and abs(e.offset - 1099) <= 30
    assert (e.emotion, e.kind) == ("happiness", "macro")


def test_a_long_stretch_with_two_peaks_is_split_at_its_valley():
    #  AU12  __/‾\_/‾\__   two smiles, the face half relaxes between them
    curves = make_curves(n=800, events=[((6, 12), 100, 160, 259, 0.9), ((6, 12), 250, 320, 420, 0.9)])
    events = spot.spot(curves).sort_values("onset")
    assert len(events) == 2
    assert events["apex"].tolist()[0] < 250 < events["apex"].tolist()[1]


def test_split_at_valleys_keeps_a_shallow_dip_whole():
    profile = np.array([0, 2, 4, 3.5, 3, 3.5, 4, 2, 0], float)
    assert spot.split_at_valleys(profile, 0, 8, 0.5) == [(0, 8)]


def test_nothing_is_spotted_across_a_face_lost_gap():
    curves = make_curves(events=[((6, 12), 100, 130, 169, 0.8)])
    curves[120:140] = np.nan  # the face is lost in the middle of the smile
    events = spot.spot(curves)
    for e in events.itertuples():
        assert e.offset < 120 or e.onset >= 140


def test_events_carry_the_emotion_as_a_clue_with_its_score_and_runner_up():
    events = spot.spot(make_curves(events=[((1, 2, 4), 100, 116, 139, 0.8)]))
    e = events.iloc[0]
    assert list(events.columns[-3:]) == list(spot.CLUE_COLUMNS)
    assert (e.emotion, e.emotion_score, e.runner_up) == ("fear", 1.0, "surprise")
    assert e.runner_up and e.runner_up_score < e.emotion_score


def test_aus_that_match_no_prototype_read_others_and_are_kept():
    events = spot.spot(make_curves(events=[((25, 26), 100, 116, 139, 0.8)]))
    assert events["emotion"].tolist() == ["others"] and events["aus"].tolist() == ["25+26"]


def test_megc_method_finds_micro_and_macro_events_in_a_long_clip():
    curves = make_curves(n=4000, events=[((6, 12), 500, 515, 540, 0.8), ((4, 7), 2000, 2150, 2300, 0.8)], sd=0.01)
    events = spot.spot(curves, spot.SpotParams(method="megc")).sort_values("onset")
    apexes = events["apex"].tolist()
    assert any(abs(a - 515) <= 15 for a in apexes) and any(abs(a - 2150) <= 60 for a in apexes)
    assert len(events) <= 4


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="Expected a spotting method"):
        spot.SpotParams(method="magic")


def test_a_blink_is_neither_spotted_nor_coded():
    curves = make_curves(events=[((45,), 100, 104, 110, 1.0)])
    assert spot.spot(curves).empty
    both = spot.spot(make_curves(events=[((6, 12), 100, 116, 139, 0.8), ((45,), 114, 116, 119, 1.0)]))
    assert both["aus"].tolist() == ["6+12"]


def test_the_lids_tightening_with_a_blink_is_the_blink_but_alone_it_is_an_event():
    with_blink = make_curves(events=[((7,), 100, 104, 110, 1.0), ((45,), 100, 104, 110, 1.0)])
    assert spot.spot(with_blink).empty
    alone = spot.spot(make_curves(events=[((7,), 100, 104, 110, 1.0)]))
    assert alone["aus"].tolist() == ["7"]
    squint_and_frown = spot.spot(make_curves(events=[((4, 7), 100, 104, 110, 1.0), ((45,), 100, 104, 110, 1.0)]))
    assert squint_and_frown["aus"].tolist() == ["4+7"]


def test_a_wide_open_mouth_does_not_push_the_brows_out_of_the_code():
    events = spot.spot(make_curves(events=[((1, 2), 100, 116, 139, 1.0), ((25,), 100, 116, 139, 5.0)]))
    assert events["aus"].tolist() == ["1+2+25"] and events["emotion"].tolist() == ["surprise"]


def test_a_tie_reads_others_and_names_the_tied_emotions_as_the_clue():
    clues = spot.emotion_clues([6, 9, 10, 12], {})
    assert clues["emotion"] == "others" and clues["runner_up"] == "happiness/disgust"
    assert clues["emotion_score"] == clues["runner_up_score"] == 0.5


def test_an_offset_does_not_walk_down_into_the_opposite_movement():
    #  AU5  __/‾\__          the eyes widen, then close slowly: AU 5 goes far below neutral
    #              \___/‾‾   the offset is where AU 5 is back at rest (~139), not the dip's bottom
    curves = make_curves(n=400, events=[((1, 2, 5), 100, 116, 139, 0.8)])
    dip = -0.6 * bump(400, 140, 200, 260)
    widen = curves["au_number"].values == 5
    curves[:, widen] = curves.values[:, widen] + dip[:, None]
    e = spot.spot(curves).iloc[0]
    assert abs(e.offset - 139) <= 5


def test_a_curve_hovering_at_its_threshold_does_not_pull_the_onset_early():
    #  AU5  _/‾‾‾‾‾‾‾\_/‾‾\__   the eyes a little wide (just over AU 5's threshold) at 40..90,
    #  AU1  ___________/‾‾\__   just under it at 92..99, then a surprise at 100..139
    curves = make_curves(n=400, events=[((1, 2, 5), 100, 116, 139, 0.8)])
    hover = np.interp(np.arange(400), [30, 40, 90, 92, 116, 139], [0, 0.32, 0.32, 0.25, 0.25, 0])
    widen = curves["au_number"].values == 5
    curves[:, widen] = curves.values[:, widen] + hover[:, None]
    events = spot.spot(curves)
    assert len(events) == 1 and abs(events.iloc[0].onset - 100) <= 5


def test_a_long_flat_tail_of_noise_is_rest_not_the_expression_fading():
    #  AU12  __/‾\.___________   a smile falls to 0.12 by frame 135, then drifts to zero by 290
    curves = make_curves(n=500, sd=0.0)
    smile = np.interp(np.arange(500), [100, 116, 135, 290], [0, 0.8, 0.12, 0])
    moving = np.isin(curves["au_number"].values, [6, 12])
    curves[:, moving] = curves.values[:, moving] + smile[:, None]
    e = spot.spot(curves).iloc[0]
    assert e.offset <= 150
    assert spot.spot(curves, spot.SpotParams(rest_level=0.0)).iloc[0].offset > 250  # the old walk


@pytest.mark.parametrize(
    "aus, expected",
    [
        ((25,), []),  # lips parted alone: speech, breathing, the mouth at rest
        ((17,), []),  # the chin raiser from one blendshape alone
        ((25, 26), ["25+26"]),  # the jaw drops too: a mouth opening
        ((1, 2, 25), ["1+2+25"]),  # with other AUs, 25 stays in the code
        ((4, 17), ["4+17"]),
    ],
)
def test_lips_parted_or_the_chin_raised_alone_is_not_reported(aus, expected):
    events = spot.spot(make_curves(events=[(aus, 100, 116, 139, 0.8)]))
    assert events["aus"].tolist() == expected


def region_curves(n: int = 300, region: str = "mouth_R") -> xr.DataArray:
    """Motion curves shaped like the flow detector's: one region moves at 100..119."""
    from workbench.detect.flow import REGIONS

    names = list(REGIONS)
    data = np.zeros((n, len(names)))
    data[:, names.index(region)] = bump(n, 100, 108, 119)
    return xr.DataArray(
        data,
        dims=("frame", "region"),
        coords={
            "frame": np.arange(n),
            "region": names,
            "noise": ("region", np.full(len(names), 0.01)),
            "aus": ("region", [REGIONS[r][2] for r in names]),
        },
        attrs={"fps": FPS, "clip": "synthetic.mp4", "detector": "flow", "spot_unit": 1.0},
    )


def test_motion_that_no_au_confirms_is_not_reported_when_au_curves_are_given():
    #  mouth_R  ____/\____   motion at the right mouth corner
    #  AU12     ____/\____   confirmed: a smile      |   AU12 ________ nothing: not an expression
    motion = region_curves()
    smile = make_curves(n=300, events=[((12,), 100, 108, 119, 0.6)])
    confirmed = spot.spot(motion, aus=smile)
    assert len(confirmed) == 1 and "12" in confirmed.iloc[0].aus
    assert spot.spot(motion, aus=make_curves(n=300)).empty
    assert len(spot.spot(motion)) == 1  # without AU curves, the regions name the AUs


def test_a_movement_that_only_falls_from_the_first_frame_is_not_reported():
    #  AU7   \____________   high at frame 0, gone by frame 10: its onset and apex are not in view
    #  AU12  _/‾‾‾\_______   already rising at frame 0, peaking at 20: kept
    curves = make_curves(n=300)
    fading = np.interp(np.arange(300), [0, 10], [0.8, 0])
    squint = curves["au_number"].values == 7
    curves[:, squint] = curves.values[:, squint] + fading[:, None]
    assert spot.spot(curves).empty
    rising = make_curves(n=300)
    smile = np.interp(np.arange(300), [0, 20, 40], [0.3, 0.8, 0])
    moving = np.isin(rising["au_number"].values, [6, 12])
    rising[:, moving] = rising.values[:, moving] + smile[:, None]
    assert spot.spot(rising)["aus"].tolist() == ["6+12"]


def mouth_curves(lips: list[float], jaw: list[float], others: tuple[int, ...] = ()) -> xr.DataArray:
    """AU 25 and AU 26 drawn through the points of frames 100, 108, 116, 124, 139 (0 outside);
    ``others`` AUs follow the lips' shape."""
    curves = make_curves(n=300)
    at = [100, 108, 116, 124, 139]
    for numbers, points in (((25, *others), lips), ((26,), jaw)):
        shape = np.interp(np.arange(300), at, points, left=0, right=0)
        columns = np.isin(curves["au_number"].values, numbers)
        curves[:, columns] = curves.values[:, columns] + shape[:, None]
    return curves


@pytest.mark.parametrize(
    "lips, jaw, others, expected",
    [
        ([0, 0.8, 0.5, 0.8, 0], [0, 0.8, 0.5, 0.8, 0], (), []),  # opens, half closes, opens: talking
        ([0, 0.8, 0.8, 0.8, 0], [0, 0.8, 0.8, 0.8, 0], (), ["25+26"]),  # opens once and holds
        ([0, 0.8, 0.8, 0.8, 0], [0, 0.8, 0.5, 0.8, 0], (), ["25+26"]),  # the jaw shakes, lips stay open: a laugh
        ([0, 0.8, 0.5, 0.8, 0], [0, 0.8, 0.5, 0.8, 0], (1, 2), ["1+2+25+26"]),  # with the brows: reported
    ],
)
def test_a_mouth_that_opens_and_closes_again_and_again_is_speech(lips, jaw, others, expected):
    events = spot.spot(mouth_curves(lips, jaw, others))
    assert events["aus"].tolist() == expected


def test_a_motion_event_needs_an_au_that_reads_as_moving_to_confirm_it():
    #  mouth_R  ____/\____   the same motion; AU12 under its threshold (a hand at the chin, the
    #  AU12     ____/\____   head turning: blendshapes stir) does not confirm it, AU12 over it does
    motion = region_curves()
    stirring = make_curves(n=300, events=[((12,), 100, 108, 119, 0.2)])  # 0.67 thresholds
    assert spot.spot(motion, aus=stirring).empty
    assert len(spot.spot(motion, spot.SpotParams(region_au_floor=0.5), aus=stirring)) == 1
    moving = make_curves(n=300, events=[((12,), 100, 108, 119, 0.45)])  # 1.5 thresholds
    assert spot.spot(motion, aus=moving)["aus"].tolist() == ["12"]


def test_a_motion_event_runs_until_the_region_is_back_at_rest():
    #  mouth_R  __/\__   motion building up over 10 frames and dying down over 10 (frames 90..130):
    #                    the event is the whole of it, not the middle above 30% of the peak
    motion = region_curves()
    names = list(motion["region"].values)
    motion[:, names.index("mouth_R")] = np.interp(np.arange(300), [90, 110, 130], [0, 1, 0])
    e = spot.spot(motion).iloc[0]
    assert e.onset <= 94 and e.offset >= 126
