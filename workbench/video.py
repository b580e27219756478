"""Frame-exact clips: one video file or one folder of numbered images.

``open_clip(path)`` returns a :class:`Clip` whose ``frame(i)`` is the i-th displayed
frame. Video files are read with decord, which is exact on clean constant-frame-rate
files but ignores MP4 edit lists and seeks slowly across long keyframe intervals. So
:func:`open_clip` first inspects the file with PyAV (demuxing only, no decoding) and,
when decord would misplace frames or seek slowly, re-encodes it once with
:func:`normalise` into the cache (never over the user's file):

- an edit list (a trim made with ``ffmpeg -ss ... -c copy`` keeps the pre-roll frames
  in the file and tells players to skip them; decord shows them),
- variable frame rate (frame i is not at i / fps),
- a keyframe interval longer than :data:`MAX_KEYFRAME_GAP` frames.

The normalised file is H.264, constant frame rate, a keyframe every
:data:`KEYFRAME_INTERVAL` frames, no B-frames and no edit list, at most
:data:`workbench.encode.COPY_SIDE` pixels on its longest side (a copy for browsing). It is
made in the background (:mod:`workbench.normaliser`): :func:`open_clip` returns a
:class:`NormalisingClip` at once, whose frames are exact from the start (PyAV seeks to
the keyframe before a frame and decodes forward, :mod:`workbench.exact`: slower). As soon
as the copy is written, frames at the size they are shown (``clip.scaled(i, size)``) come
from it (decord: fast); full-resolution frames (``clip.frame(i)``: a zoomed face crop,
export) come from it only when it is the source's size, else from the source, exactly.
``clip.progress`` (0..1) and the ``on_progress`` callback tell how far it is.

CASME II and SAMM ship clips as folders of JPEGs (``img46.jpg``, ``006_05562.jpg``).
A folder's images are sorted by their trailing number (natural order) and must be
numbered without gaps and be all of one size. ``clip.frame_numbers`` keeps the
dataset's own numbers so importers can map ``img46.jpg`` to its index.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from workbench import normaliser
from workbench.atomic import atomic_write_bytes
from workbench.clip import CACHE_BYTES, Clip, fit
from workbench.clips import IMAGE_SUFFIXES, image_number, is_image
from workbench.exact import ExactReader, FrameIndex, even_shape, frame_index
from workbench.paths import file_sha256
from workbench.probe import Probe, probe

PYAV_EXACT_FORMATS = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"})
#: Frame rate of image folders without a sidecar or an fps argument (CASME II, SAMM).
DEFAULT_FOLDER_FPS = 200.0
#: Sidecar file in an image folder: ``{"fps": 200}``.
SIDECAR = "clip.json"

# --------------------------------------------------------------------------- clips


class VideoClip(Clip):
    """A video file read with decord (after normalisation where needed)."""

    def __init__(self, source: Path, path: Path, fps: float | None = None):
        super().__init__(source, path)
        self._reader = None
        vr = self._vr()
        self.n_frames = len(vr)
        self.fps = float(fps) if fps else float(vr.get_avg_fps())
        h, w = vr[0].shape[:2] if self.n_frames else (0, 0)
        self.shape = (int(h), int(w), 3)
        keys = sorted(int(k) for k in vr.get_key_indices())
        self._keys = np.array(keys or [0], dtype=np.int64)
        self._last = -2
        self._frame_stamps: np.ndarray | None = None
        self._pyav_ok: bool | None = None  # PyAV decodes this file as decord does (None: not known yet)
        self._pyav_origin: float | None = None  # PyAV's time of frame 0, in seconds

    def _vr(self):
        if self._reader is None:
            import decord

            try:
                self._reader = decord.VideoReader(str(self.path), ctx=decord.cpu(0), num_threads=1)
            except Exception as exc:  # decord raises its own DECORDError
                raise ValueError(f"Expected a readable video, but decord could not open {self.path}: {exc}") from exc
        return self._reader

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_reader"] = None
        state["_cache"] = OrderedDict()
        return state

    def _read(self, i: int) -> Iterable[tuple[int, np.ndarray]]:
        """Decode frame i.

        A step forward continues the decoder. A step back decodes the group of pictures
        from its keyframe up to i once and keeps it, so the next steps back are cache hits
        instead of a seek and a decode from the keyframe each. A jump decodes one frame
        (decord seeks to the keyframe before it: at most 9 frames to decode here).
        """
        vr = self._vr()
        try:
            if i == self._requested - 1 and i != self._last + 1:
                key = int(self._keys[np.searchsorted(self._keys, i, side="right") - 1])
                span = list(range(key, i + 1))
                frames = list(zip(span, vr.get_batch(span).asnumpy(), strict=True))
            else:  # a step forward continues the decoder; a jump seeks
                frames = [(i, vr[i].asnumpy())]
        except Exception as exc:
            raise ValueError(f"Expected a decodable frame, but frame {i} of {self.source} is corrupt: {exc}") from exc
        self._last = i
        return frames

    def read_range(self, start: int, stop: int) -> Iterator[np.ndarray]:
        """Frames ``start..stop-1`` in order, decoded in one forward pass with PyAV.

        decord gives the same frames, but measured beside MediaPipe graphs in the same
        process (``benchmarks/detect_throughput.py``) it slows them: two detection threads
        ran 114 frames/s reading 25-frame chunks with decord, 192 with PyAV. PyAV seeks to
        the keyframe before ``start`` and decodes forward; each frame is placed by its
        time from the stream's first frame in decord's own timestamp table. The pass is
        used only for 8-bit pixel formats (:data:`PYAV_EXACT_FORMATS`), and a clip's
        frames are compared pixel for pixel with decord's until one with detail has
        matched. Wherever PyAV's frames do not line up exactly (a corrupt stretch, an odd
        file), the rest of the range is read with :meth:`frame`, which names a frame it
        cannot decode.
        """
        start = self._check_index(start)
        if stop > self.n_frames:
            raise IndexError(
                f"Expected frames up to {self.n_frames - 1}, but got a range up to {stop - 1} ({self.source})."
            )
        i = start
        if self._pyav_ok is not False:
            try:
                for k, img in self._pyav_range(start, stop):
                    if k != i or not (self._pyav_ok or self._pyav_check(k, img)):
                        break  # a frame missing, out of place or not decord's: read the rest exactly
                    yield img
                    i += 1
            except Exception:  # noqa: BLE001 - PyAV only speeds this up; the exact path reports errors
                pass
        for j in range(i, stop):
            yield self.frame(j)

    def _pyav_check(self, k: int, img: np.ndarray) -> bool:
        """Whether PyAV's frame k is decord's. A match on a frame with detail (not a blank
        lead-in, where other conversions agree too) settles it for the clip; a mismatch
        turns the pass off for the clip."""
        same = bool(np.array_equal(img, self._vr()[k].asnumpy()))
        if not same:
            self._pyav_ok = False
        elif len(np.unique(img[::4, ::4])) >= 64:
            self._pyav_ok = True
        return same

    def _pyav_range(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        """(index, RGB frame) from PyAV, from the keyframe before ``start`` to ``stop``."""
        import av
        from av.video.reformatter import VideoReformatter

        stamps = self._stamps()
        to_rgb = VideoReformatter()  # one converter for the pass (frame.to_ndarray makes one a frame)
        tolerance = 0.25 / self.fps
        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            if stream.codec_context.pix_fmt not in PYAV_EXACT_FORMATS:
                self._pyav_ok = False
                return
            stream.codec_context.thread_count = 1  # stay on the caller's core
            if self._pyav_origin is None:  # the stream's time of frame 0 (decord counts from it)
                first = next(container.decode(stream))
                self._pyav_origin = float(first.time) - float(stamps[0])

            def index(frame: Any) -> int:
                if frame.pts is None:
                    raise ValueError(f"a frame without a timestamp in {self.path}")
                t = float(frame.time) - self._pyav_origin
                k = int(np.searchsorted(stamps, t - tolerance))
                if k >= len(stamps) or abs(stamps[k] - t) > tolerance:
                    raise ValueError(f"a frame at {t} s that decord does not list in {self.path}")
                return k

            for back in (0.0, 1.0, 8.0, math.inf):  # some containers land after the target
                target = max(float(stamps[start]) + self._pyav_origin - back, 0.0)
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
                frames = container.decode(stream)
                frame = next(frames, None)
                if frame is not None and (k := index(frame)) <= start:
                    break
            else:
                return
            while k < stop:
                if k >= start:
                    yield k, to_rgb.reformat(frame, format="rgb24").to_ndarray()
                frame = next(frames, None)
                if frame is None:
                    return
                k = index(frame)

    def _stamps(self) -> np.ndarray:
        """decord's start time (s) of every frame, ascending."""
        if self._frame_stamps is None:
            stamps = np.asarray(self._vr().get_frame_timestamp(range(self.n_frames)), float)[:, 0]
            if len(stamps) > 1 and not np.all(np.diff(stamps) > 0):
                raise ValueError(f"frame timestamps that do not increase in {self.path}")
            self._frame_stamps = stamps
        return self._frame_stamps

    def _content_hash(self) -> str:
        return file_sha256(self.source)


class NormalisingClip(Clip):
    """A video file decord would misread, read exactly while its normalised copy is made.

    Frames are exact from the start: :class:`workbench.exact.ExactReader` seeks to the
    keyframe before a frame and decodes forward (slow across a long keyframe interval:
    up to a whole group of pictures per jump). Once the background job
    (:mod:`workbench.normaliser`) has written the copy, the next read switches to it (a
    :class:`VideoClip`: decord, fast): :meth:`scaled` reads it whenever it is at least the
    size asked for, :meth:`frame` only when it is the source's size (a source larger than
    :data:`workbench.encode.COPY_SIDE` keeps being read exactly at full resolution). Frame
    k is the same picture before and after, in the copy and in the source (up to the
    copy's compression and scaling). A job that failed raises its error, naming the file,
    on every read. Without a job (``open_clip(..., normalise=False)``) the clip reads the
    source exactly and makes no copy.

    :meth:`read_range` (detection's one pass) always decodes the source, so face data do
    not depend on whether, or when, the copy was written.

    Thread-safe: :meth:`frame` and the switch hold the clip's lock; :meth:`read_range`
    decodes with a reader of its own.
    """

    def __init__(self, source: Path, info: Probe, index: FrameIndex, job: normaliser.Job | None,
                 fps: float | None, cache: Path | None):  # fmt: skip
        super().__init__(source, source)
        self._job, self._fps_arg, self._cache_arg = job, fps, cache
        self.index = index
        self.n_frames = self.index.n_frames
        self.fps = float(fps) if fps else self.index.fps
        self._size = even_shape(info)
        self.shape = (*self._size, 3)
        self.normalise_reasons = info.reasons()
        self._exact = ExactReader(source, self.index, self._size)
        self._copy: VideoClip | None = None
        self._full = False  # the copy is at the source's size: frame(i) reads it too
        self._lock = threading.RLock()

    def __reduce__(self):  # another process opens the file again (and joins or finds the copy)
        return (_reopen, (self.source, self._fps_arg, self._cache_arg, self._job is not None))

    @property
    def progress(self) -> float:
        if self._copy is not None:
            return 1.0
        return self._job.progress if self._job is not None else 1.0  # no copy to wait for

    @property
    def job(self) -> normaliser.Job | None:
        """The background job making the copy (None: no copy is made)."""
        return self._job

    def on_progress(self, listener) -> None:
        """Call ``listener(frames written, frames in all)`` as the copy is written (from the job's thread)."""
        if self._job is not None:
            self._job.listen(listener)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the copy and switch to it; whether it is read now.

        Raises
        ------
        ValueError
            When normalising failed (naming the file).
        """
        if self._job is None:
            return False
        self._job.wait(timeout)
        return self._current() is not None

    def _current(self) -> VideoClip | None:
        """The copy, once written (the switch happens here, in a reading thread)."""
        if self._copy is None and self._job is not None and self._job.finished:
            with self._lock:
                if self._copy is None:
                    self._switch()
        return self._copy

    def _switch(self) -> None:
        job = self._job
        if job.error is not None:
            raise ValueError(
                f"Expected a normalised copy of {self.source}, but normalising it failed: "
                f"{type(job.error).__name__}: {job.error}"
            ) from job.error
        copy = VideoClip(self.source, job.dst, self.fps)
        if copy.n_frames != self.n_frames:
            raise ValueError(
                f"Expected the normalised copy {job.dst} to have the {self.n_frames} frames of {self.source}, "
                f"but it has {copy.n_frames}."
            )
        copy._hash, copy.normalised, copy.normalise_reasons = job.digest, True, self.normalise_reasons
        self._full = copy.shape == self.shape
        if self._full:  # full resolution from the copy too: the source's reader is done
            self._exact.close()
            self._cache.clear()
        self._copy, self.path, self.normalised = copy, copy.path, True

    @property
    def copy_shape(self) -> tuple[int, int, int] | None:
        """``(height, width, 3)`` of the normalised copy once it is read (None before)."""
        copy = self._current()
        return copy.shape if copy is not None else None

    def frame(self, i: int) -> np.ndarray:
        """Frame i at full resolution: from the copy when it is the source's size, else exactly from the source."""
        copy = self._current()
        with self._lock:
            return copy.frame(i) if copy is not None and self._full else super().frame(i)

    def scaled(self, i: int, size: tuple[int, int]) -> np.ndarray:
        """The whole frame i at ``size`` ``(width, height)``: from the copy once it is written
        and at least that size (fast), else from :meth:`frame`."""
        copy = self._current()
        if copy is not None and size[0] <= copy.shape[1] and size[1] <= copy.shape[0]:
            with self._lock:
                img = copy.frame(i)
            return fit(img, size)
        return fit(self.frame(i), size)

    def _read(self, i: int) -> Iterable[tuple[int, np.ndarray]]:
        """Frame i exactly; a step back decodes from the keyframe to i once and keeps what it can."""
        start = i
        if i == self._requested - 1:
            keep = min(self._cache_size, max(4, CACHE_BYTES // (3 * self._size[0] * self._size[1]))) // 2
            start = max(0, i - keep + 1)
        return list(self._exact.read(start, i + 1))

    def read_range(self, start: int, stop: int) -> Iterator[np.ndarray]:
        """Frames ``start..stop-1`` in one forward pass, decoded from the source (see the class)."""
        start = self._check_index(start)
        if stop > self.n_frames:
            raise IndexError(
                f"Expected frames up to {self.n_frames - 1}, but got a range up to {stop - 1} ({self.source})."
            )
        self._current()  # a failed job is still raised
        reader = ExactReader(self.source, self.index, self._size)  # this pass's own: no lock held while it runs
        try:
            for _, img in reader.read(start, stop):
                yield img
        finally:
            reader.close()

    def content_hash(self) -> str:
        if self._hash is None:
            self._hash = self._job.wait_digest() if self._job is not None else file_sha256(self.source)
        return self._hash


def _reopen(path: Path, fps: float | None, cache: Path | None, normalise: bool) -> Clip:
    return open_clip(path, fps, cache, normalise=normalise)


class FolderClip(Clip):
    """A folder of numbered images (CASME II, SAMM)."""

    def __init__(self, folder: Path, files: list[Path], numbers: np.ndarray, fps: float, shape):
        super().__init__(folder, folder)
        self.files = files
        self._numbers = numbers
        self.n_frames = len(files)
        self.fps = float(fps)
        self.shape = shape

    @property
    def frame_numbers(self) -> np.ndarray:
        return self._numbers

    def _read(self, i: int) -> Iterable[tuple[int, np.ndarray]]:
        import cv2

        img = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"Expected a readable image, but frame {i} ({self.files[i]}) is corrupt.")
        if img.shape != self.shape:
            raise ValueError(
                f"Expected every image of {self.source} to be {self.shape[1]}x{self.shape[0]}, "
                f"but {self.files[i].name} is {img.shape[1]}x{img.shape[0]}."
            )
        return [(i, img[:, :, ::-1].copy())]

    def jpeg(self, i: int, quality: int = 85) -> bytes:
        f = self.files[self._check_index(i)]
        if f.suffix.lower() in {".jpg", ".jpeg"}:
            return f.read_bytes()
        return super().jpeg(i, quality)

    def _content_hash(self) -> str:
        h = hashlib.sha256()
        for f in self.files:
            h.update(f.name.encode())
            h.update(bytes.fromhex(file_sha256(f)))
        return h.hexdigest()


def _folder_fps(folder: Path, fps: float | None) -> float:
    if fps:
        return float(fps)
    side = folder / SIDECAR
    if side.exists():
        try:
            value = json.loads(side.read_text())["fps"]
            return float(value)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f'Expected {side} to hold {{"fps": <number>}}, but reading it failed: {exc}') from exc
    return DEFAULT_FOLDER_FPS


def _open_folder(folder: Path, fps: float | None) -> FolderClip:
    from PIL import Image

    images = [p for p in folder.iterdir() if is_image(p)]
    if not images:
        raise ValueError(
            f"Expected numbered images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}, but it has none."
        )
    numbered = []
    for p in images:
        number = image_number(p)
        if number is None:
            raise ValueError(f"Expected every image name in {folder} to end in a number, but got {p.name!r}.")
        numbered.append((number, p))
    numbered.sort(key=lambda t: t[0])
    numbers = np.array([n for n, _ in numbered], dtype=np.int64)
    dup = numbers[1:][np.diff(numbers) == 0]
    if dup.size:
        names = [p.name for n, p in numbered if n == dup[0]]
        raise ValueError(f"Expected one image per number in {folder}, but number {dup[0]} has {names}.")
    gaps = np.flatnonzero(np.diff(numbers) != 1)
    if gaps.size:
        a, b = numbers[gaps[0]], numbers[gaps[0] + 1]
        raise ValueError(
            f"Expected consecutive image numbers in {folder}, but {numbered[gaps[0]][1].name} (number {a}) "
            f"is followed by {numbered[gaps[0] + 1][1].name} (number {b}): frames {a + 1}..{b - 1} are missing."
        )
    sizes = {}
    for _, p in numbered:
        try:
            with Image.open(p) as im:
                sizes.setdefault(im.size, p)
        except OSError as exc:
            raise ValueError(f"Expected an image, but {p} could not be read: {exc}") from exc
        if len(sizes) > 1:
            (s0, p0), (s1, p1) = list(sizes.items())[:2]
            raise ValueError(
                f"Expected all images in {folder} to have one size, but {p0.name} is {s0[0]}x{s0[1]} "
                f"and {p1.name} is {s1[0]}x{s1[1]}."
            )
    (w, h) = next(iter(sizes))
    return FolderClip(folder, [p for _, p in numbered], numbers, _folder_fps(folder, fps), (h, w, 3))


def open_clip(
    path: str | Path,
    fps: float | None = None,
    cache: str | Path | None = None,
    *,
    on_progress=None,
    wait: bool = False,
    normalise: bool = True,
) -> Clip:
    """Open a video file or a folder of numbered images, frame-exact, at once.

    A video decord would misread (:meth:`workbench.probe.Probe.reasons`) is normalised in
    the background; the clip reads it exactly meanwhile and switches to the copy when it
    is written (:class:`NormalisingClip`).

    Parameters
    ----------
    path
        A video file, or a folder of images numbered without gaps.
    fps
        Frame rate. Folders: this, else ``clip.json`` beside the images, else 200.
        Videos: the file's own rate unless given (a given rate re-times the frames).
    cache
        Where normalised copies go (default ``<cache>/normalised``, :mod:`workbench.encode`).
    on_progress
        Called with (frames written, frames in all) while a normalised copy is written (from
        the background thread; not called when none is needed).
    wait
        Return only once the normalised copy is read (the old, blocking behaviour).
    normalise
        False: make no copy; read such a file exactly as it stands (for one pass over the
        frames in order, e.g. detection, which needs no fast random access).

    Examples
    --------
    >>> clip = open_clip("data/sample/astronaut_1.mp4")  # doctest: +SKIP
    >>> clip.frame(0).shape  # doctest: +SKIP
    (512, 512, 3)
    """
    src = Path(path)
    if not src.exists():
        raise FileNotFoundError(f"Expected a video file or an image folder, but {src} does not exist.")
    if src.is_dir():
        return _open_folder(src, fps)
    info = probe(src)
    if not info.reasons():
        return VideoClip(src, src, fps)
    root = Path(cache) if cache else None
    index = frame_index(src, info)
    job = normaliser.start(src, info, index, None, root) if normalise else None
    clip = NormalisingClip(src, info, index, job, fps, root)
    if on_progress is not None:
        clip.on_progress(on_progress)
    if wait:
        clip.wait()
    return clip


def write_folder(
    frames: Iterable[np.ndarray],
    folder: str | Path,
    pattern: str = "img{:d}.jpg",
    start: int = 1,
    fps: float | None = None,
    quality: int = 95,
) -> Path:
    """Write frames as numbered images (the CASME II layout), with an fps sidecar if given."""
    import cv2

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for k, img in enumerate(frames):
        cv2.imwrite(
            str(folder / pattern.format(start + k)),
            np.ascontiguousarray(img[:, :, ::-1]),
            [cv2.IMWRITE_JPEG_QUALITY, quality],
        )
    if fps:
        atomic_write_bytes(folder / SIDECAR, json.dumps({"fps": fps}).encode())
    return folder
