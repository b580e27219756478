"""The motion detector on synthetic frames: a textured face that moves, landmarks made here.

The "face" is smooth random texture; its landmarks are a plausible layout in pixels. A local
warp at the subject's right mouth corner goes and comes back over a few frames while the
whole picture drifts (the head moving): the right mouth corner's region lights up at the
movement, the other regions stay quiet, and the drift is not a movement.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from workbench.detect import facedata, flow, landmarker, spot
from workbench.sample import profile

SIZE = 320  # frame side, pixels
FPS = 30.0


def _layout(rng: np.random.Generator) -> np.ndarray:
    """478 landmarks (x, y) in pixels: the named ones placed, the rest on the face oval."""
    t = rng.uniform(0, 2 * np.pi, landmarker.N_LANDMARKS)
    pts = np.stack([160 + 70 * np.cos(t), 165 + 95 * np.sin(t)], axis=1)
    named = {
        33: (110, 130), 133: (140, 130), 263: (210, 130), 362: (180, 130), 168: (160, 128), 6: (160, 140),
        197: (160, 152), 195: (160, 162), 159: (125, 124), 145: (125, 136), 153: (128, 136), 158: (122, 124),
        386: (195, 124), 374: (195, 136), 380: (192, 136), 385: (198, 124),
        107: (140, 108), 55: (140, 112), 65: (135, 110), 336: (180, 108), 285: (180, 112), 295: (185, 110),
        70: (105, 112), 46: (105, 116), 63: (110, 110), 300: (215, 112), 276: (215, 116), 293: (210, 110),
        129: (145, 175), 64: (143, 178), 358: (175, 175), 294: (177, 178),
        61: (130, 205), 57: (132, 208), 291: (190, 205), 287: (188, 208), 13: (160, 202), 14: (160, 210),
        17: (160, 222), 200: (160, 232), 199: (160, 240),
    }  # fmt: skip
    for i, xy in named.items():
        pts[i] = xy
    return pts


class FakeClip:
    """Frames in memory, with the members the detector uses."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames, self.fps, self.n_frames, self.source = frames, FPS, len(frames), None

    def read_range(self, start: int, stop: int):
        yield from self.frames[start:stop]


def _scene(n: int = 60, move: tuple[int, int] = (20, 26), drift: float = 0.15, span: float = 100.0):
    """Frames and face dataset: texture drifting ``drift`` px a frame; the mouth corner moves in ``move``."""
    import cv2

    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (SIZE, SIZE)).astype(np.float32), (0, 0), 2.0)
    pts = _layout(rng)
    pts = (pts - pts[33]) * (span / 100.0) + pts[33]
    amount = profile(n, move[0], (move[0] + move[1]) // 2, move[1]) if move else np.zeros(n)
    gy, gx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    frames, lms = [], []
    for k in range(n):
        shift = drift * k
        cx, cy = pts[61]
        w = np.exp(-((gx - cx - shift) ** 2 + (gy - cy) ** 2) / (2 * 8.0**2))
        dx, dy = -2.5 * amount[k] * w, -3.0 * amount[k] * w
        mx, my = (gx - shift - dx).astype(np.float32), (gy - dy).astype(np.float32)
        img = cv2.remap(texture, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frames.append(np.repeat(np.clip(img, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2))
        lms.append(np.c_[(pts + [shift, 0]) / SIZE, np.zeros(len(pts))])
    lms = np.stack(lms)
    blend = np.zeros((n, len(landmarker.BLENDSHAPES)))
    face = facedata.face_dataset(lms, blend, np.tile(np.eye(4), (n, 1, 1)), np.arange(n), width=SIZE, height=SIZE)
    face.attrs.update(clip="synthetic", fps=FPS)
    return FakeClip(frames), face


@pytest.fixture(scope="module")
def moved():
    clip, face = _scene()
    return flow.FlowRegions(threads=1).curves(clip, face)


def test_curves_follow_the_schema_with_a_region_dim(moved):
    assert moved.dims == ("frame", "region")
    assert list(moved["region"].values) == list(flow.REGIONS)
    assert moved.attrs["detector"] == "flow" and moved.attrs["step"] == 1
    assert set(moved["aus"].values) >= {"1+4", "12+14+15+20"}


def test_the_moving_region_lights_up_at_the_movement_and_the_others_stay_quiet(moved):
    mouth = moved.sel(region="mouth_R").values
    peak = int(np.nanargmax(mouth))
    assert 19 <= peak <= 27 and np.nanmax(mouth) > 0.3  # 2.9 px at the apex, 0.9 px against i±k
    others = moved.drop_sel(region=["mouth_R", "mouth_L", "chin"]).values
    assert np.nanmax(others) < 0.3 * np.nanmax(mouth)


def test_a_head_drift_alone_is_no_movement():
    clip, face = _scene(move=None, drift=0.4)
    curves = flow.FlowRegions(threads=1).curves(clip, face)
    assert np.nanmax(curves.values) < 0.3


def test_the_spotter_reads_the_movement_as_one_event_of_the_mouth(moved):
    events = spot.spot(moved)
    assert len(events) == 1
    e = events.iloc[0]
    assert 15 <= e.onset <= e.apex <= e.offset <= 31 and "mouth_R" in e.regions


def test_a_face_lost_for_a_while_is_nan_there_and_nothing_is_spotted_across_it():
    clip, face = _scene(move=(20, 26))
    face["landmarks"][21:25] = np.nan
    face["face_found"][21:25] = False
    with pytest.warns(RuntimeWarning, match="No face in 4 of 60 frames of clip 'synthetic'"):
        curves = flow.FlowRegions(threads=1).curves(clip, face)
    assert np.isnan(curves.values[21:25]).all()
    for e in spot.spot(curves).itertuples():
        assert e.offset < 21 or e.onset > 24


def test_a_face_too_small_for_the_regions_warns_naming_the_clip():
    clip, face = _scene(span=50.0)
    with pytest.warns(RuntimeWarning, match="the face of clip 'synthetic' is smaller in 60 of 60 frames"):
        curves = flow.FlowRegions(threads=1).curves(clip, face)
    assert np.isnan(curves.values).all()


def test_two_threads_give_the_same_curves_as_one(moved):
    clip, face = _scene()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        two = flow.FlowRegions(threads=2).curves(clip, face)
    np.testing.assert_allclose(two.values, moved.values, atol=1e-5)


def test_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (8, 2))
    angle, scale, shift = 0.2, 1.7, np.array([5.0, -3.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    m = flow.similarity(src, src @ rot.T + shift)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)


def test_head_motion_removes_an_affine_field_and_keeps_a_local_one():
    yy, xx = np.mgrid[0:50, 0:50]
    grid = flow.motion_basis(50)
    affine = np.stack([0.01 * xx + 0.3, -0.02 * yy + 0.5], axis=-1).astype(np.float32)
    local = np.zeros_like(affine)
    local[20:25, 20:25] = 2.0
    rest = flow.remove_head_motion(affine + local, np.ones((50, 50), bool), grid)
    assert np.abs(rest[local[..., 0] == 0]).max() < 0.1 and rest[22, 22, 0] > 1.8


@pytest.mark.parametrize(
    "a, b, expected",
    [((1.0, 0.0), (1.0, 0.0), 1.0), ((1.0, 0.0), (-1.0, 0.0), 0.0), ((2.0, 0.0), (1.0, 0.0), 1.0)],
)
def test_agreement_scores_go_and_come_back_not_drift(a, b, expected):
    assert flow.agreement(np.array(a), np.array(b)) == pytest.approx(expected)


def test_scores_see_a_pulse_at_every_scale_and_a_step_at_none():
    v = np.zeros((60, 1, 2))
    v[20, 0], v[23, 0] = (1.0, 0.0), (-1.0, 0.0)  # out at frame 20, back at frame 23
    v[40, 0] = (1.0, 0.0)  # a step that stays
    s = flow.scores(v, 1, [2, 4, 8])
    assert np.nanmax(s[20:23]) == pytest.approx(1.0)
    assert np.nanmax(s[30:50]) == pytest.approx(0.0)


def test_scores_are_nan_where_a_step_flow_is_missing():
    v = np.zeros((30, 1, 2))
    v[10] = np.nan
    s = flow.scores(v, 1, [2])
    assert np.isnan(s[8:12, 0]).all() and np.isfinite(s[13:28, 0]).all()
