"""What the spotter does not report: movements that are not expressions, or that nothing confirms.

:func:`workbench.detect.spot.spot` finds movements in the curves and codes them; the rules here
drop those a FACS coder would not code as an expression, each with its reason:

- a blink (AU 45 is neither spotted nor coded; a motion event coded 45 alone, or an eye
  squint that only echoes a blink: :func:`blink_echo`);
- an event coded only with AUs too weak alone (:data:`NOT_ALONE`: lips parted, chin raiser);
- a mouth opening that opens and closes again and again: talking (:func:`speech`);
- a motion event in more than :data:`HEAD_REGIONS` of the regions: the head moving;
- a movement that only falls from the first frame with a face: its onset is not in view
  (:func:`unseen_rise`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.signal import find_peaks

if TYPE_CHECKING:
    import xarray as xr


class SpotParams(Protocol):
    """What these rules read of :class:`workbench.detect.spot.SpotParams` (not imported: the
    spotter imports this module)."""

    apex_window: int
    speech_prominence: float


def window_max(curves: xr.DataArray, lo: int, hi: int) -> np.ndarray:
    """Each channel's largest value over frames ``lo..hi-1`` (positions), NaN skipped."""
    return nanmax(curves.transpose("frame", ...).values[lo:hi], axis=0)


def nanmax(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel NaN throughout stays NaN
        return np.nanmax(values, axis=axis)


#: Blinks (AU 45) are not expressions: the AU 45 curve is neither spotted nor coded (a motion
#: event coded 45 alone, a blink, is not reported).
BLINK = 45
#: AUs too weak to report alone: an event coded with nothing else is not reported (they stay
#: in the code of an event with other AUs).
#:
#: - 25, lips parted: the mouth at rest, breathing and ordinary speech part the lips all the
#:   time; an open-mouthed expression also drops the jaw (26, 27) or moves other AUs. (Real
#:   footage: both events coded 25 alone were a man talking.)
#: - 17, chin raiser: read from one blendshape (``mouthShrugLower``) with no landmark distance
#:   behind it (:data:`workbench.detect.au.AU_TABLE`), and that score also rises when the lips
#:   close after speech, with a hand at the chin and as the head tilts. FACS reads AU 17 from
#:   the chin boss's wrinkling, which the landmarks do not see. (Real footage: all four events
#:   coded 17 alone fell in head movements or crying with a hand over the mouth.)
NOT_ALONE = frozenset({17, 25})
#: The mouth's opening: lips parted, jaw dropped, mouth stretched open.
MOUTH_OPENING = frozenset({25, 26, 27})


def speech(ratio: xr.DataArray, on: int, off: int, params: SpotParams) -> bool:
    """True when both the lips (AU 25) and the jaw (AU 26) open and close more than once
    between positions ``on`` and ``off``: articulation, not an expression.

    Talking opens and closes the mouth again and again; a mouth opening that is an expression
    (a jaw drop, a gasp) opens once, holds and closes. A peak counts when it stands out of the
    event's curve by ``speech_prominence`` of that curve's range (the ripples of a held
    opening are smaller). Both curves must show it: a laugh shakes the jaw, while the lips
    stay open. Only events coded with :data:`MOUTH_OPENING` AUs alone are judged this way;
    speech that comes with other AUs (a smile while talking) is still reported.

    ::

        AU25, AU26  _/^^\\_/^^\\_   speech (both peak twice)
        AU25, AU26  _/^^^^^^\\_    an opening
    """
    side, number = ratio["side"].values, ratio["au_number"].values
    for au in (25, 26):
        column = np.flatnonzero((number == au) & (side == ""))
        if column.size == 0:
            return False
        x = np.nan_to_num(ratio.values[on : off + 1, column[0]].astype(float), nan=0.0)
        span = float(x.max() - x.min())
        if span <= 0:
            return False
        peaks, _ = find_peaks(np.concatenate([[-np.inf], x, [-np.inf]]), prominence=params.speech_prominence * span)
        if len(peaks) < 2:
            return False
    return True


#: AUs that a blink drags along: MediaPipe's eyeSquint blendshapes (AU 7) rise as the lids close.
BLINK_ECHOES = frozenset({7})


def blink_echo(numbers: list[int], au_ratio: xr.DataArray | None, apex: int, params: SpotParams) -> bool:
    """True when an event's AUs are only :data:`BLINK_ECHOES` and the blink (AU 45, both eyes)
    reaches its threshold within ``apex_window`` of the apex: the blink, not an expression."""
    if not numbers or not set(numbers) <= BLINK_ECHOES or au_ratio is None:
        return False
    lo, hi = max(0, apex - params.apex_window), apex + params.apex_window + 1
    blink = (au_ratio["au_number"].values == BLINK) & (au_ratio["side"].values == "")
    return bool(blink.any() and nanmax(window_max(au_ratio, lo, hi)[blink]) >= 1.0)


#: A motion event in more than this fraction of the regions is the head moving, not reported.
HEAD_REGIONS = 2 / 3


def unseen_rise(onset: int, apex: int, params: SpotParams) -> bool:
    """True when a movement (positions within a stretch with a face) starts at the stretch's
    first frame and peaks within ``apex_window`` frames of it: it only falls from there.

    Its onset and apex are not in view (the clip or the face track begins in the middle of it),
    so nothing says it is an expression rather than the landmarker settling on a new face; on
    the real clips both such events were the first, blurred frames of a compressed stream (and
    one a fade-in). A coder codes an event from its onset. An expression already on at the
    first frame that goes on rising (crying at the start of a clip) is kept.
    """
    return onset == 0 and apex <= params.apex_window
