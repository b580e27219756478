"""Writing video: H.264 files the clip reader can seek exactly and fast, and normalising
a camera's file into one (constant rate, short keyframe interval, no B-frames, no edit list).

Normalised copies live in ``<cache>/normalised/`` (:func:`workbench.paths.user_cache`),
named by the source's content and by the size they are written at; the user's file is never
touched. A copy is made for browsing: its longest side is at most :data:`COPY_SIDE` pixels
(:func:`copy_size`), what the player shows at most (520 CSS pixels) on a screen of device
pixel ratio 2. A smaller source is copied at its own size. Full-resolution pixels of a larger
source (a zoomed face crop, export, detection) are read exactly from the source
(:mod:`workbench.exact`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from workbench.atomic import atomic_path
from workbench.exact import FrameIndex, even_shape, frame_index, to_rgb
from workbench.paths import file_sha256, user_cache
from workbench.probe import Probe, probe

#: Bumped when normalised files are encoded differently, so caches are refreshed.
NORMALISE_VERSION = 5
#: Keyframe interval (frames) of normalised files.
KEYFRAME_INTERVAL = 10
#: x264 preset and threads of normalised copies, measured with ``benchmarks/normalise_speed.py``
#: (camera-style sources, 2 cores, CPU time per frame over every thread): at 2040x1088
#: ultrafast takes 15.5 ms a frame, superfast 20.3, veryfast 24.0, the old RGB round trip
#: at veryfast 39.5 (decoding alone 4.9); at 640x480 2.7, 3.7, 4.9 and 8.7 ms. x264's own
#: thread count (None) was as fast as 2 threads and faster than 1. Copies are about twice
#: the bytes of veryfast's and decode as fast.
NORMALISE_PRESET = "ultrafast"
NORMALISE_THREADS: int | None = None
#: Longest side (pixels) of a normalised copy; a larger source is scaled down to it
#: (:func:`copy_size`). Measured with ``benchmarks/normalise_speed.py``: see the README figures.
COPY_SIDE = 1040
#: swscale's filter for scaling a copy down.
COPY_SCALER = "AREA"
MP4 = {"format": "mp4", "options": {"use_editlist": "0"}}


class Cancelled(RuntimeError):
    """Normalisation was stopped before it finished (nothing was written)."""


def _encoder(out: Any, rate: Fraction, width: int, height: int, *, crf: int, preset: str,
             tune: str | None, threads: int | None) -> Any:  # fmt: skip
    """An H.264 stream on ``out``: constant rate, a keyframe every :data:`KEYFRAME_INTERVAL`
    frames, no B-frames."""
    stream = out.add_stream("libx264", rate=rate)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.options = {
        "crf": str(crf),
        "preset": preset,
        "g": str(KEYFRAME_INTERVAL),
        "keyint_min": str(KEYFRAME_INTERVAL),
        "sc_threshold": "0",
        "bf": "0",
        **({"tune": tune} if tune else {}),
        **({"threads": str(threads)} if threads is not None else {}),
    }
    stream.codec_context.time_base = 1 / rate
    return stream


def write_video(
    frames: Iterable[np.ndarray],
    dst: str | Path,
    fps: float,
    crf: int = 16,
    preset: str = "veryfast",
    tune: str | None = None,
) -> Path:
    """Encode RGB frames to H.264 MP4: constant frame rate, keyframe every 10 frames,
    no B-frames, no edit list. Written to a temporary file, then renamed (atomic).

    ``tune="fastdecode"`` (x264: no CABAC, no deblocking filter) makes random access about
    2.4x cheaper (8.6 ms instead of 20.6 ms of CPU for a random 640x480 frame, measured with
    ``benchmarks/clip_access.py``) for about 10% more bytes; :func:`normalise` uses it.
    """
    import av

    dst = Path(dst)
    rate = Fraction(fps).limit_denominator(1001)
    n = 0
    with atomic_path(dst, ".tmp.mp4") as tmp, av.open(str(tmp), "w", **MP4) as out:
        stream = None
        for img in frames:
            img = np.ascontiguousarray(img)
            if stream is None:
                h, w = img.shape[:2]
                stream = _encoder(out, rate, w - w % 2, h - h % 2, crf=crf, preset=preset, tune=tune, threads=None)
            img = img[: stream.height, : stream.width]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = n
            frame.time_base = stream.codec_context.time_base
            for pkt in stream.encode(frame):
                out.mux(pkt)
            n += 1
        if stream is None:
            raise ValueError(f"Expected at least one frame to write to {dst}, but got none.")
        for pkt in stream.encode():
            out.mux(pkt)
    return dst


def shown_frames(src: Path, index: FrameIndex, cancel: threading.Event | None = None) -> Iterator[tuple[int, Any]]:
    """(frame k, decoded PyAV frame) for every frame of the clip, in order: one decoding pass
    over ``src``, each source frame placed by its timestamp and repeated for every slot that
    shows it (:attr:`FrameIndex.slots`).

    Raises
    ------
    ValueError
        When a frame cannot be decoded or is missing (naming the file and the frame).
    Cancelled
        When ``cancel`` is set.
    """
    import av

    slots, n, k, decoded = index.slots, index.n_frames, 0, 0
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"Normalising {src} was cancelled at frame {k} of {n}.")
                if index.pts is None:
                    pos = decoded
                else:
                    pos = int(np.searchsorted(index.pts, frame.pts)) if frame.pts is not None else -1
                    if pos >= len(index.pts) or index.pts[pos] != frame.pts:
                        continue  # not a shown frame
                decoded += 1
                if k < n and pos > slots[k]:
                    raise ValueError(f"Expected frame {k} of {src}, but decoding skipped it (corrupt data).")
                while k < n and slots[k] == pos:
                    yield k, frame
                    k += 1
        except av.error.FFmpegError as exc:
            raise ValueError(f"Expected a decodable video, but {src} fails at frame {k}: {exc}") from exc
    if k < n:
        raise ValueError(f"Expected {n} frames in {src}, but only {k} could be decoded.")


def copy_size(shape: tuple[int, int], side: int | None = None) -> tuple[int, int]:
    """``(height, width)`` of the normalised copy of a clip of ``shape`` (``(height, width)``,
    even): the same, or scaled down so that the longest side is at most ``side`` pixels
    (default :data:`COPY_SIDE`), each side even.

    Examples
    --------
    >>> copy_size((1088, 2040), 1040)
    (554, 1040)
    >>> copy_size((480, 640), 1040)
    (480, 640)
    """
    side = COPY_SIDE if side is None else int(side)
    h, w = shape
    scale = side / max(h, w)
    if scale >= 1:
        return h, w
    return max(2, round(h * scale / 2) * 2), max(2, round(w * scale / 2) * 2)


def normalise(
    src: str | Path,
    dst: str | Path,
    fps: float | None = None,
    info: Probe | None = None,
    *,
    index: FrameIndex | None = None,
    preset: str = NORMALISE_PRESET,
    threads: int | None = NORMALISE_THREADS,
    side: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Re-encode a video to constant frame rate, short keyframe interval, no edit list, at
    most ``side`` pixels on its longest side (:func:`copy_size`).

    Frame k of the copy is frame k of :class:`workbench.exact.ExactReader` on the source.
    Decoded 4:2:0 pictures of the copy's size go to the encoder as they are (no RGB round
    trip); larger ones are scaled by swscale in 4:2:0 (:data:`COPY_SCALER`); other pixel
    formats are converted once, odd sizes are cut to even ones.

    Parameters
    ----------
    src
        The user's video (never modified).
    dst
        Output MP4 path (written atomically).
    fps
        Output frame rate; default: the source's average rate (a variable-rate file's base rate).
    info, index
        The source's :func:`probe` and :func:`~workbench.exact.frame_index`, when the caller has them.
    preset, threads
        x264's preset and thread count (None: x264's choice).
    side
        The copy's longest side at most (default :data:`COPY_SIDE`).
    progress
        Called with (frames written, frames in all) from the encoding thread.
    cancel
        When set, stop and write nothing (raises :class:`Cancelled`).
    """
    import av

    src = Path(src)
    info = info or probe(src)
    index = index or frame_index(src, info, fps)
    rate = Fraction(index.fps).limit_denominator(1001)
    h, w = even_shape(info)
    ch, cw = copy_size((h, w), side)
    step = max(1, index.n_frames // 200)
    with atomic_path(Path(dst), ".tmp.mp4") as tmp, av.open(str(tmp), "w", **MP4) as out:
        stream = _encoder(out, rate, cw, ch, crf=16, preset=preset, tune="fastdecode", threads=threads)
        for k, frame in shown_frames(src, index, cancel):
            if frame.format.name != "yuv420p" or frame.width != w or frame.height != h:
                frame = av.VideoFrame.from_ndarray(to_rgb(frame, (h, w)), format="rgb24")
            if frame.format.name != "yuv420p" or (frame.height, frame.width) != (ch, cw):  # one conversion
                frame = frame.reformat(width=cw, height=ch, format="yuv420p", interpolation=COPY_SCALER)
            frame.pts, frame.time_base = k, stream.codec_context.time_base
            frame.pict_type = av.video.frame.PictureType.NONE  # the source's keyframes do not force ours
            for pkt in stream.encode(frame):
                out.mux(pkt)
            if progress is not None and (k % step == 0 or k == index.n_frames - 1):
                progress(k + 1, index.n_frames)
        for pkt in stream.encode():
            out.mux(pkt)
    return Path(dst)


def normalised_path(
    src: Path, fps: float | None, root: Path | None = None, digest: str | None = None, side: int | None = None
) -> Path:
    """Where the normalised copy of ``src`` lives in the cache: keyed by the source's content
    (pass its sha256 as ``digest`` when it is known), the rate, the longest side the copy is
    written at (``side``, default :data:`COPY_SIDE`: with the source's size, what the copy's
    size depends on) and :data:`NORMALISE_VERSION`."""
    digest = (digest or file_sha256(src))[:24]
    tag = f"_{fps:g}fps" if fps else ""
    side = COPY_SIDE if side is None else int(side)
    return (root or user_cache()) / "normalised" / f"{digest}{tag}_max{side}.v{NORMALISE_VERSION}.mp4"
