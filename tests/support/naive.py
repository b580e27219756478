"""A naive reference for matching: the pairwise loop anyone would write, to check the fast path
against (tests) and to time it beside the fast one (benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def naive_counts(ref: pd.DataFrame, hyp: pd.DataFrame, iou: float = 0.5) -> tuple[int, int, int]:
    """TP, FP, FN by a pairwise Python loop per clip, then one assignment per clip."""
    by_clip: dict[str, tuple[list, list]] = {}
    for c, on, off in zip(ref["clip"], ref["onset"], ref["offset"], strict=True):
        by_clip.setdefault(c, ([], []))[0].append((int(on), int(off)))
    for c, on, off in zip(hyp["clip"], hyp["onset"], hyp["offset"], strict=True):
        by_clip.setdefault(c, ([], []))[1].append((int(on), int(off)))
    tp = 0
    for refs, hyps in by_clip.values():
        if not refs or not hyps:
            continue
        weight = np.zeros((len(refs), len(hyps)))
        big = min(len(refs), len(hyps)) + 1.0
        for a, (r0, r1) in enumerate(refs):
            for b, (h0, h1) in enumerate(hyps):
                inter = min(r1, h1) - max(r0, h0) + 1
                if inter > 0:
                    value = inter / ((r1 - r0 + 1) + (h1 - h0 + 1) - inter)
                    if value >= iou:
                        weight[a, b] = big + value
        rows, cols = linear_sum_assignment(weight, maximize=True)
        tp += int((weight[rows, cols] > 0).sum())
    return tp, len(hyp) - tp, len(ref) - tp
