"""Class results from the answers: tallies per item and per emotion, scores, confusion, export.

Pure (tables in, tables out) but for :func:`export_csv`. Every result can leave out the
answers that followed a disturbed flash (``exclude_disturbed=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.atomic import atomic_write_bytes
from workbench.schema import EMOTIONS
from workbench.teach.answers import ANSWER_COLUMNS
from workbench.teach.items import QuizItem


def is_disturbed(answers: pd.DataFrame) -> pd.Series:
    """Which answers followed a disturbed flash (all False for a table without the column)."""
    if "flash_disturbed" not in answers.columns:
        return pd.Series(False, index=answers.index)
    return answers["flash_disturbed"].fillna(False).astype(bool)


def _kept(answers: pd.DataFrame, exclude_disturbed: bool) -> pd.DataFrame:
    return answers[~is_disturbed(answers)] if exclude_disturbed else answers


def tally(
    answers: pd.DataFrame, items: Sequence[QuizItem] | None = None, *, exclude_disturbed: bool = False
) -> pd.DataFrame:
    """How many students gave each answer to each item: rows item, columns :data:`EMOTIONS`.

    Items of ``items`` nobody answered yet are rows of zeros; so are items whose every
    answer followed a disturbed flash, with ``exclude_disturbed``.
    """
    numbers = sorted({int(i) for i in answers["item"]} | {it.number for it in items or []})
    answers = _kept(answers, exclude_disturbed)
    counts = pd.crosstab(answers["item"].astype(int), pd.Categorical(answers["answer"], categories=list(EMOTIONS)))
    counts = counts.reindex(index=numbers, columns=list(EMOTIONS), fill_value=0)
    counts.index.name, counts.columns.name = "item", "answer"
    return counts.astype(int)


def emotion_tally(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """Per true emotion: answers given, correct ones, and the share correct."""
    answers = _kept(answers, exclude_disturbed)
    grouped = answers.groupby(pd.Categorical(answers["truth"], categories=list(EMOTIONS)), observed=False)
    out = pd.DataFrame({"answers": grouped.size(), "correct": grouped["correct"].sum().astype(int)})
    out["accuracy"] = out["correct"] / out["answers"].where(out["answers"] > 0)
    out.index.name = "truth"
    return out


def scores(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """Each student's score, and a ``TOTAL`` row for the class.

    Columns: ``answered``, ``correct``, ``accuracy`` (0 to 1), ``median_response_ms``,
    ``disturbed``. By default every answer counts and ``disturbed`` says how many of them
    followed a disturbed flash; with ``exclude_disturbed`` those are left out of the score
    and ``disturbed`` says how many were left out.
    """

    # One grouping for the class (the presenter's page recomputes this as answers come in);
    # the TOTAL row is the same grouping over everyone.
    students = sorted(set(answers["student"]))
    everyone = pd.Series("TOTAL", index=answers.index)
    out = pd.concat([_score_rows(answers, answers["student"], exclude_disturbed),
                     _score_rows(answers, everyone, exclude_disturbed)]).reindex([*students, "TOTAL"])  # fmt: skip
    for col in ("answered", "correct", "disturbed"):
        out[col] = out[col].fillna(0).astype(int)
    out = out.astype({"accuracy": float, "median_response_ms": float})
    out.index = pd.Index(list(out.index), name="student")
    return out


def _score_rows(answers: pd.DataFrame, key: pd.Series, exclude_disturbed: bool) -> pd.DataFrame:
    """:func:`scores`' columns for each value of ``key`` (a label per answer)."""
    marked = is_disturbed(answers)
    kept = answers[~marked] if exclude_disturbed else answers
    right = kept["correct"].astype(bool).groupby(key[kept.index])
    return pd.DataFrame(
        {
            "answered": right.size(),
            "correct": right.sum(),
            "accuracy": right.mean(),
            "median_response_ms": pd.to_numeric(kept["response_ms"]).groupby(key[kept.index]).median(),
            "disturbed": marked.groupby(key).sum(),
        }
    )


def confusion(answers: pd.DataFrame, *, exclude_disturbed: bool = False) -> pd.DataFrame:
    """The class's confusion matrix: rows truth, columns answer, both :data:`EMOTIONS`."""
    from sklearn.metrics import confusion_matrix

    answers = _kept(answers, exclude_disturbed)
    labels = list(EMOTIONS)
    if answers.empty:
        matrix = np.zeros((len(labels), len(labels)), dtype=int)
    else:
        matrix = confusion_matrix(answers["truth"].astype(str), answers["answer"].astype(str), labels=labels)
    out = pd.DataFrame(matrix, index=pd.Index(labels, name="truth"), columns=pd.Index(labels, name="answer"))
    return out


def export_csv(answers: pd.DataFrame, path: str | Path) -> Path:
    """Write the class's answers (one row per answer, :data:`ANSWER_COLUMNS`) atomically."""
    path = Path(path)
    table = answers[list(ANSWER_COLUMNS)].sort_values(["item", "student"], kind="stable")
    atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
    return path
