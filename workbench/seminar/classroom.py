"""One served seminar: its settings, its course, its ledger and its shared material.

The settings live in ``answers/<class>/seminar.json`` (written once, atomically, readable by the
presenter only): the class code students type, the presenter's key and how the course is made.
A server restarted on the same class reads them back, so the code, the key, the forms and each
student's assignment stay as they were, and every acknowledged answer is in the ledger.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.atomic import atomic_write_bytes
from workbench.project import Project
from workbench.seminar.ledger import Ledger, Student
from workbench.seminar.material import Material
from workbench.teach.course import TEST_STAGES, Course, Pair, class_gain, confused_pairs, gains, stage_answers
from workbench.teach.items import QuizItem
from workbench.teach.results import confusion, scores
from workbench.ui.quiz import project_items

#: Letters and digits a class code is made of (no 0/O, 1/I/L to misread on a projector).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SETTINGS_FILE = "seminar.json"


def new_code(n: int = 6) -> str:
    """A random class code, e.g. ``"K7QX2M"``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


@dataclass(frozen=True)
class Settings:
    """How a seminar is served (saved in ``answers/<class>/seminar.json``)."""

    project: str
    seminar: str
    dataset: str = "sample"
    rater: str = "truth"
    code: str = ""
    key: str = ""
    n_test: int = 14
    n_practice: int = 28
    pairs: int = 4
    seed: int = 0
    control: bool = False
    kinds: tuple[str, ...] | None = None
    mode: str = "real"
    hold_ms: float | None = None
    analysis: bool = True

    @property
    def folder(self) -> Path:
        return Project(self.project).answers(self.seminar)

    @property
    def path(self) -> Path:
        return self.folder / SETTINGS_FILE

    def save(self) -> Path:
        data = json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.path, data)
        os.chmod(self.path, 0o600)  # the presenter's key is in it
        return self.path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Settings:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"Expected the settings of a seminar in {path}, but it cannot be read: {exc}") from exc
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ValueError(f"Expected only the fields {sorted(names)} in {path}, but got {unknown}.")
        if raw.get("kinds") is not None:
            raw["kinds"] = tuple(raw["kinds"])
        return cls(**raw)

    @classmethod
    def open(cls, project: str | os.PathLike, seminar: str, **given) -> tuple[Settings, bool]:
        """The class's saved settings, else new ones from ``given`` (saved); and whether they were saved before.

        A class served again keeps its code, key and course; ``given`` values that would change
        the course of a class that has begun are refused.
        """
        path = Project(project).answers(seminar) / SETTINGS_FILE
        if path.exists():
            saved = cls.load(path)
            course = ("dataset", "rater", "n_test", "n_practice", "seed", "control", "kinds", "mode", "hold_ms")
            changed = [k for k in course if k in given and given[k] != getattr(saved, k)]
            if changed:
                was = ", ".join(f"{k}={getattr(saved, k)!r}" for k in changed)
                raise ValueError(
                    f"Expected the course of class {seminar!r} as it began ({was}, in {path}), but got "
                    + ", ".join(f"{k}={given[k]!r}" for k in changed)
                    + ". Serve a new class under another name to change the course."
                )
            keep = {k: v for k, v in given.items() if k in ("code", "key") and v}
            return (dataclasses.replace(saved, **keep) if keep else saved), True
        settings = cls(
            project=str(Project(project).root),
            seminar=seminar,
            **{k: v for k, v in given.items() if k not in ("code", "key")},
            code=(given.get("code") or new_code()).upper(),
            key=given.get("key") or secrets.token_urlsafe(12),
        )
        return settings, False


def course_of(settings: Settings) -> tuple[Course, dict]:
    """The course the settings make from the project's labelled events, and the clips it needs."""
    select = {"kinds": list(settings.kinds) if settings.kinds else None, "mode": settings.mode}
    if settings.hold_ms is not None:
        select["hold_ms"] = settings.hold_ms
    items, clips = project_items(settings.project, settings.dataset, settings.rater, **select)
    course = Course.from_items(items, n_test=settings.n_test, n_practice=settings.n_practice, seed=settings.seed)
    return course, clips


class Classroom:
    """The served seminar: course, ledger and material, shared by every page of the server.

    Parameters
    ----------
    settings : Settings
        From :meth:`Settings.open` or :meth:`Settings.load`.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.course, clips = course_of(settings)
        self.material = Material(clips, analysis=settings.analysis)
        self.material.warm([*self.course.forms[0], *self.course.forms[1], *self.course.extra])
        self.ledger = Ledger(settings.folder, settings.seminar, control=settings.control, seed=settings.seed)

    def close(self) -> None:
        self.ledger.close()

    # ---- access ------------------------------------------------------------------------------
    def check_code(self, code: str) -> bool:
        """Whether ``code`` is the class code (case and spaces do not matter; constant time)."""
        given = "".join(str(code).split()).upper().encode()
        return secrets.compare_digest(given, self.settings.code.upper().encode())

    def check_key(self, key: str) -> bool:
        """Whether ``key`` is the presenter's key (constant time)."""
        return secrets.compare_digest(str(key).encode(), self.settings.key.encode())

    # ---- the course of one student --------------------------------------------------------------
    def items(self, student: Student, stage: str) -> list[QuizItem]:
        return self.course.items(stage, student.form)

    def settle(self, student: Student) -> str | None:
        """Mark test stages whose items are all answered as done; the student's stage now."""
        while (stage := student.stage()) in TEST_STAGES:
            items = self.items(student, stage)
            if any(it.number not in student.answered(stage) for it in items):
                break
            self.ledger.finish(student.student, stage, items)
        return student.stage()

    def pairs(self) -> list[Pair]:
        """The pairs to train on now: those the class confused most in the pre-test."""
        pre = stage_answers(self.ledger.answers(), "pre")
        return confused_pairs(confusion(pre), k=self.settings.pairs, among=self.course.emotions)

    def examples(self, student: Student) -> dict[str, QuizItem]:
        """One item per emotion to show in training: never one of the student's post-test items."""
        out: dict[str, QuizItem] = {}
        for it in self.course.items("practice", student.form):
            out.setdefault(it.emotion, it)
        return out

    # ---- results ---------------------------------------------------------------------------------
    def results(self, *, exclude_disturbed: bool = False) -> dict[str, pd.DataFrame]:
        """Everything the presenter sees, as tables."""
        answers = self.ledger.answers()
        per_student = gains(answers, exclude_disturbed=exclude_disturbed)
        out = {"answers": answers, "gains": per_student, "class_gain": class_gain(per_student)}
        for stage in TEST_STAGES:
            part = stage_answers(answers, stage)
            out[f"scores_{stage}"] = scores(part, exclude_disturbed=exclude_disturbed) if not part.empty else None
            out[f"confusion_{stage}"] = confusion(part, exclude_disturbed=exclude_disturbed)
        return out

    def export(self) -> list[Path]:
        """Write the class's results as CSV files in ``answers/<class>/export/``; their paths."""
        folder = self.settings.folder / "export"
        tables = self.results()
        written = []
        for name in ("answers", "gains", "class_gain", "confusion_pre", "confusion_post", "scores_pre", "scores_post"):
            table = tables.get(name)
            if table is None:
                continue
            path = folder / f"{name}.csv"
            index = name not in ("answers",)
            atomic_write_bytes(path, table.to_csv(index=index).encode("utf-8"))
            written.append(path)
        roster = self.ledger.roster()
        atomic_write_bytes(folder / "students.csv", roster.to_csv(index=False).encode("utf-8"))
        written.append(folder / "students.csv")
        return written
