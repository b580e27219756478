"""Events drawn as ASCII timelines, one character per frame (for tests, docs, teaching).

::

    frame   0         1         2
            012345678901234567890123
    ref     [==^=]    [=====]  #
    hyp      [==^=]        [==]

``[`` is an onset, ``]`` an offset, ``=`` a frame inside, ``^`` the apex (drawn
inside the event; an apex on an end frame cannot be drawn), ``#`` a one-frame
event. Spaces and ``.`` are frames without an event. Both ends are included, so
``[==]`` covers 4 frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workbench.schema import coerce_events, events_from_records, make_event


def _spans(drawing: str) -> list[tuple[int, int, int | None]]:
    """(onset, offset, apex) of each event drawn, left to right."""
    spans, start, apex = [], None, None
    for frame, char in enumerate(drawing):
        if char == "#" and start is None:
            spans.append((frame, frame, None))
        elif char == "[" and start is None:
            start, apex = frame, None
        elif char in "=^" and start is not None:
            apex = frame if char == "^" else apex
        elif char == "]" and start is not None:
            spans.append((start, frame, apex))
            start = None
        elif char not in " .":
            raise ValueError(
                f"Expected one of '[', '=', '^', ']', '#', ' ', '.' in place, but got {char!r} "
                f"at frame {frame} of {drawing!r}."
            )
    if start is not None:
        raise ValueError(f"Expected ']' to close the event opened at frame {start} of {drawing!r}.")
    return spans


def events_from_ascii(
    drawing: str,
    rater: str = "a",
    clip: str = "clip",
    emotions: Sequence[str] | None = None,
    aus: Sequence[str] | None = None,
    **extra: Sequence,
) -> pd.DataFrame:
    """An events table from a one-line drawing.

    Parameters
    ----------
    drawing : str
        One character per frame (see the module's docstring).
    rater, clip : str
        Written in every row; event ids are ``<rater>-<clip>-<k>``.
    emotions, aus : sequence of str, optional
        One per event, left to right.
    **extra
        Further columns, one value per event (e.g. ``fps=[200, 200]``).

    Examples
    --------
    >>> t = events_from_ascii("  [=^]  #", rater="ann")
    >>> t[["onset", "apex", "offset"]].values.tolist()
    [[2, 4, 5], [8, <NA>, 8]]
    """
    spans = _spans(drawing)
    rows = []
    for k, (onset, offset, apex) in enumerate(spans):
        rows.append(
            make_event(
                clip,
                rater,
                onset,
                offset,
                apex=apex,
                emotion=emotions[k] if emotions else "others",
                aus=aus[k] if aus else "",
                event_id=f"{rater}-{clip}-{k}",
            )
        )
    if not rows:
        return events_from_records([make_event(clip, rater, 0, 0)]).iloc[:0]
    table = events_from_records(rows)
    for name, values in extra.items():
        table[name] = list(values)
    return table if not extra else coerce_events(table)
