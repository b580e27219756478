"""Clips are frame-exact: frame(i) is the i-th displayed frame, whatever the file's quirks."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.framecode import coded_frame, read_code
from workbench.clip import fit
from workbench.encode import KEYFRAME_INTERVAL, write_video
from workbench.probe import probe
from workbench.ui.frames import view_jpegs
from workbench.video import open_clip, write_folder


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


def encode(
    path: Path, numbers, fps=30, gop=250, bframes=True, durations=None, preset="ultrafast", size=(640, 480)
) -> Path:
    """x264 with a long GOP, optionally variable frame rate. ``preset="ultrafast"`` writes
    no B-frames whatever ``bframes`` says; a camera's (``"veryfast"`` and slower) has them."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        (stream.width, stream.height), stream.pix_fmt = size, "yuv420p"
        stream.options = {
            "crf": "18",
            "preset": preset,
            "g": str(gop),
            **({} if bframes else {"bf": "0"}),
        }
        if durations is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for k, n in enumerate(numbers):
            frame = av.VideoFrame.from_ndarray(coded_frame(n, size[1], size[0]), format="rgb24")
            if durations is not None:
                frame.pts, frame.time_base = t, Fraction(1, 1000)
                t += durations[k]
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path


def trim_copy(src: Path, dst: Path, start_frame: int, fps: int = 30) -> Path:
    """What ``ffmpeg -ss T -i src -c copy dst`` does: copy packets from the keyframe before
    T, shifted so T is at 0; the muxer writes an edit list that hides the pre-roll."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ist = inp.streams.video[0]
        ost = out.add_stream_from_template(ist)
        shift = int(start_frame / fps / ist.time_base)
        for pkt in inp.demux(ist):
            if pkt.dts is None:
                continue
            pkt.pts -= shift
            pkt.dts -= shift
            pkt.stream = ost
            out.mux(pkt)
    return dst


def decode_jpeg(data: bytes) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]


def numbers_of(clip) -> list[int]:
    return [read_code(clip.frame(i)) for i in range(clip.n_frames)]


def test_clean_file_is_read_as_is(tmp_path):
    path = write_video((coded_frame(n) for n in range(60)), tmp_path / "clean.mp4", fps=30)
    clip = open_clip(path)
    assert not clip.normalised
    assert clip.n_frames == 60 and clip.fps == 30 and clip.shape == (480, 640, 3)
    assert numbers_of(clip) == list(range(60))
    assert probe(path).max_keyframe_gap <= KEYFRAME_INTERVAL


def test_edit_list_trim_is_normalised_and_exact(tmp_path):
    src = encode(tmp_path / "long.mp4", range(150))
    trimmed = trim_copy(src, tmp_path / "trimmed.mp4", start_frame=40)
    assert probe(trimmed).edit_list
    clip = open_clip(trimmed, wait=True)
    assert clip.normalised and "an edit list" in clip.normalise_reasons
    assert clip.n_frames == 110
    assert numbers_of(clip) == list(range(40, 150))
    assert trimmed.read_bytes() == trimmed.read_bytes()  # the user's file is untouched
    assert clip.path != trimmed and clip.path.exists()


def test_variable_frame_rate_is_resampled_to_its_base_rate(tmp_path):
    rng = random.Random(3)
    periods = [rng.choice([1, 1, 2, 3]) for _ in range(40)]
    # 1 period = 1/30 s = 33.33 ms, written in ms so the file really is variable rate
    starts = np.round(np.cumsum([0, *periods]) * 1000 / 30).astype(int)
    durations = np.diff(starts).tolist()
    path = encode(tmp_path / "vfr.mp4", range(40), durations=durations, bframes=False)
    assert probe(path).variable_rate
    clip = open_clip(path, fps=None, wait=True)
    assert clip.normalised and "a variable frame rate" in clip.normalise_reasons
    shown = numbers_of(clip)
    # frame k is what is on screen at k/30 s: source frame j repeats periods[j] times
    expected = [j for j, p in enumerate(periods) for _ in range(p)]
    assert abs(clip.fps - 30) < 0.1
    # the last frame's display time is unknown from timestamps alone: it is shown once
    assert shown == expected[: len(shown)]
    assert shown[-1] == 39 and len(shown) == len(expected) - periods[-1] + 1


def test_long_keyframe_interval_is_normalised_and_seeks_exactly(tmp_path):
    path = encode(tmp_path / "gop.mp4", range(120), gop=250, bframes=False)
    clip = open_clip(path, wait=True)
    assert clip.normalised and any("keyframes" in r for r in clip.normalise_reasons)
    rng = random.Random(0)
    for i in rng.sample(range(120), 30):  # random jumps
        assert read_code(clip.frame(i)) == i
    for i in range(80, 60, -1):  # stepping back
        assert read_code(clip.frame(i)) == i


def test_second_open_reuses_the_normalised_copy(tmp_path):
    path = encode(tmp_path / "gop.mp4", range(30), gop=250)
    first = open_clip(path, wait=True)
    mtime = first.path.stat().st_mtime_ns
    second = open_clip(path, wait=True)
    assert second.path == first.path and second.path.stat().st_mtime_ns == mtime


def test_image_folder_sorts_naturally_and_keeps_dataset_numbers(tmp_path):
    folder = write_folder((coded_frame(n) for n in range(12)), tmp_path / "EP02_01f", start=46)
    clip = open_clip(folder)
    assert clip.fps == 200  # CASME II / SAMM default
    assert clip.frame_numbers.tolist() == list(range(46, 58))
    assert numbers_of(clip) == list(range(12))
    assert clip.index_of_number(46) == 0 and clip.index_of_number(57) == 11
    assert clip.jpeg(0) == (folder / "img46.jpg").read_bytes()


def test_natural_order_puts_img2_before_img10(tmp_path):
    folder = write_folder((coded_frame(n) for n in range(11)), tmp_path / "clip", start=1)
    clip = open_clip(folder)
    assert [p.name for p in clip.files[:3]] == ["img1.jpg", "img2.jpg", "img3.jpg"]
    assert clip.files[9].name == "img10.jpg"
    assert numbers_of(clip) == list(range(11))


def test_folder_sidecar_and_argument_set_fps(tmp_path):
    folder = write_folder((coded_frame(n) for n in range(3)), tmp_path / "c", fps=90)
    assert open_clip(folder).fps == 90
    assert open_clip(folder, fps=30).fps == 30


# --------------------------------------------------------------------------- bad input


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.mp4 does not exist"):
        open_clip(tmp_path / "nope.mp4")


def test_file_that_is_no_video(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(ValueError, match=r"notes\.mp4"):
        open_clip(bad)


def test_truncated_video(tmp_path):
    path = write_video((coded_frame(n) for n in range(30)), tmp_path / "whole.mp4", fps=30)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.mp4"):
        open_clip(cut)


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty.*has none"):
        open_clip(tmp_path / "empty")


def test_folder_with_a_gap(tmp_path):
    folder = write_folder((coded_frame(n) for n in range(5)), tmp_path / "gap", start=1)
    (folder / "img3.jpg").unlink()
    with pytest.raises(
        ValueError,
        match=r"img2\.jpg \(number 2\) is followed by img4\.jpg.*frames 3\.\.3 are missing",
    ):
        open_clip(folder)


def test_folder_with_mixed_sizes(tmp_path):
    folder = write_folder((coded_frame(n) for n in range(3)), tmp_path / "mixed", start=1)
    write_folder([coded_frame(3, height=240, width=320)], folder, start=4)
    with pytest.raises(ValueError, match=r"one size.*640x480.*320x240"):
        open_clip(folder)


@pytest.mark.parametrize("index", [-1, 30, 10_000])
def test_frame_index_out_of_range(tmp_path, index):
    clip = open_clip(write_video((coded_frame(n) for n in range(30)), tmp_path / "v.mp4", fps=30))
    with pytest.raises(IndexError, match=rf"0\.\.29, but got {index}"):
        clip.frame(index)


def test_frame_index_must_be_an_integer(tmp_path):
    clip = open_clip(write_video((coded_frame(n) for n in range(3)), tmp_path / "v.mp4", fps=30))
    with pytest.raises(TypeError, match="integer frame index"):
        clip.frame(1.5)


def test_stepping_back_decodes_each_group_of_pictures_once(tmp_path):
    clip = open_clip(write_video((coded_frame(n) for n in range(100)), tmp_path / "v.mp4", fps=30))
    decoded = _count_exact_reads(clip)
    shown = [read_code(clip.frame(i)) for i in range(95, 44, -1)]
    assert shown == list(range(95, 44, -1))
    # 51 steps back over 6 groups of 10 frames: each frame decoded about once, not ~5 times
    assert len(decoded) <= 51 + 2 * KEYFRAME_INTERVAL
    decoded.clear()
    for i in range(45, 75):  # and forward again: cached, then one decode per new frame
        assert read_code(clip.frame(i)) == i
    assert len(decoded) <= 30


def _count_exact_reads(clip) -> list[int]:
    """Frames the clip decodes one by one with decord (its exact path) from now on."""
    decoded: list[int] = []
    clip = getattr(clip, "_copy", None) or clip  # a normalised clip reads its copy
    read = clip._read

    def counting_read(i):
        out = read(i)
        decoded.extend(j for j, _ in out)
        return out

    clip._read = counting_read
    return decoded


@pytest.mark.parametrize(
    "make",
    [
        lambda d: write_video((coded_frame(n) for n in range(60)), d / "clean.mp4", fps=30),
        lambda d: encode(d / "bframes.mp4", range(60), gop=24),  # x264 defaults: B-frames
        lambda d: encode(d / "longgop.mp4", range(60), gop=250),  # normalised first
    ],
    ids=["clean", "b-frames", "long-gop"],
)
def test_read_range_is_one_pass_with_the_frames_of_frame_i(tmp_path, make):
    path = make(tmp_path)
    for start, stop in [(0, 60), (13, 29), (55, 60), (59, 60)]:
        clip = open_clip(path, wait=True)
        exact = _count_exact_reads(clip)
        got = list(clip.read_range(start, stop))
        assert [read_code(f) for f in got] == list(range(start, stop))
        assert not exact, "read_range should decode in one pass, not frame by frame"
        reference = open_clip(path, normalise=False)  # a file being normalised: its source, exactly
        for i, frame in zip(range(start, stop), got, strict=True):
            assert np.array_equal(frame, reference.frame(i)), f"frame {i} differs from frame(i)"


def test_read_range_reads_exactly_where_the_fast_pass_goes_astray(tmp_path, monkeypatch):
    path = write_video((coded_frame(n) for n in range(40)), tmp_path / "v.mp4", fps=30)
    clip = open_clip(path)
    one_pass = clip._pyav_range

    def skipping(start, stop):  # a decoder that loses frame 20
        for k, img in one_pass(start, stop):
            if k != 20:
                yield k, img

    monkeypatch.setattr(clip, "_pyav_range", skipping)
    exact = _count_exact_reads(clip)
    assert [read_code(f) for f in clip.read_range(10, 30)] == list(range(10, 30))
    assert exact and min(exact) == 20  # from the lost frame on, frame by frame


def test_read_range_of_a_corrupt_file_names_the_frame(tmp_path):
    path = write_video((coded_frame(n) for n in range(40)), tmp_path / "v.mp4", fps=30)
    clip = open_clip(path)

    def broken(i):
        raise ValueError(f"Expected a decodable frame, but frame {i} of {clip.source} is corrupt: bad data")

    clip._pyav_range = lambda start, stop: iter(())  # the fast pass yields nothing
    clip._read = broken
    with pytest.raises(ValueError, match=r"frame 5 of .*v\.mp4 is corrupt"):
        list(clip.read_range(5, 10))


def _encode_in(path: Path, numbers, *, container: str, pix_fmt: str = "yuv420p", first_pts: int = 0,
               still: int = 0, blank_first: bool = False, x264: dict | None = None) -> Path:  # fmt: skip
    """Coded frames in another container or pixel format; the stream may start after 0,
    open on a still (the first ``still`` frames all show number 0) or on a blank frame;
    ``x264`` options replace the defaults (no B-frames)."""
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, pix_fmt
        stream.options = {"crf": "18", "preset": "ultrafast", "g": "10", "bf": "0", "sc_threshold": "0", **(x264 or {})}
        stream.codec_context.time_base = Fraction(1, 30)
        for k, n in enumerate(numbers):
            img = coded_frame(0 if k < still else n)
            if blank_first and k == 0:
                img = np.full_like(img, 128)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = k + first_pts, Fraction(1, 30)
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path


@pytest.mark.parametrize(
    ("make", "one_pass"),
    [
        # a stream whose first frame is at 0.1 s, opening on a one-second still
        (lambda d: _encode_in(d / "late.mkv", range(60), container="matroska", first_pts=3, still=30), True),
        (lambda d: _encode_in(d / "stream.ts", range(60), container="mpegts"), True),  # seeks land late
        # 10-bit: PyAV converts it to RGB a few levels off decord, except on a blank frame
        (lambda d: _encode_in(d / "deep.mp4", range(60), container="mp4", pix_fmt="yuv420p10le", blank_first=True),
         False),
    ],
    ids=["late-start-mkv", "mpeg-ts", "10-bit"],
)  # fmt: skip
def test_read_range_is_exact_on_awkward_files(tmp_path, make, one_pass):
    path = make(tmp_path)
    reference = open_clip(path)
    assert not reference.normalise_reasons  # decord reads these as they are
    expected = [reference.frame(i) for i in range(reference.n_frames)]
    for start, stop in [(0, 60), (25, 50), (50, 60), (37, 38)]:
        clip = open_clip(path)
        exact = _count_exact_reads(clip)
        got = list(clip.read_range(start, stop))
        assert len(got) == stop - start
        for i, frame in zip(range(start, stop), got, strict=True):
            assert np.array_equal(frame, expected[i]), f"frame {i} differs from frame(i)"
        assert (not exact) == one_pass, f"one pass expected: {one_pass}, frame by frame: {exact}"


def test_read_range_past_the_end_is_refused(tmp_path):
    path = write_video((coded_frame(n) for n in range(40)), tmp_path / "v.mp4", fps=30)
    with pytest.raises(IndexError, match=r"up to 39, but got a range up to 44"):
        list(open_clip(path).read_range(35, 45))


@pytest.mark.parametrize(
    ("name", "container", "x264", "reason"),
    [
        ("open.mkv", "matroska", {"bf": "3", "x264-params": "open-gop=1"}, "open groups of pictures"),
        ("bframes.ts", "mpegts", {"bf": "3"}, "B-frames in an MPEG transport"),
    ],
)
def test_files_decord_misreads_are_normalised_and_exact(tmp_path, name, container, x264, reason):
    path = _encode_in(tmp_path / name, range(60), container=container, x264=x264)
    clip = open_clip(path)
    assert any(reason in r for r in clip.normalise_reasons), clip.normalise_reasons
    assert numbers_of(clip) == list(range(60))
    order = list(range(60))
    random.Random(0).shuffle(order)
    assert [read_code(open_clip(path).frame(i)) for i in order[:15]] == order[:15]  # random access too


# --------------------------------------------------------------------------- opening at once


@pytest.fixture
def held(monkeypatch):
    """Background normalisation waits until the test sets the returned event."""
    import threading

    from workbench import normaliser

    release = threading.Event()
    real = normaliser.normalise

    def waiting(*args, **kwargs):
        assert release.wait(60), "the test never released the normalisation"
        return real(*args, **kwargs)

    monkeypatch.setattr(normaliser, "normalise", waiting)
    yield release
    release.set()


def _source_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a source as the normaliser decodes it: one sequential pass."""
    from workbench.encode import shown_frames
    from workbench.exact import even_shape, frame_index, to_rgb

    info = probe(path)
    return [to_rgb(f, even_shape(info)) for _, f in shown_frames(path, frame_index(path, info))]


AWKWARD = {
    # x264 as a camera writes it: a keyframe every 250 frames, B-frames
    "long-gop-b-frames": lambda d: encode(d / "camera.mp4", range(90), gop=250, preset="veryfast"),
    "edit-list": lambda d: trim_copy(encode(d / "long.mp4", range(90), preset="veryfast"), d / "trim.mp4", 25),
    "vfr": lambda d: encode(d / "vfr.mp4", range(30), bframes=False, durations=[33, 34, 33, 67, 33, 100] * 5),
    "open-gop": lambda d: _encode_in(
        d / "open.mkv", range(60), container="matroska", x264={"bf": "3", "x264-params": "open-gop=1", "g": "25"}
    ),
    "ts-b-frames": lambda d: _encode_in(d / "b.ts", range(60), container="mpegts", x264={"bf": "3", "g": "25"}),
}


@pytest.mark.parametrize("make", AWKWARD.values(), ids=AWKWARD.keys())
def test_open_is_at_once_and_frames_are_the_same_before_and_after_the_switch(tmp_path, held, make):
    path = make(tmp_path)
    truth = _source_frames(path)
    clip = open_clip(path)
    assert clip.normalise_reasons and not clip.normalised and clip.progress < 1  # held: still the source
    assert (clip.n_frames, clip.shape) == (len(truth), truth[0].shape)
    order = list(range(clip.n_frames))
    random.Random(1).shuffle(order)
    order += list(range(clip.n_frames - 1, clip.n_frames - 12, -1))  # jumps, then steps back
    before = {i: clip.frame(i).copy() for i in order}
    for i, img in before.items():
        assert np.array_equal(img, truth[i]), f"frame {i} before the switch is not the source's frame {i}"
    a, b = clip.n_frames // 3, clip.n_frames // 3 + 17
    assert all(np.array_equal(f, truth[i]) for i, f in zip(range(a, b), clip.read_range(a, b), strict=True))
    assert not clip.normalised

    held.set()
    assert clip.wait(60) and clip.normalised and clip.progress == 1 and clip.path != path
    for i in order:
        after = clip.frame(i)
        assert read_code(after) == read_code(before[i]), f"frame {i} is another picture after the switch"
        assert np.abs(after.astype(int) - before[i]).mean() < 1.5, f"frame {i} changed by more than compression"
    # detection's pass still decodes the source: face data do not depend on when the copy came
    assert all(np.array_equal(f, truth[i]) for i, f in zip(range(a, b), clip.read_range(a, b), strict=True))


def test_progress_is_told_and_a_second_open_joins_the_job(tmp_path, held):
    path = encode(tmp_path / "camera.mp4", range(60), gop=250, preset="veryfast")
    told: list[tuple[int, int]] = []
    first = open_clip(path, on_progress=lambda done, total: told.append((done, total)))
    second = open_clip(path)
    assert second.job is first.job
    held.set()
    assert first.wait(60) and second.wait(60)
    assert told[-1] == (60, 60) and [d for d, _ in told] == sorted(d for d, _ in told)
    assert first.path == second.path and first.content_hash() == second.content_hash()
    assert open_clip(path).wait(0) is True  # a third open finds the copy


def test_a_background_error_is_raised_on_the_next_read_naming_the_file(tmp_path, monkeypatch):
    from workbench import normaliser

    def failing(src, *args, **kwargs):
        raise OSError(f"No space left on device while writing the copy of {src}")

    monkeypatch.setattr(normaliser, "normalise", failing)
    path = encode(tmp_path / "camera.mp4", range(30), gop=250)
    clip = open_clip(path)
    clip.job.wait(60)
    for _ in range(2):  # kept, not raised once and forgotten
        with pytest.raises(ValueError, match=r"normalised copy of .*camera\.mp4.*No space left"):
            clip.frame(0)
    monkeypatch.undo()
    assert open_clip(path, wait=True).normalised  # the next open tries again


def test_cancelled_normalisation_leaves_no_file_behind(tmp_path, held):
    from workbench import normaliser

    path = encode(tmp_path / "camera.mp4", range(60), gop=250)
    clip = open_clip(path)
    normaliser.cancel_all(wait=False)
    held.set()
    clip.job.wait(60)
    with pytest.raises(ValueError, match=r"camera\.mp4.*Cancelled"):
        clip.frame(0)
    folder = tmp_path / "cache" / "normalised"
    assert not folder.exists() or not list(folder.iterdir())


# --------------------------------------------------------------------------- the copy for browsing

HD = (1280, 720)  # larger than COPY_SIDE: its copy is scaled down


def _code_at(img: np.ndarray, size: tuple[int, int] = HD) -> int:
    """The number a frame shown at any size carries (read at the size it was drawn)."""
    import cv2

    return read_code(cv2.resize(img, size, interpolation=cv2.INTER_LINEAR))


def test_copy_of_a_large_camera_file_is_at_display_size_and_its_frame_n_is_frame_n(tmp_path):
    from workbench.encode import COPY_SIDE, copy_size
    from workbench.ui.player import Player
    from workbench.video import VideoClip

    path = encode(tmp_path / "camera.mp4", range(70), gop=250, preset="veryfast", size=HD)
    clip = open_clip(path, wait=True)
    assert clip.normalised and clip.shape == (720, 1280, 3)  # the clip is the source's size
    assert clip.copy_shape == (*copy_size((720, 1280)), 3) and max(clip.copy_shape) == COPY_SIDE
    copy = VideoClip(clip.path, clip.path)  # the file in the cache, read on its own
    assert copy.shape == clip.copy_shape and [_code_at(copy.frame(i)) for i in range(70)] == list(range(70))
    player = Player(clip, threaded=False)  # shown 520 pixels wide: from the copy
    order = random.Random(4).sample(range(70), 25)
    for i in order:
        assert _code_at(clip.scaled(i, (520, 292))) == i, f"frame {i} at display size is another picture"
        (jpeg,) = view_jpegs(clip, [i], 85, tuple(player.crop), player.size)
        assert _code_at(decode_jpeg(jpeg)) == i and decode_jpeg(jpeg).shape[:2] == (292, 520)


def test_zoomed_crop_and_frame_of_a_large_file_are_at_source_resolution(tmp_path):
    from workbench.ui.frames import view_geometry

    path = encode(tmp_path / "camera.mp4", range(40), gop=250, preset="veryfast", size=HD)
    truth = _source_frames(path)
    clip = open_clip(path, wait=True)
    assert clip.copy_shape[1] < 1280  # a smaller copy exists; full resolution is not from it
    crop, size = view_geometry(clip.shape, (1280, 1280), [0.0, 0.0, 0.5, 0.5], zoom=True)
    assert crop == (0, 0, 640, 360) and size == (640, 360)  # the face crop at one source pixel per pixel
    for i in random.Random(5).sample(range(40), 12):
        assert np.array_equal(clip.frame(i), truth[i])  # exact, full size
        (jpeg,) = view_jpegs(clip, [i], 95, crop, size)
        img = decode_jpeg(jpeg)
        assert img.shape[:2] == (360, 640) and read_code(img) == i  # the code's 40-pixel cells, unscaled
        assert np.abs(img.astype(int) - truth[i][:360, :640]).mean() < 3  # the source's pixels (JPEG aside)


def test_a_clip_that_needs_no_normalisation_is_read_as_it_stands_at_every_size(tmp_path):
    path = write_video((coded_frame(n, 720, 1280) for n in range(30)), tmp_path / "clean.mp4", fps=30)
    clip = open_clip(path)
    assert not clip.normalised and clip.path == path and not (tmp_path / "cache" / "normalised").exists()
    for i in (0, 17, 29):
        assert clip.frame(i).shape == (720, 1280, 3) and read_code(clip.frame(i)) == i
        assert np.array_equal(clip.scaled(i, (520, 292)), fit(clip.frame(i), (520, 292)))


def test_the_copy_is_named_by_the_size_it_is_written_at(tmp_path, monkeypatch):
    """A copy written at another longest side is never taken for this one: it is another file."""
    from workbench import encode as encoding

    path = encode(tmp_path / "camera.mp4", range(30), gop=250, size=HD)
    first = open_clip(path, wait=True)
    assert first.path == encoding.normalised_path(path, None, None) and first.copy_shape == (584, 1040, 3)
    monkeypatch.setattr(encoding, "COPY_SIDE", 640)
    second = open_clip(path, wait=True)
    assert second.path != first.path and first.path.exists()
    assert second.copy_shape == (360, 640, 3) and _code_at(second.scaled(7, (640, 360))) == 7
