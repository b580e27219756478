"""The review's queue: an item's marks, one line per item, and the queue widget.

Items are the rows of :meth:`workbench.agreement.review.Review.queue` (as dicts): both
raters' marks (``ref_*``, ``hyp_*``), the type, the clip and the decision in effect.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd

from workbench.ui.review_style import FIT, section

#: The queue's status column, by which mark stands.
STATUS = {"": "open", "ref": "✓ ref", "hyp": "✓ hyp", "new": "✓ new", "neither": "✗ neither"}


def _frame(value: Any) -> int | None:
    return None if value is None or value == "" or pd.isna(value) else int(value)


def item_mark(item: Mapping, side: str) -> dict | None:
    """One rater's mark of a queue item (None when that rater marked nothing).

    Parameters
    ----------
    item : mapping
        A queue item.
    side : {"ref", "hyp"}
        Whose mark.

    Returns
    -------
    dict or None
        ``onset``, ``apex``, ``offset`` (int or None), ``emotion``, ``aus`` (str).
    """
    if not item.get(f"{side}_id"):
        return None
    emotion = item.get(f"{side}_emotion")
    return {
        "onset": _frame(item[f"{side}_onset"]),
        "apex": _frame(item[f"{side}_apex"]),
        "offset": _frame(item[f"{side}_offset"]),
        "emotion": emotion if isinstance(emotion, str) else "",
        "aus": str(item.get(f"{side}_aus") or ""),
        # a detector's clue (empty for a person): the prototype match, the runner-up, the confidence
        "score": item.get(f"{side}_emotion_score"),
        "runner_up": item.get(f"{side}_runner_up"),
        "runner_up_score": item.get(f"{side}_runner_up_score"),
        "confidence": item.get(f"{side}_confidence"),
    }


def union(item: Mapping) -> tuple[int, int]:
    """First and last frame of both raters' marks of an item."""
    marks = [m for m in (item_mark(item, "ref"), item_mark(item, "hyp")) if m is not None]
    return min(m["onset"] for m in marks), max(m["offset"] for m in marks)


def queue_label(position: int, item: Mapping) -> str:
    """One line of the queue: number, status, type, clip, frames, description."""
    start, stop = union(item)
    kind = str(item["type"]).replace("_", " ")
    clip = str(item["clip"])
    clip = clip if len(clip) <= 16 else "…" + clip[-15:]
    text = f"{position + 1:>3} {STATUS[item.get('stands', '')]:<9} {kind:<11} {clip:<16} {f'{start}–{stop}':<10}"
    return f"{text} {item['description']}"


QUEUE_HEAD = f"{'#':>3} {'status':<9} {'type':<11} {'clip':<16} {'frames':<10} description"


def first_open(decided: Sequence[bool], after: int) -> int:
    """The first undecided position after ``after`` (wrapping round); ``after + 1`` when all are decided.

    Examples
    --------
    >>> first_open([True, False, True, False], 1)
    3
    >>> first_open([True, False, True, True], 1)
    1
    >>> first_open([True, True], -1)
    0
    """
    n = len(decided)
    for k in range(1, n + 1):
        pos = (after + k) % n
        if not decided[pos]:
            return pos
    return min(after + 1, n - 1) if after >= 0 else 0


class QueueList(W.VBox):
    """The queue, worst first: a column header, one line per item, previous / next, progress.

    The widget shows; the panel (:class:`workbench.ui.review.ReviewPanel`) wires the clicks.

    Parameters
    ----------
    advance : bool
        Initial state of the "go to the next open item after deciding" box.

    Attributes
    ----------
    head, progress : ipywidgets.HTML
        The column header and "k of n decided".
    lines : ipywidgets.Select
        One option per item, its value the item's position.
    prev_btn, next_btn : ipywidgets.Button
        Previous item, next open item.
    advance : ipywidgets.Checkbox
        Go to the next open item after each decision.
    """

    def __init__(self, advance: bool = True) -> None:
        self.head = W.HTML(f"<div class='wb-queue-head'>{html.escape(QUEUE_HEAD)}</div>")
        self.lines = W.Select(options=[], rows=12, layout=W.Layout(width="560px"))
        self.lines.add_class("wb-queue-list")
        self.progress = W.HTML()
        self.prev_btn = W.Button(description="Previous (p)", icon="arrow-up", layout=W.Layout(**FIT))
        self.next_btn = W.Button(description="Next open (n)", icon="arrow-down", layout=W.Layout(**FIT))
        self.advance = W.Checkbox(bool(advance), description="go to the next open item after deciding", indent=False)
        super().__init__(
            [
                section("Queue · worst first"),
                self.head,
                self.lines,
                W.HBox([self.prev_btn, self.next_btn, self.progress], layout=W.Layout(align_items="center")),
                self.advance,
            ],
            layout=W.Layout(width="575px"),
        )

    def show(self, queue: pd.DataFrame, position: int | None) -> None:
        """List the items of ``queue`` (with ``decided``), select ``position``, count the decided."""
        options = [(queue_label(k, item), k) for k, item in enumerate(queue.to_dict("records"))]
        self.lines.rows = max(5, min(14, len(options)))
        self.lines.options = options
        self.lines.value = position
        done = int(queue["decided"].sum()) if len(queue) else 0
        total = len(queue)
        cls = "wb-done" if done == total else "wb-open"
        self.progress.value = f"<span class='wb-progress {cls}'>&nbsp; {done} of {total} decided</span>"
