"""What a video file holds, read by demuxing only (PyAV, no decoding): frame rate, frame
count, keyframe gaps, edit lists, open GOPs, B-frames out of order in MPEG-TS/PS.

:func:`probe` returns a :class:`Probe` whose :meth:`Probe.reasons` say why decord would
misplace frames or seek slowly in the file, so that :func:`workbench.video.open_clip`
normalises it (:mod:`workbench.encode`).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: A source whose keyframes lie further apart than this is normalised.
MAX_KEYFRAME_GAP = 20


@dataclass(frozen=True)
class Probe:
    """What PyAV sees in a video file without decoding it."""

    n_packets: int
    declared_frames: int
    fps: float
    width: int
    height: int
    codec: str
    base_fps: float
    edit_list: bool
    variable_rate: bool
    max_keyframe_gap: int
    open_gop: bool = False  # frames decoded after a keyframe but shown before it
    transport_b_frames: bool = False  # frames out of display order in an MPEG-TS/PS stream

    def reasons(self) -> list[str]:
        """Why decord would misplace frames or seek slowly (empty: the file is clean)."""
        out = []
        if self.edit_list:
            out.append("an edit list")
        if self.variable_rate:
            out.append("a variable frame rate")
        if self.max_keyframe_gap > MAX_KEYFRAME_GAP:
            out.append(f"keyframes up to {self.max_keyframe_gap} frames apart (> {MAX_KEYFRAME_GAP})")
        if self.declared_frames and self.declared_frames != self.n_packets:
            out.append(f"a header of {self.declared_frames} frames for {self.n_packets} packets")
        if self.open_gop:  # decord's seeks land frames early (found 7 of 25 random reads wrong)
            out.append("open groups of pictures (frames shown before their keyframe)")
        if self.transport_b_frames:  # decord misplaces nearly every frame of such a stream
            out.append("B-frames in an MPEG transport or program stream")
        return out


def _mp4_edit_lists(path: Path) -> list[list[tuple[int, int]]]:
    """(segment_duration, media_time) entries of every ``elst`` box in an MP4/MOV file."""
    found: list[list[tuple[int, int]]] = []
    containers = {b"moov", b"trak", b"edts", b"mdia", b"minf", b"stbl"}

    def walk(f, end: int) -> None:
        while f.tell() + 8 <= end:
            start = f.tell()
            head = f.read(8)
            if len(head) < 8:
                return
            size, kind = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = end - start
            if size < 8 or start + size > end:
                return
            if kind in containers:
                walk(f, start + size)
            elif kind == b"elst":
                version = f.read(1)[0]
                f.read(3)
                (count,) = struct.unpack(">I", f.read(4))
                fmt, width = (">QqHH", 20) if version == 1 else (">IiHH", 12)
                entries = [struct.unpack(fmt, f.read(width))[:2] for _ in range(min(count, 64))]
                found.append(entries)
            f.seek(start + size)

    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        total = f.tell()
        f.seek(0)
        walk(f, total)
    return found


def _has_edit_list(path: Path) -> bool:
    if path.suffix.lower() not in {".mp4", ".m4v", ".mov"}:
        return False
    for entries in _mp4_edit_lists(path):
        if len(entries) > 1 or any(media_time != 0 for _, media_time in entries):
            return True
    return False


def probe(path: str | Path) -> Probe:
    """Inspect a video file by demuxing its packets (fast: nothing is decoded).

    Raises
    ------
    ValueError
        When the file is no video, has no video stream, or is truncated or corrupt.
    """
    import av

    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"Expected a video file, but {path} could not be opened: {exc}") from exc
    with container:
        if not container.streams.video:
            raise ValueError(f"Expected a video stream, but {path} has none.")
        stream = container.streams.video[0]
        if stream.codec_context.width <= 0 or stream.codec_context.height <= 0:
            raise ValueError(f"Expected a video of known size, but {path} has no valid frame size.")
        pts, keys = [], []
        try:
            for pkt in container.demux(stream):
                if pkt.size == 0 and pkt.pts is None:
                    continue
                pts.append(pkt.pts if pkt.pts is not None else pkt.dts)
                keys.append(bool(pkt.is_keyframe))
        except av.error.FFmpegError as exc:
            raise ValueError(
                f"Expected a readable video, but {path} is corrupt after packet {len(pts)}: {exc}"
            ) from exc
        if not pts:
            raise ValueError(f"Expected video frames, but {path} holds none (truncated or empty).")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        ts = np.sort(np.array([p for p in pts if p is not None], dtype=np.int64))
        deltas = np.diff(ts)
        variable = bool(deltas.size and (deltas.max() - deltas.min()) > max(1, 0.02 * np.median(deltas)))
        order = np.array([-1 if p is None else p for p in pts], dtype=np.int64)
        reordered = bool(order.size > 1 and np.any(np.diff(order) < 0))
        open_gop, key_pts = False, None
        for p, k in zip(order.tolist(), keys, strict=True):
            if k:
                key_pts = p
            elif key_pts is not None and 0 <= p < key_pts:
                open_gop = True
                break
        key_at = np.flatnonzero(np.array(keys)).tolist() + [len(keys)]
        gap = max(b - a for a, b in zip([0, *key_at[:-1]], key_at, strict=True)) if key_at else len(keys)
        return Probe(
            n_packets=len(pts),
            declared_frames=int(stream.frames or 0),
            fps=fps,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            base_fps=float(stream.base_rate) if stream.base_rate else fps,
            edit_list=_has_edit_list(path),
            variable_rate=variable,
            max_keyframe_gap=int(gap),
            open_gop=open_gop,
            transport_b_frames=reordered and container.format.name in {"mpegts", "mpeg", "mpegvideo"},
        )
