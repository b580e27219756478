"""The annotation workbench: clip list, player, labeller and timeline sharing one frame.

One value is the cursor: ``player.frame``. The browser moves it (keys, playback); the
timeline's clicks and the labeller's jumps set it from Python; observers only *follow* it
(timeline cursor, labeller), never set it back, so there is no update loop. Every callback
runs under :meth:`ErrorArea.guard`: an exception is shown in red at the top (and in the
player) and logged, never swallowed.

A clip opens at once, with or without a rater id: watching needs none, marking asks for one.
Its AU curves, landmarks and face box are worked out on a background thread
(:class:`workbench.ui.background.Background`, with a progress bar) and appear when ready.
"""

from __future__ import annotations

import html
import logging
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from workbench.detect import Analysis, analyse
from workbench.detect.find_curves import clip_curves
from workbench.detect.reference import parse_reference
from workbench.project import Project
from workbench.store import check_name
from workbench.ui.background import Background
from workbench.ui.clips import Progress, clip_label
from workbench.ui.errors import ErrorArea, action_guard
from workbench.ui.labeller import Labeller
from workbench.ui.overlay import box_from_image, box_from_landmarks, region_points
from workbench.ui.per_clip import PerClip, per_clip
from workbench.ui.player import Player
from workbench.ui.timeline import Timeline
from workbench.video import Clip

log = logging.getLogger("workbench.ui")

#: The workbench holding each (annotations root, dataset, rater) in this kernel: re-running
#: a notebook cell makes a new widget, which takes the store lock over from the old one.
_HOLDERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Workbench(W.VBox):
    """Label micro-expressions in one dataset of a project.

    Parameters
    ----------
    project : str, Path or Project
        The project (:class:`workbench.project.Project`).
    dataset : str
        Which dataset; ``"sample"`` is made on first use when missing.
    rater : str, optional
        The annotator's id; when None the widget asks for it.
    curves : mapping or callable, optional
        Clip id -> AU curves ``xr.DataArray (frame, au)`` (None: events only).
    faces : mapping or callable, optional
        Clip id -> face ``xr.Dataset`` with ``landmarks (frame, landmark, xyz)``, for the
        region overlay and the face box (else a Haar-cascade box when OpenCV ships one).
    analyse : bool
        Compute landmarks and AU curves for clips that have none given, with
        :func:`workbench.detect.analyse` (the detector's own run and cache).

    Examples
    --------
    >>> wb = Workbench("..", dataset="sample", rater="alice")  # doctest: +SKIP
    >>> wb  # doctest: +SKIP
    """

    def __init__(
        self,
        project: str | Path | Project = ".",
        *,
        dataset: str = "sample",
        rater: str | None = None,
        curves: PerClip = None,
        faces: PerClip = None,
        analyse: bool = False,
    ) -> None:
        super().__init__()
        self.project = Project(project)
        self.dataset = dataset
        self.project.ensure_dataset(dataset)
        self.media = self.project.media(dataset)
        self.store = self.project.store
        self.curves, self.faces = curves, faces
        if analyse:
            self.curves = curves if curves is not None else (lambda clip: self._analysis(clip).curves_of())
            self.faces = faces if faces is not None else (lambda clip: self._analysis(clip).face)
        self.session = None
        self.neutral: dict[str, str] = {}  # clip id -> the neutral reference it is analysed with
        self.progress: Progress | None = None
        self.clip_id: str | None = None
        self.clip = None
        self._others = pd.DataFrame()
        self._progress_of = None

        self.errors = ErrorArea()
        self.background = Background(on_error=self._background_failed)
        self.busy = self.background
        self.player = Player()
        self.timeline = Timeline(guard=self.errors.guard, browser_cursor=True)
        self.labeller = Labeller(
            on_changed=self.errors.guard(self._on_labeller),
            on_jump=self.errors.guard(self.seek),
            guard=self.errors.guard,
        )
        self.rater_box = W.Text(
            continuous_update=False,
            placeholder="your rater id, e.g. alice",
            description="rater",
            layout=W.Layout(width="260px"),
            style={"description_width": "40px"},
        )
        self.rater_btn = W.Button(description="Start", button_style="primary")
        self.clip_list = W.Select(options=[], rows=6, layout=W.Layout(width="400px"))
        self.clip_filter = W.Text(
            placeholder="filter clips: part of a name, ✓ ◐ ○, 'done'",
            continuous_update=True,
            layout=W.Layout(width="400px"),
        )
        self.clip_filter.add_class("wb-clip-filter")
        self.clip_count = W.HTML()
        self.done_box = W.Checkbox(False, description="this clip is done", indent=False)
        self.header = W.HTML()
        self.neutral_marked = W.Button(
            description="neutral = marked span",
            tooltip="Use the frames from the marked onset to the marked offset as the neutral face, and re-analyse",
            disabled=not analyse,
        )
        self.neutral_start = W.Button(description="neutral = clip start", disabled=not analyse)
        self.neutral_auto = W.Button(description="neutral: auto", disabled=not analyse)
        self.neutral_info = W.HTML()
        self._build_layout()
        self._wire()
        self.clip_ids = self.project.clips(dataset)
        if not self.clip_ids:
            raise FileNotFoundError(f"Expected clips in {self.media}, but found none.")
        self._refresh_clips()
        self.open_clip(self.clip_ids[0])  # watching needs no rater id
        if rater:
            self.set_rater(rater)

    # -- layout and wiring ------------------------------------------------------
    def _build_layout(self) -> None:
        right = W.VBox(
            [
                W.HTML("<b>Clips</b> <span style='color:#52606d'>(✓ done · ◐ in progress · ○ untouched)</span>"),
                self.clip_filter,
                self.clip_list,
                self.clip_count,
                self.done_box,
                W.HTML("<hr style='margin:4px 0'>"),
                self.labeller,
            ],
            layout=W.Layout(grid_gap="2px"),
        )
        self.children = [
            self.header,
            W.HBox([self.rater_box, self.rater_btn], layout=W.Layout(grid_gap="8px")),
            self.busy,
            self.errors,
            W.HBox([self.player, right], layout=W.Layout(grid_gap="16px", align_items="flex-start")),
            W.HBox(
                [self.neutral_marked, self.neutral_start, self.neutral_auto, self.neutral_info],
                layout=W.Layout(grid_gap="8px", align_items="center"),
            ),
            self.timeline,
        ]
        self.add_class("wb-workbench")
        self.add_class("wb-linked")  # the player draws the timeline's cursor (Timeline browser_cursor)
        self._update_header()

    def _wire(self) -> None:
        guard = self.errors.guard
        self.player.observe(guard(self._on_frame), "frame")
        self.player.on_action(guard(self._on_action))
        self.labeller.bind(self._guard_both)
        self.rater_btn.on_click(guard(lambda _: self.set_rater(self.rater_box.value)))
        self.rater_box.observe(guard(self._on_rater_typed), "value")
        self.clip_list.observe(guard(self._on_pick_clip), "value")
        self.clip_filter.observe(guard(lambda _: self._refresh_clips()), "value")
        self.done_box.observe(guard(self._on_done), "value")
        self.neutral_marked.on_click(guard(lambda _: self.set_neutral(self._marked_span())))
        self.neutral_start.on_click(guard(lambda _: self.set_neutral("start")))
        self.neutral_auto.on_click(guard(lambda _: self.set_neutral("auto")))

    def _on_rater_typed(self, change) -> None:
        new = str(change["new"]).strip()
        if new and not (self.session and self.session.rater == new):
            self.set_rater(new)

    def _guard_both(self, fn: Callable, where: str | None = None) -> Callable:
        """Guard a callback so its error shows at the top and in the player."""
        return action_guard(self.errors, self.player, fn, where)

    def _update_header(self) -> None:
        who = html.escape(self.session.rater) if self.session else "<i>set your rater id</i>"
        clip = html.escape(self.clip_id or "–")
        self.header.value = (
            "<div style='font-size:15px'><b>Micro-expression workbench</b> · dataset "
            f"<code>{html.escape(self.dataset)}</code> · rater <b class='wb-rater'>{who}</b> · "
            f"clip <code class='wb-clip'>{clip}</code></div>"
        )

    def _analysis(self, clip_id: str, progress=None) -> Analysis:
        clip = self.clip if self.clip_id == clip_id and self.clip is not None else self._open(clip_id)
        reference = self.neutral.get(clip_id, "auto")
        return analyse(
            clip, clip_id=clip_id, dataset=self.dataset, progress=progress or self._progress, reference=reference
        )

    def _marked_span(self) -> str:
        draft = self.labeller.draft
        onset, offset = draft.get("onset"), draft.get("offset")
        if onset is None or offset is None:
            raise ValueError(
                "Expected an onset and an offset marked (keys), but the draft has "
                f"onset={onset}, offset={offset}: mark the neutral frames first."
            )
        old = self.neutral.get(self.clip_id or "", "auto")
        ranges = [] if old in ("auto", "start") else [old]
        return ",".join([*ranges, f"{min(onset, offset)}-{max(onset, offset)}"])

    def set_neutral(self, reference: str) -> None:
        """Analyse the open clip again with this neutral reference (``auto``, ``start`` or frame
        ranges ``"0-17,40-50"``); the timeline shades the frames it used."""

        if self.clip_id is None:
            return
        self.neutral[self.clip_id] = parse_reference(reference)
        frame = self.player.frame
        self.open_clip(self.clip_id)
        self.seek(frame)

    def _open(self, clip_id: str) -> Clip:
        if clip_id not in self.clip_ids:
            raise KeyError(f"Expected a clip of {self.media}, but got {clip_id!r}.")
        return self.project.open_clip(self.dataset, clip_id)

    def _progress(self, done: int, total: int) -> None:
        """Progress of the analysis asked for by :attr:`curves` / :attr:`faces`: the background's bar."""
        report = self._progress_of
        if report is not None:
            report(done, total)

    def wait(self, timeout: float | None = 600) -> bool:
        """Block until the clip's curves and face are shown (scripts and tests); False on timeout."""
        return self.background.wait(timeout)

    def _background_failed(self, exc: BaseException, clip_id: str) -> None:
        self.errors.show(exc, where=f"face analysis of {clip_id}")

    # -- rater and clips -------------------------------------------------------------
    def set_rater(self, rater: str) -> None:
        """Open the store for ``rater`` (releases the previous rater's lock)."""
        rater = check_name("rater", str(rater).strip())
        self.release()
        key = (str(self.store.root), self.dataset, rater)
        older = _HOLDERS.get(key)
        if older is not None and older is not self:
            older.release(f"rater {rater} was taken over by a newer workbench in this kernel")
        self.session = self.store.open(self.dataset, rater)
        _HOLDERS[key] = self
        self.progress = Progress(self.store.root, self.dataset, rater)
        self.rater_box.value = rater
        self.rater_box.disabled = True
        self.rater_btn.disabled = True
        self._refresh_clips()
        if self.clip_id is None:
            self.open_clip(self.clip_ids[0])
        else:  # the clip stays on screen, where it is; its events become this rater's
            self._show_events()
            self._show_done()
            self._update_header()
        self.errors.clear()

    def release(self, reason: str = "") -> None:
        """Close the rater's store session (its lock); the widget stays, read-only."""
        if getattr(self, "session", None) is not None:
            self.session.close()
            self.session = None
            self.labeller.session = None
        if reason:
            self.errors.show(RuntimeError(reason), where="store")
            self.rater_box.disabled = self.rater_btn.disabled = False

    def close(self) -> None:
        """Release the store lock and the widgets."""
        self.release()
        super().close()

    def _refresh_clips(self) -> None:
        mine = self.session.events if self.session else pd.DataFrame(columns=["clip"])
        counts = mine["clip"].astype(str).value_counts() if not mine.empty else pd.Series(dtype=int)
        labels = []
        words = self.clip_filter.value.lower().split()
        for c in self.clip_ids:
            n = int(counts.get(c, 0))
            state = self.progress.state(c, n) if self.progress else "untouched"
            label = clip_label(c, state, n)
            if c == self.clip_id or all(w in label.lower() for w in words):  # the open clip stays listed
                labels.append((label, c))
        shown = f"{len(labels)} of {len(self.clip_ids)} clips" if words else f"{len(self.clip_ids)} clips"
        self.clip_count.value = f"<span class='wb-clip-count' style='color:#52606d'>{shown}</span>"
        if labels == list(self.clip_list.options):
            return
        current = self.clip_list.value
        self._picking = True
        try:
            self.clip_list.options = labels
            if current in self.clip_ids:
                self.clip_list.value = current
        finally:
            self._picking = False

    def _on_pick_clip(self, change) -> None:
        if getattr(self, "_picking", False) or not change["new"] or change["new"] == self.clip_id:
            return
        self.open_clip(change["new"])

    def _on_done(self, change) -> None:
        if self.progress and self.clip_id and not getattr(self, "_picking", False):
            self.progress.set_done(self.clip_id, bool(change["new"]))
            self._refresh_clips()

    def open_clip(self, clip_id: str) -> None:
        """Show ``clip_id`` in the player, the timeline and the labeller at once; its curves,
        landmarks and face box follow from the background (:meth:`wait` waits for them)."""
        clip = self._open(clip_id)
        self.clip_id, self.clip = clip_id, clip
        self.player.set_source(clip)
        self.timeline.set_clip(clip.n_frames, clip.fps, None, pending=True)
        self._show_events()
        self._show_done()
        self._update_header()
        self.background.submit(
            clip_id,
            lambda progress: self._face_and_curves(clip_id, clip, progress),
            lambda found: self._show_face_and_curves(clip, *found),
            "Finding landmarks and AU curves",
        )

    def _show_events(self) -> None:
        """Everyone's events of the clip on the timeline; the rater's in the labeller."""
        clip_id, clip = self.clip_id, self.clip
        everyone = self.store.read_all(self.dataset)
        everyone = everyone[everyone["clip"].astype(str) == clip_id]
        me = self.session.rater if self.session else ""
        self._others = everyone[everyone["rater"].astype(str) != me]
        self.timeline.set_events(everyone, me)  # before the curves, so the default AUs follow the events
        self.labeller.set_clip(self.session, clip_id, clip.fps, clip.n_frames)

    def _show_done(self) -> None:
        self._picking = True
        try:
            self.clip_list.value = self.clip_id
            self.done_box.value = bool(self.progress and self.clip_id in self.progress.done)
        finally:
            self._picking = False

    def _face_and_curves(self, clip_id: str, clip, progress) -> tuple:
        """On the background thread: the face (box, overlay) and the curves of a clip."""
        self._progress_of = progress
        try:
            face = self._face(clip_id, clip)
            try:
                curves = per_clip(self.curves, clip_id)
            except Exception as exc:  # noqa: BLE001 - shown; the timeline works without curves
                self.errors.show(exc, where=f"AU curves of {clip_id}")
                curves = None
        finally:
            self._progress_of = None
        try:
            curves = clip_curves(self.project, self.dataset, clip_id, own=curves)
        except (OSError, ValueError) as exc:  # shown; the detector's own curves still show
            self.errors.show(exc, where=f"imported AU curves of {clip_id}")
        return face, curves

    def _show_face_and_curves(self, clip, face: tuple, curves) -> None:
        if clip is not self.clip:
            return
        self.player.set_face(*face)
        self.timeline.set_clip(clip.n_frames, clip.fps, curves, keep_range=True)
        shown = next(iter(curves.values()), None) if isinstance(curves, Mapping) else curves
        ref = shown.attrs.get("reference") if shown is not None else None
        self.neutral_info.value = (
            f"<span style='color:#52606d'>neutral reference: <b>{html.escape(str(ref))}</b> "
            "(grey along the timeline's bottom)</span>"
            if ref
            else ""
        )

    def _face(self, clip_id: str, clip) -> tuple[list[float] | None, Any, list[dict] | None]:
        try:
            face = per_clip(self.faces, clip_id)
        except Exception as exc:  # noqa: BLE001 - shown; the player works without landmarks
            self.errors.show(exc, where=f"landmarks of {clip_id}")
            face = None
        if face is not None:
            lm = face["landmarks"].values
            points, regions = region_points(lm)
            return box_from_landmarks(lm), points, regions
        try:
            with self.player._source_lock:  # the player's frame server reads the same clip
                middle = clip.frame(clip.n_frames // 2)
            return box_from_image(middle), None, None
        except Exception as exc:  # noqa: BLE001 - the zoom is optional; say why it is off
            log.warning("no face box for %s: %s", clip_id, exc)
            return None, None, None

    # -- the one frame -----------------------------------------------------------------
    def seek(self, frame: int) -> None:
        """Move the shared cursor (the player follows, then the timeline)."""
        frame = max(0, min(int(frame), self.player.n_frames - 1))
        if frame != self.player.frame:
            self.player.frame = frame

    def _on_frame(self, change) -> None:
        self.timeline.set_cursor(change["new"])

    def _on_action(self, action: str, arg: Any, frame: int) -> None:
        run = self._guard_both(self._act, where=f"key action {action!r}")
        run(action, arg, frame)

    def _act(self, action: str, arg: Any, frame: int) -> None:
        lab = self.labeller
        if self.session is None and action in ("mark", "emotion", "save", "undo", "redo"):
            raise RuntimeError(
                f"Expected a rater id before marking (type yours in the rater box above and press Enter; "
                f"watching needs none), but none is set: key action {action!r} was not applied."
            )
        if action == "mark":
            lab.mark(arg, frame)
        elif action == "emotion":
            lab.set_emotion(arg)
        elif action == "save":
            lab.save()
        elif action == "undo":
            lab.undo()
        elif action == "redo":
            lab.redo()
        elif action in ("next", "prev"):
            target = lab.neighbour(frame, 1 if action == "next" else -1)
            if target is None:
                self.player.status = f"no {'next' if action == 'next' else 'previous'} event"
            else:
                self.seek(target)

    def _on_labeller(self) -> None:
        try:
            draft = self.labeller.draft
        except ValueError:
            draft = {}
        marks = {k: draft.get(k) for k in ("onset", "apex", "offset", "emotion", "aus")}
        self.player.marks = marks
        self.player.reference = draft["onset"] if draft.get("onset") is not None else -1
        self.timeline.draft = dict(marks)  # drawn once, with the events below
        parts = [f for f in (self._others, self.labeller.clip_events()) if not f.empty]
        both = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        self.timeline.set_events(both, self.session.rater if self.session else "")
        self.player.status = self.labeller.status_text()
        self._refresh_clips()
