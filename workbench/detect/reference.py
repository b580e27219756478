"""The neutral reference: which frames of a clip show its face at rest.

Curves read "how far from neutral", so they need a neutral face to measure from. Many clips
are mostly expression (a smile held for most of a clip, a video that never returns to rest),
so the reference is never the clip's median. It is one of:

* ``"auto"``: the least active frames, estimated from the blendshapes (see
  :func:`least_active`);
* ``"start"``: the clip starts neutral (as CASME II and SAMM clips do): its first
  :data:`START_SECONDS` (at least :data:`MIN_FRAMES` frames with a face);
* frame ranges marked by a person: ``"0-17,240-260"`` (inclusive, as displayed).

The reference is a parameter of a detector (part of its ``params()`` and so of the cache
key); the frames it used are recorded in the curves' attrs (``reference``,
``reference_frames``) so that the timeline can shade them.

Examples
--------
>>> parse_reference([(40, 50), (0, 17)])
'0-17,40-50'
>>> format_ranges(np.array([0, 1, 2, 5, 6, 9]))
'0-2,5-6,9'
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: "start": the first this many seconds of the clip.
START_SECONDS = 0.2
#: The fewest frames a reference holds (fewer frames with a face: all of them).
MIN_FRAMES = 3
#: "auto": the least active fraction of the frames with a face.
AUTO_FRACTION = 0.1
#: "auto": ... and every frame at most this many times as active as the most active of them.
AUTO_FACTOR = 1.5
#: Blendshapes left out of the activity: gaze, blinks, and those a face at rest reads already.
NOT_EXPRESSION = ("_neutral", "eyeBlink", "eyeLook", "eyeSquint", "mouthPress", "mouthRoll", "mouthShrug", "mouthClose")


def parse_reference(value: str | Iterable[tuple[int, int]] | None) -> str:
    """The canonical text of a reference: ``"auto"``, ``"start"`` or ``"a-b,c-d"``.

    Raises
    ------
    ValueError
        For anything else, saying what was expected.
    """
    if value is None:
        return "auto"
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("auto", "start"):
            return text
        ranges = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            a, _, b = part.partition("-")
            try:
                ranges.append((int(a), int(b or a)))
            except ValueError:
                raise ValueError(
                    f"Expected a reference 'auto', 'start' or frame ranges like '0-17,40-50', but got {value!r}."
                ) from None
    else:
        ranges = [(int(a), int(b)) for a, b in value]
    if not ranges or any(a < 0 or b < a for a, b in ranges):
        raise ValueError(f"Expected frame ranges 'a-b' with 0 <= a <= b, but got {value!r}.")
    return ",".join(f"{a}-{b}" for a, b in sorted(set(ranges)))


def format_ranges(frames: np.ndarray) -> str:
    """``"0-2,5-6,9"`` from sorted frame indices."""
    frames = np.asarray(frames, dtype=int)
    if frames.size == 0:
        return ""
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts = np.concatenate([[frames[0]], frames[breaks + 1]])
    stops = np.concatenate([frames[breaks], [frames[-1]]])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts, stops, strict=True))


def ranges_of(text: str) -> list[tuple[int, int]]:
    """Inclusive ``(start, stop)`` ranges from ``"0-2,5-6,9"`` (the ``reference_frames`` attr)."""
    out = []
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        a, _, b = part.partition("-")
        out.append((int(a), int(b or a)))
    return out


def activity(blendshapes: np.ndarray, names: Iterable[str]) -> np.ndarray:
    """Per-frame expression activity: the sum of the expressive blendshapes above their floor.

    Each blendshape's floor is its 5th percentile in the clip (a face's resting scores are not
    zero). Left out (:data:`NOT_EXPRESSION`): gaze and blinks, and the scores that a closed
    mouth or a relaxed eye already reads at rest (press, roll, shrug, close, squint), which
    would otherwise make an open mouth look "less active" than a face at rest. NaN without
    a face.
    """
    keep = [i for i, n in enumerate(names) if not str(n).startswith(NOT_EXPRESSION)]
    scores = np.asarray(blendshapes, dtype=float)[:, keep]
    if not np.isfinite(scores).any():
        return np.full(len(scores), np.nan)
    floor = np.nanpercentile(scores, 5, axis=0)
    return np.sum(np.clip(scores - floor, 0, None), axis=1)


def least_active(act: np.ndarray, fraction: float = AUTO_FRACTION, factor: float = AUTO_FACTOR) -> np.ndarray:
    """Positions of the least active frames: the ``fraction`` least active (at least
    :data:`MIN_FRAMES`), and every frame within ``factor`` times the most active of those.

    The second rule keeps a clip that is mostly at rest from taking its reference from one
    phase of a slow head sway (which geometry follows a little): all its quiet frames count.
    """
    valid = np.flatnonzero(np.isfinite(act))
    if valid.size == 0:
        return valid
    n = min(valid.size, max(MIN_FRAMES, int(round(fraction * valid.size))))
    order = valid[np.argsort(act[valid], kind="stable")]
    limit = factor * float(act[order[n - 1]])
    return np.union1d(order[:n], valid[act[valid] <= limit])


def reference_positions(
    reference: str, frames: np.ndarray, found: np.ndarray, fps: float, act: np.ndarray
) -> np.ndarray:
    """Positions (indices into ``frames``) of the reference frames that have a face.

    Parameters
    ----------
    reference
        Canonical text from :func:`parse_reference`.
    frames
        The clip's frame indices.
    found
        Whether each frame has a face.
    fps
        Frame rate (for ``"start"``).
    act
        Per-frame activity (for ``"auto"``), NaN without a face.

    Raises
    ------
    ValueError
        When marked ranges hold no frame with a face.
    """
    found = np.asarray(found, bool)
    if reference == "auto":
        return least_active(np.where(found, act, np.nan))
    if reference == "start":
        with_face = np.flatnonzero(found)
        n = max(MIN_FRAMES, int(round(START_SECONDS * fps)))  # the first n frames with a face
        return with_face[:n]
    mask = np.zeros(len(frames), bool)
    for a, b in ranges_of(reference):
        mask |= (frames >= a) & (frames <= b)
    positions = np.flatnonzero(mask & found)
    if positions.size == 0:
        raise ValueError(
            f"Expected neutral reference frames {reference} to hold a face, but none of them does "
            f"(the clip has frames {int(frames[0]) if len(frames) else 0}..{int(frames[-1]) if len(frames) else -1})."
        )
    return positions
