"""The timeline's event spans as a few plotly traces, not a layout shape per event.

Plotly draws every layout shape as a DOM node of its own and lays each out again on every
zoom or pan: 300 events (a span and an apex tick each) made a 50,000-frame timeline take
about 250 ms to redraw. Here one rater's events are three traces, each one SVG path,
whatever the number of events:

* the spans: rectangles joined with gaps, filled (``fill="toself"``, no line);
* the apex ticks: one line that leaves the plot upwards between two ticks (the plot clips
  it), so it needs no gaps, which plotly would draw as a path per tick;
* the hover points: a point per event at its middle, naming it, not drawn (``mode="none"``).

They sit on :data:`AXES`: a y axis over the plot's whole height from 0 to 1, so that a span
spans the plot (or its band, see ``band``) whatever the curves' scale, and an x axis that
matches the curves' (the figure declares both). The range slider draws again, on every zoom
or pan, the traces of the x axis it belongs to: not these (their own x axis costs about 40 %
of a redraw's CPU time with 300 events).

::

    y 1 ┤ │        │     ← ticks, joined above the plot
        ┤░░░░░   ░░░░░   ← spans
    y 0 ┤░░░░░   ░░░░░
         onset    offset + 1
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The axes of the event traces: x as the curves' x, y from 0 (the plot's bottom) to 1 (its top).
AXES = ("x2", "y2")
#: ``meta`` of every event trace (the benchmark and the tests tell them from the curves by it).
META = "events"
#: Height of an apex tick, as a fraction of the plot (at most 0.3 of a band).
TICK = 0.14
#: Where a tick line goes between two ticks: above the plot, out of sight.
OUT = 2.0


def span_xy(onset: np.ndarray, offset: np.ndarray, band: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Rectangles ``[onset, offset + 1)`` by ``band``, joined with NaN gaps (one path filled by plotly).

    Examples
    --------
    >>> x, y = span_xy(np.array([3]), np.array([5]), (0.0, 1.0))
    >>> x.tolist()[:5], y.tolist()[:5]
    ([3.0, 6.0, 6.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    """
    a, b = np.asarray(onset, dtype=float), np.asarray(offset, dtype=float) + 1
    gap = np.full(len(a), np.nan)
    x = np.column_stack([a, b, b, a, a, gap]).ravel()
    y0, y1 = band
    y = np.tile([y0, y0, y1, y1, y0, np.nan], len(a))
    return x, y


def tick_xy(apex: np.ndarray, band: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Apex ticks at the top of ``band``, each over the middle of its frame. In a band at the
    top of the plot, one line that goes up out of the plot between ticks; lower, ticks apart
    (gaps, a path each: only the review's few marks are drawn in lower bands)."""
    x = np.repeat(np.asarray(apex, dtype=float) + 0.5, 3)
    y0, y1 = band
    low = y1 - min(TICK, 0.3 * (y1 - y0))
    if y1 >= 1.0:
        return x, np.tile([OUT, low, OUT], len(apex))
    x[2::3] = np.nan
    return x, np.tile([low, y1, np.nan], len(apex))


def describe(rows: pd.DataFrame, rater: str) -> list[str]:
    """One hover line per event: who, its frames, its apex, emotion and AUs where given."""
    out = []
    for row in rows.itertuples():
        apex = getattr(row, "apex", None)
        parts = [f"{rater}: {int(row.onset)}–{int(row.offset)}"]
        if apex is not None and not pd.isna(apex):
            parts.append(f"apex {int(apex)}")
        for field in ("emotion", "aus"):
            value = getattr(row, field, None)
            if value is not None and not pd.isna(value) and str(value).strip():
                parts.append(f"AU {value}" if field == "aus" else str(value))
        out.append(" · ".join(parts))
    return out


def event_traces(
    rows: pd.DataFrame, name: str, colour: str, opacity: float, band: tuple[float, float] = (0.0, 1.0)
) -> list[dict]:
    """One rater's events as three traces (spans, apex ticks, hover points), plotly JSON.

    ``name`` is the legend entry (one per rater, on the spans; the ticks and hover points are
    in its legend group, so a click on the entry hides all three). None of them catches a
    click: the plot's seek strip does, wherever the click lands.
    """
    onset = rows["onset"].to_numpy(dtype=float)
    offset = rows["offset"].to_numpy(dtype=float)
    apex = pd.to_numeric(rows["apex"], errors="coerce").to_numpy(dtype=float) if "apex" in rows else onset * np.nan
    sx, sy = span_xy(onset, offset, band)
    tx, ty = tick_xy(apex[np.isfinite(apex)], band)
    common = dict(type="scatter", xaxis=AXES[0], yaxis=AXES[1], meta=META, name=name, legendgroup=name)
    return [
        dict(
            common,
            x=sx,
            y=sy,
            mode="none",
            fill="toself",
            fillcolor=colour,
            opacity=opacity,
            hoverinfo="skip",
            showlegend=True,
        ),
        dict(common, x=tx, y=ty, mode="lines", line=dict(width=3, color=colour), hoverinfo="skip", showlegend=False),
        dict(
            common,
            x=(onset + offset + 1) / 2,
            y=np.full(len(onset), (band[0] + band[1]) / 2),
            mode="none",  # nothing drawn; hover finds the points
            hoverlabel=dict(bgcolor=colour),
            text=describe(rows, name),
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        ),
    ]
