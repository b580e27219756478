"""Review the disagreements of two raters: a queue worst first, the player at the event, decisions.

::

    reviewer [alice]  dataset [sample]  reference [truth]  hypothesis [detector:mediapipe]  k [2]  IoU [0.5]
    ┌ queue, worst first ───────────────────────────┐ ┌ the item: both marks ────────────┐
    │  1 open      miss         astronaut_1  280–309 │ │ ■ truth      280–309 surprise    │
    │  2 ✓ ref     label        astronaut_2  80–119  │ │ ■ detector   –                   │
    │  3 ✗ neither false alarm  astronaut_2  330–352 │ ├ player at the onset ─────────────┤
    └────────────────────────────────────────────────┘ └──────────────────────────────────┘
    reason    [blink][head motion][lighting][occlusion][speech][true miss][label error][other]
    decision  [keep reference][keep hypothesis][neither][enter new mark]  [undo last decision]
    new mark  onset [ ] [o ← frame]  apex [ ] [a ← frame]  offset [ ] [f ← frame]  emotion  AUs  note
    timeline  AU curves; one band each: reference ░░, hypothesis ▒▒, consensus ██; the new mark dashed; │ cursor

The review LOGIC (which items disagree, the reversible decision log, the consensus with
its provenance, the audit table) is :mod:`workbench.agreement.review`; this widget shows
it, sends the reviewer's clicks to it, and after every decision or undo writes the
consensus through the store as rater ``consensus`` (one atomic, journalled, undoable
replace). The decision log is saved after every change in ``<project>/reviews/``, so a
restarted kernel resumes the review where it stopped.

The cursor is ``player.frame``, as in the annotation workbench: timeline clicks set it and
the timeline's cursor follows it. Player keys work here too: ``o`` / ``a`` / ``f`` set the
new mark from the current frame, ``1``…``7`` / ``0`` its emotion, Enter records it as the
decision, ``n`` / ``p`` go to the next open / previous item, Ctrl+Z undoes the last decision.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from workbench.agreement import review as logic
from workbench.schema import COLUMNS, EMOTIONS, PHASES
from workbench.ui.errors import ErrorArea, action_guard
from workbench.ui.player import Player
from workbench.ui.timeline import Timeline, default_aus, rater_colours

log = logging.getLogger("workbench.ui")

#: The rater the consensus is written as.
CONSENSUS = "consensus"
#: Frames shown on the timeline on each side of the item.
MARGIN = 60
#: The decision buttons: (stands, label, button style).
DECISIONS: tuple[tuple[str, str, str], ...] = (
    ("ref", "Keep reference", "success"),
    ("hyp", "Keep hypothesis", "warning"),
    ("neither", "Neither", "danger"),
    ("new", "Enter new mark", "primary"),
)
#: The player's key that sets each phase of the new mark.
KEYS = {"onset": "o", "apex": "a", "offset": "f"}
#: Paper-y band of each role on the timeline, so that marks on the same frames stay apart.
LANES = {"ref": (0.68, 1.0), "hyp": (0.34, 0.66), "consensus": (0.0, 0.32)}
#: Buttons as wide as their text, never squeezed.
FIT = {"width": "auto", "flex": "0 0 auto"}
#: The queue's status column, by which mark stands.
STATUS = {"": "open", "ref": "✓ ref", "hyp": "✓ hyp", "new": "✓ new", "neither": "✗ neither"}

PerClip = Mapping[str, Any] | Callable[[str], Any] | None

CSS = """<style>
.wb-review .wb-queue-list select { font: 12px/1.55 ui-monospace, monospace; }
.wb-review .wb-queue-head { font: 600 12px ui-monospace, monospace; color: #52606d; white-space: pre; }
.wb-review .wb-card { font: 13px/1.5 system-ui, sans-serif; border: 1px solid #cbd2d9; border-radius: 6px;
  padding: 6px 10px; background: #f8fafc; width: 560px; box-sizing: border-box; }
.wb-review .wb-card table { border-collapse: collapse; margin-top: 2px; }
.wb-review .wb-card td { padding: 1px 10px 1px 0; font: 12px ui-monospace, monospace; }
.wb-review .wb-swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 4px; }
.wb-review .wb-section { font: 600 11.5px system-ui, sans-serif; color: #334e68; text-transform: uppercase;
  letter-spacing: .05em; margin: 6px 0 2px; }
.wb-review .wb-open { color: #b45309; font-weight: 600; }
.wb-review .wb-done { color: #047857; font-weight: 600; }
</style>"""


def _lookup(table: PerClip, clip: str) -> Any:
    if table is None:
        return None
    return table(clip) if callable(table) else table.get(clip)


def cached_curves(clip: Any) -> Any:
    """AU curves of ``clip`` from the detector's cache (default model and parameters), else None.

    Never runs the detector: the review works without curves.
    """
    from workbench import face
    from workbench.detect import DetectParams, curves_key, curves_path, load_curves

    path = curves_path(curves_key(clip.content_hash(), face.MODEL_SHA256, DetectParams()))
    return load_curves(path) if path.exists() else None


def default_pair(raters: list[str], ref: str | None = None, hyp: str | None = None) -> tuple[str | None, str | None]:
    """The raters to compare first: ``truth`` against ``detector:mediapipe``, else any other one.

    Examples
    --------
    >>> default_pair(["alice", "detector:mediapipe", "truth"])
    ('truth', 'detector:mediapipe')
    >>> default_pair(["alice", "consensus", "truth"])
    ('truth', 'alice')
    """
    for name, given in (("reference", ref), ("hypothesis", hyp)):
        if given is not None and given not in raters:
            raise ValueError(f"Expected a {name} rater among {', '.join(raters) or 'none'}, but got {given!r}.")
    others = [r for r in raters if r != CONSENSUS] or list(raters)
    if ref is None:
        ref = "truth" if "truth" in raters else (others[0] if others else None)
    if hyp is None:
        rest = [r for r in others if r != ref]
        hyp = "detector:mediapipe" if "detector:mediapipe" in rest else (rest[0] if rest else None)
    return ref, hyp


def _frame(value: Any) -> int | None:
    return None if value is None or value == "" or pd.isna(value) else int(value)


def _side(item: Mapping, side: str) -> dict | None:
    """One rater's mark of a queue item (None when that rater marked nothing)."""
    if not item.get(f"{side}_id"):
        return None
    emotion = item.get(f"{side}_emotion")
    return {
        "onset": _frame(item[f"{side}_onset"]),
        "apex": _frame(item[f"{side}_apex"]),
        "offset": _frame(item[f"{side}_offset"]),
        "emotion": emotion if isinstance(emotion, str) else "",
        "aus": str(item.get(f"{side}_aus") or ""),
        "score": item.get(f"{side}_emotion_score"),  # detectors' clue, when the queue carries it
    }


def union(item: Mapping) -> tuple[int, int]:
    """First and last frame of both raters' marks of an item."""
    marks = [m for m in (_side(item, "ref"), _side(item, "hyp")) if m is not None]
    return min(m["onset"] for m in marks), max(m["offset"] for m in marks)


def _mark_text(mark: dict | None) -> str:
    if mark is None:
        return "<td colspan=3 style='color:#9aa5b1'>no mark</td>"
    apex = "–" if mark["apex"] is None else mark["apex"]
    return (
        f"<td>{mark['onset']}–{mark['offset']} (apex {apex})</td>"
        f"<td>{html.escape(mark['emotion'] or '–')}{_clue(mark)}</td><td>AU {html.escape(mark['aus'] or '–')}</td>"
    )


def _clue(mark: dict) -> str:
    """`` (clue, match 0.50)`` after a detector's emotion: a guess from its AUs, not a verdict."""
    try:
        score = float(mark.get("score"))
    except (TypeError, ValueError):
        return ""
    return "" if score != score else f" <span style='color:#9aa5b1'>(clue, match {score:.2f})</span>"


def queue_label(position: int, item: Mapping) -> str:
    """One line of the queue: number, status, type, clip, frames, description."""
    start, stop = union(item)
    kind = str(item["type"]).replace("_", " ")
    clip = str(item["clip"])
    clip = clip if len(clip) <= 16 else "…" + clip[-15:]
    text = f"{position + 1:>3} {STATUS[item.get('stands', '')]:<9} {kind:<11} {clip:<16} {f'{start}–{stop}':<10}"
    return f"{text} {item['description']}"


QUEUE_HEAD = f"{'#':>3} {'status':<9} {'type':<11} {'clip':<16} {'frames':<10} description"


class ReviewPanel(W.VBox):
    """Walk the disagreements of a reference and a hypothesis rater; decide; build the consensus.

    Parameters
    ----------
    project : str or Path
        The project folder (``data/<dataset>/``, ``annotations/``; the decision log and the
        audit go to ``reviews/<dataset>/``).
    dataset : str
        The dataset to review; ``"sample"`` is made on first use when missing.
    ref, hyp : str, optional
        The reference and hypothesis raters. By default ``truth`` against
        ``detector:mediapipe`` when present, else another rater.
    reviewer : str, optional
        Who decides (set once; it goes into every decision). When None the widget asks.
    tolerance : int
        k: frames an onset, apex or offset may be off before a matched pair disagrees.
    iou : float
        Least IoU for two marks to be the same event.
    curves : mapping or callable, optional
        Clip id -> AU curves ``(frame, au)``; default: the detector's cache, when it has them.
    advance : bool
        Open the next undecided item after each decision.

    Examples
    --------
    >>> panel = ReviewPanel("..", dataset="sample", reviewer="alice")  # doctest: +SKIP
    >>> panel.reason.value = "blink"  # doctest: +SKIP
    >>> panel.decide("ref")  # doctest: +SKIP
    """

    def __init__(
        self,
        project: str | Path = ".",
        *,
        dataset: str = "sample",
        ref: str | None = None,
        hyp: str | None = None,
        reviewer: str | None = None,
        tolerance: int = 2,
        iou: float = 0.5,
        curves: PerClip = None,
        advance: bool = True,
    ) -> None:
        from workbench.store import Store

        super().__init__()
        self.project = Path(project).resolve()
        if dataset == "sample" and not (self.project / "data" / "sample").exists():
            from workbench.sample import make_sample

            make_sample(self.project)
        self.store = Store(self.project / "annotations")
        self.curves = curves
        self.reviewer: str | None = None
        self.review: logic.Review | None = None
        self.queue = pd.DataFrame()
        self.position: int | None = None
        self.clip_id: str | None = None
        self.clip = None
        self.audit_path: Path | None = None
        self._clips: dict[tuple[str, str], tuple[Any, Any, str]] = {}  # (dataset, clip) -> (clip, curves, problem)
        #: The dataset and raters of the queue shown (set by :meth:`load`).
        self.dataset, self.ref, self.hyp = dataset, "", ""
        self._quiet = False
        self._build_widgets(tolerance, iou, advance)
        self._build_layout()
        self._wire()
        self._fill_datasets(dataset, ref, hyp)
        if reviewer:
            self.set_reviewer(reviewer)
        self._show_item()
        if self.ref_pick.value and self.hyp_pick.value and self.ref_pick.value != self.hyp_pick.value:
            self._guarded(self.load)()  # a clip that cannot be opened is shown, not raised

    # -- widgets -----------------------------------------------------------------------
    def _build_widgets(self, tolerance: int, iou: float, advance: bool) -> None:
        wide = {"description_width": "initial"}
        self.errors = ErrorArea()
        self.header = W.HTML()
        self.reviewer_box = W.Text(
            placeholder="your reviewer id, e.g. alice",
            description="reviewer",
            continuous_update=False,
            layout=W.Layout(width="250px"),
            style=wide,
        )
        self.dataset_pick = W.Dropdown(description="dataset", layout=W.Layout(width="170px"), style=wide)
        self.ref_pick = W.Dropdown(description="reference", layout=W.Layout(width="240px"), style=wide)
        self.hyp_pick = W.Dropdown(description="hypothesis", layout=W.Layout(width="290px"), style=wide)
        self.k_box = W.BoundedIntText(
            int(tolerance), min=0, max=10_000, description="k frames", layout=W.Layout(width="130px"), style=wide
        )
        self.iou_box = W.BoundedFloatText(
            float(iou), min=0.01, max=1.0, step=0.05, description="IoU", layout=W.Layout(width="110px"), style=wide
        )
        self.load_btn = W.Button(description="Build queue", icon="list", layout=W.Layout(width="auto"))
        self.queue_head = W.HTML(f"<div class='wb-queue-head'>{html.escape(QUEUE_HEAD)}</div>")
        self.queue_list = W.Select(options=[], rows=12, layout=W.Layout(width="560px"))
        self.queue_list.add_class("wb-queue-list")
        self.progress = W.HTML()
        self.prev_btn = W.Button(description="Previous (p)", icon="arrow-up", layout=W.Layout(**FIT))
        self.next_btn = W.Button(description="Next open (n)", icon="arrow-down", layout=W.Layout(**FIT))
        self.advance = W.Checkbox(bool(advance), description="go to the next open item after deciding", indent=False)
        self.card = W.HTML()
        self.player = Player()
        self.reason = W.ToggleButtons(
            options=list(logic.REASONS),
            value=None,
            tooltips=[f"why they disagree: {r}" for r in logic.REASONS],
            style={"button_width": "auto"},
        )
        self.reason.add_class("wb-reasons")
        self.decide_btns = {}
        for stands, label, style in DECISIONS:
            btn = W.Button(description=label, button_style=style, layout=W.Layout(height="34px", **FIT))
            btn.add_class(f"wb-decide-{stands}")
            self.decide_btns[stands] = btn
        self.decide_btns["new"].description = "Enter new mark (Enter)"
        self.undo_btn = W.Button(
            description="Undo last decision", icon="undo", tooltip="Ctrl+Z in the player", layout=W.Layout(**FIT)
        )
        self.undo_btn.add_class("wb-undo")
        self.fields = {
            p: W.Text(placeholder="key " + KEYS[p], description=p, layout=W.Layout(width="112px"), style=wide)
            for p in PHASES
        }
        self.set_btns = {
            p: W.Button(description=f"{KEYS[p]} ← frame", tooltip=f"{p} := the player's frame", layout=W.Layout(**FIT))
            for p in PHASES
        }
        self.emotion = W.Dropdown(
            options=list(EMOTIONS), value="others", description="emotion", layout=W.Layout(width="180px"), style=wide
        )
        self.aus = W.Text(description="AUs", placeholder="e.g. 6+12", layout=W.Layout(width="160px"), style=wide)
        self.note = W.Text(description="note", placeholder="optional", layout=W.Layout(width="300px"), style=wide)
        self.export_btn = W.Button(description="Export audit CSV", icon="download", layout=W.Layout(**FIT))
        self.export_btn.add_class("wb-export")
        self.export_info = W.HTML()
        self.timeline = Timeline(height=250, guard=self.errors.guard, browser_cursor=True)
        self.timeline.blind.layout.display = "none"  # blind mode is for labelling, not for a review

    def _build_layout(self) -> None:
        def section(text: str) -> W.HTML:
            return W.HTML(f"<div class='wb-section'>{text}</div>")

        queue = W.VBox(
            [
                section("Queue · worst first"),
                self.queue_head,
                self.queue_list,
                W.HBox([self.prev_btn, self.next_btn, self.progress], layout=W.Layout(align_items="center")),
                self.advance,
            ],
            layout=W.Layout(width="575px"),
        )
        decide = W.VBox(
            [
                section("Reason (tag one)"),
                self.reason,
                section("Decision: which mark stands"),
                W.HBox([*self.decide_btns.values(), self.undo_btn], layout=W.Layout(grid_gap="6px")),
                section("New mark · keys o / a / f in the player set it from the current frame"),
                W.HBox([W.HBox([self.fields[p], self.set_btns[p]]) for p in PHASES], layout=W.Layout(grid_gap="6px")),
                W.HBox([self.emotion, self.aus, self.note], layout=W.Layout(grid_gap="6px")),
                W.HBox([self.export_btn, self.export_info], layout=W.Layout(align_items="center", grid_gap="8px")),
            ]
        )
        decide.add_class("wb-decisions")
        self.children = [
            W.HTML(CSS),
            self.header,
            W.HBox(
                [self.reviewer_box, self.dataset_pick, self.ref_pick, self.hyp_pick, self.k_box, self.iou_box],
                layout=W.Layout(grid_gap="6px", flex_flow="row wrap"),
            ),
            W.HBox([self.load_btn], layout=W.Layout(grid_gap="6px")),
            self.errors,
            W.HBox(
                [W.VBox([queue, decide]), W.VBox([self.card, self.player], layout=W.Layout(grid_gap="6px"))],
                layout=W.Layout(grid_gap="18px", align_items="flex-start"),
            ),
            self.timeline,
        ]
        self.add_class("wb-review")
        self.add_class("wb-linked")  # the player draws the timeline's cursor (Timeline browser_cursor)

    def _wire(self) -> None:
        run = self._guarded
        self.reviewer_box.observe(run(self._on_reviewer_typed), "value")
        self.dataset_pick.observe(run(self._on_dataset), "value")
        self.ref_pick.observe(run(self._on_pair), "value")
        self.hyp_pick.observe(run(self._on_pair), "value")
        self.load_btn.on_click(run(lambda _: self.load()))
        self.queue_list.observe(run(self._on_pick), "value")
        self.prev_btn.on_click(run(lambda _: self.step(-1)))
        self.next_btn.on_click(run(lambda _: self.next_open()))
        for stands, btn in self.decide_btns.items():
            btn.on_click(run(lambda _, s=stands: self.decide(s)))
        self.undo_btn.on_click(run(lambda _: self.undo()))
        self.export_btn.on_click(run(lambda _: self.export()))
        for p, btn in self.set_btns.items():
            btn.on_click(run(lambda _, p=p: self.mark(p, self.player.frame)))
        # Passive followers show their errors but do not clear those of the reviewer's last action.
        for w in (*self.fields.values(), self.emotion, self.aus):
            w.observe(self.errors.guard(lambda _: self._show_draft()), "value")
        self.player.observe(self.errors.guard(lambda c: self.timeline.set_cursor(c["new"])), "frame")
        self.player.on_action(run(self._act))
        self.timeline.on_seek(run(self.seek))
        # The timeline redraws its spans full height when its AU or blind controls change: re-lane them.
        for control in (self.timeline.au_picker, self.timeline.blind):
            control.observe(self.errors.guard(lambda _: self._lanes()), "value")

    def _guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn``; show an error at the top and in the player, clear both on success."""
        return action_guard(self.errors, self.player, fn)

    # -- reviewer, dataset, raters ------------------------------------------------------
    def _fill_datasets(self, dataset: str, ref: str | None, hyp: str | None) -> None:
        names = self.store.datasets()
        if dataset not in names:
            raise FileNotFoundError(
                f"Expected a dataset with annotations in {self.store.root}, but got {dataset!r} "
                f"(found: {', '.join(names) or 'none'})."
            )
        self._quiet = True
        try:
            self.dataset_pick.options = names
            self.dataset_pick.value = dataset
        finally:
            self._quiet = False
        self._fill_raters(ref, hyp)

    def _fill_raters(self, ref: str | None = None, hyp: str | None = None) -> None:
        raters = self.store.raters(self.dataset_pick.value)
        ref, hyp = default_pair(raters, ref, hyp)
        self._quiet = True
        try:
            self.ref_pick.options = raters
            self.hyp_pick.options = raters
            self.ref_pick.value, self.hyp_pick.value = ref, hyp
        finally:
            self._quiet = False

    def _on_dataset(self, _change) -> None:
        if not self._quiet:
            self._fill_raters()
            self._on_pair(None)

    def _on_pair(self, _change) -> None:
        """A new reference or hypothesis: build its queue (k and IoU wait for *Build queue*)."""
        if not self._quiet and self.ref_pick.value and self.hyp_pick.value:
            self.load()

    def _on_reviewer_typed(self, change) -> None:
        new = str(change["new"]).strip()
        if self.reviewer is not None and new != self.reviewer:
            self.reviewer_box.value = self.reviewer
        if new:
            self.set_reviewer(new)

    def set_reviewer(self, reviewer: str) -> None:
        """Set who decides, once (it goes into every decision's provenance)."""
        from workbench.store import check_name

        name = check_name("rater", str(reviewer).strip())
        if self.reviewer is not None and name != self.reviewer:
            raise RuntimeError(f"Expected the reviewer to stay {self.reviewer!r} (set once), but got {name!r}.")
        self.reviewer = name
        self._quiet = True
        try:
            self.reviewer_box.value = name
        finally:
            self._quiet = False
        self.reviewer_box.disabled = True
        self._update_header()

    def _need_reviewer(self) -> str:
        if self.reviewer is None:
            raise ValueError("Expected a reviewer id first (type it above, then Enter), but none is set.")
        return self.reviewer

    def _update_header(self) -> None:
        who = html.escape(self.reviewer) if self.reviewer else "<i>set your reviewer id</i>"
        pair = ""
        if self.review is not None:
            colours = self._colours()
            pair = " · " + " vs ".join(
                f"<span class='wb-swatch' style='background:{colours[r]}'></span><b>{html.escape(r)}</b> ({role})"
                for r, role in ((self.ref, "reference"), (self.hyp, "hypothesis"))
            )
        self.header.value = (
            "<div style='font-size:15px'><b>Review disagreements</b> · dataset "
            f"<code>{html.escape(str(self.dataset))}</code>{pair} · reviewer "
            f"<b class='wb-reviewer'>{who}</b></div>"
        )

    def _colours(self) -> dict[str, str]:
        """Timeline colours: the consensus blue, detectors orange, people green / purple."""
        return rater_colours([self.ref, self.hyp, CONSENSUS], CONSENSUS)

    # -- the queue ------------------------------------------------------------------------
    def load(self) -> None:
        """Read both raters, list their disagreements worst first, and open the first open item.

        Decisions logged earlier for the same dataset and raters (``reviews/``) are read back.
        """
        dataset, ref, hyp = self.dataset_pick.value, self.ref_pick.value, self.hyp_pick.value
        if not ref or not hyp:
            raise ValueError("Expected a reference and a hypothesis rater, but one is not chosen.")
        if ref == hyp:
            raise ValueError(f"Expected two different raters, but both are {ref!r}.")
        path = logic.review_log_path(self.project, dataset, ref, hyp)
        review = logic.Review(
            self.store.read(dataset, ref),
            self.store.read(dataset, hyp),
            log_path=path,
            consensus_rater=CONSENSUS,
            iou=float(self.iou_box.value),
            boundary_tolerance=int(self.k_box.value),
        )
        self.review, self.dataset, self.ref, self.hyp = review, dataset, ref, hyp
        self.clip_id = self.clip = None
        self.audit_path = path.with_name(path.stem + "-audit.csv")
        colours = self._colours()
        for stands, rater in (("ref", self.ref), ("hyp", self.hyp)):
            btn = self.decide_btns[stands]
            btn.style.button_color, btn.style.text_color = colours[rater], "white"
            btn.tooltip = f"{rater}'s mark stands (its colour on the timeline)"
        self.position = None
        self._refresh_queue()
        self._update_header()
        if len(self.queue):
            self.select(self._first_open(-1))
        else:
            self.clip_id = None
            self._show_item()

    def _refresh_queue(self) -> None:
        self.queue = self.review.queue() if self.review is not None else pd.DataFrame()
        options = [(queue_label(k, item), k) for k, item in enumerate(self.queue.to_dict("records"))]
        self._quiet = True
        try:
            self.queue_list.rows = max(5, min(14, len(options)))
            self.queue_list.options = options
            self.queue_list.value = self.position
        finally:
            self._quiet = False
        done = int(self.queue["decided"].sum()) if len(self.queue) else 0
        total = len(self.queue)
        cls = "wb-done" if done == total else "wb-open"
        self.progress.value = f"<span class='wb-progress {cls}'>&nbsp; {done} of {total} decided</span>"
        self.undo_btn.disabled = self._last_decision() is None

    def item(self, position: int | None = None) -> dict:
        """A queue item (the current one by default) with its decision in effect."""
        position = self.position if position is None else int(position)
        if position is None or not 0 <= position < len(self.queue):
            raise IndexError(f"Expected a queue position 0..{len(self.queue) - 1}, but got {position}.")
        return self.queue.iloc[position].to_dict()

    def select(self, position: int) -> None:
        """Open queue item ``position`` (0-based): its clip in the player at the onset of both
        marks, both raters' marks on the timeline, zoomed to the item."""
        item = self.item(position)
        self.position = int(position)
        start, stop = union(item)
        self._open_clip(item["clip"])
        self._pick_aus(item)
        self.player.reference = start
        self.player.frame = start
        self.timeline.set_cursor(start)
        self._draw_events()
        lo, hi = max(0, start - MARGIN), min(self.clip.n_frames, stop + 1 + MARGIN)
        self.timeline.figure.layout.xaxis.range = [lo, hi]
        self._fill_draft(item)
        self._quiet = True
        try:
            self.queue_list.value = self.position
        finally:
            self._quiet = False
        self._show_item()

    def _open_clip(self, clip_id: str) -> None:
        from workbench.video import open_clip

        if clip_id == self.clip_id and self.clip is not None:
            return
        key = (self.dataset, clip_id)
        if key not in self._clips:
            clip = open_clip(self.project / "data" / self.dataset / clip_id)
            problem = ""
            try:
                curves = _lookup(self.curves, clip_id) if self.curves is not None else cached_curves(clip)
            except Exception as exc:  # noqa: BLE001 - shown under the timeline; the review works without curves
                log.warning("no AU curves for %s: %s", clip_id, exc)
                curves, problem = None, f"{type(exc).__name__}: {exc}"
            self._clips[key] = (clip, curves, problem)
        clip, curves, problem = self._clips[key]
        self.clip_id, self.clip = clip_id, clip
        self.player.set_source(clip)
        self.timeline.set_clip(clip.n_frames, clip.fps, curves)
        if problem:
            self.timeline.info.value += (
                f"<div class='wb-curves-error' style='color:#b00020'>AU curves unreadable: {html.escape(problem)}</div>"
            )

    def _pick_aus(self, item: Mapping) -> None:
        """Show the curves of the AUs either rater coded for this item (else the most active ones)."""
        if self.timeline.curves is None:
            return
        codes = pd.DataFrame({"aus": [m["aus"] for m in (_side(item, "ref"), _side(item, "hyp")) if m]})
        self.timeline.au_picker.value = tuple(default_aus(self.timeline.curves, codes))

    def _draw_events(self) -> None:
        """Both raters' marks and the consensus so far, of the current clip."""
        if self.review is None or self.clip_id is None:
            return
        tables = (self.review.reference, self.review.hypothesis, self.review.consensus())
        parts = [t[t["clip"].astype(str) == self.clip_id][list(COLUMNS)] for t in tables]
        parts = [p for p in parts if not p.empty]
        self.timeline.set_events(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), CONSENSUS)
        self._lanes()

    def _lanes(self) -> None:
        """Move each rater's spans and apex ticks into its own band, and name the bands.

        The timeline draws every span full height; a reference and a hypothesis on the same
        frames (a label or AU item) would blend into one colour.
        """
        if self.review is None:
            return
        colours = self._colours()
        role = {self.ref: "ref", self.hyp: "hyp", CONSENSUS: "consensus", f"{CONSENSUS} (you)": "consensus"}
        by_colour = {colours[self.ref]: "ref", colours[self.hyp]: "hyp", colours[CONSENSUS]: "consensus"}
        shapes = []
        for shape in self.timeline.figure.layout.shapes:
            s = shape.to_plotly_json()
            lane = role.get(s.get("name")) if s.get("type") == "rect" else None
            if s.get("type") == "line" and s.get("name") is None and s.get("y0") != 0:
                lane = by_colour.get(s.get("line", {}).get("color"))
                if lane:
                    s["y0"], s["y1"] = LANES[lane][1] - 0.1, LANES[lane][1]
                    lane = None
            if lane:
                s["y0"], s["y1"] = LANES[lane]
            shapes.append(s)
        labels = [
            dict(xref="paper", yref="paper", x=0.002, y=LANES[k][1] - 0.01, xanchor="left", yanchor="top",
                 text=f"<b>{html.escape(name)}</b>", showarrow=False, font=dict(size=10, color=colours[name]))
            for k, name in (("ref", self.ref), ("hyp", self.hyp), ("consensus", CONSENSUS))
        ]  # fmt: skip
        with self.timeline.figure.batch_update():
            self.timeline.figure.layout.shapes = shapes
            self.timeline.figure.layout.annotations = labels

    def _on_pick(self, change) -> None:
        if not self._quiet and change["new"] is not None and change["new"] != self.position:
            self.select(change["new"])

    def step(self, delta: int) -> None:
        """Open the item ``delta`` places away in the queue (clamped)."""
        if not len(self.queue):
            raise ValueError("Expected a queue (Build queue), but it is empty.")
        here = -1 if self.position is None else self.position
        self.select(max(0, min(len(self.queue) - 1, here + int(delta))))

    def _first_open(self, after: int) -> int:
        """The first undecided item after ``after`` (wrapping round); ``after + 1`` when all are decided."""
        n = len(self.queue)
        for k in range(1, n + 1):
            pos = (after + k) % n
            if not self.queue["decided"].iloc[pos]:
                return pos
        return min(after + 1, n - 1) if after >= 0 else 0

    def next_open(self) -> None:
        """Open the next undecided item after the current one (wrapping round)."""
        if not len(self.queue):
            raise ValueError("Expected a queue (Build queue), but it is empty.")
        if bool(self.queue["decided"].all()):
            self.player.status = "every item is decided"
            return
        self.select(self._first_open(-1 if self.position is None else self.position))

    # -- the new mark ----------------------------------------------------------------------
    def _fill_draft(self, item: Mapping) -> None:
        """Start the new mark from the reference's mark (else the hypothesis'); clear the tag."""
        mark = _side(item, "ref") or _side(item, "hyp") or {}
        self._quiet = True
        try:
            for p in PHASES:
                self.fields[p].value = "" if mark.get(p) is None else str(mark[p])
            self.emotion.value = mark.get("emotion") if mark.get("emotion") in EMOTIONS else "others"
            self.aus.value = mark.get("aus", "")
            self.note.value = ""
            self.reason.value = None
        finally:
            self._quiet = False
        self._show_draft()

    def mark(self, phase: str, frame: int) -> None:
        """Set onset, apex or offset of the new mark to ``frame``."""
        if phase not in PHASES:
            raise ValueError(f"Expected a phase among {', '.join(PHASES)}, but got {phase!r}.")
        self.fields[phase].value = str(int(frame))

    @property
    def draft(self) -> dict:
        """The new mark: onset, apex, offset (int or None), emotion, aus."""
        out: dict = {}
        for p, w in self.fields.items():
            text = w.value.strip()
            if text and not text.isdigit():
                raise ValueError(f"Expected a whole frame number >= 0 for {p}, but got {w.value!r}.")
            out[p] = int(text) if text else None
        out.update(emotion=self.emotion.value, aus=self.aus.value.strip())
        return out

    def _show_draft(self) -> None:
        if self._quiet:
            return
        d = self.draft
        self.player.marks = {k: d.get(k) for k in ("onset", "apex", "offset", "emotion", "aus")}
        self.timeline.set_draft({p: d[p] for p in PHASES})
        self._lanes()

    def _new_mark(self) -> dict:
        from workbench.ui.labeller import check_draft

        d = self.draft
        check_draft(d, self.clip.n_frames if self.clip is not None else None)
        return d

    # -- decisions -------------------------------------------------------------------------
    def decide(self, stands: str, reason: str | None = None) -> str:
        """Record which mark stands on the current item, with the tagged reason; returns the record id.

        Parameters
        ----------
        stands : {"ref", "hyp", "neither", "new"}
            ``new`` takes the new mark's fields (onset, apex, offset, emotion, AUs).
        reason : str, optional
            One of :data:`workbench.agreement.review.REASONS`; default: the tag selected.
        """
        reviewer = self._need_reviewer()
        item = self.item()
        reason = reason if reason is not None else self.reason.value
        if reason is None:
            raise ValueError(f"Expected a reason tag ({', '.join(logic.REASONS)}) before deciding, but none is set.")
        event = self._new_mark() if stands == "new" else None
        record = self.review.decide(
            item["item_id"], reason=reason, stands=stands, reviewer=reviewer, event=event, note=self.note.value
        )
        self._after_change(f"item {self.position + 1}: {STATUS[stands]} ({reason})")
        if self.advance.value and not bool(self.queue["decided"].all()):
            self.next_open()
        return record

    def undo(self) -> str | None:
        """Revert the latest decision still in effect and open its item; None when there is none.

        The log keeps the decision and its revert; undoing again reverts the decision before.
        """
        reviewer = self._need_reviewer()
        last = self._last_decision()
        record = self.review.undo(reviewer) if self.review is not None else None
        if record is None:
            self.player.status = "nothing to undo"
            return None
        self._after_change(f"undone: {STATUS[last['stands']]} ({last['reason']})")
        where = np.flatnonzero(self.queue["item_id"].to_numpy() == last["item_id"])
        if len(where):
            self.select(int(where[0]))
        return record

    def _last_decision(self) -> dict | None:
        """The latest decision record still in effect (None when there is none)."""
        if self.review is None:
            return None
        log = self.review.log
        live = log[(log["action"] == "decision") & log["active"]]
        return None if live.empty else live.iloc[-1].to_dict()

    def _after_change(self, message: str) -> None:
        """Write the consensus through the store, then refresh the queue, the timeline, the card."""
        self.review.write_consensus(self.store, self.dataset, author=self.reviewer)
        self._refresh_queue()
        self._draw_events()
        self._show_item()
        self.player.status = message

    def export(self, path: str | Path | None = None) -> Path:
        """Write the audit (every tag, decision and undo, with descriptions) as CSV; returns the path."""
        if self.review is None:
            raise ValueError("Expected a queue (Build queue), but there is none.")
        out = self.review.export_audit(Path(path) if path is not None else self.audit_path)
        shown = out.relative_to(self.project) if out.is_relative_to(self.project) else out
        self.export_info.value = (
            f"<span class='wb-exported' style='color:#047857'>audit of {len(self.review.log)} record(s) "
            f"written to <code>{html.escape(str(shown))}</code></span>"
        )
        return out

    # -- player keys and timeline clicks -----------------------------------------------------
    def seek(self, frame: int) -> None:
        """Move the shared cursor (the player follows, then the timeline)."""
        frame = max(0, min(int(frame), self.player.n_frames - 1))
        if frame != self.player.frame:
            self.player.frame = frame

    def _act(self, action: str, arg: Any, frame: int) -> None:
        if action == "mark":
            self.mark(arg, frame)
        elif action == "emotion":
            self.emotion.value = arg
        elif action == "save":
            self.decide("new")
        elif action == "undo":
            self.undo()
        elif action == "next":
            self.next_open()
        elif action == "prev":
            self.step(-1)
        else:
            self.player.status = f"{action}: not used in the review"

    # -- the item card ---------------------------------------------------------------------
    def _show_item(self) -> None:
        """The current item: type, both marks in the timeline's colours, the decision in effect."""
        if self.review is None or self.position is None:
            empty = "choose two raters and build the queue" if self.review is None else "no disagreements: they agree"
            self.card.value = f"<div class='wb-card'><b>{empty}</b></div>"
            for btn in self.decide_btns.values():
                btn.disabled = True
            return
        item = self.item()
        colours = self._colours()
        rows = "".join(
            f"<tr class='wb-{side}'><td><span class='wb-swatch' style='background:{colours[name]}'></span>"
            f"<b>{html.escape(name)}</b></td><td style='color:#52606d'>{role}</td>{_mark_text(_side(item, side))}</tr>"
            for side, name, role in (("ref", self.ref, "reference"), ("hyp", self.hyp, "hypothesis"))
        )
        if item["decided"]:
            state = (
                f"<span class='wb-done'>decided: {STATUS[item['stands']]} · {html.escape(item['reason'])} · "
                f"by {html.escape(item['decided_by'])}</span>"
            )
        else:
            state = "<span class='wb-open'>open: tag a reason, then decide</span>"
        kind = str(item["type"]).replace("_", " ")
        self.card.value = (
            f"<div class='wb-card'><div><b>#{self.position + 1} of {len(self.queue)} · {kind.upper()}</b> · "
            f"<code>{html.escape(str(item['clip']))}</code> · severity {float(item['severity']):.2f}</div>"
            f"<div>{html.escape(str(item['description']))}</div><table>{rows}</table><div>{state}</div></div>"
        )
        allowed = {"miss": {"ref", "new", "neither"}, "false_alarm": {"hyp", "new", "neither"}}.get(
            item["type"], set(logic.STANDS)
        )
        for stands, btn in self.decide_btns.items():
            btn.disabled = stands not in allowed
        start, stop = union(item)
        self.player.status = f"item {self.position + 1}/{len(self.queue)} · {kind} · frames {start}–{stop}"
