"""The student's widgets in a served seminar: the flash quiz of one stage, and the training.

:class:`StageQuiz` is the notebook's :class:`workbench.ui.quiz.Quiz` (same page, same keys:
Space flashes, 1-7 and 0 answer, r replays a disturbed flash) with three differences:

- frames and reveals come from the class's shared :class:`~workbench.seminar.material.Material`;
- every answer goes to the class's :class:`~workbench.seminar.ledger.Ledger` (journalled and
  fsynced) *before* the page hears back;
- the truth is sent only in the reveal, after the answer is recorded, and only in a stage with
  feedback (practice). In the pre-test and the post-test the page is told ``recorded`` and
  moves on: it never receives the item's emotion, FACS code, clip or event id.

:class:`Training` shows, pair by pair, two expressions the class confuses side by side in slow
motion, with the AUs that tell them apart in plain words (:func:`workbench.teach.telling_aus`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from workbench.seminar.ledger import Ledger, Student
from workbench.seminar.material import Material
from workbench.teach.course import FEEDBACK_STAGES, STAGE_TITLES, TEST_STAGES, Pair, telling_aus
from workbench.teach.items import QuizItem
from workbench.ui.quiz import Quiz

log = logging.getLogger("workbench.seminar")


class StageQuiz(Quiz):
    """One test stage of one student (see the module's docstring).

    Parameters
    ----------
    items : sequence of QuizItem
        The stage's items for this student.
    material : Material
        The class's shared frames and reveals.
    ledger : Ledger
        Where answers go.
    student : Student
        Who answers (from :meth:`Ledger.join`).
    stage : str
        ``pre``, ``practice`` or ``post``.
    on_done : callable, optional
        Called (no arguments) when the page has finished the last item.
    """

    #: Whether the page reveals the truth after each answer (else it is told ``recorded``).
    feedback = t.Bool(True).tag(sync=True)

    def __init__(
        self,
        items: Sequence[QuizItem],
        material: Material,
        *,
        ledger: Ledger,
        student: Student,
        stage: str,
        on_done: Callable[[], None] | None = None,
        neutral_ms: float = 1000.0,
    ) -> None:
        if stage not in TEST_STAGES:
            raise ValueError(f"Expected a stage with answers ({', '.join(TEST_STAGES)}), but got stage={stage!r}.")
        super().__init__(
            items, material.clips, curves={}, faces={}, outlines=False, title=STAGE_TITLES[stage], neutral_ms=neutral_ms
        )
        self.material, self.ledger, self.sid, self.stage = material, ledger, student.student, stage
        self.on_done = on_done
        self.feedback = stage in FEEDBACK_STAGES
        self.student = student.name
        answered = student.answered(stage)
        self.answers = [answered[it.number]["answer"] if it.number in answered else "" for it in self.items]
        if self.feedback:
            self.correct = [bool(answered[i.number]["correct"]) if i.number in answered else None for i in self.items]
            self._update_score()
        left = [k for k, it in enumerate(self.items) if it.number not in answered]
        self.index = left[0] if left else len(self.items) - 1  # a reload resumes at the first item not answered

    def _update_score(self) -> None:
        if self.feedback:
            super()._update_score()

    def _send_item(self, k: int) -> None:
        content, buffers = self.material.item(self._item(k))
        self.send({"type": "item", "item": k, **content}, buffers=buffers)

    def _answer(self, content: dict) -> None:
        k, item, answer, flash = self._answer_of(content)
        row, new = self.ledger.answer(
            self.sid,
            self.stage,
            item,
            answer,
            response_ms=content.get("response_ms"),
            shown_ms=self.shown_ms[k],
            refresh_ms=flash["refresh_ms"] if flash else None,
            dropped_frames=flash["dropped_frames"] if flash else None,
            flash_disturbed=bool(flash and flash["disturbed"]),
        )
        saving = "answer saved" if new else "this item was answered before: the first answer stands"
        answers = list(self.answers)
        answers[k] = row["answer"]
        if not self.feedback:
            # The acknowledgement first (the answer is journalled): the page moves on as soon as it has it;
            # the two state updates follow it in the same websocket.
            self.send({"type": "recorded", "item": k, "saving": saving})
            self.saving, self.answers = saving, answers
            return
        self.saving, self.answers = saving, answers
        correct = list(self.correct)
        correct[k] = bool(row["correct"])
        self.correct = correct
        self._update_score()
        content, buffers = self.material.reveal(item)
        reveal = {"type": "reveal", "item": k, "answer": row["answer"], "correct": bool(row["correct"]), **content}
        self.send({**reveal, "flash": self.flashes[k]}, buffers=buffers)

    def _send_reveal(self, k: int, answer: str, correct: bool) -> None:  # pragma: no cover - see _answer
        raise RuntimeError("A stage quiz reveals only through _answer, after the answer is recorded.")

    def _done(self) -> None:
        if self.on_done is not None:
            self.on_done()


class Training(anywidget.AnyWidget):
    """Pairs of emotions side by side in slow motion, with what tells them apart.

    Parameters
    ----------
    pairs : sequence of Pair
        From :func:`workbench.teach.confused_pairs`.
    examples : mapping
        Emotion -> an item to show (never one of the student's post-test items).
    material : Material
        The class's shared frames.
    slow : float
        Replay speed as a fraction of real speed.
    on_done : callable, optional
        Called when the student leaves the last pair.
    """

    _esm = Path(__file__).with_name("training.js")

    pairs = t.List(default_value=[]).tag(sync=True)
    index = t.Int(0).tag(sync=True)
    slow = t.Float(0.125).tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        pairs: Sequence[Pair],
        examples: Mapping[str, QuizItem],
        material: Material,
        *,
        slow: float = 0.125,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        described = [
            {
                "first": p.first,
                "second": p.second,
                "confusions": p.confusions,
                "source": p.source,
                "regions": telling_aus(p.first, p.second),
                "examples": [e for e in (p.first, p.second) if e in examples],
            }
            for p in pairs
        ]
        super().__init__(pairs=described, slow=float(slow))
        self.examples = dict(examples)
        self.material = material
        self.on_done = on_done
        self.on_msg(self._on_msg)

    def _on_msg(self, _widget: Any, content: dict, _buffers: list) -> None:
        kind = content.get("type")
        try:
            if kind == "load":
                self._send_pair(int(content["pair"]))
            elif kind == "done":
                if self.on_done is not None:
                    self.on_done()
            else:
                raise ValueError(f"Expected a message of type load or done, but got {kind!r}.")
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            log.exception("training message %r failed", content)
            self.error = f"{type(exc).__name__}: {exc}"

    def _send_pair(self, k: int) -> None:
        if not 0 <= k < len(self.pairs):
            raise IndexError(f"Expected a pair in [0, {len(self.pairs) - 1}], but got {k}.")
        sides, buffers = [], []
        for emotion in self.pairs[k]["examples"]:
            content, frames = self.material.example(self.examples[emotion])
            sides.append({**content, "n": len(frames)})
            buffers.extend(frames)
        self.send({"type": "pair", "pair": k, "sides": sides}, buffers=buffers)
