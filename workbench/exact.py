"""Frames of a video file as it stands, exactly, with PyAV: what a clip shows while its
normalised copy is being made, and the frame order :func:`workbench.encode.normalise` writes.

One demux pass (no decoding) gives a :class:`FrameIndex`: the presentation time of every
shown frame (packets an edit list hides are left out), the keyframes, and for a
variable-rate file which source frame each constant-rate slot shows. Frame ``k`` of a clip
is source frame ``index.slots[k]``, the same rule the normalised copy is written by, so a
frame read here and the same frame read from the copy are the same picture (up to the
copy's compression).

:class:`ExactReader` seeks to the keyframe before a frame and decodes forward. It checks
where each seek lands (the first packet must be a keyframe at or before the target; some
containers land after it) and places every decoded frame by its timestamp. A file without
timestamps on every packet is read from its start instead (exact, slow).

::

    packets (decode order)  K  P  B  B  P  B  B  K ...
    shown (display order)   0  1  2  3  4  5  6  7 ...      frame(5): seek to K@0, decode 0..5
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from workbench.probe import Probe


@dataclass(frozen=True)
class FrameIndex:
    """Where each frame of a video file is, from its packets alone.

    Attributes
    ----------
    pts
        Presentation timestamps (stream time base) of the shown source frames, ascending;
        None when some packet has none (the file is then read in decoding order).
    keys
        Timestamps of the keyframes (hidden ones too: a trimmed file decodes from them).
    slots
        Source frame (position in ``pts``) shown by each output frame.
    fps
        Frames per second of the output frames.
    time_base
        The stream's time base.
    """

    pts: np.ndarray | None
    keys: np.ndarray
    slots: np.ndarray
    fps: float
    time_base: Fraction

    @property
    def n_frames(self) -> int:
        return len(self.slots)


def output_rate(info: Probe, fps: float | None = None) -> float:
    """The constant rate a file is shown (and normalised) at.

    A variable-rate file is resampled at its base rate (the rate that represents all its
    timestamps exactly, e.g. 30 for frames lasting 1/30 or 2/30 s), so no frame is lost.
    The rate is one the MP4 muxer can write exactly (a fraction over at most 1001).
    """
    natural = info.base_fps if info.variable_rate and 0 < info.base_fps <= 1000 else info.fps
    return float(Fraction(float(fps or natural or 30.0)).limit_denominator(1001))


def constant_rate_slots(times: np.ndarray, fps: float) -> np.ndarray:
    """Which source frame each constant-rate output frame shows.

    A source frame takes the output slot nearest its start time (ffmpeg's ``fps`` filter
    rounds the same way), so timestamps stored in coarser units (67 ms for 2/30 s) still
    land on the right frame; frames are repeated or dropped to fill the slots. The last
    source frame is shown once (its duration is not known from timestamps).

    Parameters
    ----------
    times
        Start times (s) of the source frames, ascending, the first at 0.
    fps
        Output rate.
    """
    times = np.asarray(times, dtype=float)
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    last = float(times[-1])
    k = max(0, math.floor(last * fps - 0.5) + 1)  # the first slot after every source frame started
    while (k + 0.5) / fps <= last:
        k += 1
    while k > 0 and (k - 0.5) / fps > last:
        k -= 1
    ends = (np.arange(k + 1) + 0.5) / fps
    return np.maximum(np.searchsorted(times, ends, side="left") - 1, 0).astype(np.int64)


def frame_index(path: str | Path, info: Probe, fps: float | None = None) -> FrameIndex:
    """Demux ``path`` once (no decoding) and say where each shown frame is.

    Raises
    ------
    ValueError
        When the file cannot be demuxed (naming it).
    """
    import av

    pts: list[int | None] = []
    keys: list[int] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base or Fraction(1, 90000)
            for pkt in container.demux(stream):
                if pkt.size == 0:
                    continue
                if pkt.is_keyframe and pkt.pts is not None:
                    keys.append(int(pkt.pts))
                if not pkt.is_discard:  # an edit list hides it
                    pts.append(None if pkt.pts is None else int(pkt.pts))
    except av.error.FFmpegError as exc:
        raise ValueError(f"Expected a readable video, but {path} is corrupt after packet {len(pts)}: {exc}") from exc
    rate = output_rate(info, fps)
    if not pts or any(p is None for p in pts) or len(set(pts)) != len(pts):
        return FrameIndex(None, np.zeros(0, np.int64), np.arange(len(pts), dtype=np.int64), rate, time_base)
    shown = np.sort(np.array(pts, dtype=np.int64))
    if info.variable_rate:
        slots = constant_rate_slots((shown - shown[0]) * float(time_base), rate)
    else:
        slots = np.arange(len(shown), dtype=np.int64)
    return FrameIndex(shown, np.unique(np.array(keys, dtype=np.int64)), slots, rate, time_base)


def to_rgb(frame: Any, shape: tuple[int, int]) -> np.ndarray:
    """A decoded frame as RGB uint8, cut to ``shape`` (even sizes, as H.264 4:2:0 needs)."""
    h, w = shape
    return np.ascontiguousarray(frame.to_ndarray(format="rgb24")[:h, :w])


def even_shape(info: Probe) -> tuple[int, int]:
    """(height, width) of the clip: the file's size cut to even numbers."""
    return info.height - info.height % 2, info.width - info.width % 2


class ExactReader:
    """Exact frames of one video file by seeking to keyframes and decoding forward (PyAV).

    Not thread-safe: one reader per thread (a clip guards its own with a lock).

    Parameters
    ----------
    path
        The video file.
    index
        Its :func:`frame_index`.
    shape
        ``(height, width)`` of the frames given back (the file's, cut to even sizes).
    """

    def __init__(self, path: str | Path, index: FrameIndex, shape: tuple[int, int]):
        self.path = Path(path)
        self.index = index
        self.shape = shape
        self._container: Any = None
        self._packets: Iterator | None = None
        self._pending: list[tuple[int, Any]] = []  # decoded, not yet handed out
        self._last = -1  # the last source frame decoded (position in index.pts), -1: none
        self._decoded = 0  # frames decoded since the start (files without timestamps)
        self._flushed = False

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container, self._packets, self._pending, self._last = None, None, [], -1

    def read(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        """(frame, RGB) for frames ``start..stop-1`` in order.

        Raises
        ------
        ValueError
            Naming the file and the frame that could not be decoded.
        """
        slots = self.index.slots
        first = int(slots[start])
        if self._container is None or not (self._key_position(first) <= self._last < first):
            self._seek(first)  # continuing would decode at least as much
        current: tuple[int, np.ndarray] | None = None
        for k in range(start, stop):
            want = int(slots[k])
            while current is None or current[0] < want:
                pos, frame = self._next(k)
                if pos > want:
                    raise ValueError(f"Expected frame {k} of {self.path}, but decoding went past it.")
                current = (pos, to_rgb(frame, self.shape)) if pos == want else None
            yield k, current[1]

    # ------------------------------------------------------------------ decoding

    def _key_position(self, first: int) -> int:
        """Position in ``index.pts`` of the keyframe before source frame ``first`` (0: the start)."""
        if self.index.pts is None:
            return 0
        target = self.index.pts[first]
        at = np.searchsorted(self.index.keys, target, side="right") - 1
        return int(np.searchsorted(self.index.pts, self.index.keys[at])) if at >= 0 else 0

    def _from_start(self) -> None:
        import av

        self.close()
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as exc:
            raise ValueError(f"Expected a readable video, but {self.path} could not be opened: {exc}") from exc
        stream = self._container.streams.video[0]
        stream.codec_context.thread_count = 1  # stay on the caller's core
        self._packets = self._container.demux(stream)
        self._decoded, self._flushed = 0, False

    def _seek(self, first: int) -> None:
        """Position the decoder on a keyframe at or before source frame ``first``."""
        pts = self.index.pts
        if self._container is None or pts is None or first == 0:
            self._from_start()
            if pts is None or first == 0:
                return
        stream = self._container.streams.video[0]
        target = int(pts[first])
        for key in self.index.keys[self.index.keys <= target][::-1][:4]:  # some seeks land late: try earlier
            self._container.seek(int(key), stream=stream, backward=True)
            stream.codec_context.flush_buffers()
            self._pending, self._last, self._flushed = [], -1, False
            packets = self._container.demux(stream)
            head = next((p for p in packets if p.size), None)
            if head is not None and head.is_keyframe and head.pts is not None and head.pts <= target:
                self._packets = _chain_one(head, packets)
                return
        self._from_start()  # always exact

    def _next(self, k: int) -> tuple[int, Any]:
        """The next decoded frame in display order, with its position in ``index.pts``
        (-1: a frame the file does not show, e.g. a leading frame after a seek)."""
        import av

        while not self._pending:
            if self._flushed:
                raise ValueError(f"Expected frame {k} of {self.path}, but the file ends before it.")
            pkt = next(self._packets, None)
            try:
                if pkt is None:
                    self._flushed = True
                    frames = self._container.streams.video[0].codec_context.decode(None)
                else:
                    frames = pkt.decode()
            except av.error.FFmpegError as exc:
                raise ValueError(f"Expected a decodable frame, but frame {k} of {self.path} is corrupt: {exc}") from exc
            for f in frames:
                self._pending.append((self._position(f), f))
        pos, frame = self._pending.pop(0)
        if pos >= 0:
            self._last = pos
        return pos, frame

    def _position(self, frame: Any) -> int:
        if self.index.pts is None:  # read from the start: decoding order is display order
            self._decoded += 1
            return self._decoded - 1
        if frame.pts is None:
            raise ValueError(f"Expected timestamps on every frame of {self.path}, but one has none.")
        pos = int(np.searchsorted(self.index.pts, frame.pts))
        if pos >= len(self.index.pts) or self.index.pts[pos] != frame.pts:
            return -1
        return pos


def _chain_one(head: Any, rest: Iterator) -> Iterator:
    yield head
    yield from rest
