"""The review's HTML: the item card (the disagreement, both marks in their colours, the decision), the header."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from workbench.ui.review_queue import STATUS, item_mark


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def clue(mark: dict) -> str:
    """`` (clue: match 0.50; runner-up contempt 0.33; confidence 0.62)`` after a detector's emotion:
    a guess from its AUs, not a verdict; nothing for a person's mark.

    >>> clue({"score": 0.5, "runner_up": "contempt", "runner_up_score": 0.33, "confidence": 0.62})
    " <span style='color:#9aa5b1'>(clue: match 0.50; runner-up contempt 0.33; confidence 0.62)</span>"
    >>> clue({"score": None})
    ''
    """
    score, second, confidence = (_number(mark.get(k)) for k in ("score", "runner_up_score", "confidence"))
    parts = [] if score is None else [f"match {score:.2f}"]
    if score is not None and mark.get("runner_up") and second:
        parts.append(f"runner-up {html.escape(str(mark['runner_up']))} {second:.2f}")
    if confidence is not None:
        parts.append(f"confidence {confidence:.2f}")
    return f" <span style='color:#9aa5b1'>(clue: {'; '.join(parts)})</span>" if parts else ""


def mark_cells(mark: dict | None) -> str:
    """Table cells of one mark: frames (with the apex), emotion, AUs; "no mark" for None."""
    if mark is None:
        return "<td colspan=3 style='color:#9aa5b1'>no mark</td>"
    apex = "–" if mark["apex"] is None else mark["apex"]
    return (
        f"<td>{mark['onset']}–{mark['offset']} (apex {apex})</td>"
        f"<td>{html.escape(mark['emotion'] or '–')}{clue(mark)}</td><td>AU {html.escape(mark['aus'] or '–')}</td>"
    )


def empty_card(message: str) -> str:
    """The card when there is no item to show."""
    return f"<div class='wb-card'><b>{message}</b></div>"


def card_html(
    item: Mapping,
    position: int,
    total: int,
    raters: Sequence[tuple[str, str, str]],
    colours: Mapping[str, str],
) -> str:
    """The card of one queue item.

    Parameters
    ----------
    item : mapping
        A queue item with its decision in effect (``decided``, ``stands``, ``reason``, ``decided_by``).
    position, total : int
        The item's 0-based position and the queue's length.
    raters : sequence of (str, str, str)
        ``(side, rater, role)`` of each row, e.g. ``("ref", "truth", "reference")``.
    colours : mapping
        Rater -> the colour of its marks on the timeline.

    Returns
    -------
    str
        HTML.
    """
    rows = "".join(
        f"<tr class='wb-{side}'><td><span class='wb-swatch' style='background:{colours[name]}'></span>"
        f"<b>{html.escape(name)}</b></td><td style='color:#52606d'>{role}</td>{mark_cells(item_mark(item, side))}</tr>"
        for side, name, role in raters
    )
    if item["decided"]:
        state = (
            f"<span class='wb-done'>decided: {STATUS[item['stands']]} · {html.escape(item['reason'])} · "
            f"by {html.escape(item['decided_by'])}</span>"
        )
    else:
        state = "<span class='wb-open'>open: tag a reason, then decide</span>"
    kind = str(item["type"]).replace("_", " ")
    return (
        f"<div class='wb-card'><div><b>#{position + 1} of {total} · {kind.upper()}</b> · "
        f"<code>{html.escape(str(item['clip']))}</code> · severity {float(item['severity']):.2f}</div>"
        f"<div>{html.escape(str(item['description']))}</div><table>{rows}</table><div>{state}</div></div>"
    )


def header_html(reviewer: str | None, dataset: str, pair: Sequence[tuple[str, str]], colours: Mapping[str, str]) -> str:
    """The panel's title line: the dataset, the pair of raters (when a queue is built), the reviewer.

    Parameters
    ----------
    reviewer : str or None
        Who decides (None: not set yet).
    dataset : str
        The dataset reviewed.
    pair : sequence of (str, str)
        ``(rater, role)`` of the reference and the hypothesis; empty before a queue is built.
    colours : mapping
        Rater -> colour.
    """
    who = html.escape(reviewer) if reviewer else "<i>set your reviewer id</i>"
    shown = ""
    if pair:
        shown = " · " + " vs ".join(
            f"<span class='wb-swatch' style='background:{colours[r]}'></span><b>{html.escape(r)}</b> ({role})"
            for r, role in pair
        )
    return (
        "<div style='font-size:15px'><b>Review disagreements</b> · dataset "
        f"<code>{html.escape(str(dataset))}</code>{shown} · reviewer "
        f"<b class='wb-reviewer'>{who}</b></div>"
    )
