"""Curves for a plot a few hundred pixels wide: every frame where they fit, else the min and the
max of each pixel column, finely over the window shown and coarsely elsewhere.

A 50,000-frame curve drawn as it is costs the browser 50,000 points at every zoom and pan; as
the envelope of :data:`COLUMNS` columns it draws the same picture (each column's line spans what
every frame in it would have drawn) from about 2,000 points.
"""

from __future__ import annotations

import numpy as np

#: Pixel columns of the plot area: a curve is sent as the min and max of each.
COLUMNS = 940


def envelope(y: np.ndarray, lo: int, hi: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``lo..hi-1`` of ``y`` as x (frame + 0.5) and y: every frame when they fit in
    ``2 * columns`` points, else the min and the max of each of ``columns`` equal columns
    (NaN ignored), so that a line through them covers what every frame would have drawn.

    Examples
    --------
    >>> x, v = envelope(np.array([0, 5, 1, 1, 9, 0, 2, 2.0]), 0, 8, 2)
    >>> x.tolist(), v.tolist()
    ([0.5, 0.5, 4.5, 4.5], [0.0, 5.0, 0.0, 9.0])
    """
    lo, hi = max(0, int(lo)), min(len(y), int(hi))
    if hi <= lo:
        return np.empty(0), np.empty(0)
    if hi - lo <= 2 * columns:
        return np.arange(lo, hi) + 0.5, np.asarray(y[lo:hi], dtype=float)
    starts = np.unique(np.linspace(lo, hi, int(columns) + 1).astype(int)[:-1])
    part = np.asarray(y[lo:hi], dtype=float)
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(part, starts - lo)
        high = np.fmax.reduceat(part, starts - lo)
    x = np.repeat(starts + 0.5, 2)
    v = np.empty(2 * len(starts))
    v[0::2], v[1::2] = low, high
    return x, v


def decimate(y: np.ndarray, window: tuple[int, int], columns: int = COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """A curve for a plot showing frames ``window``: fine (``columns`` per window width) over the
    window and one window-width either side, coarse (``columns`` over the whole clip) elsewhere."""
    n = len(y)
    lo, hi = int(window[0]), int(window[1])
    span = max(1, hi - lo)
    flo, fhi = max(0, lo - span), min(n, hi + span)
    parts = [
        envelope(y, 0, flo, max(1, columns * flo // max(n, 1))),
        envelope(y, flo, fhi, max(1, columns * (fhi - flo) // span)),
        envelope(y, fhi, n, max(1, columns * (n - fhi) // max(n, 1))),
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def covers(sent: tuple[int, int], shown: tuple[int, int], columns: int = COLUMNS) -> bool:
    """Whether curves decimated for the window ``sent`` (:func:`decimate`) draw the frames
    ``shown`` as finely as curves decimated for ``shown`` would: ``shown`` lies in the frames
    sent finely (``sent`` and one window-width either side) and is as wide as ``sent`` or at
    most twice as wide, or narrower where every frame was sent.

    Examples
    --------
    >>> covers((20_000, 21_000), (20_600, 21_600)), covers((20_000, 21_000), (21_500, 22_500))
    (True, False)
    >>> covers((20_000, 21_000), (20_400, 20_600)), covers((0, 50_000), (20_000, 21_000))
    (True, False)
    """
    lo, hi = sent
    span = max(1, hi - lo)
    a, b = shown
    if a < lo - span or b > hi + span:
        return False
    return span <= b - a <= 2 * span or (span <= 2 * columns and b - a <= span)
