"""Teaching mode: flash-quiz items, answers of a class, scores, tallies and confusion.

A lecturer picks events with known labels; the quiz widget (:mod:`workbench.ui.quiz`)
flashes each and asks for an emotion; the presenter (:mod:`workbench.ui.presenter`) shows
the class's results. The logic is pure (tables in, tables out) but for the answers folder:

- :mod:`workbench.teach.items`: :class:`QuizItem`, :func:`select_items`, neutral frames, holds;
- :mod:`workbench.teach.answers`: flashes and answers as records, the students' answer files;
- :mod:`workbench.teach.results`: tallies, scores, confusion, the class's CSV export;
- :mod:`workbench.teach.course`: the METT-shaped course: forms, stages, confused pairs, gains;
- :mod:`workbench.teach.explain`: the reveal (AUs in plain words, motion image, AU curves).

Every public name is importable from ``workbench.teach`` itself.
"""

from workbench.teach.answers import (
    ANSWER_COLUMNS,
    DISTURBED_INTERVAL,
    FLASH_COLUMNS,
    answer_record,
    answers_path,
    flash_record,
    load_answers,
    read_answer_file,
    read_answers,
    record_answer,
)
from workbench.teach.course import (
    ARMS,
    COURSE_COLUMNS,
    STAGES,
    Course,
    Pair,
    assign,
    class_gain,
    confused_pairs,
    course_record,
    gains,
    mean_ci,
    next_stage,
    split_forms,
    telling_aus,
)
from workbench.teach.explain import au_explanations, curve_window, motion_image, region_outlines
from workbench.teach.items import (
    HOLD_RANGE_MS,
    MODES,
    NEUTRAL_GAP_MS,
    QuizItem,
    check_hold_ms,
    check_student,
    neutral_frame,
    select_items,
)
from workbench.teach.results import confusion, emotion_tally, export_csv, is_disturbed, scores, tally

__all__ = [
    "ARMS",
    "COURSE_COLUMNS",
    "STAGES",
    "Course",
    "Pair",
    "assign",
    "class_gain",
    "confused_pairs",
    "course_record",
    "gains",
    "mean_ci",
    "next_stage",
    "split_forms",
    "telling_aus",
    "ANSWER_COLUMNS",
    "DISTURBED_INTERVAL",
    "FLASH_COLUMNS",
    "HOLD_RANGE_MS",
    "MODES",
    "NEUTRAL_GAP_MS",
    "QuizItem",
    "answer_record",
    "answers_path",
    "au_explanations",
    "check_hold_ms",
    "check_student",
    "confusion",
    "curve_window",
    "emotion_tally",
    "export_csv",
    "flash_record",
    "is_disturbed",
    "load_answers",
    "motion_image",
    "neutral_frame",
    "read_answer_file",
    "read_answers",
    "record_answer",
    "region_outlines",
    "scores",
    "select_items",
    "tally",
]
