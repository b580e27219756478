"""AU curves to detector events: onset, apex, offset, FACS code, emotion, kind, confidence.

The spotter works on the bilateral AU curves of :func:`workbench.au.au_curves`
(baseline-normalised, so a neutral face reads near zero):

1. Each curve is smoothed (centred moving average of ``smooth`` frames) and divided by
   its own threshold, ``max(threshold, noise_k * noise)``: 1 means "clearly moving".
2. The activity is the largest of these ratios at each frame. A run of frames where the
   activity reaches 1 is a movement; its profile is the mean ratio of the AUs that
   reach 1 in the run (other AUs' slow drifts do not stretch it).
3. Onset and offset: from the run, walk outwards while the profile stays above
   ``low_fraction`` of its peak (the movement has not yet returned to baseline), then
   on to the nearest local minimum (where it leaves / returns to baseline). Movements
   that overlap or touch (gap up to ``merge_gap`` frames) are one event. Apex: the peak
   of the profile smoothed over a tenth of the event (``apex_smooth_div``).
4. The AUs active at the apex are those whose ratio reaches 1, and ``au_relative`` of
   the strongest AU's, within ``apex_window`` frames of it; an AU whose left and right
   curves differ by more than ``side_ratio`` is written with its side (``R12``). The
   emotion comes from :func:`workbench.emotions.emotion_from_aus` (EMFACS / FACS
   Investigator's Guide prototypes, cited there).
5. Kind: :func:`workbench.schema.kind_from_duration` (micro up to 0.5 s).
   Confidence: ``1 - exp(-(peak - 1))`` for the peak activity in threshold units.

::

    activity  ....:::|||||||:::....      threshold 1 crossed inside |||
                  ^onset  ^apex  ^offset (outward to < low_fraction of peak, then the valley)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.emotions import emotion_from_aus
from workbench.schema import (
    detector_rater,
    empty_events,
    events_from_records,
    make_event,
    validate_events,
)

if TYPE_CHECKING:
    import xarray as xr


@dataclass(frozen=True)
class SpotParams:
    """Parameters of :func:`spot` (all part of the cache key and of the events' provenance).

    Attributes
    ----------
    threshold
        Least AU intensity (baseline-normalised units, ~0..1) that counts as moving.
    noise_k
        The threshold is at least ``noise_k`` times the curve's robust noise.
    smooth
        Width of the centred moving average, frames (1: none).
    low_fraction
        Onset/offset: the activity has fallen below this fraction of the peak.
    min_frames
        Shortest event kept, frames (inclusive).
    max_seconds
        Longest event kept, seconds (longer movements are drift, not expressions).
    merge_gap
        Events closer than this many frames are merged.
    apex_window
        An AU is active when its ratio reaches 1 within this many frames of the apex.
    side_ratio
        An AU is unilateral when its weaker side is below this fraction of the stronger.
    apex_smooth_div
        The apex is the peak of the profile smoothed over (duration / this) frames.
    au_relative
        An active AU also reaches this fraction of the strongest AU's ratio near the
        apex (weak co-activations, often cross-talk, are left out of the code).
    """

    threshold: float = 0.3
    noise_k: float = 5.0
    smooth: int = 3
    low_fraction: float = 0.15
    min_frames: int = 4
    max_seconds: float = 4.0
    merge_gap: int = 2
    apex_window: int = 3
    side_ratio: float = 0.3
    apex_smooth_div: int = 10
    au_relative: float = 0.5

    def as_dict(self) -> dict:
        return asdict(self)


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return values
    frame = pd.DataFrame(values)
    return frame.rolling(width, center=True, min_periods=1).mean().to_numpy()


def thresholds(curves: xr.DataArray, params: SpotParams) -> np.ndarray:
    """Per-AU threshold: ``max(threshold, noise_k * noise)``; noise NaN counts as 0."""
    noise = np.nan_to_num(curves["noise"].values.astype(float), nan=0.0)
    return np.maximum(params.threshold, params.noise_k * noise)


def ratios(curves: xr.DataArray, params: SpotParams) -> xr.DataArray:
    """Smoothed curves divided by their thresholds (1 = clearly moving); NaN as 0."""
    values = _smooth(curves.values.astype(float), params.smooth)
    values = np.nan_to_num(values, nan=0.0) / thresholds(curves, params)
    return curves.copy(data=values)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, stop) positions of the True runs of a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _extend(activity: np.ndarray, start: int, stop: int, low: float) -> tuple[int, int]:
    """Walk outwards while above ``low``, then on down to the nearest local minimum."""
    n = len(activity)
    on, off = start, stop
    while on > 0 and activity[on - 1] > low:
        on -= 1
    while on > 0 and activity[on - 1] < activity[on]:
        on -= 1
    while off < n - 1 and activity[off + 1] > low:
        off += 1
    while off < n - 1 and activity[off + 1] < activity[off]:
        off += 1
    return on, off


def _members(ratio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Columns (AUs) whose ratio reaches 1 between positions start and stop (inclusive)."""
    return np.flatnonzero(ratio[start : stop + 1].max(axis=0) >= 1.0)


def _apex(profile: np.ndarray, on: int, off: int, params: SpotParams) -> int:
    """Peak of the profile in [on, off], smoothed over a tenth of the span against noise."""
    width = max(1, (off - on + 1) // params.apex_smooth_div)
    segment = _smooth(profile[on : off + 1, None], width)[:, 0]
    return on + int(np.argmax(segment))


def movements(ratio: np.ndarray, params: SpotParams) -> list[tuple[int, int, int]]:
    """``(onset, apex, offset)`` positions of the movements in ``(frame, au)`` ratios.

    A movement starts as a run where some AU reaches its threshold; its profile is the
    mean ratio of the AUs that do, and onset / offset follow that profile only (the
    other AUs' slow drifts do not stretch the event).
    """
    activity = ratio.max(axis=1) if ratio.size else np.zeros(0)
    spans = []
    for start, stop in _runs(activity >= 1.0):
        profile = ratio[:, _members(ratio, start, stop)].mean(axis=1)
        peak = float(profile[start : stop + 1].max())
        spans.append(_extend(profile, start, stop, params.low_fraction * peak))
    merged: list[list[int]] = []
    for on, off in sorted(spans):
        if merged and on <= merged[-1][1] + params.merge_gap:
            merged[-1][1] = max(merged[-1][1], off)
        else:
            merged.append([on, off])
    out = []
    for on, off in merged:
        profile = ratio[:, _members(ratio, on, off)].mean(axis=1)
        out.append((on, _apex(profile, on, off, params), off))
    return out


def active_aus(ratio: xr.DataArray, apex: int, params: SpotParams) -> tuple[list[int], dict]:
    """AU numbers active around ``apex`` (position) and the side of unilateral ones."""
    lo, hi = max(0, apex - params.apex_window), apex + params.apex_window + 1
    near = ratio.isel(frame=slice(lo, hi)).max("frame")
    both = near.where(near["side"] == "", drop=True)
    floor = max(1.0, params.au_relative * float(both.max()))
    aus = sorted(int(n) for n, v in zip(both["au_number"].values, both.values, strict=True) if v >= floor)
    sides = {}
    for number in aus:
        left = near.where((near["au_number"] == number) & (near["side"] == "L"), drop=True).values
        right = near.where((near["au_number"] == number) & (near["side"] == "R"), drop=True).values
        if left.size and right.size:
            weak, strong = sorted([max(float(left[0]), 0.0), max(float(right[0]), 0.0)])
            if strong > 0 and weak < params.side_ratio * strong:
                sides[number] = "L" if float(left[0]) > float(right[0]) else "R"
    return aus, sides


def facs_code(aus: list[int], sides: dict) -> str:
    """``"6+R12"`` from AU numbers and their sides."""
    return "+".join(f"{sides.get(a, '')}{a}" for a in aus)


def confidence(peak: float) -> float:
    """Confidence from the peak activity in threshold units: 0 at 1, towards 1 above."""
    return float(1.0 - np.exp(-max(peak - 1.0, 0.0)))


def spot(
    curves: xr.DataArray,
    params: SpotParams | None = None,
    *,
    clip: str | None = None,
    rater: str | None = None,
) -> pd.DataFrame:
    """Detector events from AU curves.

    Parameters
    ----------
    curves
        ``(frame, au)`` from :func:`workbench.au.au_curves` (coords ``au_number``,
        ``side``, ``noise``; attr ``fps``).
    params
        Thresholds and durations (defaults: :class:`SpotParams`).
    clip
        Clip id for the ``clip`` column (default: the curves' ``clip`` attr).
    rater
        ``detector:<name>`` (default: from the curves' ``detector`` attr).

    Returns
    -------
    pandas.DataFrame
        A validated events table, one row per event; empty when nothing moves (or
        when every frame is NaN). ``note`` records the spotting parameters' source.
    """
    params = params or SpotParams()
    rater = rater or detector_rater(str(curves.attrs.get("detector", "unknown")))
    clip = clip if clip is not None else str(curves.attrs.get("clip", ""))
    fps = float(curves.attrs.get("fps", 1.0))
    if curves.sizes["frame"] == 0 or not np.isfinite(curves.values).any():
        return empty_events()
    ratio = ratios(curves, params)
    bilateral = ratio.where(ratio["side"] == "", drop=True)
    activity = bilateral.max("au").values
    frames = curves["frame"].values
    rows = []
    for on, apex, off in movements(bilateral.values, params):
        duration = off - on + 1
        if duration < params.min_frames or duration / fps > params.max_seconds:
            continue
        aus, sides = active_aus(ratio, apex, params)
        on_f, apex_f, off_f = int(frames[on]), int(frames[apex]), int(frames[off])
        rows.append(
            make_event(
                clip=clip,
                rater=rater,
                onset=on_f,
                apex=apex_f,
                offset=off_f,
                emotion=emotion_from_aus(set(aus), sides=sides) if aus else "others",
                aus=facs_code(aus, sides),
                fps=fps,
                confidence=confidence(float(activity[apex])),
                note="",
            )
        )
    if not rows:
        return empty_events()
    return validate_events(events_from_records(rows))
