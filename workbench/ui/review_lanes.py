"""The timeline bands of a review: each rater's marks in a band of its own, and the bands' names.

The timeline (:class:`workbench.ui.timeline.Timeline`) draws every span full height; a
reference and a hypothesis on the same frames (a label or AU item) would blend into one
colour. These functions move each rater's spans and apex ticks into its band.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

#: Paper-y band of each role on the timeline, so that marks on the same frames stay apart.
LANES = {"ref": (0.68, 1.0), "hyp": (0.34, 0.66), "consensus": (0.0, 0.32)}


def lane_shapes(shapes: Iterable, role: Mapping[str, str], by_colour: Mapping[str, str]) -> list[dict]:
    """The timeline's shapes with each rater's spans and apex ticks moved into its band.

    Parameters
    ----------
    shapes : iterable of plotly shapes
        The figure's ``layout.shapes``.
    role : mapping
        Span name (the rater) -> ``"ref"``, ``"hyp"`` or ``"consensus"``.
    by_colour : mapping
        Line colour of an apex tick -> its role.

    Returns
    -------
    list of dict
        The shapes as plotly JSON; shapes of no role are unchanged.
    """
    out = []
    for shape in shapes:
        s = shape.to_plotly_json()
        lane = role.get(s.get("name")) if s.get("type") == "rect" else None
        if s.get("type") == "line" and s.get("name") is None and s.get("y0") != 0:
            lane = by_colour.get(s.get("line", {}).get("color"))
            if lane:
                s["y0"], s["y1"] = LANES[lane][1] - 0.1, LANES[lane][1]
                lane = None
        if lane:
            s["y0"], s["y1"] = LANES[lane]
        out.append(s)
    return out


def lane_labels(raters: Sequence[tuple[str, str]], colours: Mapping[str, str]) -> list[dict]:
    """Plotly annotations naming each band, top left, in its rater's colour.

    Parameters
    ----------
    raters : sequence of (str, str)
        ``(role, rater)`` of each band.
    colours : mapping
        Rater -> colour.
    """
    return [
        dict(xref="paper", yref="paper", x=0.002, y=LANES[k][1] - 0.01, xanchor="left", yanchor="top",
             text=f"<b>{html.escape(name)}</b>", showarrow=False, font=dict(size=10, color=colours[name]))
        for k, name in raters
    ]  # fmt: skip
