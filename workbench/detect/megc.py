"""The MEGC spotting rule for long videos: feature difference, contrast, relative threshold.

The training-free baselines of the Micro-Expression Grand Challenges (Moilanen et al.,
2014, the MEGC2019 baseline; MDMD, the MEGC2020 baseline; SOFTNet's post-processing,
Liong et al., 2021) share one recipe, used here on a detector's curves in threshold units
(:func:`workbench.detect.spot.ratios`):

1. Feature difference: ``D_i`` = mean of the largest third of the channels of
   ``|f_i - (f_{i-k} + f_{i+k}) / 2|``: how far frame i is from the frames k before and after.
2. Contrast: ``C_i = D_i - (D_{i-k} + D_{i+k}) / 2``, negative values set to 0.
3. Threshold: ``T = mean(C) + p * (max(C) - mean(C))`` per clip (``megc_p``, 0.55 in SOFTNet).
4. Peaks of C above T, at least k apart; each is refined from the peak outwards to the
   valleys of D (between k/2 and 2k frames on either side). A peak where no channel's
   difference reaches 1 (the threshold) is dropped: the relative rule alone would find
   "the strongest" movement of a still clip.

It runs at two scales, k for micro- and for macro-expressions (k is about half the typical
expression: :func:`published_k`); where a micro and a macro interval overlap by more than
half of the shorter, the one with the stronger peak (C / T) is kept.

Sources: Moilanen, Zhao & Pietikäinen (2014), "Spotting rapid facial movements from
videos using appearance-based feature difference analysis", ICPR; He et al. (2020), MDMD
(MEGC2020 baseline, HeyingGithub/Baseline-project-for-MEGC2020_spotting); Liong et al.
(2021), "Shallow optical flow three-stream CNN for macro- and micro-expression spotting
from long videos", ICIP (genbing99/SoftNet-SpotME: k = half the mean labelled length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.signal import find_peaks

if TYPE_CHECKING:
    import xarray as xr

#: Published k (frames): (fps, micro, macro) of CAS(ME)^2 at 30 fps and SAMM-LV at 200 fps (SOFTNet).
PUBLISHED_K = ((30.0, 6, 18), (200.0, 37, 174))


def published_k(fps: float) -> tuple[int, int]:
    """(micro, macro) k for a frame rate: SOFTNet's values, scaled from the nearer dataset's rate.

    Examples
    --------
    >>> published_k(30.0), published_k(200.0), published_k(25.0)
    ((6, 18), (37, 174), (5, 15))
    """
    rate, micro, macro = PUBLISHED_K[0] if fps < 100 else PUBLISHED_K[1]
    return max(2, round(micro * fps / rate)), max(3, round(macro * fps / rate))


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """``x[i - k]`` with edge values repeated (k may be negative)."""
    idx = np.clip(np.arange(len(x)) - k, 0, len(x) - 1)
    return x[idx]


def _raw(features: np.ndarray, k: int) -> np.ndarray:
    return np.abs(features - (_shift(features, k) + _shift(features, -k)) / 2)


def difference(features: np.ndarray, k: int) -> np.ndarray:
    """``D``: mean of the largest third of ``|f_i - (f_{i-k} + f_{i+k}) / 2|`` over channels."""
    d = _raw(features, k)
    top = max(1, d.shape[1] // 3)
    return np.sort(d, axis=1)[:, -top:].mean(axis=1)


def contrast(d: np.ndarray, k: int) -> np.ndarray:
    """``C_i = D_i - (D_{i-k} + D_{i+k}) / 2``, at least 0."""
    return np.clip(d - (_shift(d, k) + _shift(d, -k)) / 2, 0, None)


def _valley(d: np.ndarray, peak: int, step: int, k: int) -> int:
    lo, hi = 0, len(d) - 1
    i = peak + step * max(1, k // 2)
    i = min(max(i, lo), hi)
    limit = min(max(peak + step * 2 * k, lo), hi)
    while i != limit and d[i + step] < d[i]:
        i += step
    return i


def intervals(features: np.ndarray, k: int, p: float) -> list[tuple[int, int, int, float]]:
    """``(onset, apex, offset, strength)`` at one scale; strength is C / T at the peak."""
    n = len(features)
    if n < 3:
        return []
    d = difference(features, k)
    strongest = _raw(features, k).max(axis=1)
    c = contrast(d, k)
    t = float(c.mean() + p * (c.max() - c.mean()))
    if t <= 0:
        return []
    peaks, _ = find_peaks(np.concatenate([[0.0], c, [0.0]]), height=t, distance=max(1, k))
    out = []
    for peak in peaks - 1:
        if strongest[peak] < 1.0:
            continue
        out.append((_valley(d, peak, -1, k), int(peak), _valley(d, peak, 1, k), float(c[peak] / t)))
    return out


def _overlap(a: tuple, b: tuple) -> float:
    inter = min(a[2], b[2]) - max(a[0], b[0]) + 1
    return inter / min(a[2] - a[0] + 1, b[2] - b[0] + 1) if inter > 0 else 0.0


def movements(
    curves: xr.DataArray, ratio: np.ndarray, valid: np.ndarray, fps: float, params: Any
) -> list[tuple[int, int, int]]:
    """``(onset, apex, offset)`` positions from ``(frame, channel)`` ratios at both scales.

    Each run of frames with data is searched alone (nothing is spotted across a gap).
    ``params`` is a :class:`workbench.detect.spot.SpotParams` (``megc_p``, ``megc_k_*``).
    """
    k_micro, k_macro = published_k(fps)
    scales = (params.megc_k_micro or k_micro, params.megc_k_macro or k_macro)
    found = []
    padded = np.concatenate([[False], valid, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        for k in scales:
            found += [(on + a, apex + a, off + a, s) for on, apex, off, s in intervals(ratio[a:b], k, params.megc_p)]
    kept: list[tuple] = []
    for cand in sorted(found, key=lambda c: -c[3]):
        if all(_overlap(cand, other) <= 0.5 for other in kept):
            kept.append(cand)
    return sorted((on, apex, off) for on, apex, off, _ in kept)
