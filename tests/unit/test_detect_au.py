"""AU curves from synthetic face datasets (no model: landmarks and blendshapes made here)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from workbench.detect import au, facedata, landmarker, reference

REQUIRED = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26, 45]


def _neutral_landmarks(rng: np.random.Generator) -> np.ndarray:
    """A plausible face: every named landmark placed, the others random around the face."""
    pts = rng.uniform(0.4, 0.6, size=(landmarker.N_LANDMARKS, 3)) * [1, 1, 0.1]
    named = {
        33: (0.38, 0.40), 133: (0.45, 0.40), 263: (0.62, 0.40), 362: (0.55, 0.40),
        159: (0.415, 0.39), 145: (0.415, 0.41), 386: (0.585, 0.39), 374: (0.585, 0.41),
        107: (0.45, 0.34), 55: (0.45, 0.35), 70: (0.37, 0.35), 46: (0.37, 0.36),
        336: (0.55, 0.34), 285: (0.55, 0.35), 300: (0.63, 0.35), 276: (0.63, 0.36),
        129: (0.46, 0.52), 358: (0.54, 0.52), 2: (0.50, 0.54), 0: (0.50, 0.58),
        13: (0.50, 0.59), 14: (0.50, 0.60), 17: (0.50, 0.62), 37: (0.47, 0.58),
        267: (0.53, 0.58), 61: (0.43, 0.60), 291: (0.57, 0.60), 152: (0.50, 0.72),
    }  # fmt: skip
    for i, (x, y) in named.items():
        pts[i] = (x, y, 0.0)
    return pts


def _face(n: int = 40, seed: int = 0, jitter: float = 0.0005):
    """A face dataset of n frames: neutral landmarks with jitter, blendshapes at 0.05."""
    rng = np.random.default_rng(seed)
    base = _neutral_landmarks(rng)
    lms = base[None] + rng.normal(0, jitter, size=(n, landmarker.N_LANDMARKS, 3)) * [1, 1, 0]
    blend = np.full((n, len(landmarker.BLENDSHAPES)), 0.05) + rng.normal(0, 0.005, (n, 52))
    mats = np.tile(np.eye(4), (n, 1, 1))
    return lms, blend, mats


def _ds(lms, blend, mats):
    return facedata.face_dataset(lms, blend, mats, np.arange(len(lms)), width=512, height=512)


def test_table_covers_the_required_aus_with_sources():
    numbers = {spec.au for spec in au.AU_TABLE}
    assert set(REQUIRED) <= numbers
    assert all(spec.source.startswith("FACS:") for spec in au.AU_TABLE)
    for spec in au.AU_TABLE:
        for name in spec.blendshapes:
            for side in ("Left", "Right"):
                assert name.format(s=side) in landmarker.BLENDSHAPES
        for feature, gain in spec.geometry:
            assert feature in au.FEATURES and gain != 0


def test_curves_have_the_documented_shape_and_coords():
    curves = au.au_curves(_ds(*_face()), fps=200)
    assert curves.dims == ("frame", "au")
    assert {"AU12", "AU12L", "AU12R", "AU1", "AU45L"} <= set(curves["au"].values.tolist())
    assert "AU1L" not in curves["au"].values  # browInnerUp does not separate sides
    assert curves["time"].values[10] == pytest.approx(0.05)
    assert curves.attrs["fps"] == 200 and curves.attrs["au_version"] == au.AU_VERSION
    assert (curves["noise"] >= 0).all()


def test_neutral_face_reads_near_zero():
    curves = au.au_curves(_ds(*_face()), fps=200)
    assert float(abs(curves).median()) < 0.05


def test_smile_raises_au12_and_not_au15():
    lms, blend, mats = _face()
    lms[20:25, [61, 291], 1] -= 0.012  # corners up
    lms[20:25, 61, 0] -= 0.006  # and out
    lms[20:25, 291, 0] += 0.006
    idx = [landmarker.BLENDSHAPES.index(b) for b in ("mouthSmileLeft", "mouthSmileRight")]
    blend[20:25, idx] = 0.6
    curves = au.au_curves(_ds(lms, blend, mats))
    au12, au15 = curves.sel(au="AU12"), curves.sel(au="AU15")
    assert float(au12[20:25].min()) > 0.4
    assert float(abs(au12[:15]).max()) < 0.1
    assert float(abs(au15[20:25]).max()) < 0.1


def test_one_sided_blendshape_moves_only_that_side():
    lms, blend, mats = _face()
    blend[10:14, landmarker.BLENDSHAPES.index("browOuterUpLeft")] = 0.8
    curves = au.au_curves(_ds(lms, blend, mats))
    assert float(curves.sel(au="AU2L")[10:14].min()) > 0.3
    assert float(abs(curves.sel(au="AU2R")[10:14]).max()) < 0.1


def test_brow_raise_from_geometry_alone():
    lms, blend, mats = _face()
    lms[5:9, [107, 55, 336, 285, 70, 46, 300, 276], 1] -= 0.01  # brows up by 0.04 IOD
    curves = au.au_curves(_ds(lms, blend, mats))
    assert float(curves.sel(au="AU1")[5:9].min()) > 0.2
    assert float(curves.sel(au="AU2")[5:9].min()) > 0.2
    assert float(curves.sel(au="AU4")[5:9].max()) < 0


def test_geometry_ignores_head_rotation_and_scale():
    lms, blend, mats = _face(n=3, jitter=0)
    centre = lms[0].mean(axis=0)
    rot = Rotation.from_euler("YXZ", [15, -10, 5], degrees=True).as_matrix()
    lms[1] = (lms[0] - centre) @ rot.T + centre
    lms[2] = (lms[0] - centre) * 1.3 + centre
    geo = au.geometry(_ds(lms, blend, mats))
    for name, values in geo.items():
        np.testing.assert_allclose(values, values[0], rtol=1e-4, err_msg=name)


def test_frames_without_a_face_stay_nan_in_place():
    lms, blend, mats = _face()
    lms[7:9] = np.nan
    blend[7:9] = np.nan
    curves = au.au_curves(_ds(lms, blend, mats))
    assert curves.sizes["frame"] == 40
    assert bool(np.isnan(curves[7:9]).all())
    assert bool(np.isfinite(curves[:7]).all())


def test_no_face_at_all_gives_all_nan_curves():
    lms, blend, mats = _face(n=5)
    curves = au.au_curves(_ds(lms * np.nan, blend * np.nan, mats * np.nan))
    assert bool(np.isnan(curves).all())


def test_robust_noise_ignores_a_rare_spike():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, 500)
    x[200:210] += 1
    assert au.robust_noise(x) == pytest.approx(0.01, rel=0.2)


def _smiling_most_of_the_clip(n: int = 72, neutral: int = 18):
    """The issue's clip: neutral for ``neutral`` frames, then a smile held to the end."""
    lms, blend, mats = _face(n)
    smile = [landmarker.BLENDSHAPES.index(f"mouthSmile{s}") for s in ("Left", "Right")]
    blend[neutral:, smile] = 0.8
    return _ds(lms, blend, mats)


def test_a_smile_over_most_of_the_clip_reads_as_a_smile_not_as_neutral():
    curves = au.au_curves(_smiling_most_of_the_clip(), fps=30)
    assert float(curves.sel(au="AU12")[30:].min()) > 0.5  # the median baseline read ~0 here
    assert abs(float(curves.sel(au="AU12")[:15].mean())) < 0.05
    frames = [f for a, b in reference.ranges_of(curves.attrs["reference_frames"]) for f in range(a, b + 1)]
    assert curves.attrs["reference"] == "auto" and max(frames) < 18


@pytest.mark.parametrize(
    "given, expected_frames",
    [("start", "0-5"), ("0-9", "0-9"), ([(2, 4), (10, 12)], "2-4,10-12")],
)
def test_a_given_reference_is_used_and_recorded(given, expected_frames):
    curves = au.au_curves(_smiling_most_of_the_clip(), fps=30, reference=given)
    assert curves.attrs["reference_frames"] == expected_frames
    assert float(curves.sel(au="AU12")[30:].min()) > 0.5


def test_a_reference_on_the_smile_makes_the_neutral_face_read_below_zero():
    curves = au.au_curves(_smiling_most_of_the_clip(), fps=30, reference="40-60")
    assert float(curves.sel(au="AU12")[:15].mean()) < -0.5
    assert abs(float(curves.sel(au="AU12")[40:60].mean())) < 0.05
