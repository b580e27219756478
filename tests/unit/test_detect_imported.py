"""Per-frame output of other detectors: each format's reader, placing on the clip, the checks.

Fixtures are written by ``tests/support/detector_files.py`` from each format's documented
layout; none is a vendor's file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.detector_files import (
    openface_header,
    pulse,
    write_facereader,
    write_facet,
    write_openface,
    write_pyfeat,
)
from workbench.arrays import validate_curves
from workbench.detect import imported
from workbench.detect.import_curves import read_table, sniff_format
from workbench.detect.spot import spot

N, FPS = 60, 30.0
AU12 = pulse(N, 20, 32, 1.0)  # 0..1, peak at frame 26


def files(tmp: Path) -> dict[str, Path]:
    """One small file per format: AU12 rises on frames 20..32, frames 40..41 have no face."""
    return {
        "openface": write_openface(
            tmp / "of.csv", N, {12: 5 * AU12}, fps=FPS, success=[0 if i in (40, 41) else 1 for i in range(N)]
        ),
        "pyfeat": write_pyfeat(tmp / "pf.csv", N, {12: AU12}, no_face=(40, 41)),
        "imotions": write_facet(tmp / "fa.txt", N, {12: 4 * AU12 - 2}, fps=FPS, no_face=(40, 41)),
        "facereader": write_facereader(
            tmp / "fr.txt", N, {12: AU12}, fps=FPS, failed={40: "FIND_FAILED", 41: "FIT_FAILED"}
        ),
    }


FORMATS = ("openface", "pyfeat", "imotions", "facereader")


@pytest.fixture
def written(tmp_path) -> dict[str, Path]:
    return files(tmp_path)


def place(path: Path, fmt: str, n_frames: int = N, fps: float = FPS, **kwargs):
    return imported.place(read_table(fmt, path), n_frames=n_frames, fps=fps, clip="c", detector=fmt, **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_gives_schema_curves_on_the_clip_frames(written, fmt):
    arrays, warnings = place(written[fmt], fmt)
    au = validate_curves(arrays["au"])
    assert au.dims == ("frame", "au") and au.sizes["frame"] == N
    assert list(au["frame"].values) == list(range(N))
    assert au["time"].values[3] == pytest.approx(3 / FPS)
    assert {"au_number", "side", "noise"} <= set(au.coords)
    assert au.attrs["fps"] == FPS and au.attrs["detector"] == fmt and au.attrs["clip"] == "c"
    assert np.isnan(au.sel(frame=[40, 41]).values).all()
    assert au.attrs["frames_without_face"] == 2
    assert warnings == ["2 frame(s) without a face (no detection) are NaN"]
    norm = imported.normalise(au).sel(au="AU12").values
    assert np.nanargmax(norm) == 26 and norm[26] == pytest.approx(AU12[26] if fmt != "imotions" else 0.99, abs=0.01)


@pytest.mark.parametrize(
    ("fmt", "scale", "lo", "hi", "transform"),
    [
        ("openface", "0-5 intensity (OpenFace AU_r)", 0, 5, "linear"),
        ("pyfeat", "0-1 probability (py-feat)", 0, 1, "linear"),
        ("imotions", "log10 odds evidence (iMotions FACET)", np.nan, np.nan, "log10_odds"),
        ("facereader", "0-1 intensity (FaceReader)", 0, 1, "linear"),
    ],
)
def test_each_format_keeps_its_own_scale(written, fmt, scale, lo, hi, transform):
    au = place(written[fmt], fmt)[0]["au"]
    assert au.attrs["scale"] == scale and au.attrs["scale_transform"] == transform
    np.testing.assert_equal([au.attrs["scale_min"], au.attrs["scale_max"]], [lo, hi])
    if fmt == "openface":
        assert float(au.sel(au="AU12", frame=26)) == pytest.approx(5.0, abs=0.01)


@pytest.mark.parametrize(("fmt", "n_emotions"), [("pyfeat", 7), ("imotions", 8), ("facereader", 8)])
def test_emotion_evidence_becomes_curves(written, fmt, n_emotions):
    emotion = validate_curves(place(written[fmt], fmt)[0]["emotion"])
    assert emotion.dims == ("frame", "emotion") and emotion.sizes["emotion"] == n_emotions
    assert {"happiness", "neutral", "anger"} <= {str(e) for e in emotion["emotion"].values}


def test_openface_presence_is_kept_and_face_id_and_separators_vary(tmp_path):
    for sep in (", ", ","):
        path = write_openface(tmp_path / "a.csv", N, {12: 5 * AU12}, fps=FPS, legacy=False, sep=sep)
        arrays, _ = place(path, "openface")
        assert arrays["presence"].sizes["au"] == 18 and "AU28" in arrays["presence"]["au"].values
        assert float(arrays["presence"].sel(au="AU12", frame=26)) == 1.0
    assert len(openface_header(legacy=True)) == 431 and len(openface_header(legacy=False)) == 714


def test_facereader_letters_sides_and_coarse_times(tmp_path):
    path = write_facereader(tmp_path / "l.txt", N, {12: 5 * AU12}, fps=FPS, letters=True, sides=True)
    au = place(path, "facereader")[0]["au"]
    assert au.attrs["scale"].startswith("0-5 FACS intensity")
    assert {"AU12", "AU12L", "AU12R"} <= {str(a) for a in au["au"].values}
    assert float(au.sel(au="AU12", frame=26)) == 5.0  # E, the mean of both sides
    # a log re-saved through a spreadsheet shows mm:ss.f: rows are placed as frames
    text = path.read_text().splitlines()
    for i in range(11, len(text)):
        t, _, rest = text[i].partition("\t")
        text[i] = f"{t[3:8]}.{t[9]}\t{rest}"
    path.write_text("\n".join(text) + "\n")
    au = place(path, "facereader")[0]["au"]
    assert au.attrs["placed_by"] == "frame number" and float(au.sel(au="AU12", frame=26)) == 5.0


def test_sniff_names_each_format(written):
    assert {fmt: sniff_format(path) for fmt, path in written.items()} == {f: f for f in FORMATS}


# ---- bad input: one message naming the file, the line and the rule -------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_in_another_format_is_refused_naming_it(written, fmt):
    other = next(f for f in FORMATS if f != fmt)
    expected = rf"Expected .*but got a file that looks like .*import it as '{other}'.*line 1\)"
    with pytest.raises(ValueError, match=expected):
        read_table(fmt, written[other])


def test_au_columns_missing(tmp_path):
    header = [c for c in openface_header() if not c.endswith("_r")]
    path = write_openface(tmp_path / "noau.csv", 5, header=header)
    expected = r"Expected AU intensity columns AU01_r .*, but got none .*noau\.csv, line 1\)"
    with pytest.raises(ValueError, match=expected):
        read_table("openface", path)
    path = tmp_path / "fr.txt"
    path.write_text("Video analysis detailed log\n\nFrame rate\t30\n\nVideo Time\tHappy\n00:00:00.000\t0.2\n")
    with pytest.raises(ValueError, match=r"Expected AU columns 'Action Unit NN - Name', but got none .*line 5\)"):
        read_table("facereader", path)


@pytest.mark.parametrize(
    ("fmt", "n_frames", "fps", "match"),
    [
        ("openface", 50, FPS, r"Expected frame numbers 1\.\.50 .*50 frames at 30 fps.*, "
                              r"but got 51 \(10 row\(s\) beyond the clip\) .*of\.csv, line 52\)"),
        ("pyfeat", 50, FPS, r"Expected frame numbers 0\.\.49 .*, but got 50 .*pf\.csv, line 52\)"),
        ("imotions", 50, FPS, r"Expected frame numbers 0\.\.49 .*, but got 50 .*fa\.txt, line 57\)"),
        ("facereader", 50, FPS, r"Expected times 0\.\.1\.633 s .*, but got 1\.66\d* .*fr\.txt, line 62\)"),
        ("openface", N, 25.0, r"Expected the clip's frame rate, 25 fps .*, "
                              r"but got 29\.99 fps implied by its frame numbers and times"),
        ("imotions", N, 25.0, r"Expected the clip's frame rate, 25 fps .*, but got 29\.99 fps implied"),
        ("facereader", N, 25.0, r"Expected the clip's frame rate, 25 fps .*, "
                                r"but got 30 fps declared in the file .*fr\.txt, line 7\)"),
    ],
)  # fmt: skip
def test_frames_beyond_the_clip_or_another_frame_rate(written, fmt, n_frames, fps, match):
    with pytest.raises(ValueError, match=match):
        place(written[fmt], fmt, n_frames=n_frames, fps=fps)


def test_the_frame_rate_check_can_be_turned_off(written):
    arrays, _ = place(written["openface"], "openface", fps=25.0, check_fps=False)
    assert arrays["au"].attrs["fps"] == 25.0


def test_duplicate_frames(tmp_path):
    frames = [*range(1, 31), 30, *range(31, 60)]
    path = write_openface(tmp_path / "dup.csv", N, fps=FPS, frames=frames)
    expected = r"Expected one row per frame, but got frame 30 again \(first on line 31.*dup\.csv, line 32\)"
    with pytest.raises(ValueError, match=expected):
        place(path, "openface")
    path = write_pyfeat(tmp_path / "dup.csv", N, frames=[*range(30), 29, *range(30, 59)])
    with pytest.raises(ValueError, match=r"one row per frame, but got frame 29 again .*line 32\)"):
        place(path, "pyfeat")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_truncated_last_line(written, fmt):
    path = written[fmt]
    data = path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(data[: len(data) - len(data.splitlines()[-1]) // 2])
    expected = r"fields on every line, as in the header .*on the last line: the file is truncated"
    with pytest.raises(ValueError, match=expected):
        read_table(fmt, path)


def test_a_cell_that_is_no_number(tmp_path):
    path = write_openface(tmp_path / "bad.csv", N, fps=FPS)
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace("0.98", "high", 1)
    path.write_text("\n".join(lines) + "\n")
    # confidence is not read; an AU cell is
    cells = lines[7].split(", ")
    cells[openface_header(legacy=False).index("AU12_r")] = "x"
    lines[7] = ", ".join(cells)
    path.write_text("\n".join(lines) + "\n")
    expected = r"Expected a number or an empty cell, but got 'x' .*line 8, column 'AU12_r'\)"
    with pytest.raises(ValueError, match=expected):
        read_table("openface", path)


def test_imotions_one_stimulus_per_file(tmp_path):
    path = write_facet(tmp_path / "two.txt", N, stimuli=["a"] * 30 + ["b"] * 30)
    expected = r"Expected one stimulus per file .*, but got 'b' after 'a' .*line 37, column 'StimulusName'\)"
    with pytest.raises(ValueError, match=expected):
        read_table("imotions", path)


def test_frames_missing_from_the_file_are_nan_with_a_warning(tmp_path):
    path = write_pyfeat(tmp_path / "short.csv", 50)
    arrays, warnings = place(path, "pyfeat")
    assert np.isnan(arrays["au"].sel(frame=range(50, N)).values).all()
    assert "10 frame(s) of the clip are not in the file and are NaN" in warnings


# ---- scale, reference, spotting -----------------------------------------------------------


def test_normalise_by_the_declared_scale():
    au = place_values(np.array([[0.0], [2.5], [5.0]]), imported.Scale("0-5", 0, 5))
    np.testing.assert_allclose(imported.normalise(au).values[:, 0], [0, 0.5, 1])
    odds = place_values(np.array([[-1.0], [0.0], [1.0]]), imported.Scale("ev", np.nan, np.nan, "log10_odds"))
    np.testing.assert_allclose(imported.normalise(odds).values[:, 0], [1 / 11, 0.5, 10 / 11], rtol=1e-6)


def place_values(values: np.ndarray, scale: imported.Scale) -> object:
    n = len(values)
    table = imported.FrameTable(
        path=Path("x.csv"),
        format="test",
        lines=np.arange(n) + 2,
        frame=np.arange(n),
        frame_base=0,
        time=None,
        valid=np.ones(n, bool),
        channels={"au": imported.Channels(["AU12"], values, scale)},
    )
    return imported.place(table, n_frames=n, fps=FPS, clip="c", detector="t")[0]["au"]


def test_neutral_reference_is_the_least_active_frames_not_the_median():
    # a clip that is mostly expression: the median would be the expression
    values = np.r_[np.full(30, 0.1), np.full(70, 0.8)][:, None]
    assert imported.neutral_reference(values)[0] == pytest.approx(0.1)
    assert np.median(values) == pytest.approx(0.8)


@pytest.mark.parametrize("fmt", FORMATS)
def test_spotting_imported_curves_finds_the_movement(written, fmt):
    curves = imported.for_spotting(place(written[fmt], fmt)[0]["au"])
    assert float(curves["reference"].sel(au="AU12")) == pytest.approx(0.0 if fmt != "imotions" else 0.0099, abs=1e-3)
    events = spot(curves, clip="c", rater=f"detector:{fmt}")
    assert len(events) == 1
    event = events.iloc[0]
    assert event["aus"] == "12" and event["emotion"] == "happiness"
    assert event["onset"] <= 21 and 24 <= event["apex"] <= 28 and event["offset"] >= 31
