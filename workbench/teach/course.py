"""A course in the shape of Ekman's METT: pre-test, training, practice, post-test; the gain measured.

::

    trained arm:  pre-test ──▶ training ──▶ practice ──▶ post-test
                  (form A)     pairs the    feedback     (form B: other items)
                  no feedback  class confuses
    retest arm:   pre-test ──▶ post-test ──▶ training ──▶ practice      (optional control)

- The pool of labelled items is split into two *forms* (:func:`split_forms`): disjoint, with
  each emotion dealt alternately, so the forms hold the same emotions in counts that differ by
  at most one. A student takes one form as the pre-test and the *other* as the post-test, so a
  gain is not the memory of a face seen before; half the class goes A -> B and half B -> A, so
  a difference in difficulty between the forms cancels out over the class.
- Practice (feedback after each answer) uses the pre-test items and the items left out of both
  forms, never post-test items.
- Training shows the pairs of emotions the class confused most in the pre-test
  (:func:`confused_pairs`), side by side, with the AUs that tell them apart (:func:`telling_aus`).
- A student's gain is post-test accuracy minus pre-test accuracy (:func:`gains`); the class gain
  is their mean with a 95 % t interval (:func:`mean_ci`, :func:`class_gain`). With a retest arm,
  the trained students' gain is compared with the gain of students who only took the test twice.

Pure: items and tables in, items and tables out.

Examples
--------
>>> [round(v, 4) for v in mean_ci([0.1, 0.2, 0.3])]
[0.2, -0.0484, 0.4484, 3]
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.emotions import PROTOTYPES
from workbench.facs import AU_NAMES
from workbench.schema import EMOTIONS
from workbench.teach.answers import ANSWER_COLUMNS, answer_record
from workbench.teach.items import QuizItem

#: The stages of the course, in the trained arm's order.
STAGES: tuple[str, ...] = ("pre", "training", "practice", "post")
#: Stages whose answers are scored and kept (training has none).
TEST_STAGES: tuple[str, ...] = ("pre", "practice", "post")
#: Stages that tell the student after each answer whether it was right.
FEEDBACK_STAGES: tuple[str, ...] = ("practice",)
#: ``trained``: the course; ``retest``: pre-test and post-test first, the training after (control).
ARMS: tuple[str, ...] = ("trained", "retest")
ORDER: dict[str, tuple[str, ...]] = {
    "trained": ("pre", "training", "practice", "post"),
    "retest": ("pre", "post", "training", "practice"),
}
STAGE_TITLES: dict[str, str] = {
    "pre": "Pre-test",
    "training": "Training",
    "practice": "Practice",
    "post": "Post-test",
}
#: Columns of the seminar's answers: the quiz's answer columns with who, which arm, form, stage.
COURSE_COLUMNS: tuple[str, ...] = ("seminar", "student", "name", "arm", "form", "stage", *ANSWER_COLUMNS[1:])

#: Face regions of the AUs the emotion prototypes use, for explanations in plain words.
REGIONS: dict[str, tuple[int, ...]] = {
    "brows": (1, 2, 4),
    "eyes": (5, 6, 7, 41, 42, 43, 44, 45, 46),
    "nose": (9, 11, 38, 39),
    "mouth": (10, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28),
}


# ---- items ----------------------------------------------------------------------------------
def split_forms(items: Sequence[QuizItem], *, n: int | None = None, seed: int = 0) -> tuple[list, list]:
    """Two disjoint test forms balanced by emotion.

    Items of each emotion (in :data:`EMOTIONS` order, shuffled within the emotion by ``seed``)
    are dealt alternately, each emotion starting on the form that holds fewer items so far:
    per emotion the forms differ by at most one item, and in total by at most one.

    Parameters
    ----------
    items : sequence of QuizItem
        The pool (one dataset's labelled events).
    n : int, optional
        At most ``n`` items per form (taken across emotions in turn, so the balance holds).
    seed : int
        Order within an emotion.

    Returns
    -------
    (list of QuizItem, list of QuizItem)
        Forms A and B, numbered from 1 each.

    Examples
    --------
    ::

        happiness h1 h2 h3      A: h1 h3 s2 d1    (happiness 2, surprise 1, disgust 1)
        surprise  s1 s2         B: h2 s1 d2       (happiness 1, surprise 1, disgust 1)
        disgust   d1 d2
    """
    if len(items) < 2:
        raise ValueError(f"Expected at least 2 items to make a pre-test and a post-test, but got {len(items)}.")
    groups = _by_emotion(items, seed)
    forms: tuple[list, list] = ([], [])
    for group in groups.values():
        first = 0 if len(forms[0]) <= len(forms[1]) else 1
        for k, item in enumerate(group):
            forms[(first + k) % 2].append(item)
    if n is not None:
        forms = tuple(_take_balanced(form, int(n)) for form in forms)
    return _numbered(forms[0]), _numbered(forms[1])


def _by_emotion(items: Iterable[QuizItem], seed: int) -> dict[str, list[QuizItem]]:
    rng = random.Random(seed)
    groups: dict[str, list[QuizItem]] = {}
    for emotion in EMOTIONS:
        group = [it for it in items if it.emotion == emotion]
        rng.shuffle(group)
        if group:
            groups[emotion] = group
    return groups


def _take_balanced(items: Sequence[QuizItem], n: int) -> list[QuizItem]:
    """At most ``n`` items, one emotion at a time in turn (keeps the emotions' balance)."""
    queues = _queues(items)
    out: list[QuizItem] = []
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    return out


def _queues(items: Sequence[QuizItem]) -> list[list[QuizItem]]:
    order = {e: k for k, e in enumerate(EMOTIONS)}
    groups: dict[str, list[QuizItem]] = {}
    for it in items:
        groups.setdefault(it.emotion, []).append(it)
    return [groups[e] for e in sorted(groups, key=order.__getitem__)]


def _numbered(items: Sequence[QuizItem]) -> list[QuizItem]:
    return [dataclasses.replace(it, number=k + 1) for k, it in enumerate(items)]


@dataclass(frozen=True)
class Course:
    """The items of each stage. Build it with :meth:`from_items`.

    Attributes
    ----------
    forms : (tuple of QuizItem, tuple of QuizItem)
        Test forms A and B (disjoint).
    extra : tuple of QuizItem
        Items in neither form: practice only.
    n_practice : int
        Most practice items.
    """

    forms: tuple[tuple[QuizItem, ...], tuple[QuizItem, ...]]
    extra: tuple[QuizItem, ...] = ()
    n_practice: int = 28

    @classmethod
    def from_items(
        cls, items: Sequence[QuizItem], *, n_test: int | None = 14, n_practice: int = 28, seed: int = 0
    ) -> Course:
        """Split a pool into forms of at most ``n_test`` items (METT: 14) and practice (METT: 28)."""
        a, b = split_forms(items, n=n_test, seed=seed)
        used = {it.event_id for it in (*a, *b)}
        extra = tuple(it for it in items if it.event_id not in used)
        return cls(forms=(tuple(a), tuple(b)), extra=extra, n_practice=int(n_practice))

    def items(self, stage: str, form: int) -> list[QuizItem]:
        """The items a student of ``form`` (0: pre-test A, 1: pre-test B) meets in ``stage``."""
        if form not in (0, 1):
            raise ValueError(f"Expected form 0 or 1, but got form={form!r}.")
        if stage == "pre":
            return list(self.forms[form])
        if stage == "post":
            return list(self.forms[1 - form])
        if stage == "practice":
            pool = [*self.extra, *self.forms[form]]
            return _numbered(_take_balanced(pool, self.n_practice))
        if stage == "training":
            return []
        raise ValueError(f"Expected a stage among {', '.join(STAGES)}, but got stage={stage!r}.")

    @property
    def emotions(self) -> list[str]:
        """Emotions of the course's items, in :data:`EMOTIONS` order."""
        present = {it.emotion for form in self.forms for it in form} | {it.emotion for it in self.extra}
        return [e for e in EMOTIONS if e in present]


def assign(k: int, *, control: bool = False, seed: int = 0) -> tuple[int, str]:
    """Form and arm of the ``k``-th student to join (0-based), by permuted blocks.

    Without a control, blocks of two students take forms A and B in a random order; with one,
    blocks of four take every (form, arm) pair once. Over a class the forms (and arms) are
    balanced within one student.

    Examples
    --------
    >>> sorted(assign(k, control=True) for k in range(4))
    [(0, 'retest'), (0, 'trained'), (1, 'retest'), (1, 'trained')]
    """
    cells = [(f, a) for f in (0, 1) for a in (ARMS if control else ARMS[:1])]
    block, pos = divmod(int(k), len(cells))
    random.Random(f"{seed}:{block}").shuffle(cells)
    return cells[pos]


def next_stage(arm: str, done: Iterable[str]) -> str | None:
    """The first stage of the arm's order not in ``done`` (None: the course is over)."""
    if arm not in ORDER:
        raise ValueError(f"Expected an arm among {', '.join(ARMS)}, but got arm={arm!r}.")
    finished = set(done)
    return next((s for s in ORDER[arm] if s not in finished), None)


# ---- training: what the class confuses, what tells it apart --------------------------------------
def prototype_aus(emotion: str) -> set[int]:
    """Every AU number any prototype of ``emotion`` uses (:data:`workbench.emotions.PROTOTYPES`)."""
    out: set[int] = set()
    for name, aus in PROTOTYPES:
        if name == emotion:
            out |= {int(a[1:]) if isinstance(a, str) else int(a) for a in aus}
    return out


def _likeness(a: str, b: str) -> float:
    x, y = prototype_aus(a), prototype_aus(b)
    return len(x & y) / len(x | y) if x | y else 0.0


@dataclass(frozen=True)
class Pair:
    """Two emotions to train on: how often the class mixed them up (either way), and why chosen."""

    first: str
    second: str
    confusions: int
    source: str  # "class": from the pre-test's confusion; "prototypes": they share AUs


def confused_pairs(
    confusion: pd.DataFrame, *, k: int = 4, among: Sequence[str] | None = None, fill: bool = True
) -> list[Pair]:
    """The pairs of emotions a class confuses most, from a confusion matrix (rows truth, columns answer).

    A pair counts the mistakes both ways (``a`` taken for ``b`` plus ``b`` for ``a``); ``others``
    is no emotion to train. Ties go to the pair whose prototypes share more AUs, then to the
    order of :data:`EMOTIONS`. With ``fill``, fewer than ``k`` confused pairs are completed by
    the pairs whose prototypes share the most AUs (``source="prototypes"``).

    Parameters
    ----------
    confusion : pandas.DataFrame
        :func:`workbench.teach.confusion` of the pre-test.
    k : int
        Most pairs.
    among : sequence of str, optional
        Only pairs of these emotions (those the course has clips of).

    Examples
    --------
    ::

        truth \\ answer  surprise  fear  anger  disgust
        surprise             5      3      0       0        fear/surprise: 3 + 2 = 5
        fear                 2      4      0       0        anger/disgust: 1 + 0 = 1
        anger                0      0      6       1
        disgust              0      0      0       7
    """
    names = [e for e in EMOTIONS if e != "others" and (among is None or e in among)]
    counts = confusion.reindex(index=names, columns=names, fill_value=0)
    rank = {e: i for i, e in enumerate(EMOTIONS)}
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            n = int(counts.loc[a, b] + counts.loc[b, a])
            if n > 0:
                found.append(Pair(a, b, n, "class"))
    found.sort(key=lambda p: (-p.confusions, -_likeness(p.first, p.second), rank[p.first], rank[p.second]))
    pairs = found[:k]
    if fill and len(pairs) < k:
        taken = {(p.first, p.second) for p in pairs}
        alike = [
            Pair(a, b, 0, "prototypes")
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if (a, b) not in taken and _likeness(a, b) > 0
        ]
        alike.sort(key=lambda p: (-_likeness(p.first, p.second), rank[p.first], rank[p.second]))
        pairs += alike[: k - len(pairs)]
    return pairs


def _words(aus: Iterable[int]) -> list[str]:
    return [f"{AU_NAMES.get(a, 'AU')} (AU{a})" for a in sorted(aus)]


def telling_aus(a: str, b: str) -> list[dict]:
    """Region by region (brows, eyes, nose, mouth): the prototype AUs of ``a`` and ``b`` in plain words.

    Returns
    -------
    list of dict
        ``{"region", "first": [words], "second": [words], "tells": sentence}`` for each region
        where either emotion's prototypes use an AU. ``tells`` says what only one of them does
        there (or that they share the region's movement).

    Examples
    --------
    >>> [r["tells"] for r in telling_aus("fear", "surprise") if r["region"] == "brows"]
    ['brow lowerer (AU4): only in fear']
    """
    x, y = prototype_aus(a), prototype_aus(b)
    out = []
    for region, numbers in REGIONS.items():
        ra, rb = x & set(numbers), y & set(numbers)
        if not ra and not rb:
            continue
        tells = [f"{w}: only in {a}" for w in _words(ra - rb)] + [f"{w}: only in {b}" for w in _words(rb - ra)]
        out.append(
            {
                "region": region,
                "first": _words(ra),
                "second": _words(rb),
                "tells": "; ".join(tells) if tells else "the same movement in both",
            }
        )
    return out


def course_record(
    item: QuizItem, answer: str, *, seminar: str, student: str, name: str, arm: str, form: int, stage: str, **flash
) -> dict:
    """One answer of the course as a row of :data:`COURSE_COLUMNS`.

    ``student`` is the id (letters, digits, ``_ . @ -``), ``name`` as the student typed it;
    ``flash`` are :func:`workbench.teach.answer_record`'s keywords (``response_ms``, ``shown_ms``, ...).
    """
    if stage not in TEST_STAGES:
        raise ValueError(f"Expected a stage with answers ({', '.join(TEST_STAGES)}), but got stage={stage!r}.")
    if arm not in ARMS:
        raise ValueError(f"Expected an arm among {', '.join(ARMS)}, but got arm={arm!r}.")
    row = answer_record(item, answer, student=student, **flash)
    row |= {"seminar": seminar, "name": name, "arm": arm, "form": "AB"[int(form)], "stage": stage}
    return {c: row[c] for c in COURSE_COLUMNS}


# ---- results ----------------------------------------------------------------------------------
def stage_answers(answers: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The answers of one stage (for :func:`workbench.teach.confusion`, ``scores``, ``tally``)."""
    return answers[answers["stage"].astype(str) == stage]


def gains(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """Each student's pre-test and post-test accuracy and the gain (post minus pre).

    Parameters
    ----------
    answers : pandas.DataFrame
        :data:`COURSE_COLUMNS` rows (one per answer).
    exclude_disturbed : bool
        Leave out answers given after a disturbed flash.

    Returns
    -------
    pandas.DataFrame
        Index ``student``; columns ``name``, ``arm``, ``form``, ``pre``, ``post`` (accuracy 0..1,
        NaN before the stage has answers), ``n_pre``, ``n_post``, ``gain`` (NaN until both exist).
    """
    cols = ["name", "arm", "form", "pre", "post", "n_pre", "n_post", "gain"]
    if answers.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="student"))
    kept = answers
    if exclude_disturbed:
        kept = answers[~answers["flash_disturbed"].fillna(False).astype(bool)]
    # One grouping for the class (the presenter's page recomputes this as answers come in).
    who = answers.drop_duplicates("student", keep="last").set_index("student")[["name", "arm", "form"]]
    out = who.loc[sorted(who.index)]
    tests = kept[kept["stage"].isin(["pre", "post"])]
    right = tests["correct"].astype(bool).groupby([tests["student"], tests["stage"]]).agg(["mean", "size"])
    for stage in ("pre", "post"):
        part = right.xs(stage, level="stage") if stage in right.index.get_level_values("stage") else right.iloc[:0]
        out[stage] = part["mean"].reindex(out.index).astype(float)
        out[f"n_{stage}"] = part["size"].reindex(out.index).fillna(0).astype(int)
    out["gain"] = out["post"] - out["pre"]
    out = out[cols]
    out.index = pd.Index(list(out.index), name="student")
    return out


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and its t confidence interval: ``(mean, low, high, n)`` (NaN bounds for n < 2).

    The interval of :func:`scipy.stats.ttest_1samp`: mean ± t(1 - α/2, n - 1) · s / √n.
    """
    from scipy import stats

    x = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    if n < 2 or np.all(x == x[0]):
        return float(x.mean()), (float("nan") if n < 2 else float(x[0])), (float("nan") if n < 2 else float(x[0])), n
    ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return float(x.mean()), float(ci.low), float(ci.high), n


def difference_ci(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a`` minus mean of ``b`` with Welch's t interval (NaN bounds with fewer than 2 each)."""
    from scipy import stats

    x = np.asarray([v for v in a if np.isfinite(v)], dtype=float)
    y = np.asarray([v for v in b if np.isfinite(v)], dtype=float)
    if len(x) == 0 or len(y) == 0:
        return float("nan"), float("nan"), float("nan")
    diff = float(x.mean() - y.mean())
    if len(x) < 2 or len(y) < 2 or (x.var() == 0 and y.var() == 0):
        return diff, float("nan"), float("nan")
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(confidence)
    return diff, float(ci.low), float(ci.high)


def class_gain(per_student: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The class's mean gain with its interval, per arm, and trained minus retest when both exist.

    Returns
    -------
    pandas.DataFrame
        Rows ``trained``, ``retest`` (arms present), ``trained - retest``; columns ``students``,
        ``pre``, ``post``, ``gain``, ``low``, ``high`` (``confidence`` interval of the gain).
    """
    done = per_student[per_student["gain"].notna()] if not per_student.empty else per_student
    rows = {}
    for arm in ARMS:
        g = done[done["arm"] == arm] if not done.empty else done
        if g.empty:
            continue
        mean, low, high, n = mean_ci(g["gain"].tolist(), confidence)
        rows[arm] = {"students": n, "pre": g["pre"].mean(), "post": g["post"].mean(), "gain": mean}
        rows[arm] |= {"low": low, "high": high}
    if {"trained", "retest"} <= set(rows):
        diff, low, high = difference_ci(
            done.loc[done["arm"] == "trained", "gain"].tolist(),
            done.loc[done["arm"] == "retest", "gain"].tolist(),
            confidence,
        )
        rows["trained - retest"] = {"students": len(done), "pre": np.nan, "post": np.nan, "gain": diff}
        rows["trained - retest"] |= {"low": low, "high": high}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["students", "pre", "post", "gain", "low", "high"])
    out.index.name = "arm"
    return out
