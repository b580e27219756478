"""The timeline: AU curves against frames, everyone's events as spans, a cursor; click to seek.

A plotly ``FigureWidget``. Events are shaded spans (``x0 = onset``, ``x1 = offset + 1``,
so a span covers its frames inclusively) with an apex tick at the top; people and
detectors have distinct colours and the current rater's own spans are drawn last (in
front). The cursor is one line shape moved inside ``batch_update``. A transparent strip
of one point per frame catches clicks anywhere along the axis.

::

    AU12 ▁▁▁▂▅█▅▂▁▁▁▁▁      cursor │
    own  ░░░░░░░               (blue)
    det      ▒▒▒▒▒▒            (orange)
         0    ▲apex      n-1   frame
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W
import numpy as np
import pandas as pd

from workbench.detect.reference import ranges_of
from workbench.detect.spot import clue_text
from workbench.schema import frame_to_ms, is_detector

OWN = "#2563eb"
REFERENCE = "#9aa5b1"
DRAFT = "#f59e0b"
DETECTORS = ("#ea580c", "#dc2626", "#c2410c")
PEOPLE = ("#059669", "#7c3aed", "#0d9488", "#be185d", "#4d7c0f", "#6b7280")
CURVES = ("#1f2933", "#0891b2", "#9333ea", "#16a34a", "#e11d48", "#ca8a04", "#475569", "#0e7490")
MAX_DEFAULT_AUS = 4


def rater_colours(raters: list[str], me: str) -> dict[str, str]:
    """A colour per rater: the current rater blue, detectors orange/red, other people greens/purples."""
    out, people, dets = {}, 0, 0
    for r in sorted(set(raters)):
        if r == me:
            out[r] = OWN
        elif is_detector(r):
            out[r] = DETECTORS[dets % len(DETECTORS)]
            dets += 1
        else:
            out[r] = PEOPLE[people % len(PEOPLE)]
            people += 1
    return out


def default_aus(curves, events: pd.DataFrame | None = None, k: int = MAX_DEFAULT_AUS) -> list[str]:
    """The AUs (or regions) to show first: those named in the events' codes, else the most variable ones."""
    names = [str(a) for a in curves[curves.dims[1]].values]
    picked: list[str] = []
    if events is not None and not events.empty:
        try:
            from workbench.facs import au_numbers

            for code in events["aus"]:
                for num in sorted(au_numbers(code)) if str(code).strip() else []:
                    name = f"AU{num}"
                    if name in names and name not in picked:
                        picked.append(name)
        except (ImportError, ValueError):
            picked = []
    if not picked:
        spread = np.nan_to_num(np.nanstd(np.asarray(curves.values, dtype=float), axis=0), nan=0.0)
        picked = [names[i] for i in np.argsort(-spread)[:k]]
    return picked[:k]


def clues_html(events: pd.DataFrame, limit: int = 12) -> str:
    """Detector events as uncertain clues: frames, the emotion with its prototype match, the
    runner-up and the confidence (:func:`workbench.detect.spot.clue_text`)."""
    if events.empty:
        return ""
    det = events[events["rater"].astype(str).map(is_detector)].sort_values("onset")
    if det.empty:
        return ""
    rows = [
        f"<li>{html.escape(str(e['rater']))} {int(e['onset'])}–{int(e['offset'])}: {html.escape(clue_text(e))}</li>"
        for _, e in det.head(limit).iterrows()
    ]
    more = f"<li>… and {len(det) - limit} more</li>" if len(det) > limit else ""
    return (
        "<div style='color:#52606d;font-size:12px'>Detector clues (a guess from AU codes, not a verdict):"
        f"<ul style='margin:2px 0'>{''.join(rows)}{more}</ul></div>"
    )


class Timeline(W.VBox):
    """AU curves and event spans of one clip, with a cursor and click-to-seek.

    Parameters
    ----------
    height : int
        Plot height in pixels.
    width : int
        Plot width in pixels (about the player and the labeller side by side).
    guard : callable, optional
        Wraps the widget's own observers and click handler so that their errors are
        shown (see :meth:`workbench.ui.errors.ErrorArea.guard`).
    browser_cursor : bool
        The cursor is drawn over the plot by a :class:`workbench.ui.player.Player` in the
        same container (class ``wb-linked``), in the browser, in the same display frame
        as the video frame. The figure then has no cursor shape and :meth:`set_cursor`
        only records the frame: no plotly relayout (a few milliseconds of the page's main
        thread, every 80 ms while scrubbing) competes with the player's keys.

    Examples
    --------
    >>> tl = Timeline()
    >>> tl.set_clip(n_frames=100, fps=30.0)
    >>> tl.set_cursor(12)
    >>> tl.cursor
    12
    """

    def __init__(
        self,
        *,
        height: int = 280,
        width: int = 1000,
        guard: Callable[[Callable], Callable] | None = None,
        browser_cursor: bool = False,
    ) -> None:
        import plotly.graph_objects as go

        self.figure = go.FigureWidget()
        self.figure.update_layout(
            height=height,
            width=width,
            margin=dict(l=50, r=10, t=28, b=36),
            hovermode="x",
            dragmode="zoom",
            template="none",  # a small layout: plotly diffs it after every cursor move
            plot_bgcolor="white",
            font=dict(family="system-ui, sans-serif", size=12, color="#1f2933"),
            legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=11)),
            xaxis=dict(
                title=dict(text="frame", standoff=4),
                showgrid=True,
                gridcolor="#eef2f7",
                zeroline=False,
                showspikes=False,
            ),
            yaxis=dict(
                title=dict(text="AU intensity", standoff=4), gridcolor="#eef2f7", zeroline=False, fixedrange=True
            ),
        )
        self.au_picker = W.SelectMultiple(description="AU curves", rows=4, layout=W.Layout(width="230px"))
        self.blind = W.Checkbox(False, description="blind: hide others' marks", indent=False)
        self.info = W.HTML()
        self.clues = W.HTML()
        super().__init__(
            [
                W.HBox(
                    [self.au_picker, W.VBox([self.blind, self.info])],
                    layout=W.Layout(align_items="flex-start", grid_gap="16px"),
                ),
                self.figure,
                self.clues,
            ]
        )
        self.add_class("wb-timeline")
        self.browser_cursor = bool(browser_cursor)
        self.cursor = 0
        self.n_frames = 0
        self.fps = 1.0
        self.curves = None
        self.events = pd.DataFrame()
        self.me = ""
        self.draft: dict = {}
        self._seek: list[Callable[[int], None]] = []
        self._building = False
        self._guard = guard or (lambda f: f)
        self.au_picker.observe(self._guard(self._on_pick), "value")
        self.blind.observe(self._guard(lambda _: self._draw_events()), "value")

    # -- public -------------------------------------------------------------
    def on_seek(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(frame)`` when the user clicks the plot."""
        self._seek.append(callback)

    def set_clip(self, n_frames: int, fps: float, curves=None, aus: list[str] | None = None) -> None:
        """Show a clip's curves (``xr.DataArray (frame, au)`` or ``(frame, region)``, or None:
        events only). The frames of their neutral reference (attr ``reference_frames``) are
        shaded grey along the bottom."""
        self.n_frames, self.fps, self.curves = int(n_frames), float(fps), curves
        self._building = True
        try:
            names = [] if curves is None else [str(a) for a in curves[curves.dims[1]].values]
            self.au_picker.options = names
            self.au_picker.value = tuple(aus or (default_aus(curves, self.events) if names else []))
            self.au_picker.disabled = not names
        finally:
            self._building = False
        self.info.value = (
            f"<span style='color:#52606d'>{self.n_frames} frames · {self.fps:g} fps · "
            f"{1000 / self.fps:.2f} ms per frame</span>"
            if curves is not None
            else "<span style='color:#b45309'>No AU curves for this clip: events only "
            "(run the detector to add curves).</span>"
        )
        self._redraw()

    def set_events(self, events: pd.DataFrame, me: str) -> None:
        """Draw every rater's events of this clip (``me``: the current rater, drawn in front);
        list the detectors' events below the plot as clues, not conclusions."""
        self.events, self.me = events.reset_index(drop=True), str(me)
        self._draw_events()
        self.clues.value = clues_html(self.events)

    def set_draft(self, draft: dict) -> None:
        """Outline the event being built (onset / apex / offset, any may be None)."""
        self.draft = dict(draft)
        self._draw_events()

    def set_cursor(self, frame: int) -> None:
        """Move the cursor line (one relayout message; none with ``browser_cursor``)."""
        frame = int(frame)
        if frame == self.cursor:
            return
        self.cursor = frame
        if self.browser_cursor:
            return
        shapes = self.figure.layout.shapes
        if shapes and shapes[-1].name == "cursor":
            with self.figure.batch_update():
                shapes[-1].update(x0=frame + 0.5, x1=frame + 0.5)

    # -- drawing ------------------------------------------------------------
    def _on_pick(self, _change) -> None:
        if not self._building:
            self._redraw()

    def _redraw(self) -> None:
        import plotly.graph_objects as go

        n = max(self.n_frames, 1)
        frames = np.arange(n)
        ms = frame_to_ms(frames, self.fps)
        traces = []
        curves_max = 1.0
        dim = str(self.curves.dims[1]) if self.curves is not None else "au"
        if self.curves is not None:
            for k, au in enumerate(self.au_picker.value):
                y = np.asarray(self.curves.sel({dim: au}).values, dtype=float)
                x = np.asarray(self.curves["frame"].values, dtype=int) + 0.5
                curves_max = max(curves_max, float(np.nanmax(y)) if np.isfinite(y).any() else 1.0)
                traces.append(
                    go.Scatter(
                        x=x,
                        y=y,
                        mode="lines",
                        name=au,
                        line=dict(width=1.6, color=CURVES[k % len(CURVES)]),
                        hovertemplate=f"{au} %{{y:.2f}}<extra></extra>",
                    )
                )
        strip = go.Scatter(
            x=frames + 0.5,
            y=np.zeros(n),
            mode="lines",  # one SVG path, not a node per frame
            name="seek",
            showlegend=False,
            line=dict(width=1, color="rgba(0,0,0,0)"),
            customdata=ms,
            hovertemplate="frame %{x:.0f} · %{customdata:.1f} ms<extra></extra>",
        )
        with self.figure.batch_update():
            self.figure.data = ()
            self.figure.add_traces([*traces, strip])
            self.figure.layout.xaxis.range = [0, n]
            top = curves_max * 1.08 if traces else 1.0
            self.figure.layout.yaxis.range = [-0.05 * top, top]
            self.figure.layout.yaxis.showticklabels = bool(traces)
            self.figure.layout.yaxis.title.text = ("AU intensity" if dim == "au" else "region motion") if traces else ""
        self.figure.data[-1].on_click(self._guard(self._on_click))
        self._draw_events()

    def _span(self, x0, x1, colour, *, opacity, name=None, dash=None, legend=False):
        return dict(
            type="rect",
            xref="x",
            yref="paper",
            x0=x0,
            x1=x1,
            y0=0,
            y1=1,
            fillcolor=colour if dash is None else "rgba(0,0,0,0)",
            opacity=opacity,
            line=dict(width=2 if dash else 0, color=colour, dash=dash),
            layer="below",
            name=name,
            showlegend=legend,
            legendgroup=name,
        )

    def _tick(self, x, colour):
        return dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0.86, y1=1.0, line=dict(width=3, color=colour))

    def _reference_spans(self) -> list[dict]:
        """Grey strips along the bottom over the curves' neutral reference frames."""
        text = str(self.curves.attrs.get("reference_frames", "")) if self.curves is not None else ""
        name = f"neutral reference ({self.curves.attrs.get('reference', '')})" if text else ""
        spans = []
        for k, (a, b) in enumerate(ranges_of(text)):
            span = self._span(a, b + 1, REFERENCE, opacity=0.55, name=name, legend=k == 0)
            spans.append({**span, "y1": 0.05})
        return spans

    def _draw_events(self) -> None:
        shapes = self._reference_spans()
        ev = self.events
        if not ev.empty:
            raters = [str(r) for r in ev["rater"]]
            colours = rater_colours(raters, self.me)
            order = sorted(set(raters), key=lambda r: (r == self.me, r))
            for r in order:
                if self.blind.value and r != self.me:
                    continue
                rows = ev[ev["rater"].astype(str) == r]
                own = r == self.me
                for k, row in enumerate(rows.itertuples()):
                    label = f"{r} (you)" if own else r
                    shapes.append(
                        self._span(
                            int(row.onset),
                            int(row.offset) + 1,
                            colours[r],
                            opacity=0.28 if own else 0.18,
                            name=label,
                            legend=k == 0,
                        )
                    )
                    if not pd.isna(row.apex):
                        shapes.append(self._tick(int(row.apex) + 0.5, colours[r]))
        d = self.draft
        if d.get("onset") is not None or d.get("offset") is not None:
            a = d.get("onset") if d.get("onset") is not None else d.get("offset")
            b = d.get("offset") if d.get("offset") is not None else a
            shapes.append(self._span(int(a), int(b) + 1, DRAFT, opacity=1.0, name="draft", dash="dash", legend=True))
        if d.get("apex") is not None:
            shapes.append(self._tick(int(d["apex"]) + 0.5, DRAFT))
        if not self.browser_cursor:
            shapes.append(
                dict(
                    type="line",
                    xref="x",
                    yref="paper",
                    x0=self.cursor + 0.5,
                    x1=self.cursor + 0.5,
                    y0=0,
                    y1=1,
                    name="cursor",
                    line=dict(width=2, color="#111827"),
                )
            )
        with self.figure.batch_update():
            self.figure.layout.shapes = shapes

    def _on_click(self, _trace, points, _state) -> None:
        if not points.xs:
            return
        frame = int(np.floor(points.xs[0]))
        for cb in list(self._seek):
            cb(frame)
