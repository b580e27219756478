"""A self-contained HTML agreement report with plotly figures (works offline).

The page holds the summary, the confusion matrix of emotions, histograms of the
onset / apex / offset errors, F1 against the IoU threshold and against a
boundary tolerance, per-AU agreement and a per-clip table; when a detector's
curves are known, a small plot per AU (:mod:`workbench.agreement.au_curves`); when the
hypothesis is a detector with emotion clues, how often its guess agreed with the reference
at each prototype-match score (:func:`clue_table`).
plotly.js is inlined once, so the file opens without a network.
"""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from workbench.agreement.au_curves import bilateral
from workbench.agreement.curves import f1_by_iou, f1_by_tolerance
from workbench.agreement.labels import AUAgreement, LabelAgreement
from workbench.agreement.match import match
from workbench.agreement.metrics import BoundaryError, SpottingF1
from workbench.agreement.summary import clean, scores, summary_tables
from workbench.schema import CLUE_COLUMNS

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.meta { color: #555; }
"""


def _table(df: pd.DataFrame) -> str:
    return df.to_html(float_format=lambda v: f"{v:.3f}", na_rep="–", border=0)


def _figures(matching, ref: pd.DataFrame, hyp: pd.DataFrame, fps: float | None) -> dict[str, object]:
    """The plotly figures of the report, by section title."""
    import plotly.express as px
    import plotly.graph_objects as go

    labels = LabelAgreement()
    labels(matching=matching)
    confusion = labels.confusion()
    cm = go.Figure(
        go.Heatmap(
            z=confusion.to_numpy(),
            x=list(confusion.columns),
            y=list(confusion.index),
            colorscale="Blues",
            text=confusion.to_numpy(),
            texttemplate="%{text}",
        )
    )
    cm.update_layout(xaxis_title="hypothesis", yaxis_title="reference", yaxis_autorange="reversed")

    boundary = BoundaryError(fps=fps)
    boundary(matching=matching)
    errors = boundary.errors().melt(
        value_vars=["onset_error", "apex_error", "offset_error"], var_name="phase", value_name="frames"
    )
    errors["phase"] = errors["phase"].str.replace("_error", "")
    hist = px.histogram(errors.dropna(), x="frames", facet_col="phase", nbins=41, labels={"frames": "error (frames)"})

    by_iou = f1_by_iou(ref, hyp)
    iou_fig = px.line(by_iou, x="iou", y=["f1", "precision", "recall"], markers=True)
    iou_fig.add_vline(x=matching.iou, line_dash="dot")
    by_tol = f1_by_tolerance(ref, hyp)
    tol_fig = px.line(by_tol, x="tolerance", y=["f1", "precision", "recall"], markers=True)
    tol_fig.update_layout(xaxis_title="onset and offset tolerance (frames)")
    return {
        "Emotion confusion matrix (matched pairs)": cm,
        "Boundary errors (hypothesis - reference)": hist,
        "F1 against the IoU threshold": iou_fig,
        "F1 against a boundary tolerance": tol_fig,
    }


#: Bands of a detector's prototype-match score in the clue table.
CLUE_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def clue_table(matching) -> pd.DataFrame | None:
    """How often a detector's emotion clue agreed with the reference, by its prototype-match score.

    One row per score band (``emotion_score`` of the hypothesis, the detector) over the matched
    pairs where both raters named an emotion: ``pairs``, ``agreed`` (the same emotion) and
    ``share``; None when the hypothesis carries no clue. A detector's emotion is a guess from its
    AUs: this says how far its own score can be trusted, on these data.
    """
    if CLUE_COLUMNS[0] not in matching.hypothesis.table.columns:
        return None
    i, j = matching.ref_index, matching.hyp_index
    score = pd.to_numeric(pd.Series(matching.hypothesis.column(CLUE_COLUMNS[0])[j]), errors="coerce")
    ref = pd.Series(matching.reference.column("emotion")[i], dtype=object)
    hyp = pd.Series(matching.hypothesis.column("emotion")[j], dtype=object)
    named = score.notna() & ref.notna() & hyp.notna() & (ref != "") & (hyp != "")
    if not named.any():
        return None
    band = pd.cut(score[named], CLUE_BANDS, include_lowest=True)
    agreed = (ref[named] == hyp[named]).groupby(band, observed=False)
    out = pd.DataFrame({"pairs": agreed.size(), "agreed": agreed.sum()})
    out["share"] = (out["agreed"] / out["pairs"].where(out["pairs"] > 0)).round(2)
    out.index = [f"{b.left:.2f}-{b.right:.2f}" for b in out.index]
    out.index.name = "prototype match"
    return out.reset_index()


def _clue_section(matching, names: tuple[str, str]) -> list[str]:
    table = clue_table(matching)
    if table is None:
        return []
    return [
        f"<h2>{html.escape(names[1])}'s emotion clues against {html.escape(names[0])}</h2>"
        "<p class='meta'>A detector's emotion is a clue from the AUs it found (their match with the EMFACS "
        "prototype, 0-1), never a verdict about what a person felt. Matched pairs where both named an "
        "emotion, by the detector's match score: how often the two agreed.</p>",
        _table(table),
    ]


#: Small plots per row, and the most points of one AU's scatter.
AU_PLOTS_PER_ROW = 6
SCATTER_POINTS = 600


def au_curves_figure(curves) -> object | None:
    """One small plot per AU: a detector's score at a person's apexes, coded vs not coded, with
    the best-F1 threshold; or two detectors' curves against each other (a sample of frames)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    table = curves.human if curves.human is not None else curves.between
    if table is None or table.empty:
        return None
    aus = list(table["au"])
    rows = -(-len(aus) // AU_PLOTS_PER_ROW)
    if curves.human is not None:
        titles = [f"{r.au} AUC {r.auc:.2f}" if r.auc == r.auc else f"{r.au}" for r in table.itertuples()]
    else:
        titles = [f"{r.au} r {r.pearson_r:.2f} ICC {r.icc_3_1:.2f}" for r in table.itertuples()]
    fig = make_subplots(rows=rows, cols=AU_PLOTS_PER_ROW, subplot_titles=titles, horizontal_spacing=0.04)
    rng = np.random.default_rng(0)
    for k, row in enumerate(table.itertuples()):
        r, c = k // AU_PLOTS_PER_ROW + 1, k % AU_PLOTS_PER_ROW + 1
        if curves.human is not None:
            s = curves.scores[curves.scores["au"] == row.au]
            for present, colour in ((False, "#9ca3af"), (True, "#2563eb")):
                y = s.loc[s["present"] == present, "score"]
                x = np.full(len(y), int(present)) + rng.uniform(-0.15, 0.15, len(y))
                fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker={"size": 4, "color": colour},
                                         showlegend=False), row=r, col=c)  # fmt: skip
            if row.threshold == row.threshold:
                fig.add_hline(y=row.threshold, line_dash="dot", line_color="#dc2626", row=r, col=c)
            fig.update_xaxes(tickvals=[0, 1], ticktext=["not coded", "coded"], range=[-0.5, 1.5], row=r, col=c)
        else:
            x, y = _pooled(curves.pairs, row.au)
            if len(x) > SCATTER_POINTS:
                keep = rng.choice(len(x), SCATTER_POINTS, replace=False)
                x, y = x[keep], y[keep]
            fig.add_trace(go.Scattergl(x=x, y=y, mode="markers", marker={"size": 3, "color": "#2563eb"},
                                       showlegend=False), row=r, col=c)  # fmt: skip
    fig.update_layout(height=200 * rows + 60, margin={"t": 40, "l": 30, "r": 10, "b": 30}, font={"size": 10})
    fig.update_annotations(font_size=11)
    return fig


def _pooled(pairs, au: str) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for _, a, b in pairs:
        a, b = bilateral(a), bilateral(b)
        if au in a["au"].values and au in b["au"].values:
            x, y = xr.align(a.sel(au=au), b.sel(au=au), join="inner")
            ok = np.isfinite(x.values) & np.isfinite(y.values)
            xs.append(x.values[ok])
            ys.append(y.values[ok])
    return (np.concatenate(xs), np.concatenate(ys)) if xs else (np.zeros(0), np.zeros(0))


def _au_curves_section(curves) -> list[str]:
    if curves is None:
        return []
    names = curves.detectors
    if curves.human is not None:
        detector = names["reference"] or names["hypothesis"]
        head = (
            f"<h2>Action Units on {html.escape(detector)}'s curves at {html.escape(str(curves.human_rater))}'s "
            "apexes</h2><p class='meta'>Per AU: the detector's intensity (0-1 by its declared scale) at each "
            "coded event's apex, grey where the coder did not code the AU, blue where they did; the dotted "
            "line is the threshold of the best F1.</p>"
        )
        table = curves.human
    elif curves.between is not None:
        head = (
            f"<h2>Action Units: {html.escape(str(names['reference']))} against "
            f"{html.escape(str(names['hypothesis']))} curves</h2><p class='meta'>Per AU, frame by frame over "
            f"{len(curves.pairs)} clip(s), both on 0-1 by their declared scales: Pearson's r and ICC(3,1); "
            f"the plots show up to {SCATTER_POINTS} frames.</p>"
        )
        table = curves.between
    else:
        return []
    fig = au_curves_figure(curves)
    body = fig.to_html(full_html=False, include_plotlyjs=False) if fig is not None else "<p>No AU in common.</p>"
    return [head, _table(table.set_index("au")), body]


def per_clip_table(matching, fps: float | None = None) -> pd.DataFrame:
    """Per clip: spotting counts and scores, mean absolute onset/offset error, kappa."""
    spotting, boundary, labels = SpottingF1(), BoundaryError(fps=fps), LabelAgreement()
    for metric in (spotting, boundary, labels):
        metric(matching=matching)
    table = spotting.report()[["tp", "fp", "fn", "precision", "recall", "f1"]]
    table = table.astype({"tp": int, "fp": int, "fn": int})
    bounds = boundary.report()[["onset_mae_frames", "offset_mae_frames"]]
    kappa = labels.report()[["cohen_kappa"]]
    return pd.concat([table, bounds, kappa], axis=1)


def render_report(
    reference: pd.DataFrame,
    hypothesis: pd.DataFrame,
    iou: float = 0.5,
    mode: str = "one-to-one",
    tolerance: int | None = None,
    fps: float | None = None,
    title: str = "Agreement report",
    names: tuple[str, str] = ("reference", "hypothesis"),
    au_curves: object | None = None,
) -> str:
    """The report as one HTML page (plotly.js inlined once).

    Parameters
    ----------
    reference, hypothesis : pandas.DataFrame
        Events tables.
    iou, mode, tolerance
        How events are matched (see :func:`workbench.agreement.match.match`).
    fps : float, optional
        For errors in ms where the events carry no ``fps`` column.
    title : str
        The page's heading.
    names : tuple of str
        How the two raters are named on the page.
    au_curves : workbench.agreement.au_curves.AUCurves, optional
        AU agreement on curves, shown as a table and a small plot per AU.
    """
    matching = match(reference, hypothesis, iou=iou, mode=mode, tolerance=tolerance)
    summary = summary_tables(clean(scores(reference, hypothesis, matching, fps)))
    aus = AUAgreement()
    aus(matching=matching)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{html.escape(names[0])} (reference, {len(reference)} events) against "
        f"{html.escape(names[1])} (hypothesis, {len(hypothesis)} events); mode {html.escape(mode)}, "
        f"IoU &ge; {iou}, tolerance {tolerance}, fps {fps}. Generated "
        f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}.</p>",
        "<h2>Summary</h2>",
        *(f"<h3>{html.escape(name)}</h3>{_table(df)}" for name, df in summary.items()),
    ]
    first = True
    for name, fig in _figures(matching, reference, hypothesis, fps).items():
        fig.update_layout(height=380, margin={"t": 30})
        body = fig.to_html(full_html=False, include_plotlyjs=first)
        parts.append(f"<h2>{html.escape(name)}</h2>{body}")
        first = False
    parts += [
        "<h2>Action Units (matched pairs)</h2>",
        _table(aus.per_au()),
        "<h2>Per clip</h2>",
        _table(per_clip_table(matching, fps)),
        *_clue_section(matching, names),
        *_au_curves_section(au_curves),
    ]
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>"
    )


def write_report(path: str | Path, reference: pd.DataFrame, hypothesis: pd.DataFrame, **kwargs) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(reference, hypothesis, **kwargs), encoding="utf-8")
    return path
