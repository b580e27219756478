"""Clips written the way a camera (or x264 with its defaults) writes them: a keyframe every
250 frames and B-frames, at a dataset's size and rate, showing the sample's face with
scripted expressions (:func:`workbench.sample.render`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from itertools import chain, islice
from pathlib import Path

import av
import numpy as np

#: SAMM's frames: 2040x1088 at 200 fps.
SAMM_SIZE = (2040, 1088)


def on_canvas(frames: Iterable[np.ndarray], size: tuple[int, int], noise: float = 3.0) -> Iterator[np.ndarray]:
    """Each frame scaled to the canvas height and centred on a grey, graded canvas of ``size``
    (width, height), with sensor noise of ``noise`` levels (sd) at the canvas's own pixels
    (eight noise fields in turn, so that 2K frames are quick to make)."""
    import cv2

    w, h = size
    canvas = np.empty((h, w, 3), np.int16)
    canvas[:] = np.linspace(60, 140, w, dtype=np.int16)[None, :, None]
    rng = np.random.default_rng(0)
    fields = [rng.normal(0, noise, (h, w, 1)).round().astype(np.int16) for _ in range(8)]
    side = min(h, w)
    x = (w - side) // 2
    for k, img in enumerate(frames):
        out = canvas.copy()
        out[:side, x : x + side] = cv2.resize(img, (side, side), interpolation=cv2.INTER_LINEAR)
        out += fields[k % len(fields)]
        yield np.clip(out, 0, 255).astype(np.uint8)


def sample_frames(fps: float, n: int, script: list | None = None, duration_s: float | None = None, seed: int = 0):
    """``n`` frames of the sample's face: ``script`` over ``duration_s`` seconds, or the
    sample's first script again and again."""
    from workbench.sample import SCRIPTS, render

    if script is not None:
        return render(script, fps, seed=seed, n_frames=n, duration_s=duration_s or n / fps)
    loops = (render(SCRIPTS["astronaut_1.mp4"], fps, seed=seed) for _ in iter(int, 1))
    return islice(chain.from_iterable(loops), n)


def write_camera_style(
    frames: Iterable[np.ndarray], path: Path, fps: float, crf: int = 23, preset: str = "veryfast"
) -> Path:
    """x264 as a camera writes it: its default keyframe interval (250), three B-frames
    (any preset but ultrafast), 4:2:0; MP4 with the muxer's defaults (an edit list for the
    B-frames' delay)."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        stream = None
        for img in frames:
            if stream is None:
                stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                stream.height, stream.width = img.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": preset}  # keyint 250, bf 3: x264's defaults
            for pkt in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path
