"""The presenter's view of a class: a live tally of the students' answers, scores, confusion.

Students answer the same quiz (:class:`workbench.ui.quiz.Quiz`) from their own notebooks;
each answer lands in ``<answers>/<student>.csv`` (atomic rewrites). The presenter polls the
folder every second (an asyncio task on the kernel's loop; :meth:`Presenter.refresh` does one
pass by hand), redraws only when a file changed, and shows:

- a plotly tally of the answers per item (stacked by emotion) and the share right per true
  emotion,
- each student's score with the class ``TOTAL``,
- the class's confusion matrix (rows truth, columns answer),
- an export of every answer as one CSV.

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
    ) -> None:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        if interval < 0:
            raise ValueError(f"Expected interval >= 0 seconds, but got interval={interval!r}.")
        self.folder = Path(answers)
        self.items = list(items or [])
        self.interval = float(interval)
        default = self.folder.parent / f"{self.folder.name}-answers.csv"
        self.export_path = Path(export_path) if export_path is not None else default
        self.answers = teach.load_answers(self.folder)[0].iloc[:0]
        self._signature: tuple | None = None
        self._task: asyncio.Task | None = None
        self._timer: threading.Timer | None = None

        self.header = W.HTML()
        self.tally_fig = go.FigureWidget(
            make_subplots(
                rows=1,
                cols=2,
                column_widths=[0.62, 0.38],
                subplot_titles=("answers per item", "right, per true emotion (%)"),
            )
        )
        for e in EMOTIONS:
            self.tally_fig.add_bar(x=[], y=[], name=e, marker_color=COLOURS[e], row=1, col=1)
        self.tally_fig.add_bar(x=[], y=[], name="right %", marker_color="#0f172a", showlegend=False, row=1, col=2)
        self.tally_fig.update_layout(
            barmode="stack", height=360, margin=dict(l=40, r=10, t=40, b=40), legend_title_text="answer"
        )
        self.tally_fig.update_yaxes(title_text="students", row=1, col=1)
        self.tally_fig.update_yaxes(range=[0, 100], row=1, col=2)
        self.confusion_fig = go.FigureWidget(
            go.Heatmap(z=[], x=list(EMOTIONS), y=list(EMOTIONS), colorscale="Blues", showscale=False)
        )
        self.confusion_fig.update_layout(
            title="class confusion matrix",
            height=420,
            width=520,
            margin=dict(l=90, r=10, t=40, b=80),
            xaxis_title="answer",
            yaxis_title="truth",
            yaxis_autorange="reversed",
        )
        self.scores_html = W.HTML()
        self.items_html = W.HTML()
        self.path_box = W.Text(value=str(self.export_path), description="export to", layout=W.Layout(width="520px"))
        self.export_button = W.Button(description="Export CSV", icon="download", button_style="primary")
        self.export_status = W.HTML()
        self.errors = ErrorArea()
        self.export_button.on_click(self.errors.guard(self._on_export))
        super().__init__(
            [
                self.header,
                self.tally_fig,
                W.HBox([self.scores_html, self.items_html], layout=W.Layout(gap="24px")),
                self.confusion_fig,
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
    def _item_labels(self, numbers: list[int]) -> list[str]:
        return [f"item {n}" for n in numbers]

    def _draw(self, answers: pd.DataFrame) -> None:
        counts = teach.tally(answers, self.items)
        per_emotion = teach.emotion_tally(answers)
        matrix = teach.confusion(answers)
        labels = self._item_labels(counts.index.tolist())
        with self.tally_fig.batch_update():
            for trace, e in zip(self.tally_fig.data[: len(EMOTIONS)], EMOTIONS, strict=True):
                trace.x, trace.y = labels, counts[e].tolist()
            asked = per_emotion[per_emotion["answers"] > 0]
            self.tally_fig.data[-1].x = asked.index.astype(str).tolist()
            self.tally_fig.data[-1].y = (asked["accuracy"] * 100).round(1).tolist()
        with self.confusion_fig.batch_update():
            heat = self.confusion_fig.data[0]
            heat.z = matrix.to_numpy().tolist()
            heat.text = [[str(v) if v else "" for v in row] for row in matrix.to_numpy()]
            heat.texttemplate = "%{text}"
        students = answers["student"].nunique() if not answers.empty else 0
        stamp = time.strftime("%H:%M:%S")
        self.header.value = (
            f'<div style="font:600 20px system-ui">Class results · {html.escape(self.folder.name)}</div>'
            f'<div class="wb-presenter-status" style="color:#475569">{students} student(s) · '
            f"{len(answers)} answer(s) · updated {stamp}</div>"
        )
        self.scores_html.value = _table_html(_format_scores(teach.scores(answers)), "scores", "wb-scores")
        self.items_html.value = _table_html(self._item_summary(answers), "items", "wb-items")

    def _item_summary(self, answers: pd.DataFrame) -> pd.DataFrame:
        rows = []
        truth = {it.number: (it.emotion, it.aus, it.event_id) for it in self.items}
        for number, df in answers.groupby("item"):
            truth.setdefault(int(number), (df["truth"].iloc[0], "", df["event_id"].iloc[0]))
        for number in sorted(truth):
            df = answers[answers["item"] == number]
            emotion, aus, event_id = truth[number]
            rows.append(
                {
                    "item": number,
                    "truth": emotion,
                    "AUs": aus,
                    "answers": len(df),
                    "right": f"{df['correct'].mean():.0%}" if len(df) else "–",
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
