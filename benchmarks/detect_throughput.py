"""Throughput of ``workbench detect`` against a bare single-process MediaPipe loop.

On the same clip (the sample's first clip, or ``--clip``):

* bare: the loop a user would write, in this process: read frame i, run one
  FaceLandmarker on it (IMAGE mode), next; nothing kept;
* detect: :func:`workbench.detect.detect` with every core (process pool, chunks),
  a fresh curves cache, from the clip file to saved curves and spotted events.

Prints frames per second of each, their ratio (goal on 2 cores: >= 1.7x), and the
pipeline's own overhead (decode, AU curves, saving) as a share of model time (goal < 10%).

Both are run ``--repeat`` times, alternately, and the fastest run of each counts (other
processes on a shared machine slow single runs at random).

Run: ``.venv/bin/python benchmarks/detect_throughput.py [--frames 1000] [--jobs N] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from itertools import islice
from pathlib import Path


def make_clip(folder: Path, frames: int) -> Path:
    """The first ``frames`` frames of the sample's first script, as an H.264 clip."""
    from workbench.sample import SCRIPTS, render
    from workbench.video import write_video

    path = folder / "bench.mp4"
    script = SCRIPTS["astronaut_1.mp4"]
    write_video(islice(render(script, 200.0), frames), path, 200.0)
    return path


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its reaped children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bare_loop(path: Path) -> tuple[int, float, float]:
    """Frames, wall and CPU seconds of the plain loop a user would write: read a frame,
    run the landmarker on it, next (one process, nothing kept)."""
    import mediapipe as mp

    from workbench import face
    from workbench.video import open_clip

    clip = open_clip(path)
    with face.open_landmarker() as landmarker:
        landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=clip.frame(0)))  # warm up
        clip = open_clip(path)
        start, cpu = time.perf_counter(), cpu_seconds()
        for i in range(clip.n_frames):
            landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=clip.frame(i)))
        return clip.n_frames, time.perf_counter() - start, cpu_seconds() - cpu


def pipeline(path: Path, jobs: int | None) -> tuple[int, float, float, object]:
    """Frames, wall and CPU seconds (workers included) and the report of ``detect``."""
    from workbench import face
    from workbench.detect import detect

    os.environ[face.ENV_MODEL] = str(face.acquire_model())
    with tempfile.TemporaryDirectory() as cache:
        os.environ[face.ENV_CACHE] = cache
        start, cpu = time.perf_counter(), cpu_seconds()
        report = detect([path], jobs=jobs, progress=False, write=False)
        seconds = time.perf_counter() - start
    return report.frames, seconds, cpu_seconds() - cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=None, help="clip to run (default: generated)")
    parser.add_argument("--frames", type=int, default=1000, help="frames of the generated clip")
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: every core)")
    parser.add_argument("--repeat", type=int, default=2, help="alternate runs; the fastest of each counts")
    args = parser.parse_args()
    os.environ.setdefault("GLOG_minloglevel", "2")
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or make_clip(Path(tmp), args.frames)
        bares, pipes = [], []
        for _ in range(args.repeat):  # alternate, so that other load hits both alike
            bares.append(bare_loop(clip))
            pipes.append(pipeline(clip, args.jobs))
    n_bare, t_bare, cpu_bare = min(bares, key=lambda r: r[1])
    n_pipe, t_pipe, cpu_pipe, report = min(pipes, key=lambda r: r[1])
    fps_bare, fps_pipe = n_bare / t_bare, n_pipe / t_pipe
    print(
        "runs (s): bare "
        + ", ".join(f"{r[1]:.1f}" for r in bares)
        + "; detect "
        + ", ".join(f"{r[1]:.1f}" for r in pipes)
    )
    workers = sorted({w for t in report.done for w in t.workers})
    print(f"clip: {clip} ({n_bare} frames); cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.1f}")
    print(f"bare MediaPipe loop, 1 process : {fps_bare:7.1f} frames/s ({t_bare:.1f} s)")
    print(f"workbench detect, {len(workers)} workers  : {fps_pipe:7.1f} frames/s ({t_pipe:.1f} s)")
    print(f"ratio detect / bare            : {fps_pipe / fps_bare:7.2f}x (goal >= 1.7x on 2 cores)")
    model_cpu = sum(t.model_cpu for t in report.done)
    print(
        f"pipeline overhead / model time : {100 * report.overhead:7.1f}% (goal < 10%; CPU time: "
        f"model {model_cpu:.1f} s summed over workers)"
    )
    per_bare, per_pipe = 1000 * cpu_bare / n_bare, 1000 * cpu_pipe / n_pipe
    per_work = 1000 * sum(t.cpu_seconds for t in report.done) / n_pipe
    print(
        f"CPU per frame                  : bare {per_bare:.1f} ms, detect {per_pipe:.1f} ms "
        f"(in the workers' tasks {per_work:.1f} ms; the rest is start-up and the main process)"
    )
    print(
        f"ratio on {len(workers)} idle cores (estimate): {len(workers) * per_bare / per_pipe:7.2f}x "
        "(CPU-time based; the wall-clock ratio above depends on what else runs)"
    )


if __name__ == "__main__":
    main()
