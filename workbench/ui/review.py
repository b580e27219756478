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

The panel's pieces live in modules of their own: the reviewer, dataset and raters
(:mod:`workbench.ui.review_pair`, with :func:`default_pair`), the queue
(:mod:`workbench.ui.review_queue`), the item card and header (:mod:`workbench.ui.review_card`),
the reviewer's controls (:mod:`workbench.ui.review_form`), the timeline bands
(:mod:`workbench.ui.review_lanes`) and the style sheet (:mod:`workbench.ui.review_style`);
this module puts them together.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from workbench.agreement import review as logic
from workbench.project import Project
from workbench.schema import COLUMNS, DETECTOR_PREFIX, PHASES, is_detector
from workbench.store import check_name
from workbench.ui.background import Background
from workbench.ui.errors import ErrorArea, action_guard
from workbench.ui.labeller import check_draft
from workbench.ui.per_clip import PerClip, per_clip
from workbench.ui.player import Player
from workbench.ui.review_card import card_html, empty_card, header_html
from workbench.ui.review_curves import detector_curves, review_curves
from workbench.ui.review_form import DecisionForm
from workbench.ui.review_lanes import lane_bands, lane_labels
from workbench.ui.review_pair import CONSENSUS, PairBar, default_pair
from workbench.ui.review_queue import STATUS, QueueList, first_open, item_mark, union
from workbench.ui.review_style import CSS
from workbench.ui.timeline import Timeline, default_aus, rater_colours

log = logging.getLogger("workbench.ui")

#: Frames shown on the timeline on each side of the item.
MARGIN = 60


class ReviewPanel(W.VBox):
    """Walk the disagreements of a reference and a hypothesis rater; decide; build the consensus.

    Parameters
    ----------
    project : str, Path or Project
        The project (:class:`workbench.project.Project`; the decision log and the audit go to
        its ``reviews/<dataset>/``).
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
        Clip id -> AU curves ``(frame, au)``; default: :func:`workbench.detect.analyse` (the
        detector's own run and cache).
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
        project: str | Path | Project = ".",
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
        super().__init__()
        self.project = Project(project)
        self.project.ensure_dataset(dataset)
        self.store = self.project.store
        self.curves = curves
        self.reviewer: str | None = None
        self.review: logic.Review | None = None
        self.queue = pd.DataFrame()
        self.position: int | None = None
        self.clip_id: str | None = None
        self.clip = None
        self.audit_path: Path | None = None
        self._clips: dict[tuple[str, str], Any] = {}  # (dataset, clip) -> the open clip
        self._curves: dict[tuple[str, str], tuple[Any, str]] = {}  # (dataset, clip) -> (curves, problem)
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
            action_guard(self.errors, self.player, self.load)()  # a clip that cannot be opened is shown, not raised

    # -- widgets -----------------------------------------------------------------------
    def _build_widgets(self, tolerance: int, iou: float, advance: bool) -> None:
        self.errors = ErrorArea()
        self.background = Background(on_error=lambda exc, key: self.errors.show(exc, where=f"AU curves of {key[1]}"))
        self.header = W.HTML()
        self.pair_bar = PairBar(tolerance, iou)
        self.load_btn = W.Button(description="Build queue", icon="list", layout=W.Layout(width="auto"))
        self.queue_box = QueueList(advance)
        self.card = W.HTML()
        self.player = Player()
        self.form = DecisionForm()
        # The controls of the pieces keep their names on the panel (notebooks and tests use them).
        bar, box, form = self.pair_bar, self.queue_box, self.form
        self.reviewer_box, self.dataset_pick, self.ref_pick = bar.reviewer_box, bar.dataset_pick, bar.ref_pick
        self.hyp_pick, self.k_box, self.iou_box = bar.hyp_pick, bar.k_box, bar.iou_box
        self.queue_head, self.queue_list, self.progress = box.head, box.lines, box.progress
        self.prev_btn, self.next_btn, self.advance = box.prev_btn, box.next_btn, box.advance
        self.reason, self.decide_btns, self.undo_btn = form.reason, form.decide_btns, form.undo_btn
        self.fields, self.set_btns = form.fields, form.set_btns
        self.emotion, self.aus, self.note = form.emotion, form.aus, form.note
        self.export_btn, self.export_info = form.export_btn, form.export_info
        self.timeline = Timeline(height=250, guard=self.errors.guard, browser_cursor=True)
        self.timeline.blind.layout.display = "none"  # blind mode is for labelling, not for a review

    def _build_layout(self) -> None:
        self.children = [
            W.HTML(CSS),
            self.header,
            self.pair_bar,
            W.HBox([self.load_btn], layout=W.Layout(grid_gap="6px")),
            self.errors,
            self.background,
            W.HBox(
                [
                    W.VBox([self.queue_box, self.form]),
                    W.VBox([self.card, self.player], layout=W.Layout(grid_gap="6px")),
                ],
                layout=W.Layout(grid_gap="18px", align_items="flex-start"),
            ),
            self.timeline,
        ]
        self.add_class("wb-review")
        self.add_class("wb-linked")  # the player draws the timeline's cursor (Timeline browser_cursor)

    def _wire(self) -> None:
        run = functools.partial(action_guard, self.errors, self.player)
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
            self.pair_bar.show_raters(raters, ref, hyp)
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
        pair, colours = (), {}
        if self.review is not None:
            pair, colours = ((self.ref, "reference"), (self.hyp, "hypothesis")), self._colours()
        self.header.value = header_html(self.reviewer, self.dataset, pair, colours)

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
        ref_events, hyp_events = self.store.read(dataset, ref), self.store.read(dataset, hyp)
        review = logic.Review(
            ref_events,
            hyp_events,
            log_path=path,
            consensus_rater=CONSENSUS,
            iou=float(self.iou_box.value),
            boundary_tolerance=int(self.k_box.value),
            curves=self._detector_curves(dataset, (ref, hyp_events), (hyp, ref_events)),
        )
        self.review, self.dataset, self.ref, self.hyp = review, dataset, ref, hyp
        self.clip_id = self.clip = None
        self.audit_path = path.with_name(path.stem + "-audit.csv")
        self.form.paint({"ref": self.ref, "hyp": self.hyp}, self._colours())
        self.position = None
        self._refresh_queue()
        self._update_header()
        if len(self.queue):
            self.select(first_open(self.queue["decided"].tolist(), -1))
        else:
            self.clip_id = None
            self._show_item()

    def _detector_curves(self, dataset: str, *raters: tuple[str, pd.DataFrame]) -> dict | None:
        return detector_curves(self.project, dataset, *raters)

    def _refresh_queue(self) -> None:
        self.queue = self.review.queue() if self.review is not None else pd.DataFrame()
        self._quiet = True
        try:
            self.queue_box.show(self.queue, self.position)
        finally:
            self._quiet = False
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
        self.timeline.set_window(lo, hi)
        self._fill_draft(item)
        self._quiet = True
        try:
            self.queue_list.value = self.position
        finally:
            self._quiet = False
        self._show_item()

    def _open_clip(self, clip_id: str) -> None:
        """Show the clip at once; its curves come from the background (:meth:`wait` waits)."""
        if clip_id == self.clip_id and self.clip is not None:
            return
        key = (self.dataset, clip_id)
        if key not in self._clips:
            self._clips[key] = self.project.open_clip(self.dataset, clip_id)
        clip = self._clips[key]
        self.clip_id, self.clip = clip_id, clip
        self.player.set_source(clip)
        if key in self._curves:
            self._show_curves(clip, *self._curves[key])
            return
        self.timeline.set_clip(clip.n_frames, clip.fps, None, pending=True)
        self.background.submit(
            key,
            lambda progress: self._curves_of(clip_id, clip, progress),
            lambda found: self._curves_found(key, clip, found),
            "Finding AU curves",
        )

    def wait(self, timeout: float | None = 600) -> bool:
        """Block until the clip's curves are shown (scripts and tests); False on timeout."""
        return self.background.wait(timeout)

    def _curves_of(self, clip_id: str, clip, progress) -> tuple[Any, str]:
        given = None if self.curves is None else (lambda: per_clip(self.curves, clip_id))
        return review_curves(self.project, self.dataset, clip_id, clip, given, progress)

    def _curves_found(self, key: tuple[str, str], clip, found: tuple[Any, str]) -> None:
        self._curves[key] = found
        if clip is self.clip:
            self._show_curves(clip, *found, keep_range=True)
            if self.position is not None:
                self._pick_aus(self.item())

    def _show_curves(self, clip, curves, problem: str, keep_range: bool = False) -> None:
        self.timeline.set_clip(clip.n_frames, clip.fps, curves, keep_range=keep_range)
        reviewed = [r[len(DETECTOR_PREFIX) :] for r in (self.hyp, self.ref) if r and is_detector(r)]
        shown = next((d for d in reviewed if d in self.timeline.curve_sets), None)
        if shown and self.timeline.detector_pick.value != shown:
            self.timeline.detector_pick.value = shown  # the reviewed detector's own curves
        if problem:
            self.timeline.info.value += (
                f"<div class='wb-curves-error' style='color:#b00020'>AU curves unreadable: {html.escape(problem)}</div>"
            )

    def _pick_aus(self, item: Mapping) -> None:
        """Show the curves of the AUs either rater coded for this item (else the most active ones)."""
        if self.timeline.curves is None:
            return
        codes = pd.DataFrame({"aus": [m["aus"] for m in (item_mark(item, "ref"), item_mark(item, "hyp")) if m]})
        self.timeline.au_picker.value = tuple(default_aus(self.timeline.curves, codes))

    def _draw_events(self) -> None:
        """Both raters' marks and the consensus so far, of the current clip."""
        if self.review is None or self.clip_id is None:
            return
        tables = (self.review.reference, self.review.hypothesis, self.review.consensus())
        parts = [t[t["clip"].astype(str) == self.clip_id][list(COLUMNS)] for t in tables]
        parts = [p for p in parts if not p.empty]
        self._lanes()
        self.timeline.set_events(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), CONSENSUS)

    def _lanes(self) -> None:
        """Give each rater's spans and apex ticks a band of its own, and name the bands.

        The timeline draws every span full height; a reference and a hypothesis on the same
        frames (a label or AU item) would blend into one colour.
        """
        if self.review is None:
            return
        colours = self._colours()
        self.timeline.set_lanes(lane_bands({self.ref: "ref", self.hyp: "hyp", CONSENSUS: "consensus"}))
        labels = lane_labels((("ref", self.ref), ("hyp", self.hyp), ("consensus", CONSENSUS)), colours)
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

    def next_open(self) -> None:
        """Open the next undecided item after the current one (wrapping round)."""
        if not len(self.queue):
            raise ValueError("Expected a queue (Build queue), but it is empty.")
        if bool(self.queue["decided"].all()):
            self.player.status = "every item is decided"
            return
        self.select(first_open(self.queue["decided"].tolist(), -1 if self.position is None else self.position))

    # -- the new mark ----------------------------------------------------------------------
    def _fill_draft(self, item: Mapping) -> None:
        """Start the new mark from the reference's mark (else the hypothesis'); clear the tag."""
        mark = item_mark(item, "ref") or item_mark(item, "hyp") or {}
        self._quiet = True
        try:
            self.form.fill(mark)
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
        return self.form.draft

    def _show_draft(self) -> None:
        if self._quiet:
            return
        d = self.draft
        self.player.marks = {k: d.get(k) for k in ("onset", "apex", "offset", "emotion", "aus")}
        self.timeline.set_draft({p: d[p] for p in PHASES})

    def _new_mark(self) -> dict:
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
        shown = out.relative_to(self.project.root) if out.is_relative_to(self.project.root) else out
        self.export_info.value = (
            f"<span class='wb-exported' style='color:#047857'>audit of {len(self.review.log)} record(s) "
            f"written to <code>{html.escape(str(shown))}</code></span>"
        )
        return out

    # -- player keys -----------------------------------------------------
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
            self.card.value = empty_card(empty)
            self.form.allow(None)
            return
        item = self.item()
        kind = str(item["type"]).replace("_", " ")
        raters = (("ref", self.ref, "reference"), ("hyp", self.hyp, "hypothesis"))
        self.card.value = card_html(item, self.position, len(self.queue), raters, self._colours())
        self.form.allow(item["type"], "ref" if item["ref_id"] else "hyp")
        start, stop = union(item)
        self.player.status = f"item {self.position + 1}/{len(self.queue)} · {kind} · frames {start}–{stop}"
