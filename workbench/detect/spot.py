"""Curves to detector events: onset, apex, offset, FACS code, emotion clues, kind, confidence.

The spotter works on a detector's curves: the bilateral AU curves of
:func:`workbench.detect.au.au_curves` (baseline-normalised against the neutral reference, so a
neutral face reads near zero), or the region curves of a motion detector
(:mod:`workbench.detect.flow`, dims ``(frame, region)``, divided by their ``scale`` attr).

1. Each curve is smoothed (centred moving average of ``smooth`` frames) and divided by
   its own threshold, ``max(threshold, noise_k * noise)``: 1 means "clearly moving".
2. The activity is the largest of these ratios at each frame. A run of frames where the
   activity reaches 1 is a movement; its profile is the mean ratio of the channels that
   reach 1 in the run (other channels' slow drifts do not stretch it), read as 0 below 0
   (under its neutral value a curve is at rest for this movement).
3. Onset and offset: from the run, walk outwards while the profile stays above
   ``low_fraction`` of its peak, then on to the nearest local minimum, but not past the
   first frame back under ``rest_level``. A run whose span rises above the run's own peak
   is the shoulder of a larger movement and is left to that movement's run. Movements that
   overlap or touch (gap up to ``merge_gap`` frames) are one event. There is no longest
   event: a sustained expression is one event from its onset to its offset, and a long
   stretch with several peaks is split at each valley that falls below ``split_fraction``
   of the lower of its two peaks. Frames without a face (NaN) end an event: nothing is
   spotted across a gap. Apex: the peak of the profile smoothed over a tenth of the event.
4. With ``method="megc"`` (long videos), movements come instead from the MEGC feature
   difference (:mod:`workbench.detect.megc`), at a micro and a macro scale.
   Region curves (brief, already averaged) are not smoothed; their onset and offset follow
   the same rule as the AU curves' (the valley walk stops at ``rest_level``: before it, the
   walk ran on through flat noise, and region events stopped at ``low_fraction`` of the peak,
   cutting a 15-frame micro-expression to its middle 5 frames).
5. The AUs active at the apex are those whose ratio reaches 1, and ``au_relative`` of
   the strongest AU's, within ``apex_window`` frames of it; an AU whose left and right
   curves differ by more than ``side_ratio`` is written with its side (``R12``). For region
   curves, the AUs are those of the regions that moved, confirmed by the AU curves at the
   apex when the pipeline passes them (``aus=``). The emotion is a clue
   (:func:`workbench.emotions.score_emotions`, EMFACS prototypes): the best-matching
   emotion with its score (``emotion_score``) and the runner-up (``runner_up``,
   ``runner_up_score``); AUs that match no prototype well enough read ``others``, their
   code kept.
   Not reported (:mod:`workbench.detect.not_reported`, each rule with its reason): a
   movement that only falls from the first frame of a stretch with a face; blinks (AU 45 is
   neither spotted nor coded); a motion event coded 45 alone, in more than ``HEAD_REGIONS``
   of the regions (the head moving), or with no AU confirming it (:func:`region_aus`); an
   event coded only with AUs too weak alone (lips parted, chin raiser); a mouth opening that
   opens and closes again and again (speech).
6. Kind: :func:`workbench.schema.kind_from_duration` (micro up to 0.5 s).
   Confidence: ``1 - exp(-(peak - 1))`` for the peak activity in threshold units.

::

    activity  ....:::|||||||:::....      threshold 1 crossed inside |||
                  ^onset  ^apex  ^offset (outward to < low_fraction of peak, then the valley)

    activity  ..:||||:::|||||:..         one stretch, two peaks, a deep valley
                ^on1   ^off1=valley ^off2   -> split into two events
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

import workbench.detect.megc as megc
from workbench.detect.not_reported import (
    BLINK,
    HEAD_REGIONS,
    MOUTH_OPENING,
    NOT_ALONE,
    blink_echo,
    nanmax,
    speech,
    unseen_rise,
    window_max,
)
from workbench.emotions import MIN_OVERLAP, score_emotions
from workbench.schema import (
    CLUE_COLUMNS,
    detector_rater,
    empty_events,
    events_from_records,
    make_event,
    validate_events,
)

if TYPE_CHECKING:
    import xarray as xr

#: Spotting methods: hysteresis on the activity, or the MEGC feature difference.
METHODS = ("threshold", "megc")
#: Version of the spotting rules, written in each detector event's note. Events are not cached
#: (curves are; spotting runs on every call), so a change of rules cannot serve stale events,
#: but events kept in a project can be told apart by it. 2: rest level, shoulders, NOT_ALONE,
#: speech, unseen rises, unconfirmed motion.
SPOT_VERSION = "2"


@dataclass(frozen=True)
class SpotParams:
    """Parameters of :func:`spot` (all part of the events' provenance; one CLI option each).

    Attributes
    ----------
    threshold
        Least curve value (AU intensity ~0..1, or region motion in its ``scale``) that
        counts as moving.
    noise_k
        The threshold is at least ``noise_k`` times the curve's robust noise.
    rest_k
        ... and at least ``rest_k`` times its spread on the neutral reference frames.
    smooth
        Width of the centred moving average, frames (1: none).
    low_fraction
        Onset/offset: the activity has fallen below this fraction of the peak.
    rest_level
        ... and the walk on down to the valley stops where the activity is back under this
        many thresholds (the face at rest): a long, flat tail of noise is not the expression
        fading.
    min_frames
        Shortest event kept, frames (inclusive).
    merge_gap
        Events closer than this many frames are merged.
    split_fraction
        A stretch is split at a valley below this fraction of the lower of its two
        neighbouring peaks (0: never split).
    speech_prominence
        An event of the mouth's opening alone whose lips and jaw both peak twice, each peak
        standing out by this fraction of the curve's range in the event, is speech
        (:func:`speech`).
    apex_window
        An AU is active when its ratio reaches 1 within this many frames of the apex.
    side_ratio
        An AU is unilateral when its weaker side is below this fraction of the stronger.
    apex_smooth_div
        The apex is the peak of the profile smoothed over (duration / this) frames.
    au_relative
        An active AU also reaches this fraction of the strongest AU's ratio near the
        apex (weak co-activations, often cross-talk, are left out of the code).
    region_au_floor
        A motion event's candidate AU (from the regions that moved) is confirmed when its AU
        curve reaches this many thresholds near the apex. 1: the AU itself reads as moving, the
        spotter's own bar (0.5, half of it, let a hand at the chin or a turning head through,
        read as 9+10 or 4).
    method
        ``"threshold"`` (the steps above) or ``"megc"`` (feature difference, for long
        videos: :mod:`workbench.detect.megc`).
    megc_p
        MEGC threshold: mean + p * (max - mean) of the contrasted difference.
    megc_k_micro, megc_k_macro
        MEGC k (frames) at each scale; 0: the published value for the clip's frame rate
        (:func:`workbench.detect.megc.published_k`).
    """

    threshold: float = 0.3
    noise_k: float = 5.0
    rest_k: float = 3.0
    smooth: int = 3
    low_fraction: float = 0.3
    rest_level: float = 0.5
    min_frames: int = 4
    merge_gap: int = 2
    split_fraction: float = 0.5
    speech_prominence: float = 0.25
    apex_window: int = 3
    side_ratio: float = 0.3
    apex_smooth_div: int = 10
    au_relative: float = 0.5
    region_au_floor: float = 1.0
    method: str = "threshold"
    megc_p: float = 0.55
    megc_k_micro: int = 0
    megc_k_macro: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"Expected a spotting method among {METHODS}, but got method={self.method!r}.")

    def as_dict(self) -> dict:
        return asdict(self)


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return values
    frame = pd.DataFrame(values)
    return frame.rolling(width, center=True, min_periods=1).mean().to_numpy()


def channel_dim(curves: xr.DataArray) -> str:
    """``"au"`` or ``"region"``: the curves' second dim."""
    return str(curves.dims[1])


def _coord(curves: xr.DataArray, name: str) -> np.ndarray:
    if name not in curves.coords:
        return np.zeros(curves.shape[1])
    return np.nan_to_num(curves[name].values.astype(float), nan=0.0)


def thresholds(curves: xr.DataArray, params: SpotParams) -> np.ndarray:
    """Per-channel threshold: ``max(threshold, noise_k * noise, rest_k * rest)`` (over the curves'
    ``spot_unit``, the value read as 1); a missing or NaN noise counts as 0."""
    scale = float(curves.attrs.get("spot_unit", 1.0))
    floor = np.maximum(params.noise_k * _coord(curves, "noise"), params.rest_k * _coord(curves, "rest"))
    return np.maximum(params.threshold, floor / scale)


def ratios(curves: xr.DataArray, params: SpotParams) -> xr.DataArray:
    """Smoothed curves (over their ``spot_unit``) divided by their thresholds (1 = clearly moving); NaN as 0."""
    scale = float(curves.attrs.get("spot_unit", 1.0))
    values = _smooth(curves.values.astype(float) / scale, params.smooth)
    values = np.nan_to_num(values, nan=0.0) / thresholds(curves, params)
    return curves.copy(data=values)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, stop) positions of the True runs of a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _extend(activity: np.ndarray, start: int, stop: int, low: float, rest: float = 0.0) -> tuple[int, int]:
    """Walk outwards while above ``low``, then on down to the nearest local minimum,
    but not past the first frame at or under ``rest`` (the face is back at rest there).

    ::

        activity  _.-'`'-._..___.._     valley walk (rest=0): onset ^ ... offset          ^
                                         with rest: onset ^ ... offset ^   (the flat tail is rest)
    """
    n = len(activity)
    on, off = start, stop
    while on > 0 and activity[on - 1] > low:
        on -= 1
    while on > 0 and activity[on] > rest and activity[on - 1] < activity[on]:
        on -= 1
    while off < n - 1 and activity[off + 1] > low:
        off += 1
    while off < n - 1 and activity[off] > rest and activity[off + 1] < activity[off]:
        off += 1
    return on, off


def _members(ratio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Columns whose ratio reaches 1 between positions start and stop (inclusive)."""
    return np.flatnonzero(ratio[start : stop + 1].max(axis=0) >= 1.0)


def _apex(profile: np.ndarray, on: int, off: int, params: SpotParams) -> int:
    """Peak of the profile in [on, off], smoothed over a tenth of the span against noise."""
    width = max(1, (off - on + 1) // params.apex_smooth_div)
    segment = _smooth(profile[on : off + 1, None], width)[:, 0]
    return on + int(np.argmax(segment))


def split_at_valleys(profile: np.ndarray, on: int, off: int, fraction: float) -> list[tuple[int, int]]:
    """Cut ``[on, off]`` at every valley of ``profile`` below ``fraction`` of its lower neighbouring peak.

    Only peaks that reach 1 (the threshold) count. Each valley frame ends the event before it.

    Examples
    --------
    >>> p = np.array([0, 2, 4, 2, 0.5, 2, 3, 1, 0])
    >>> split_at_valleys(p, 0, 8, 0.5)
    [(0, 4), (5, 8)]
    """
    if fraction <= 0 or off - on < 4:
        return [(on, off)]
    segment = np.asarray(profile[on : off + 1], float)
    peaks, _ = find_peaks(np.concatenate([[-np.inf], segment, [-np.inf]]), height=1.0)
    peaks = peaks - 1
    cuts = []
    kept = [int(peaks[0])] if len(peaks) else []
    for p in peaks[1:]:
        a = kept[-1]
        valley = a + int(np.argmin(segment[a : p + 1]))
        if segment[valley] < fraction * min(segment[a], segment[p]):
            cuts.append(valley)
            kept.append(int(p))
        elif segment[p] > segment[a]:
            kept[-1] = int(p)  # the same movement, a higher peak
    bounds = [on, *(on + c + 1 for c in cuts), off + 1]
    return [(a, b - 1) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _segments(valid: np.ndarray) -> list[tuple[int, int]]:
    """Runs of frames with data: nothing is spotted across a gap."""
    return _runs(valid)


def movements(ratio: np.ndarray, params: SpotParams, valid: np.ndarray | None = None) -> list[tuple[int, int, int]]:
    """``(onset, apex, offset)`` positions of the movements in ``(frame, channel)`` ratios.

    A movement starts as a run where some channel reaches its threshold; its profile is the
    mean ratio of the channels that do, and onset / offset follow that profile only (the
    other channels' slow drifts do not stretch the event). ``valid`` marks frames with data;
    a movement never crosses a frame without. Onset and offset go on from ``low_fraction`` of
    the peak down to the nearest valley (intensities that fade slowly), until back at rest.
    """
    n = len(ratio)
    valid = np.ones(n, bool) if valid is None else valid
    out = []
    for a, b in _segments(valid):
        out += [(on + a, apex + a, off + a) for on, apex, off in _movements(ratio[a : b + 1], params)]
    return out


def _profile(ratio: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Mean ratio of ``columns``, below zero read as zero.

    Under its neutral reference a curve is at rest for the movement it measures (brows
    below their rest are another AU, not a deeper valley of the raise), so onset and
    offset never walk down into the opposite movement: the eyes closing after a surprise
    pulls AU 5 far below zero and used to drag the surprise's offset with it.
    """
    return np.clip(ratio[:, columns].mean(axis=1), 0.0, None)


def shoulder(profile: np.ndarray, on: int, off: int, peak: float) -> bool:
    """True when a run's span ``[on, off]`` rises higher than the run's own ``peak``: the run is
    the shoulder of a larger movement (a curve hovering at its threshold just before the
    expression proper), which that movement's own run spots with its own onset.

    Examples
    --------
    >>> p = np.array([0.0, 1.0, 1.05, 1.0, 2.0, 3.0, 2.0, 0.0])
    >>> shoulder(p, 0, 7, 1.05), shoulder(p, 0, 7, 3.0)
    (True, False)
    """
    return bool(profile[on : off + 1].max() > peak)


def _movements(ratio: np.ndarray, params: SpotParams) -> list[tuple[int, int, int]]:
    activity = ratio.max(axis=1) if ratio.size else np.zeros(0)
    spans = []
    for start, stop in _runs(activity >= 1.0):
        profile = _profile(ratio, _members(ratio, start, stop))
        peak = float(profile[start : stop + 1].max())
        on, off = _extend(profile, start, stop, params.low_fraction * peak, params.rest_level)
        if not shoulder(profile, on, off, peak):
            spans.append((on, off))
    merged: list[list[int]] = []
    for on, off in sorted(spans):
        if merged and on <= merged[-1][1] + params.merge_gap:
            merged[-1][1] = max(merged[-1][1], off)
        else:
            merged.append([on, off])
    out = []
    for on, off in merged:
        profile = _profile(ratio, _members(ratio, on, off))
        for a, b in split_at_valleys(_smooth(profile[:, None], params.smooth)[:, 0], on, off, params.split_fraction):
            part = _profile(ratio, _members(ratio, a, b)) if len(_members(ratio, a, b)) else profile
            apex = _apex(part, a, b, params)
            if not unseen_rise(a, apex, params):
                out.append((a, apex, b))
    return out


def active_aus(ratio: xr.DataArray, apex: int, params: SpotParams) -> tuple[list[int], dict]:
    """AU numbers active around ``apex`` (position) and the side of unilateral ones."""
    lo, hi = max(0, apex - params.apex_window), apex + params.apex_window + 1
    # numpy rather than xarray's where(drop=True): this runs for every event
    near = window_max(ratio, lo, hi)
    side, number = ratio["side"].values, ratio["au_number"].values
    both = (side == "") & (number != BLINK)
    floor = max(1.0, params.au_relative * min(float(nanmax(near[both])), RELATIVE_CAP))
    aus = sorted(int(n) for n, v in zip(number[both], near[both], strict=True) if v >= floor)
    sides = {}
    for au in aus:
        left, right = near[(number == au) & (side == "L")], near[(number == au) & (side == "R")]
        if left.size and right.size:
            weak, strong = sorted([max(float(left[0]), 0.0), max(float(right[0]), 0.0)])
            if strong > 0 and weak < params.side_ratio * strong:
                sides[au] = "L" if float(left[0]) > float(right[0]) else "R"
    return aus, sides


#: The strongest AU's ratio counts up to this for ``au_relative`` (a wide-open mouth reads
#: 15 thresholds and would leave every other AU of a surprise out of the code).
RELATIVE_CAP = 4.0
#: AUs left out of the emotion match (kept in the code): lips parting (25) is in no prototype,
#: and it and the jaw drop (26) come with laughter, speech and most open-mouthed expressions, so
#: they mostly lowered the match (natural footage: right emotion on 64% of matches with them,
#: 71% without; surprise keeps its prototypes without 26).
NOT_EMOTION = frozenset({25, 26})


def region_aus(
    ratio: xr.DataArray, apex: int, params: SpotParams, au_ratio: xr.DataArray | None
) -> tuple[list[int], dict, list[str]]:
    """AUs of a motion event: the candidate AUs of the regions that moved, confirmed by AU curves.

    A region moved when its ratio reaches 1 and ``au_relative`` of the strongest region's
    near the apex. Each moved region names candidate AUs (its ``aus`` coord, ``"1+2"``);
    with AU curves (``au_ratio``, aligned on the same frames), a candidate is kept when its
    bilateral AU ratio reaches ``region_au_floor`` near the apex, and the AUs that are
    active there by the AU rule alone are kept too. Returns AUs, sides, moved regions.

    With AU curves, a motion event that no AU confirms (an empty code) is not reported by
    :func:`spot`: a facial action moves the face's shape, which the blendshapes and landmark
    distances see (``region_au_floor``); residual flow that nothing confirms is, on real
    footage, mostly the head turning, a hand at the face or a change of light, and an event
    without an AU code is nothing a coder could check.
    """
    lo, hi = max(0, apex - params.apex_window), apex + params.apex_window + 1
    near = ratio.isel(frame=slice(lo, hi)).max("frame")
    floor = max(1.0, params.au_relative * float(near.max()))
    moved = [str(r) for r, v in zip(near["region"].values, near.values, strict=True) if v >= floor]
    codes = near["aus"].values if "aus" in near.coords else [""] * len(near)
    candidates = {
        int(a)
        for r, c in zip(near["region"].values, codes, strict=True)
        if str(r) in moved
        for a in str(c).split("+")
        if a
    }
    if au_ratio is None:
        return sorted(candidates), {}, moved
    aus, sides = active_aus(au_ratio, apex, params)
    strength = window_max(au_ratio, lo, hi)
    bilateral = au_ratio["side"].values == ""
    confirmed = {
        int(n) for n, v in zip(au_ratio["au_number"].values[bilateral], strength[bilateral], strict=True)
        if int(n) in candidates and v >= params.region_au_floor
    }  # fmt: skip
    return sorted(set(aus) | confirmed), sides, moved


def facs_code(aus: list[int], sides: dict) -> str:
    """``"6+R12"`` from AU numbers and their sides."""
    return "+".join(f"{sides.get(a, '')}{a}" for a in aus)


def confidence(peak: float) -> float:
    """Confidence from the peak activity in threshold units: 0 at 1, towards 1 above."""
    return float(1.0 - np.exp(-max(peak - 1.0, 0.0)))


def emotion_clues(aus: list[int], sides: dict) -> dict:
    """The emotion named by the AUs, its prototype match, and the runner-up.

    ``emotion`` is the best-matching emotion when its score reaches
    :data:`workbench.emotions.MIN_OVERLAP` and is not tied, else ``others``;
    ``emotion_score`` is the best score either way, ``runner_up`` the next emotion (on a tie,
    the tied emotions, ``"happiness/disgust"``). AUs in
    :data:`NOT_EMOTION` stay in the code but not in the match.

    Examples
    --------
    >>> clue = emotion_clues([1, 2, 5], {})
    >>> clue["emotion"], clue["emotion_score"], clue["runner_up"], clue["runner_up_score"]
    ('surprise', 1.0, 'fear', 0.75)
    """
    matched = set(aus) - NOT_EMOTION
    scores = score_emotions(matched, sides=sides) if matched else {}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, s1), (second, s2) = (ranked + [("others", 0.0)] * 2)[:2]
    tied = [e for e, v in ranked if v == s1 and v > 0]
    if len(tied) > 1:  # the AUs do not decide: others, and the tied emotions as the clue
        second, s2 = "/".join(tied), s1
    named = best if s1 >= MIN_OVERLAP and len(tied) == 1 else "others"
    return {
        "emotion": named,
        "emotion_score": round(float(s1), 3),
        "runner_up": second if s2 > 0 else "",
        "runner_up_score": round(float(s2), 3),
    }


def clue_text(event: Mapping) -> str:
    """A detector event's emotion as an uncertain clue, for people to read.

    Examples
    --------
    >>> clue_text({"emotion": "happiness", "aus": "6+12", "emotion_score": "1.0",
    ...            "runner_up": "contempt", "runner_up_score": 0.33, "confidence": 0.9})
    'happiness? (AUs 6+12 match its prototype 1.00; runner-up contempt 0.33; confidence 0.90)'
    """

    def number(key: str) -> float | None:
        try:
            value = float(event.get(key))  # the store reads extra columns back as text
        except (TypeError, ValueError):
            return None
        return None if np.isnan(value) else value

    score, second, conf = number("emotion_score"), number("runner_up_score"), number("confidence")
    aus = str(event.get("aus") or "") or "none"
    parts = [f"AUs {aus}" + (f" match its prototype {score:.2f}" if score is not None else "")]
    if event.get("runner_up") and second:
        parts.append(f"runner-up {event.get('runner_up')} {second:.2f}")
    if conf is not None:
        parts.append(f"confidence {conf:.2f}")
    return f"{event.get('emotion', 'others')}? ({'; '.join(parts)})"


def _au_ratio_on(aus: xr.DataArray | None, curves: xr.DataArray, params: SpotParams) -> xr.DataArray | None:
    if aus is None or channel_dim(aus) != "au":
        return None
    return ratios(aus.reindex(frame=curves["frame"].values), params)


def spot(
    curves: xr.DataArray,
    params: SpotParams | None = None,
    *,
    clip: str | None = None,
    rater: str | None = None,
    aus: xr.DataArray | None = None,
) -> pd.DataFrame:
    """Detector events from curves.

    Parameters
    ----------
    curves
        ``(frame, au)`` from :func:`workbench.detect.au.au_curves` (coords ``au_number``,
        ``side``, ``noise``; attr ``fps``), or ``(frame, region)`` from a motion detector
        (coords ``noise``, ``aus``; attrs ``fps``, ``scale``).
    params
        Thresholds and durations (defaults: :class:`SpotParams`).
    clip
        Clip id for the ``clip`` column (default: the curves' ``clip`` attr).
    rater
        ``detector:<name>`` (default: from the curves' ``detector`` attr).
    aus
        AU curves of the same clip, to name the AUs of motion events (region curves only).

    Returns
    -------
    pandas.DataFrame
        A validated events table, one row per event, with the extra columns
        :data:`CLUE_COLUMNS` (and ``regions`` for motion events); empty when nothing moves
        (or when every frame is NaN).
    """
    params = params or SpotParams()
    rater = rater or detector_rater(str(curves.attrs.get("detector", "unknown")))
    clip = clip if clip is not None else str(curves.attrs.get("clip", ""))
    fps = float(curves.attrs.get("fps", 1.0))
    if curves.sizes["frame"] == 0 or not np.isfinite(curves.values).any():
        return empty_events(extra=CLUE_COLUMNS)
    region = channel_dim(curves) == "region"
    if region:  # motion scores are brief and already averaged over a region and K frames
        params = replace(params, smooth=1)
    ratio = ratios(curves, params)
    spotted = ratio if region else ratio.where((ratio["side"] == "") & (ratio["au_number"] != BLINK), drop=True)
    valid = np.isfinite(curves.values).any(axis=1)
    activity = spotted.max(spotted.dims[1]).values
    if params.method == "megc":
        found = megc.movements(curves, spotted.values, valid, fps, params)
    else:
        found = movements(spotted.values, params, valid)
    au_ratio = _au_ratio_on(aus, curves, params) if region else None
    frames = curves["frame"].values
    rows = []
    for on, apex, off in found:
        if off - on + 1 < params.min_frames:
            continue
        extra = {}
        if region:
            numbers, sides, moved = region_aus(ratio, apex, params, au_ratio)
            if len(moved) > HEAD_REGIONS * ratio.sizes["region"]:
                continue  # the whole face moved: the head, not an expression
            if au_ratio is not None and not numbers:
                continue  # motion no AU confirms: the head, a hand, the light (see region_aus)
            extra["regions"] = "+".join(moved)
        else:
            numbers, sides = active_aus(ratio, apex, params)
        if numbers == [BLINK] or blink_echo(numbers, au_ratio if region else ratio, apex, params):
            continue  # a blink is not an expression
        if numbers and set(numbers) <= NOT_ALONE:
            continue  # too weak alone: speech, a closed mouth, the head (see NOT_ALONE)
        if not region and set(numbers) <= MOUTH_OPENING and speech(ratio, on, off, params):
            continue  # the mouth opens and closes again and again: talking
        clues = emotion_clues(numbers, sides)
        rows.append(
            make_event(
                clip=clip,
                rater=rater,
                onset=int(frames[on]),
                apex=int(frames[apex]),
                offset=int(frames[off]),
                aus=facs_code(numbers, sides),
                fps=fps,
                confidence=confidence(float(activity[apex])),
                note="",
                **clues,
                **extra,
            )
        )
    if not rows:
        return empty_events(extra=CLUE_COLUMNS)
    return validate_events(events_from_records(rows))
