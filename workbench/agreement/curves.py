"""F1 as a function of the IoU threshold, and of a boundary tolerance in frames."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.agreement.match import assign, match, overlapping_pairs, prepare
from workbench.agreement.metrics import ratio

#: IoU thresholds of the default curve: 0.05, 0.10, ..., 1.00.
THRESHOLDS: tuple[float, ...] = tuple(round(k / 20, 2) for k in range(1, 21))


def _scores(tp: np.ndarray, n_ref: int, n_hyp: int) -> dict[str, np.ndarray]:
    fp, fn = n_hyp - tp, n_ref - tp
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
    }


def f1_by_iou(
    reference: pd.DataFrame, hypothesis: pd.DataFrame, thresholds: Sequence[float] = THRESHOLDS
) -> pd.DataFrame:
    """One-to-one spotting scores at each IoU threshold.

    The overlapping pairs are found once; only the assignment runs per threshold.

    Returns
    -------
    pandas.DataFrame
        Columns iou, tp, fp, fn, precision, recall, f1.
    """
    ref, hyp, _ = prepare(reference, hypothesis)
    i, j, score = overlapping_pairs(ref, hyp)
    tp = []
    for t in thresholds:
        keep = score >= float(t) - 1e-12
        tp.append(len(assign(i[keep], j[keep], score[keep], len(ref), len(hyp))))
    table = _scores(np.asarray(tp, dtype=np.int64), len(ref), len(hyp))
    return pd.DataFrame({"iou": np.asarray(thresholds, dtype=float), **table})


def f1_by_tolerance(
    reference: pd.DataFrame, hypothesis: pd.DataFrame, tolerances: Sequence[int] = tuple(range(11))
) -> pd.DataFrame:
    """One-to-one spotting scores when onsets and offsets may each be off by k frames.

    Returns
    -------
    pandas.DataFrame
        Columns tolerance, tp, fp, fn, precision, recall, f1.
    """
    tp = [match(reference, hypothesis, mode="boundary", tolerance=int(k)).tp for k in tolerances]
    table = _scores(np.asarray(tp, dtype=np.int64), len(reference), len(hypothesis))
    return pd.DataFrame({"tolerance": np.asarray(tolerances, dtype=np.int64), **table})
