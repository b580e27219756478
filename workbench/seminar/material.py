"""What every student's page is sent, made once per item for the whole class and kept in memory.

A class of 30 flashes the same items: the JPEG frames of an item (:func:`workbench.ui.quiz.item_payload`),
its reveal (:func:`workbench.ui.quiz.reveal_payload`: motion image, AU curves) and the training's
slow-motion examples are encoded once, on first use or while the server warms up, and shared.
Clips are read under one lock each (a decoder is not shared between threads). The AU curves and
face data come from :func:`workbench.detect.analyse` (its cache first), in one background thread;
until a clip's analysis is there its reveal has the event's span without curves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from workbench.detect import Analysis, analyse
from workbench.teach.items import QuizItem
from workbench.ui.frames import jpegs
from workbench.ui.quiz import item_payload, reveal_payload
from workbench.video import Clip, open_clip

log = logging.getLogger("workbench.seminar")

#: Most frames of one training example (a longer event is subsampled).
EXAMPLE_FRAMES = 80


class Material:
    """Encoded items, reveals and examples of one course, shared by every student.

    Parameters
    ----------
    clips : mapping
        Clip id -> frame source (:class:`workbench.video.Clip`).
    quality : int
        JPEG quality.
    gain : float
        Amplification of the reveal's motion image.
    analysis : bool
        Analyse the clips for the reveal's AU curves and outlines (background thread).
    """

    def __init__(self, clips: Mapping[str, Any], *, quality: int = 85, gain: float = 8.0, analysis: bool = True):
        self.clips = dict(clips)
        self.quality = int(quality)
        self.gain = float(gain)
        self._clip_locks = {c: threading.Lock() for c in self.clips}
        self._lock = threading.Lock()
        self._made: dict[tuple, threading.Event] = {}
        self._cache: dict[tuple, Any] = {}
        self.analyses: dict[str, Analysis] = {}
        self.problems: list[str] = []
        self._analysing = threading.Thread(target=self._analyse_all, daemon=True) if analysis else None
        if self._analysing is not None:
            self._analysing.start()

    # ---- shared, made once ----------------------------------------------------------------
    def _once(self, key: tuple, make) -> Any:
        with self._lock:
            done = self._made.get(key)
            mine = done is None
            if mine:
                done = self._made[key] = threading.Event()
        if mine:
            try:
                self._cache[key] = make()
            except BaseException:
                with self._lock:
                    del self._made[key]
                done.set()
                raise
            done.set()
            return self._cache[key]
        done.wait()
        if key not in self._cache:
            return self._once(key, make)  # the first maker failed: try again
        return self._cache[key]

    def item(self, item: QuizItem) -> tuple[dict, list[bytes]]:
        """The flash of an item: content (no truth in it) and JPEG buffers."""

        def make():
            with self._clip_locks[item.clip]:
                return item_payload(item, self.clips[item.clip], self.quality)

        content, buffers = self._once(("item", item.event_id, item.mode, item.hold_ms), make)
        return {**content, "number": item.number}, buffers

    def reveal(self, item: QuizItem) -> tuple[dict, list[bytes]]:
        """The reveal of an item (truth, AUs, motion image, curves once the analysis is there)."""
        ready = item.clip in self.analyses

        def make():
            found = self.analyses.get(item.clip)
            curves = found.curves_of() if found is not None else None
            face = found.face if found is not None else None
            with self._clip_locks[item.clip]:
                content, buffers, problems = reveal_payload(
                    item, self.clips[item.clip], curves=curves, face=face, gain=self.gain, quality=self.quality
                )
            for p in problems:
                log.warning("reveal of %s: %s", item.event_id, p)
            return content, buffers

        return self._once(("reveal", item.event_id, ready), make)

    def example(self, item: QuizItem) -> tuple[dict, list[bytes]]:
        """A training example: onset..offset (at most :data:`EXAMPLE_FRAMES`) as JPEG buffers."""

        def make():
            span = list(range(item.onset, item.offset + 1))
            if len(span) > EXAMPLE_FRAMES:
                step = int(np.ceil(len(span) / EXAMPLE_FRAMES))
                span = sorted(set(span[::step]) | {item.apex})
            with self._clip_locks[item.clip]:
                buffers = jpegs(self.clips[item.clip], [item.neutral, *span], self.quality)
            content = {
                "emotion": item.emotion,
                "aus": item.aus,
                "fps": item.fps,
                "frames": span,
                "neutral": item.neutral,
                "apex": item.apex,
            }
            return content, buffers

        return self._once(("example", item.event_id), make)

    def warm(self, items: Iterable[QuizItem]) -> threading.Thread:
        """Encode the items' flashes in a background thread, so the first students do not wait."""
        todo = list(items)

        def run():
            for it in todo:
                try:
                    self.item(it)
                except Exception:  # noqa: BLE001 - a student asking for it sees the error
                    log.exception("could not prepare item %s", it.event_id)

        thread = threading.Thread(target=run, name="seminar-warm", daemon=True)
        thread.start()
        return thread

    # ---- analysis ---------------------------------------------------------------------------
    def _analyse_all(self) -> None:
        for clip_id, clip in self.clips.items():
            try:
                own = _reopen(clip)  # the analysis reads with its own decoder
                self.analyses[clip_id] = analyse(own, clip_id=clip_id, jobs=1)
            except Exception as exc:  # noqa: BLE001 - curves are optional; say why they are missing
                log.warning("AU curves unavailable for %s: %s: %s", clip_id, type(exc).__name__, exc)
                self.problems.append(f"AU curves unavailable for {clip_id}: {type(exc).__name__}: {exc}")


def _reopen(clip: Any) -> Any:
    if not isinstance(clip, Clip):
        return clip
    return open_clip(clip.source, fps=clip.fps if clip.source.is_dir() else None)
