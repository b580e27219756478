"""Frame access on a 640x480 30 fps clip: workbench's Clip beside bare decord, in one run.

The source is written the way cameras and x264's defaults write it (a keyframe every 250
frames, B-frames). The baseline is decord reading that file directly; the workbench opens
it with ``open_clip`` (normalised once into the cache: keyframe every 10 frames). Both are
asked for the same random frames, the same +1 steps and the same -1 steps, and the
script prints p50/p95 in ms and the ratio baseline / workbench (higher is better).

Run: ``.venv/bin/python benchmarks/clip_access.py [--seconds 60]``
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import av
import numpy as np


def write_camera_style(path: Path, seconds: float, fps: int = 30) -> Path:
    """A textured, moving 640x480 clip with x264 defaults (GOP 250, B-frames)."""
    from skimage import data

    rng = np.random.default_rng(0)
    base = np.asarray(data.astronaut())
    canvas = np.zeros((480 + 64, 640 + 64, 3), np.uint8)
    canvas[:, :] = np.resize(base, (480 + 64, 640 + 64, 3))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}  # x264 defaults: keyint 250, B-frames
        for k in range(int(seconds * fps)):
            dx, dy = int(32 + 30 * np.sin(k / 40)), int(32 + 30 * np.cos(k / 53))
            img = canvas[dy : dy + 480, dx : dx + 640].astype(np.int16)
            img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path


def timed(fn, indices) -> np.ndarray:
    out = []
    for i in indices:
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--jumps", type=int, default=100)
    args = parser.parse_args()

    import decord

    from workbench.video import open_clip

    with tempfile.TemporaryDirectory() as tmp:
        src = write_camera_style(Path(tmp) / "camera.mp4", args.seconds)
        t = time.perf_counter()
        clip = open_clip(src, cache=Path(tmp) / "cache", wait=True)  # the normalised copy, not the source
        normalise_s = time.perf_counter() - t
        n = clip.n_frames
        rng = random.Random(1)
        jumps = [rng.randrange(n) for _ in range(args.jumps)]
        start = rng.randrange(n // 4, n // 2)
        forward = list(range(start, start + 100))
        backward = list(range(start + 300, start + 200, -1))

        results = {}
        for name, fn_factory in (
            ("decord (source file)", lambda: decord.VideoReader(str(src), ctx=decord.cpu(0), num_threads=1)),
            ("workbench Clip", lambda: open_clip(src, cache=Path(tmp) / "cache", wait=True)),
        ):
            rows = {}
            for label, idx in (("random jump", jumps), ("step +1", forward), ("step -1", backward)):
                reader = fn_factory()  # fresh reader: no cache carried between patterns
                get = (lambda i, r=reader: r[i].asnumpy()) if name.startswith("decord") else reader.frame
                get(idx[0])  # position the reader at the pattern's start
                rows[label] = timed(get, idx[1:])
            results[name] = rows

    print(
        f"clip: {n} frames 640x480 30 fps, normalised once in {normalise_s:.1f} s ({'; '.join(clip.normalise_reasons)})"
    )
    print(f"{'pattern':<14}{'decord p50':>12}{'p95':>9}{'workbench p50':>16}{'p95':>9}{'ratio p95':>11}")
    base, ours = results["decord (source file)"], results["workbench Clip"]
    for label in base:
        b50, b95 = np.percentile(base[label], [50, 95])
        o50, o95 = np.percentile(ours[label], [50, 95])
        print(f"{label:<14}{b50:>10.1f}ms{b95:>7.1f}ms{o50:>14.1f}ms{o95:>7.1f}ms{b95 / o95:>10.1f}x")


if __name__ == "__main__":
    main()
