"""The timeline: AU curves against frames, everyone's events as spans, a cursor; click to seek.

A plotly ``FigureWidget``. Events are shaded spans (``x0 = onset``, ``x1 = offset + 1``,
so a span covers its frames inclusively) with an apex tick at the top; people and
detectors have distinct colours and the current rater's own spans are drawn last (in
front). A rater's spans, ticks and hover points are three traces, whatever the number of
events (:mod:`workbench.ui.timeline_events`): plotly lays out a layout shape per event
again on every zoom. The neutral reference, the draft and the cursor are shapes (a few).
The cursor is one line shape moved inside ``batch_update``. A strip (not drawn)
of one point per frame catches clicks anywhere along the axis.

::

    AU12 ▁▁▁▂▅█▅▂▁▁▁▁▁      cursor │
    own  ░░░░░░░               (blue)
    det      ▒▒▒▒▒▒            (orange)
         0    ▲apex      n-1   frame

Long clips (tens of thousands of frames) stay responsive: each curve is sent as its min and
max per pixel column (:mod:`workbench.ui.decimation`), finely over the window shown and its neighbours,
coarsely elsewhere (:func:`decimate`), and sent again for the new window after a zoom or a
pan. A clip longer than :data:`LONG` frames gets a range slider (a minimap of the whole
clip); *window* zooms to a span around the cursor and follows it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as W
import numpy as np
import pandas as pd

import workbench.ui.timeline_events as timeline_events
from workbench.detect.imported import normalise
from workbench.detect.reference import ranges_of
from workbench.detect.spot import clue_text
from workbench.facs import au_numbers
from workbench.schema import frame_to_ms, is_detector
from workbench.ui.decimation import covers, decimate

OWN = "#2563eb"
REFERENCE = "#9aa5b1"
DRAFT = "#f59e0b"
DETECTORS = ("#ea580c", "#dc2626", "#c2410c")
PEOPLE = ("#059669", "#7c3aed", "#0d9488", "#be185d", "#4d7c0f", "#6b7280")
CURVES = ("#1f2933", "#0891b2", "#9333ea", "#16a34a", "#e11d48", "#ca8a04", "#475569", "#0e7490")
MAX_DEFAULT_AUS = 4
#: Clips longer than this (frames) get a range slider under the plot.
LONG = 3000
#: Spans offered by *window* (seconds either side of the cursor; 0: the whole clip).
WINDOWS = (("whole clip", 0.0), ("±10 s", 10.0), ("±2 s", 2.0), ("±0.5 s", 0.5))


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
        thread, every 80 ms while scrubbing) competes with the player's keys. A click on the
        plot seeks that player in the browser, and :meth:`on_seek` callbacks are not called.

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
        from workbench.ui.figure import Figure

        self.figure = Figure()
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
            # the events' axes: x2 follows x (and keeps them out of the range slider), y2 is 0..1
            xaxis2=dict(matches="x", overlaying="x", visible=False),
            yaxis2=dict(overlaying="y", anchor="x2", range=[0, 1], fixedrange=True, visible=False),
        )
        self.au_picker = W.SelectMultiple(description="AU curves", rows=4, layout=W.Layout(width="230px"))
        self.detector_pick = W.Dropdown(
            description="curves of", options=[], layout=W.Layout(width="230px", display="none")
        )
        self.blind = W.Checkbox(False, description="blind: hide others' marks", indent=False)
        self.window_pick = W.Dropdown(
            description="window",
            options=list(WINDOWS),
            value=0.0,
            layout=W.Layout(width="200px"),
            style={"description_width": "50px"},
            tooltip="zoom to a span around the cursor (it follows the cursor); the range slider shows the whole clip",
        )
        self.info = W.HTML()
        self.clues = W.HTML()
        super().__init__(
            [
                W.HBox(
                    [W.VBox([self.au_picker, self.detector_pick]), W.VBox([self.blind, self.window_pick, self.info])],
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
        self.curve_sets: dict = {}
        self.events = pd.DataFrame()
        self.me = ""
        self.draft: dict = {}
        #: Rater -> (bottom, top) of the band its events are drawn in, 0..1 of the plot's height
        #: (a review keeps each rater apart); the whole height for a rater not listed.
        self.lanes: dict[str, tuple[float, float]] = {}
        #: Frames ``[lo, hi)`` the plot shows (the browser's zoom and pan set it).
        self.window = (0, 1)
        #: The window the curves were last decimated for (see :func:`covers`).
        self._sent = (0, 1)
        self.pending = False
        self._seek: list[Callable[[int], None]] = []
        self._building = False
        self._guard = guard or (lambda f: f)
        self.au_picker.observe(self._guard(self._on_pick), "value")
        self.detector_pick.observe(self._guard(self._on_detector), "value")
        self.blind.observe(self._guard(lambda _: self._draw_events()), "value")
        self.window_pick.observe(self._guard(lambda _: self._follow(force=True)), "value")
        self.figure.layout.on_change(self._guard(self._on_range), "xaxis.range")

    # -- public -------------------------------------------------------------
    def on_seek(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(frame)`` when the user clicks the plot."""
        self._seek.append(callback)

    def set_lanes(self, lanes: Mapping[str, tuple[float, float]]) -> None:
        """Draw each listed rater's events in its band (bottom, top; 0..1 of the plot's height)."""
        lanes = {str(r): (float(a), float(b)) for r, (a, b) in lanes.items()}
        if lanes != self.lanes:
            self.lanes = lanes
            self._draw_events()

    def set_clip(
        self,
        n_frames: int,
        fps: float,
        curves=None,
        aus: list[str] | None = None,
        *,
        pending: bool = False,
        keep_range: bool = False,
    ) -> None:
        """Show a clip's curves: ``xr.DataArray (frame, au)`` or ``(frame, region)``, or detector
        name -> curves (the *curves of* picker chooses; the last choice is kept from clip to clip),
        or None: events only. The frames of their neutral reference (attr ``reference_frames``)
        are shaded grey along the bottom.

        Curves that declare a scale (imported from another detector) are shown on 0..1
        (:func:`workbench.detect.imported.normalise`). ``pending``: the curves are being
        computed (said so instead of "no curves"). ``keep_range``: the same clip, so the
        zoom stays.
        """
        same = keep_range and int(n_frames) == self.n_frames
        self.n_frames, self.fps, self.pending = int(n_frames), float(fps), bool(pending)
        if not same:
            self.window = (0, max(self.n_frames, 1))
        if curves is not None and not isinstance(curves, Mapping):
            curves = {str(curves.attrs.get("detector", "curves")): curves}
        self.curve_sets = {name: normalise(c) for name, c in (curves or {}).items() if c is not None}
        chosen = self.detector_pick.value if self.detector_pick.value in self.curve_sets else None
        self._building = True
        try:
            self.detector_pick.options = list(self.curve_sets)
            self.detector_pick.value = chosen or next(iter(self.curve_sets), None)
            self.detector_pick.layout.display = "" if len(self.curve_sets) > 1 else "none"
        finally:
            self._building = False
        self._show_curves(aus)

    def _show_curves(self, aus: list[str] | None = None, keep: bool = False) -> None:
        """Fill the AU picker from the chosen detector's curves (``keep``: the AUs picked before,
        where that detector has them; else ``aus`` or the defaults)."""
        curves = self.curve_sets.get(self.detector_pick.value)
        have = set() if curves is None else {str(a) for a in curves[curves.dims[1]].values}
        kept = [a for a in self.au_picker.value if a in have] if keep else []
        self.curves = curves
        self._building = True
        try:
            names = [] if curves is None else [str(a) for a in curves[curves.dims[1]].values]
            self.au_picker.options = names
            self.au_picker.value = tuple(aus or kept or (default_aus(curves, self.events) if names else []))
            self.au_picker.disabled = not names
        finally:
            self._building = False
        self.info.value = (
            f"<span style='color:#52606d'>{self.n_frames} frames · {self.fps:g} fps · "
            f"{1000 / self.fps:.2f} ms per frame</span>"
            if self.curves is not None
            else "<span class='wb-curves-pending' style='color:#b45309'>AU curves: being computed…</span>"
            if self.pending
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
        self._draw_shapes()

    def set_cursor(self, frame: int) -> None:
        """Move the cursor line (one relayout message; none with ``browser_cursor``)."""
        frame = int(frame)
        if frame == self.cursor:
            return
        self.cursor = frame
        self._follow()
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

    def _on_detector(self, _change) -> None:
        if not self._building:
            self._show_curves(keep=True)
            self._redraw()

    def _curve(self, au: str) -> np.ndarray:
        """One AU's values on every frame of the clip (NaN where the curves have no frame)."""
        y = np.full(max(self.n_frames, 1), np.nan)
        frames = np.asarray(self.curves["frame"].values, dtype=int)
        keep = (frames >= 0) & (frames < len(y))
        dim = str(self.curves.dims[1])
        y[frames[keep]] = np.asarray(self.curves.sel({dim: au}).values, dtype=float)[keep]
        return y

    def _strip(self) -> tuple[np.ndarray, np.ndarray]:
        """The seek strip's points (x, ms): every frame in and near the window, a column elsewhere."""
        x = np.unique(decimate(np.zeros(max(self.n_frames, 1)), self.window)[0])
        return x, frame_to_ms(np.floor(x).astype(int), self.fps)

    def _redraw(self) -> None:
        """Send every trace again: the curves first, then the events, the seek strip last."""
        import plotly.graph_objects as go

        n = max(self.n_frames, 1)
        traces = []
        curves_max = 1.0
        dim = str(self.curves.dims[1]) if self.curves is not None else "au"
        if self.curves is not None:
            for k, au in enumerate(self.au_picker.value):
                y = self._curve(au)
                x, v = decimate(y, self.window)
                curves_max = max(curves_max, float(np.nanmax(y)) if np.isfinite(y).any() else 1.0)
                traces.append(
                    go.Scatter(
                        x=x,
                        y=v,
                        mode="lines",
                        name=au,
                        line=dict(width=1.6, color=CURVES[k % len(CURVES)]),
                        hovertemplate=f"{au} %{{y:.2f}}<extra></extra>",
                    )
                )
        sx, ms = self._strip()
        strip = go.Scatter(
            x=sx,
            y=np.zeros(len(sx)),
            mode="none",  # nothing drawn (in the plot or the range slider); hover and clicks find its points
            name="seek",
            showlegend=False,
            customdata=ms,
            hovertemplate="frame %{x:.0f} · %{customdata:.1f} ms<extra></extra>",
        )
        self._building = True
        try:
            with self.figure.batch_update():
                self.figure.data = ()
                self.figure.add_traces([*traces, *self._event_traces(), strip])
                self._sent = self.window
                self.figure.layout.xaxis.range = list(self.window)
                self.figure.layout.xaxis.rangeslider = dict(visible=n > LONG, thickness=0.1, range=[0, n])
                top = curves_max * 1.08 if traces else 1.0
                self.figure.layout.yaxis.range = [-0.05 * top, top]
                self.figure.layout.yaxis.showticklabels = bool(traces)
                label = "AU intensity" if dim == "au" else "region motion"
                self.figure.layout.yaxis.title.text = label if traces else ""
        finally:
            self._building = False
        if not self.browser_cursor:  # a linked player seeks on the click itself
            self.figure.data[-1].on_click(self._guard(self._on_click))
        self._draw_shapes()

    # -- zoom, pan, the window around the cursor ----------------------------
    def _on_range(self, _layout, rng) -> None:
        """The browser zoomed or panned: send the curves again, fine over the new window, unless
        those sent already are (a pan of a window-width or less; the range slider relayouts on
        every move of a drag, and each set of curves sent costs the page a full redraw)."""
        if self._building or rng is None or len(rng) != 2 or rng[0] is None:
            return
        lo, hi = int(np.floor(float(rng[0]))), int(np.ceil(float(rng[1])))
        if (lo, hi) == self.window:
            return
        if covers(self._sent, (lo, hi)):  # a pan into the frames sent finely: nothing to send
            self.window = (lo, hi)
        else:
            self.set_window(lo, hi, relayout=False)

    def set_window(self, lo: int, hi: int, *, relayout: bool = True) -> None:
        """Show frames ``[lo, hi)``: the curves are decimated for it (and the x axis set, with ``relayout``)."""
        n = max(self.n_frames, 1)
        lo, hi = max(0, int(lo)), min(n, int(hi))
        if hi <= lo:
            lo, hi = 0, n
        self.window = self._sent = (lo, hi)
        curves = self.curves is not None
        self._building = True
        try:
            with self.figure.batch_update():
                if relayout:
                    self.figure.layout.xaxis.range = [lo, hi]
                data = self.figure.data
                for k, au in enumerate(self.au_picker.value if curves else ()):
                    if k < len(data) - 1:
                        data[k].x, data[k].y = decimate(self._curve(au), self.window)
                if data:
                    sx, ms = self._strip()
                    data[-1].x, data[-1].y, data[-1].customdata = sx, np.zeros(len(sx)), ms
        finally:
            self._building = False

    def _follow(self, force: bool = False) -> None:
        """With a *window* chosen, keep the cursor inside it (centred when it leaves)."""
        seconds = float(self.window_pick.value or 0.0)
        n = max(self.n_frames, 1)
        if seconds <= 0:
            if force:
                self.set_window(0, n)
            return
        half = max(1, int(round(seconds * self.fps)))
        lo, hi = self.window
        if force or not lo <= self.cursor < hi or (hi - lo) != min(n, 2 * half):
            start = max(0, min(n - 2 * half, self.cursor - half))
            self.set_window(start, start + 2 * half)

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

    def _event_traces(self) -> list[dict]:
        """Every rater's events (all of them, zoomed or not), three traces a rater, own last (in front)."""
        ev = self.events
        if ev.empty:
            return []
        raters = ev["rater"].astype(str)
        colours = rater_colours(list(raters), self.me)
        traces = []
        for r in sorted(set(raters), key=lambda r: (r == self.me, r)):
            if self.blind.value and r != self.me:
                continue
            own = r == self.me
            rows = ev[raters == r]
            label = f"{r} (you)" if own else r
            band = self.lanes.get(r, (0.0, 1.0))
            traces += timeline_events.event_traces(rows, label, colours[r], 0.28 if own else 0.18, band)
        return traces

    def _draw_events(self) -> None:
        """Draw the events again: in place when the same raters are shown, else with every trace."""
        new = self._event_traces()
        old = [t for t in self.figure.data if t.meta == timeline_events.META]
        if [t.name for t in old] != [t["name"] for t in new]:
            self._redraw()
            return
        with self.figure.batch_update():
            for trace, fresh in zip(old, new, strict=True):
                trace.update({k: v for k, v in fresh.items() if k != "type"})
        self._draw_shapes()

    def _draw_shapes(self) -> None:
        """The few layout shapes: the neutral reference, the draft, the cursor (without a linked player)."""
        shapes = self._reference_spans()
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
