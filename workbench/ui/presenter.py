"""The presenter's view of a class: a live tally of the students' answers, scores, confusion.

Students answer the same quiz (:class:`workbench.ui.quiz.Quiz`) from their own notebooks;
each answer lands in ``<answers>/<student>.csv`` (atomic rewrites). The presenter polls the
folder every second (an asyncio task on the kernel's loop; :meth:`Presenter.refresh` does one
pass by hand), redraws only when a file changed, and shows:

- plotly tallies: the answers per item (stacked by emotion) and the share right per true
  emotion,
- each student's score with the class ``TOTAL``,
- the class's confusion matrix (rows truth, columns answer),
- an export of every answer as one CSV.

Answers given after a disturbed flash (the display dropped frames: the expression was not
shown for the asked time, see :mod:`workbench.ui.quiz`) are counted and marked: a
``disturbed`` column in the scores and items tables, a count in the header. With
``exclude_disturbed=True`` they are left out of the tallies, scores and confusion matrix
instead (still counted in ``disturbed``; the export always has every answer).

A file that cannot be read is named in red under the view; the others still count.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as W
import pandas as pd

from workbench import teach
from workbench.schema import EMOTIONS
from workbench.ui.errors import ErrorArea

log = logging.getLogger("workbench.ui")

COLOURS: dict[str, str] = {
    "happiness": "#f59e0b",
    "sadness": "#3b82f6",
    "anger": "#dc2626",
    "fear": "#7c3aed",
    "disgust": "#16a34a",
    "surprise": "#06b6d4",
    "contempt": "#be185d",
    "others": "#64748b",
}


class Presenter(W.VBox):
    """Live results of a class answering one quiz.

    Parameters
    ----------
    answers : str or Path
        The shared answers folder (one CSV per student).
    items : sequence of QuizItem, optional
        The quiz's items (listed even before anyone answers; their truth labels the tally).
    interval : float
        Seconds between polls of the folder; 0 disables polling (call :meth:`refresh`).
    export_path : str or Path, optional
        Where the export button writes (default ``<answers>/../<folder name>-answers.csv``).
    show_truth : bool
        Name each item's true emotion under its bar and in the items table (turn off while
        the class is still answering on a projected screen).
    exclude_disturbed : bool
        Leave answers given after a disturbed flash out of the tallies, scores and confusion
        matrix (default: count them, and mark how many there are).

    Examples
    --------
    >>> view = Presenter("answers/sample", quiz.items)  # doctest: +SKIP
    >>> view  # doctest: +SKIP
    >>> view.export_csv("class.csv")  # doctest: +SKIP
    """

    def __init__(
        self,
        answers: str | Path,
        items: Sequence[teach.QuizItem] | None = None,
        *,
        interval: float = 1.0,
        export_path: str | Path | None = None,
        show_truth: bool = True,
        exclude_disturbed: bool = False,
    ) -> None:
        if interval < 0:
            raise ValueError(f"Expected interval >= 0 seconds, but got interval={interval!r}.")
        self.folder = Path(answers)
        self.items = list(items or [])
        self.show_truth = bool(show_truth)
        self.exclude_disturbed = bool(exclude_disturbed)
        self.interval = float(interval)
        default = self.folder.parent / f"{self.folder.name}-answers.csv"
        self.export_path = Path(export_path) if export_path is not None else default
        self.answers = teach.load_answers(self.folder)[0].iloc[:0]
        self._signature: tuple | None = None
        self._task: asyncio.Task | None = None
        self._timer: threading.Timer | None = None

        self.header = W.HTML()
        self._outs = (W.Output(), W.Output(), W.Output())
        self.tally_box = W.HBox(self._outs[:2])
        self.confusion_box = self._outs[2]
        self.tally_fig = self.emotion_fig = self.confusion_fig = None  # plotly Figures, made by _draw
        self.scores_html = W.HTML(layout=W.Layout(margin="0 28px 0 0"))
        self.items_html = W.HTML()
        self.path_box = W.Text(value=str(self.export_path), description="export to", layout=W.Layout(width="520px"))
        self.export_button = W.Button(description="Export CSV", icon="download", button_style="primary")
        self.export_status = W.HTML()
        self.errors = ErrorArea()
        self.export_button.on_click(self.errors.guard(self._on_export))
        super().__init__(
            [
                self.header,
                self.tally_box,
                W.HBox([self.scores_html, self.items_html]),
                self.confusion_box,
                W.HBox([self.path_box, self.export_button, self.export_status]),
                self.errors,
            ]
        )
        self.add_class("wb-presenter")
        self.refresh(force=True)
        if self.interval > 0:
            self.start()

    # -- polling ------------------------------------------------------------------
    def _files_signature(self) -> tuple:
        if not self.folder.is_dir():
            return ()
        out = []
        for p in sorted(self.folder.glob("*.csv")):
            if p.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError):
                st = p.stat()
                out.append((p.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def refresh(self, force: bool = False) -> bool:
        """Read the folder and redraw when a file changed (or ``force``); True when redrawn."""
        signature = self._files_signature()
        if not force and signature == self._signature:
            return False
        answers, problems = teach.load_answers(self.folder)
        self._signature = signature
        self.answers = answers
        self._draw(answers)
        if problems:
            self.errors.show(ValueError("\n".join(problems)), where="answers folder")
        elif self.errors.last is not None and "answers folder" in self.errors.value:
            self.errors.clear()
        return True

    def start(self) -> None:
        """Poll the folder every ``interval`` seconds (an asyncio task, else a timer thread)."""
        self.stop()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            self._task = loop.create_task(self._poll())
        else:
            self._schedule_timer()

    def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """Stop polling and close the view's widgets."""
        self.stop()
        super().close()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._safe_refresh()

    def _schedule_timer(self) -> None:
        def tick() -> None:
            self._safe_refresh()
            self._schedule_timer()

        self._timer = threading.Timer(self.interval, tick)
        self._timer.daemon = True
        self._timer.start()

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # noqa: BLE001 - shown in the view, polling goes on
            self.errors.show(exc, where="refresh")

    # -- drawing ---------------------------------------------------------------------
    def _draw(self, answers: pd.DataFrame) -> None:
        # Whole figures in Output widgets, replaced when the answers change: plotly 7's
        # FigureWidget sometimes renders empty axes in JupyterLab 4 (its first state is lost).
        exclude = self.exclude_disturbed
        self.tally_fig = tally_figure(answers, self.items, show_truth=self.show_truth, exclude_disturbed=exclude)
        self.emotion_fig = emotion_figure(answers, exclude_disturbed=exclude)
        self.confusion_fig = confusion_figure(answers, exclude_disturbed=exclude)
        for out, fig in zip(self._outs, (self.tally_fig, self.emotion_fig, self.confusion_fig), strict=True):
            _show(out, fig)
        students = answers["student"].nunique() if not answers.empty else 0
        stamp = time.strftime("%H:%M:%S")
        n_disturbed = int(teach.is_disturbed(answers).sum())
        disturbed = (
            f' · <span class="wb-presenter-disturbed" style="color:#b45309">{n_disturbed} after a disturbed flash'
            f"{' (left out)' if exclude else ' (counted, marked)'}</span>"
            if n_disturbed
            else ""
        )
        self.header.value = (
            f'<div style="font:600 20px system-ui">Class results · {html.escape(self.folder.name)}</div>'
            f'<div class="wb-presenter-status" style="color:#475569">{students} student(s) · '
            f"{len(answers)} answer(s){disturbed} · updated {stamp}</div>"
        )
        table = _format_scores(teach.scores(answers, exclude_disturbed=exclude))
        self.scores_html.value = _table_html(table, "scores", "wb-scores")
        self.items_html.value = _table_html(self._item_summary(answers), "items", "wb-items")

    def _item_summary(self, answers: pd.DataFrame) -> pd.DataFrame:
        rows = []
        truth = {it.number: (it.emotion, it.aus, it.event_id) for it in self.items}
        hidden = not self.show_truth
        for number, df in answers.groupby("item"):
            truth.setdefault(int(number), (df["truth"].iloc[0], "", df["event_id"].iloc[0]))
        for number in sorted(truth):
            df = answers[answers["item"] == number]
            marked = teach.is_disturbed(df)
            kept = df[~marked] if self.exclude_disturbed else df
            emotion, aus, event_id = truth[number]
            rows.append(
                {
                    "item": number,
                    "truth": "?" if hidden else emotion,
                    "AUs": "?" if hidden else aus,
                    "answers": len(kept),
                    "right": f"{kept['correct'].mean():.0%}" if len(kept) else "–",
                    "disturbed": int(marked.sum()),
                    "event": event_id,
                }
            )
        return pd.DataFrame(rows).set_index("item") if rows else pd.DataFrame()

    # -- export ---------------------------------------------------------------------------
    def export_csv(self, path: str | Path | None = None) -> Path:
        """Write every student's answers as one CSV (reads the folder first); returns the path."""
        self.refresh(force=True)
        target = teach.export_csv(self.answers, Path(path) if path is not None else self.export_path)
        self.export_status.value = f"wrote {len(self.answers)} answer(s) to <code>{html.escape(str(target))}</code>"
        return target

    def _on_export(self, _button) -> None:
        self.export_csv(self.path_box.value.strip() or None)


def tally_figure(
    answers: pd.DataFrame,
    items: Sequence[teach.QuizItem] = (),
    *,
    show_truth: bool = True,
    exclude_disturbed: bool = False,
):
    """How many students gave each answer to each item: bars stacked by emotion."""
    import plotly.graph_objects as go

    counts = teach.tally(answers, items, exclude_disturbed=exclude_disturbed)
    truth = {it.number: it.emotion for it in items} if show_truth else {}
    labels = [f"item {n}" + (f"<br>({truth[n]})" if n in truth else "") for n in counts.index]
    fig = go.Figure([go.Bar(x=labels, y=counts[e].tolist(), name=e, marker_color=COLOURS[e]) for e in EMOTIONS])
    fig.update_layout(
        title="answers per item" + (" (truth in brackets)" if show_truth else ""),
        barmode="stack",
        height=380,
        width=720,
        margin=dict(l=50, r=10, t=40, b=60),
        legend_title_text="answer",
        yaxis_title="students",
        yaxis_rangemode="tozero",
    )
    return fig


def emotion_figure(answers: pd.DataFrame, *, exclude_disturbed: bool = False):
    """The share of right answers per true emotion (only emotions asked)."""
    import plotly.graph_objects as go

    per_emotion = teach.emotion_tally(answers, exclude_disturbed=exclude_disturbed)
    asked = per_emotion[per_emotion["answers"] > 0]
    names = asked.index.astype(str).tolist()
    fig = go.Figure(
        go.Bar(
            x=names,
            y=(asked["accuracy"] * 100).round(1).tolist(),
            text=[f"{c}/{n}" for c, n in zip(asked["correct"], asked["answers"], strict=True)],
            marker_color=[COLOURS[e] for e in names],
            hovertemplate="%{x}: %{y}% right (%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        title="right, per true emotion (%)",
        height=380,
        width=420,
        margin=dict(l=50, r=10, t=40, b=60),
        yaxis_range=[0, 100],
    )
    return fig


def confusion_figure(answers: pd.DataFrame, *, exclude_disturbed: bool = False):
    """The class's confusion matrix as a heatmap with the counts written in."""
    import plotly.graph_objects as go

    matrix = teach.confusion(answers, exclude_disturbed=exclude_disturbed).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=matrix.tolist(),
            x=list(EMOTIONS),
            y=list(EMOTIONS),
            text=[[str(v) if v else "" for v in row] for row in matrix],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="truth %{y}<br>answer %{x}<br>%{z} answer(s)<extra></extra>",
        )
    )
    fig.update_layout(
        title="class confusion matrix",
        height=440,
        width=560,
        margin=dict(l=90, r=10, t=40, b=80),
        xaxis_title="answer",
        yaxis_title="truth",
        yaxis_autorange="reversed",
    )
    return fig


def _show(out: W.Output, fig) -> None:
    """Replace what ``out`` shows by ``fig`` (works from a polling task, outside any cell)."""
    import json

    import plotly.io as pio

    figure = json.loads(pio.to_json(fig, validate=False))
    data = {
        "application/vnd.plotly.v1+json": {**figure, "config": {"displaylogo": False}},
        "text/plain": f"<plotly figure: {figure.get('layout', {}).get('title', {}).get('text', '')}>",
    }
    out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def _format_scores(scores: pd.DataFrame) -> pd.DataFrame:
    out = scores.copy()
    out["accuracy"] = out["accuracy"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
    out["median_response_ms"] = out["median_response_ms"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}")
    return out.rename(columns={"median_response_ms": "median response (ms)"})


def _table_html(df: pd.DataFrame, caption: str, css_class: str) -> str:
    if df.empty:
        return f'<div class="{css_class}"><b>{caption}</b><br><i>no answers yet</i></div>'
    table = df.to_html(classes=css_class, border=0, escape=True)
    return (
        f'<div style="font:14px system-ui"><b>{caption}</b>'
        "<style>.wb-presenter table{border-collapse:collapse} .wb-presenter td,.wb-presenter th"
        "{padding:3px 10px;border-bottom:1px solid #e2e8f0;text-align:right}</style>"
        f"{table}</div>"
    )
