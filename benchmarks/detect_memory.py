"""Peak memory of ``workbench detect`` on long SAMM-sized clips, and how it grows with length.

Camera-style clips (2040x1088, 200 fps, x264's keyframe interval of 250 and B-frames: the
sample's face on a canvas, :mod:`tests.support.camera`) of each ``--frames`` count are run
through the command a user types, ``workbench detect CLIP --project DIR``, in a child
process with a fresh analysis cache; the child's peak resident memory (``ru_maxrss`` from
``wait4``) and its time are printed, with the growth per 1,000 frames between the shortest
and the longest clip and the peak that growth gives for ``--target`` frames (goal: <= 2 GB
at 6,000). ``--bare`` also runs a bare single-process MediaPipe loop over the longest clip in
a child the same way, for the throughput ratio (goal >= 1.7x on 2 cores, end to end).

Run: ``.venv/bin/python benchmarks/detect_memory.py [--frames 300 1200] [--target 6000] [--bare]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.camera import SAMM_SIZE, on_canvas, sample_frames, write_camera_style  # noqa: E402

BARE = """
import sys, mediapipe as mp
from workbench.detect import landmarker
from workbench.video import open_clip
clip = open_clip(sys.argv[1], normalise=False)
with landmarker.open_landmarker() as lm:
    for k, img in enumerate(clip.read_range(0, clip.n_frames)):
        lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=img))
print(clip.n_frames)
"""


def child(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB, CPU seconds) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run_detect(clip: Path, env: dict) -> tuple[float, float, float]:
    """(seconds, peak RSS MB, CPU seconds) of ``workbench detect CLIP`` in a child, with a fresh cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "workbench.cli", "detect", str(clip), "--project", tmp, "--no-progress"]
        return child(cmd, {**env, "WORKBENCH_CACHE": tmp})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[300, 1200], help="clip lengths to run")
    parser.add_argument("--target", type=int, default=6000, help="length to extrapolate the peak to")
    parser.add_argument("--bare", action="store_true", help="also run a bare MediaPipe loop on the longest clip")
    parser.add_argument("--repeat", type=int, default=2, help="bare / detect runs on the longest clip (fastest counts)")
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the generated clips here")
    args = parser.parse_args()
    from workbench.detect import model

    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": repo, model.ENV_MODEL: str(model.acquire_model()), "GLOG_minloglevel": "2"}
    print(f"cores: {len(os.sched_getaffinity(0))}; load: {os.getloadavg()[0]:.1f}")
    print(f"{'frames':>7}{'seconds':>9}{'frames/s':>10}{'CPU ms/frame':>14}{'peak RSS MB':>13}"
          "   (workbench detect, 2040x1088 200 fps)")  # fmt: skip
    rows = []
    for n in sorted(args.frames):
        clip = folder / f"samm_{n}.mp4"
        if not clip.exists():
            write_camera_style(on_canvas(sample_frames(200.0, n), SAMM_SIZE, noise=0), clip, 200.0, preset="superfast")
        seconds, rss, cpu = run_detect(clip, env)
        rows.append((n, seconds, rss, cpu))
        print(f"{n:>7}{seconds:>9.1f}{n / seconds:>10.1f}{1000 * cpu / n:>14.1f}{rss:>13.0f}")
    (n0, _, r0, _), (n1, s1, r1, c1) = rows[0], rows[-1]
    if n1 > n0:
        slope = (r1 - r0) / (n1 - n0) * 1000
        at = r1 + slope * (args.target - n1) / 1000
        print(f"growth: {slope:.1f} MB per 1,000 frames; at {args.target} frames: {at:.0f} MB (goal <= 2048 MB)")
    if args.bare:  # alternate with detect on the longest clip, so that other load hits both alike
        clip, bares, detects = folder / f"samm_{n1}.mp4", [], [(s1, r1, c1)]
        for k in range(args.repeat):
            bares.append(child([sys.executable, "-c", BARE, str(clip)], env))
            if k + 1 < args.repeat:
                detects.append(run_detect(clip, env))
        (bare, rss, cpu), best = min(bares), min(detects)
        runs = f"bare {', '.join(f'{b[0]:.1f}' for b in bares)}; detect {', '.join(f'{d[0]:.1f}' for d in detects)}"
        print(f"runs (s): {runs}")
        print(f"bare MediaPipe loop, {n1} frames: {bare:.1f} s ({n1 / bare:.1f} frames/s), {1000 * cpu / n1:.1f} CPU"
              f" ms/frame, peak RSS {rss:.0f} MB")  # fmt: skip
        print(f"detect / bare: {bare / best[0]:.2f}x end to end (goal >= 1.7x on 2 cores); CPU per frame"
              f" {best[2] / cpu:.2f}x the bare loop's")  # fmt: skip


if __name__ == "__main__":
    main()
