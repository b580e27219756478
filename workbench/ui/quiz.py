"""The flash quiz: neutral face, the expression at true speed, neutral again; answer; reveal.

An anywidget. Python preloads, per item, the frames it needs as JPEG buffers (the neutral
frame and onset..offset) and sends them in one custom message; the browser decodes all of
them to ImageBitmaps *before* the flash, then times the flash with ``requestAnimationFrame``
against the frames' timestamps and reports the duration actually on screen (from the first
paint of the expression to the first paint of the following neutral frame).

A flash is *disturbed* when a display refresh during it took more than 1.5 refreshes
(measured on the neutral frame just before the flash: a frame was dropped, e.g. on a
CPU-starved machine) or when the duration shown is off the asked one by more than one
refresh. The widget then says so ("Flash disturbed: ... press r to replay"); ``r`` replays
and measures again. The student may answer anyway: the answer row then carries
``flash_disturbed=True`` and the duration shown, and the class results mark it.
Every reported flash is in ``flashes`` (the last one per item, synced) and
:attr:`Quiz.flash_log` (all of them, replays included).

Messages from the browser: ``{"type": "load", "item"}``, ``{"type": "shown", "item", "shown_ms",
"refresh_ms", "dropped_frames", "disturbed", "painted"}``, ``{"type": "answer", "item", "answer",
"response_ms"}``, ``{"type": "done"}`` (the last item is finished).
Messages to the browser: ``{"type": "item", ...}`` + JPEG buffers, ``{"type": "reveal", ...}``
+ buffers (motion image JPEG, AU curves float32), ``{"type": "refused", "item"}`` (an answer that
could not be recorded is asked again). Errors raised while handling a message are
shown in the widget (``error`` trait) and logged, never swallowed.

Keys (click the quiz first): Space / Enter / right arrow start the flash, then go to the next
item after the reveal; 1-7 and 0 answer; ``r`` replays the flash (after the reveal, or before the
answer when the flash was disturbed); ``f`` toggles full screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets as t

from workbench import teach
from workbench.detect import Analysis, analyse
from workbench.project import Project
from workbench.schema import EMOTION_KEYS, EMOTIONS
from workbench.ui.frames import encode_jpeg, jpegs
from workbench.ui.overlay import regions as outline_regions
from workbench.ui.per_clip import PerClip, per_clip
from workbench.video import Clip

log = logging.getLogger("workbench.ui")

#: Most frames sent for one item's reveal (a long macro event is subsampled beyond this).
MAX_FRAMES = 400


class Quiz(anywidget.AnyWidget):
    """A flash quiz over events with known labels, in the style of Ekman's METT.

    Parameters
    ----------
    items : sequence of QuizItem
        From :func:`workbench.teach.select_items` (or :meth:`from_project`).
    frames : mapping or callable
        Clip id -> frame source (``n_frames``, ``fps``, ``frame(i)``), e.g. a
        :class:`workbench.video.Clip`.
    student : str, optional
        The student's id; answers go to ``<answers>/<student>.csv``. Without it (the
        lecturer's demonstration) answers are scored but not saved.
    answers : str or Path, optional
        The shared answers folder (required with ``student``).
    curves : mapping or callable, optional
        Clip id -> AU curves ``xr.DataArray (frame, au)``, drawn in the reveal (default:
        from :func:`workbench.detect.analyse`, the detector's own run and cache).
    faces : mapping or callable, optional
        Clip id -> face ``xr.Dataset`` with ``landmarks``, for the region outlines (default:
        from :func:`workbench.detect.analyse`).
    outlines : bool or "auto"
        Outline eyes, brows, nose and mouth on the motion image (``"auto"``: when landmarks
        are at hand).
    title : str
        Shown above the face.
    neutral_ms : float
        How long the neutral face is shown before the flash.
    slow : float
        Speed of the reveal's replay, as a fraction of real speed.
    gain : float
        Amplification of the motion image.
    quality : int
        JPEG quality of the frames.
    presenter : bool
        Start in the large presenter layout.

    Examples
    --------
    >>> quiz = Quiz.from_project(".", "sample", event_ids=["astronaut_1-100"])  # doctest: +SKIP
    >>> quiz  # doctest: +SKIP
    """

    _esm = Path(__file__).with_name("quiz.js")

    n_items = t.Int(0).tag(sync=True)
    index = t.Int(0).tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    student = t.Unicode("").tag(sync=True)
    asked_ms = t.List(t.Float(), default_value=[]).tag(sync=True)
    shown_ms = t.List(default_value=[]).tag(sync=True)
    refresh_ms = t.Float(0.0).tag(sync=True)
    #: Per item, the last reported flash: ``{asked_ms, shown_ms, refresh_ms, dropped_frames, disturbed}`` or None.
    flashes = t.List(default_value=[]).tag(sync=True)
    answers = t.List(t.Unicode(), default_value=[]).tag(sync=True)
    correct = t.List(default_value=[]).tag(sync=True)
    score = t.Unicode("").tag(sync=True)
    neutral_ms = t.Float(1000.0).tag(sync=True)
    slow = t.Float(0.125).tag(sync=True)
    presenter = t.Bool(False).tag(sync=True)
    saving = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    emotion_keys = t.List(default_value=[list(pair) for pair in EMOTION_KEYS]).tag(sync=True)
    disturbed_interval = t.Float(teach.DISTURBED_INTERVAL).tag(sync=True)

    def __init__(
        self,
        items: Sequence[teach.QuizItem],
        frames: PerClip,
        *,
        student: str | None = None,
        answers: str | Path | None = None,
        curves: PerClip = None,
        faces: PerClip = None,
        outlines: bool | str = "auto",
        title: str = "Micro-expression quiz",
        neutral_ms: float = 1000.0,
        slow: float = 0.125,
        gain: float = 8.0,
        quality: int = 90,
        presenter: bool = False,
    ) -> None:
        items = list(items)
        if not items:
            raise ValueError("Expected at least one quiz item, but got none.")
        if student is not None and answers is None:
            raise ValueError(f"Expected an answers folder for student '{student}', but got answers=None.")
        if outlines not in (True, False, "auto"):
            raise ValueError(f"Expected outlines True, False or 'auto', but got {outlines!r}.")
        if not 0 < float(slow) <= 1:
            raise ValueError(f"Expected 0 < slow <= 1 (a fraction of real speed), but got slow={slow!r}.")
        n = len(items)
        super().__init__(
            n_items=n,
            title=str(title),
            student=teach.check_student(student) if student is not None else "",
            asked_ms=[it.asked_ms for it in items],
            shown_ms=[None] * n,
            flashes=[None] * n,
            answers=[""] * n,
            correct=[None] * n,
            neutral_ms=float(neutral_ms),
            slow=float(slow),
            presenter=bool(presenter),
        )
        self.items = items
        self.frames = frames
        self.folder = Path(answers) if answers is not None else None
        self.curves = curves
        self.faces = faces
        self.gain = float(gain)
        self.quality = int(quality)
        self.records: list[dict] = []
        #: Every flash the browser reported, replays included: ``{"item": number, **flash_record}``.
        self.flash_log: list[dict] = []
        self._outline_mode = outlines
        self._analyses: dict[str, Analysis] = {}
        self._analysing: threading.Thread | None = None
        self.on_msg(self._on_msg)
        self._update_score()
        if curves is None or (faces is None and outlines is not False):
            self._start_analysis()

    # -- construction from a project -------------------------------------------
    @classmethod
    def from_project(
        cls,
        project: str | Path = ".",
        dataset: str = "sample",
        rater: str = "truth",
        *,
        event_ids: Sequence[str] | None = None,
        kinds: Sequence[str] | None = ("micro",),
        emotions: Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        mode: str = "real",
        hold_ms: float | Sequence[float] | None = None,
        student: str | None = None,
        answers: str | Path | None = None,
        curves: PerClip = None,
        faces: PerClip = None,
        outlines: bool | str = "auto",
        title: str | None = None,
        neutral_ms: float = 1000.0,
        presenter: bool = False,
    ) -> Quiz:
        """A quiz over one rater's events of a project's dataset (default: the sample's truth).

        Selection arguments are those of :func:`workbench.teach.select_items`; the rest are
        the widget's. ``answers`` defaults to ``<project>/answers/<dataset>``.
        """
        items, clips = project_items(
            project,
            dataset,
            rater,
            event_ids=event_ids,
            kinds=kinds if event_ids is None else None,
            emotions=emotions,
            n=n,
            seed=seed,
            mode=mode,
            hold_ms=hold_ms,
        )
        if answers is None and student is not None:
            answers = Project(project).answers(dataset)
        return cls(
            items,
            clips,
            student=student,
            answers=answers,
            curves=curves,
            faces=faces,
            outlines=outlines,
            title=title or f"Micro-expression quiz · {dataset}",
            neutral_ms=neutral_ms,
            presenter=presenter,
        )

    # -- messages ----------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: dict, _buffers: list) -> None:
        kind = content.get("type")
        try:
            if self.error:
                self.error = ""
            if kind == "load":
                self._send_item(int(content["item"]))
            elif kind == "shown":
                self._shown(content)
            elif kind == "answer":
                self._answer(content)
            elif kind == "done":
                self._done()
            else:
                raise ValueError(f"Expected a message of type load, shown, answer or done, but got {kind!r}.")
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            log.exception("quiz message %r failed", content)
            self.error = f"{type(exc).__name__}: {exc}"
            if kind == "answer":  # the browser asks for the answer again
                self.send({"type": "refused", "item": content.get("item")})

    def _done(self) -> None:
        """The page finished the last item (a hook for subclasses; the notebook quiz has nothing to do)."""

    def _item(self, k: int) -> teach.QuizItem:
        if not 0 <= k < len(self.items):
            raise IndexError(f"Expected an item in [0, {len(self.items) - 1}], but got {k}.")
        return self.items[k]

    def _source(self, clip: str):
        source = per_clip(self.frames, clip)
        if source is None:
            raise KeyError(f"Expected frames of clip '{clip}', but the quiz has none for it.")
        return source

    def item_frames(self, k: int) -> list[int]:
        """Frames sent for item ``k``: the neutral frame, then onset..offset (subsampled past MAX_FRAMES)."""
        return item_frames(self._item(k))

    def _send_item(self, k: int) -> None:
        item = self._item(k)
        content, buffers = item_payload(item, self._source(item.clip), self.quality)
        self.send({"type": "item", "item": k, **content}, buffers=buffers)

    def _shown(self, content: dict) -> None:
        k = int(content["item"])
        item = self._item(k)
        record = teach.flash_record(
            item.asked_ms,
            content["shown_ms"],
            content.get("refresh_ms"),
            content.get("dropped_frames"),
            content.get("disturbed"),
        )
        self.flash_log.append({"item": item.number, **record})
        if record["disturbed"]:
            log.warning("quiz item %d: flash disturbed %s", item.number, record)
        flashes, shown = list(self.flashes), list(self.shown_ms)
        flashes[k], shown[k] = record, record["shown_ms"]
        self.refresh_ms = record["refresh_ms"]
        self.flashes = flashes  # before shown_ms: the browser reads both when shown_ms changes
        self.shown_ms = shown

    def _answer_of(self, content: dict) -> tuple[int, Any, str, dict]:
        """An answer message checked: its item number, the item, the emotion answered, the flash."""
        k = int(content["item"])
        answer = str(content.get("answer"))
        if answer not in EMOTIONS:
            raise ValueError(f"Expected an answer among {', '.join(EMOTIONS)}, but got {answer!r}.")
        return k, self._item(k), answer, self.flashes[k]

    def _answer(self, content: dict) -> None:
        k, item, answer, flash = self._answer_of(content)
        record = teach.answer_record(
            item,
            answer,
            student=self.student or "presenter",
            response_ms=content.get("response_ms"),
            shown_ms=self.shown_ms[k],
            refresh_ms=flash["refresh_ms"] if flash else None,
            dropped_frames=flash["dropped_frames"] if flash else None,
            flash_disturbed=bool(flash and flash["disturbed"]),
        )
        if self.folder is not None and self.student:
            path = teach.record_answer(self.folder, record)
            self.saving = f"saved to {path}"
        else:
            self.saving = "not saved (no student id)"
        self.records = [r for r in self.records if r["item"] != record["item"]] + [record]
        answers, correct = list(self.answers), list(self.correct)
        answers[k], correct[k] = answer, bool(record["correct"])
        self.answers, self.correct = answers, correct
        self._update_score()
        self._send_reveal(k, answer, bool(record["correct"]))

    def _update_score(self) -> None:
        done = [c for c in self.correct if c is not None]
        self.score = f"{sum(done)} / {len(done)}" if done else ""

    # -- reveal --------------------------------------------------------------------
    def _send_reveal(self, k: int, answer: str, correct: bool) -> None:
        item = self._item(k)
        problems: list[str] = []
        try:
            curves = (
                per_clip(self.curves, item.clip) if self.curves is not None else self._analysed(item.clip, "curves")
            )
        except Exception as exc:  # noqa: BLE001 - the reveal goes on with the span only; the error is shown
            log.exception("quiz: AU curves of %s failed", item.clip)
            problems.append(f"AU curves unavailable: {type(exc).__name__}: {exc}")
            curves = None
        try:
            face = None
            if self._outline_mode is not False:
                face = per_clip(self.faces, item.clip) if self.faces is not None else self._analysed(item.clip, "face")
        except Exception as exc:  # noqa: BLE001 - the reveal goes on without outlines; the error is shown
            log.exception("quiz: face data of %s failed", item.clip)
            problems.append(f"outlines unavailable: {type(exc).__name__}: {exc}")
            face = None
        content, buffers, more = reveal_payload(
            item, self._source(item.clip), curves=curves, face=face, outlines=self._outline_mode,
            gain=self.gain, quality=self.quality,
        )  # fmt: skip
        content = {"type": "reveal", "item": k, "answer": answer, "correct": correct, **content}
        self.send({**content, "flash": self.flashes[k]}, buffers=buffers)
        if problems or more:
            self.error = "; ".join(problems + more)

    def _start_analysis(self) -> None:
        """Analyse the items' clips in a background thread (:func:`workbench.detect.analyse`:
        the cache first), for the reveal's curves and outlines."""
        clips = {item.clip: self._source(item.clip) for item in self.items}
        clips = {clip_id: clip for clip_id, clip in clips.items() if isinstance(clip, Clip)}  # files to analyse
        if not clips:
            return

        def run() -> None:
            for clip_id, clip in clips.items():
                try:
                    self._analyses[clip_id] = analyse(clip, clip_id=clip_id)
                except Exception as exc:  # noqa: BLE001 - curves and outlines are optional; say why they are missing
                    log.exception("quiz: analysis of %s failed", clip_id)
                    self.error = f"AU curves and outlines unavailable for {clip_id}: {type(exc).__name__}: {exc}"

        self._analysing = threading.Thread(target=run, name="quiz-analysis", daemon=True)
        self._analysing.start()

    def _analysed(self, clip: str, what: str) -> Any:
        """The analysis' curves or face data of ``clip`` (waiting up to 30 s for it), else None."""
        if self._analysing is not None and clip not in self._analyses:
            self._analysing.join(timeout=30)
        found = self._analyses.get(clip)
        if found is None:
            return None
        return found.curves_of() if what == "curves" else found.face

    # -- Python-side control ---------------------------------------------------------
    def goto(self, k: int) -> None:
        """Show item ``k`` (0-based) next."""
        self._item(int(k))
        self.index = int(k)

    def results(self) -> pd.DataFrame:
        """This quiz's answers as a table of :data:`workbench.teach.ANSWER_COLUMNS`."""
        return pd.DataFrame(self.records, columns=list(teach.ANSWER_COLUMNS))


def item_frames(item: teach.QuizItem) -> list[int]:
    """Frames sent for an item: the neutral frame, then onset..offset (subsampled past MAX_FRAMES)."""
    span = list(range(item.onset, item.offset + 1))
    if len(span) > MAX_FRAMES and item.mode == "apex":
        step = int(np.ceil(len(span) / MAX_FRAMES))
        span = sorted(set(span[::step]) | {item.apex})
    return [item.neutral, *span]


def item_payload(item: teach.QuizItem, source, quality: int = 90) -> tuple[dict, list[bytes]]:
    """What the browser needs to flash an item: frame numbers and timing, and its frames as JPEG buffers.

    Nothing in it says what the expression is: no emotion, no FACS code, no clip or event id
    (those come with the reveal, after the answer is recorded).
    """
    indices = item_frames(item)
    buffers = jpegs(source, indices, quality)
    span = indices[1:]
    if item.mode == "apex":
        flash = {"positions": [span.index(item.apex)], "times": [0.0]}
    else:
        flash = {"positions": list(range(len(span))), "times": item.frame_times_ms()}
    content = {
        "number": item.number,
        "mode": item.mode,
        "fps": item.fps,
        "asked_ms": item.asked_ms,
        "frames": span,
        "neutral": item.neutral,
        "onset": item.onset,
        "apex": item.apex,
        "offset": item.offset,
        "flash": flash,
    }
    return content, buffers


def reveal_payload(
    item: teach.QuizItem,
    source,
    *,
    curves=None,
    face=None,
    outlines: bool | str = "auto",
    gain: float = 8.0,
    quality: int = 90,
) -> tuple[dict, list[bytes], list[str]]:
    """The reveal of an item: truth, FACS code in plain words, motion image (JPEG) and AU curves (float32).

    Returns the message's content (without ``type``, ``item``, ``answer``, ``correct``, ``flash``),
    its buffers, and the problems met (outlines or curves missing), which do not stop the reveal.
    """
    onset, apex = (np.asarray(source.frame(i)) for i in (item.onset, item.apex))
    problems = []
    try:
        lines, outline_note = _outlines(item, onset, face, outlines)
    except Exception as exc:  # noqa: BLE001 - the reveal goes on without outlines; the error is shown
        log.exception("quiz: outlines of %s failed", item.event_id)
        problems.append(f"outlines unavailable: {type(exc).__name__}: {exc}")
        lines, outline_note = [], "outlines unavailable"
    motion = teach.motion_image(onset, apex, gain=gain, outlines=lines)
    try:
        window = teach.curve_window(curves, item)
    except Exception as exc:  # noqa: BLE001 - the reveal goes on with the span only; the error is shown
        log.exception("quiz: AU curves of %s failed", item.clip)
        problems.append(f"AU curves unavailable: {type(exc).__name__}: {exc}")
        window = None
    buffers = [encode_jpeg(motion, quality)]
    curves_msg = None
    if window is not None:
        values = np.ascontiguousarray(window["values"], dtype=np.float32)
        buffers.append(values.tobytes())
        curves_msg = {"names": window["names"], "first": int(window["frames"][0]), "n": int(values.shape[1])}
    content = {
        "truth": item.emotion,
        "aus": item.aus,
        "explanations": teach.au_explanations(item.aus),
        "clip": item.clip,
        "event_id": item.event_id,
        "curves": curves_msg,
        "outlines": outline_note,
        "gain": gain,
    }
    return content, buffers, problems


def _outlines(item: teach.QuizItem, rgb: np.ndarray, face, mode: bool | str) -> tuple[list[np.ndarray], str]:
    if mode is False:
        return [], "outlines off"
    h, w = rgb.shape[:2]
    regions = {
        f"{name} {k}": (*idx, idx[0]) if closed else idx
        for k, (name, idx, closed, _colour) in enumerate(outline_regions())
    }
    lm = face["landmarks"].sel(frame=item.onset).values if face is not None else None
    if lm is None:
        return [], "no landmarks: outlines unavailable"
    lines = teach.region_outlines(lm, regions, w, h)
    return lines, "eyes, brows, nose, mouth outlined" if lines else "no face found: no outlines"


def project_items(
    project: str | Path,
    dataset: str = "sample",
    rater: str = "truth",
    **select: Any,
) -> tuple[list[teach.QuizItem], dict]:
    """Quiz items from a project's store and the clips they need.

    Parameters
    ----------
    project : str, Path or Project
        The project (:class:`workbench.project.Project`).
    dataset, rater : str
        Whose events (default: the built-in sample's truth).
    **select
        Passed to :func:`workbench.teach.select_items` (``event_ids``, ``n``, ``seed``, ``mode``,
        ``hold_ms``, ``kinds``, ``emotions``); anything else is refused there.

    Returns
    -------
    items : list of QuizItem
    clips : dict
        Clip id -> opened :class:`workbench.video.Clip`.
    """
    project = Project(project)
    project.ensure_dataset(dataset)
    media = project.media(dataset)
    events = project.store.read(dataset, rater)
    clips: dict[str, Any] = {}
    for clip in dict.fromkeys(events["clip"].astype(str)):
        if (media / clip).exists():
            clips[clip] = project.open_clip(dataset, clip)
    known = events[events["clip"].astype(str).isin(clips)]
    if known.empty:
        raise FileNotFoundError(f"Expected the clips of {dataset}:{rater} under {media}, but found none of them.")
    items = teach.select_items(known, fps={c: clip.fps for c, clip in clips.items()}, **select)
    return items, {it.clip: clips[it.clip] for it in items}
