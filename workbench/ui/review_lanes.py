"""The timeline bands of a review: each rater's marks in a band of its own, and the bands' names.

The timeline (:class:`workbench.ui.timeline.Timeline`) draws every span full height; a
reference and a hypothesis on the same frames (a label or AU item) would blend into one
colour. These functions give each rater's spans and apex ticks a band of its own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

#: Paper-y band of each role on the timeline, so that marks on the same frames stay apart.
LANES = {"ref": (0.68, 1.0), "hyp": (0.34, 0.66), "consensus": (0.0, 0.32)}


def lane_bands(role: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """Rater -> its band on the timeline (:meth:`workbench.ui.timeline.Timeline.set_lanes`).

    Parameters
    ----------
    role : mapping
        Rater -> ``"ref"``, ``"hyp"`` or ``"consensus"``.
    """
    return {rater: LANES[lane] for rater, lane in role.items()}


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
