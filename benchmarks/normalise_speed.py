"""Normalisation speed: encoder preset, threads and the decoding path, side by side in one run.

Two camera-style sources (x264's default keyframe interval of 250 frames, B-frames; the
sample's face with scripted expressions, :mod:`tests.support.camera`): SAMM's 2040x1088 at
200 fps and 640x480 at 30 fps. Each is normalised by every choice below, alternately
(``--repeat``; the fastest run of each counts, so that other load hits all alike), and the
script prints frames/s, the ratio to real time (goal: >= 1x on 2 cores) and to the old way,
the copy's size, and a random frame's cost in the copy (decord, what scrubbing pays).

* ``old``: the first normalise: decode to RGB, back to 4:2:0, x264 veryfast, full size;
* ``full <preset> t<threads>``: :func:`workbench.encode.normalise` (decoded 4:2:0 pictures to
  x264 as they are) at the source's size, with that preset and x264 thread count (``auto``:
  x264's choice); ``full ultrafast auto`` is what normalising did before copies were made at
  display size;
* ``copy[<side>] <preset> t<threads>``: the same, scaled to at most
  :data:`workbench.encode.COPY_SIDE` (or ``side``) pixels on the longest side: the copy for
  browsing that the workbench makes now (``copy ultrafast auto``).

'random frame' is what a jump costs the player: a random frame decoded from the copy
(decord) and scaled to 520 pixels wide, as the player shows it. Then whether the source's
own index makes normalising unnecessary: a random frame read exactly from the source
(:class:`workbench.exact.ExactReader`: seek to the keyframe before, decode forward), scaled
the same way.

Run: ``.venv/bin/python benchmarks/normalise_speed.py [--frames-2k 300] [--frames-sd 600] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.camera import SAMM_SIZE, on_canvas, sample_frames, write_camera_style  # noqa: E402

FULL = 1 << 16  # a longest side no source reaches: the copy at the source's size
#: (name, x264 preset, x264 threads, longest side; None: COPY_SIDE)
CHOICES = [
    ("decode only", None, None, FULL),
    ("old", "veryfast", None, FULL),
    ("full superfast auto", "superfast", None, FULL),
    ("full ultrafast auto", "ultrafast", None, FULL),
    ("full ultrafast t1", "ultrafast", 1, FULL),
    ("copy superfast auto", "superfast", None, None),
    ("copy ultrafast auto", "ultrafast", None, None),
    ("copy ultrafast t2", "ultrafast", 2, None),
    ("copy ultrafast t1", "ultrafast", 1, None),
    ("copy720 ultrafast auto", "ultrafast", None, 720),
]
#: The width frames are shown at (the player's canvas, device pixel ratio 1).
SHOWN_WIDTH = 520


def old_normalise(src: Path, dst: Path) -> None:
    """The previous way: every frame to RGB and back (two conversions), x264 veryfast."""
    import av

    from workbench.encode import write_video

    def rgb():
        with av.open(str(src)) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO"
            for f in c.decode(s):
                yield f.to_ndarray(format="rgb24")

    with av.open(str(src)) as c:
        rate = float(c.streams.video[0].average_rate)
    write_video(rgb(), dst, rate, tune="fastdecode")


def cpu_seconds() -> float:
    """CPU time (user + system) of this process, every thread."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def decode_only(src: Path) -> None:
    """The least any re-encoding costs: decoding the source once (threads as normalise uses)."""
    import av

    with av.open(str(src)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass


def run(choice: tuple, src: Path, dst: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one normalisation."""
    from workbench.encode import normalise

    name, preset, threads, side = choice
    dst.unlink(missing_ok=True)
    t, cpu = time.perf_counter(), cpu_seconds()
    if name == "old":
        old_normalise(src, dst)
    elif name == "decode only":
        decode_only(src)
    else:
        normalise(src, dst, preset=preset, threads=threads, side=side)
    return time.perf_counter() - t, cpu_seconds() - cpu


def random_ms(read, n: int, count: int = 20) -> float:
    """Median ms of a random frame."""
    rng = random.Random(2)
    out = []
    for i in [rng.randrange(n) for _ in range(count)]:
        t = time.perf_counter()
        read(i)
        out.append(time.perf_counter() - t)
    return 1000 * float(np.median(out))


def measure(label: str, src: Path, fps: float, n: int, repeat: int, folder: Path) -> None:
    from workbench.clip import fit
    from workbench.encode import COPY_SIDE
    from workbench.exact import ExactReader, even_shape, frame_index
    from workbench.probe import probe
    from workbench.video import VideoClip

    h, w = even_shape(probe(src))
    shown = (SHOWN_WIDTH, round(h * SHOWN_WIDTH / w))

    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        for choice in CHOICES:
            wall, cpu = run(choice, src, folder / f"{choice[0].replace(' ', '_')}.mp4")
            best[choice[0]] = min(best.get(choice[0], (wall, cpu)), (wall, cpu))
    info = probe(src)
    cores = len(os.sched_getaffinity(0))
    print(f"\n{label}: {n} frames at {fps:g} fps, {src.stat().st_size / 1e6:.1f} MB ({'; '.join(info.reasons())})")
    print("  'x real time' is measured (wall clock, under this machine's load); 'CPU ms' per frame over every")
    print(
        f"  thread, and '{cores} idle cores' the rate that CPU time allows on {cores} cores with nothing else running"
    )
    print(f"  copies: 'full' at {w}x{h}, 'copy' at most {COPY_SIDE} pixels on the longest side; 'x full' is the"
          f" speed over 'full ultrafast auto' (normalising before copies at display size); random frame shown"
          f" {shown[0]}x{shown[1]}")  # fmt: skip
    print(f"{'choice':<23}{'frames/s':>9}{'x real time':>12}{'x old':>7}{'x full':>8}{'CPU ms':>8}"
          f"{f'{cores} idle cores':>15}{'copy':>10}{'copy MB':>8}{'random frame':>14}")  # fmt: skip
    for name, (wall, cpu) in best.items():
        copy = folder / f"{name.replace(' ', '_')}.mp4"
        if copy.exists():
            clip = VideoClip(copy, copy)
            ms = f"{random_ms(lambda i, c=clip: fit(c.frame(i), shown), clip.n_frames):>11.1f} ms"
            size = f"{clip.shape[1]:>5}x{clip.shape[0]:<4}{copy.stat().st_size / 1e6:>8.1f}"
        else:
            ms, size = "", f"{'':>18}"
        rate, idle, full = n / wall, n / cpu * cores, best["full ultrafast auto"][0] / wall
        print(f"{name:<23}{rate:>9.1f}{rate / fps:>11.2f}x{best['old'][0] / wall:>6.2f}x"
              f"{full:>7.2f}x{1000 * cpu / n:>8.1f}{idle / fps:>14.2f}x{size}{ms}")  # fmt: skip
    index = frame_index(src, info)
    reader = ExactReader(src, index, even_shape(info))
    ms = random_ms(lambda i: fit(next(reader.read(i, i + 1))[1], shown), index.n_frames)
    print(f"{'source, exact':<23}{'':>58}{'':>18}{ms:>11.1f} ms  (no copy: seek to keyframe, decode on)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames-2k", type=int, default=300, help="frames of the 2040x1088 200 fps source")
    parser.add_argument("--frames-sd", type=int, default=600, help="frames of the 640x480 30 fps source")
    parser.add_argument("--repeat", type=int, default=2, help="alternate runs; the fastest of each counts")
    args = parser.parse_args()
    print(f"cores: {len(os.sched_getaffinity(0))}; load: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, size, fps, n in (
            ("2040x1088 (SAMM)", SAMM_SIZE, 200.0, args.frames_2k),
            ("640x480", (640, 480), 30.0, args.frames_sd),
        ):
            t = time.perf_counter()
            src = write_camera_style(on_canvas(sample_frames(fps, n), size), folder / f"source_{fps:g}.mp4", fps)
            print(f"(wrote the {label} source in {time.perf_counter() - t:.1f} s)")
            measure(label, src, fps, n, args.repeat, folder)


if __name__ == "__main__":
    main()
