"""Matching and scoring at scale: 100,000 events per rater over 1,000 clips.

Prints the time (wall clock, and CPU time of this process, which is what counts
on a machine shared with other jobs) of :func:`workbench.agreement.summary`
(matching + every score of ``workbench agree --json``, after a warm-up call that
pays the imports) and of :func:`workbench.agreement.match` alone,
beside a naive pairwise Python loop (every reference x hypothesis pair of a clip,
IoU in Python, one assignment per clip) on the same data, and the ratio. The
naive loop runs on a subset of clips when the whole would take minutes; the
output then says so and extrapolates linearly in the number of clips.

Run: ``.venv/bin/python benchmarks/agreement_scale.py [--clips 1000] [--events 100000]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.agreement import match, summary
from workbench.schema import EMOTIONS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support.naive import naive_counts  # noqa: E402

AU_CODES = ("6+12", "1+2+5+26", "4+7", "9+10", "12", "R14", "1+2", "4", "L12+25")


def make_rater(rng: np.random.Generator, rater: str, clips: int, events: int, length: int) -> pd.DataFrame:
    """Random events: onsets uniform in each clip, 10 to 60 frames long."""
    clip = np.sort(rng.integers(0, clips, events))
    onset = rng.integers(0, length - 100, events)
    offset = onset + rng.integers(10, 60, events)
    apex = onset + (offset - onset) // 3
    return pd.DataFrame(
        {
            "clip": pd.Series(clip).map("clip{:04d}".format),
            "rater": rater,
            "event_id": [f"{rater}{k:06d}" for k in range(events)],
            "onset": onset,
            "apex": apex,
            "offset": offset,
            "emotion": pd.Categorical(rng.choice(EMOTIONS, events), categories=EMOTIONS),
            "aus": rng.choice(AU_CODES, events),
            "kind": pd.Categorical(np.where(offset - onset < 40, "micro", "macro"), categories=["micro", "macro"]),
        }
    )


def make_data(clips: int, events: int, seed: int = 0, length: int = 20_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a hypothesis: 85 % of the reference jittered, plus 15 % random events."""
    rng = np.random.default_rng(seed)
    ref = make_rater(rng, "truth", clips, events, length)
    keep = rng.random(events) < 0.85
    hyp = ref[keep].copy()
    shift = rng.integers(-4, 5, (len(hyp), 2))
    hyp["onset"] = np.maximum(hyp["onset"] + shift[:, 0], 0)
    hyp["offset"] = np.maximum(hyp["offset"] + shift[:, 1], hyp["onset"])
    hyp["apex"] = np.clip(hyp["apex"] + rng.integers(-2, 3, len(hyp)), hyp["onset"], hyp["offset"])
    flip = rng.random(len(hyp)) < 0.2
    hyp.loc[flip, "emotion"] = rng.choice(EMOTIONS, int(flip.sum()))
    extra = make_rater(rng, "detector:bench", clips, events - len(hyp), length)
    hyp = pd.concat([hyp, extra], ignore_index=True)
    hyp["rater"] = "detector:bench"
    hyp["event_id"] = [f"h{k:06d}" for k in range(len(hyp))]
    return ref, hyp


def timed(func, *args, **kwargs):
    """Result, wall seconds and CPU seconds of one call (CPU time shows the work on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--naive-budget", type=float, default=60.0, help="seconds the naive loop may take")
    args = parser.parse_args(argv)
    ref, hyp = make_data(args.clips, args.events)
    print(
        f"data: {len(ref):,} reference and {len(hyp):,} hypothesis events over {args.clips:,} clips (seed 0); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    summary(ref.head(500), hyp.head(500), fps=200.0)  # warm-up: imports of scikit-learn, krippendorff
    m, wall_match, cpu_match = timed(match, ref, hyp)
    result, wall_summary, cpu_summary = timed(summary, ref, hyp, fps=200.0)
    print(
        f"vectorised match():   wall {wall_match:7.3f} s  cpu {cpu_match:7.3f} s   "
        f"TP {m.tp:,}  FP {m.fp:,}  FN {m.fn:,}"
    )
    print(f"vectorised summary(): wall {wall_summary:7.3f} s  cpu {cpu_summary:7.3f} s   F1 {result['f1']:.4f}")
    clips = sorted(ref["clip"].unique())
    probe = set(clips[: max(1, args.clips // 50)])
    _, wall_probe, _ = timed(naive_counts, ref[ref["clip"].isin(probe)], hyp[hyp["clip"].isin(probe)])
    n_sub = len(probe) if wall_probe * args.clips / len(probe) > args.naive_budget else args.clips
    subset = set(clips[:n_sub])
    counts, wall_naive, cpu_naive = timed(naive_counts, ref[ref["clip"].isin(subset)], hyp[hyp["clip"].isin(subset)])
    if n_sub == args.clips:
        same = "same counts" if counts == (m.tp, m.fp, m.fn) else f"DIFFERENT counts {counts}"
    else:
        scale = args.clips / n_sub
        wall_naive, cpu_naive = wall_naive * scale, cpu_naive * scale
        same = f"extrapolated from {n_sub} of {args.clips} clips"
    print(f"naive Python loop:    wall {wall_naive:7.3f} s  cpu {cpu_naive:7.3f} s   ({same})")
    print(f"ratio naive / match():   wall {wall_naive / wall_match:6.1f}x  cpu {cpu_naive / cpu_match:6.1f}x")
    print(f"ratio naive / summary(): wall {wall_naive / wall_summary:6.1f}x  cpu {cpu_naive / cpu_summary:6.1f}x")


if __name__ == "__main__":
    main()
