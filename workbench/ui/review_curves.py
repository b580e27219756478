"""The curves the review panel shows: the clip's (given, or the detector's own analysis, with
any imported detector's beside them) and the reviewed detector's curves for the queue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

from workbench.detect import analyse
from workbench.detect.find_curves import clip_curves, find_curves
from workbench.project import Project
from workbench.schema import DETECTOR_PREFIX, is_detector

log = logging.getLogger("workbench.ui")


def detector_curves(project: Project, dataset: str, *raters: tuple[str, pd.DataFrame]) -> dict | None:
    """AU curves of the detector rater (imported, or its cached analysis) on the clips the
    other rater marked: the queue's "the detector's AU12 missed the coder's AU12" items."""
    for rater, other in raters:
        if is_detector(rater):
            clips = sorted(set(other["clip"].astype(str)))
            try:
                return find_curves(project, dataset, rater[len(DETECTOR_PREFIX) :], clips)
            except (OSError, ValueError) as exc:
                log.warning("no AU curves of %s: %s", rater, exc)
                return None
    return None


def review_curves(
    project: Project, dataset: str, clip_id: str, clip: Any, given: Callable[[], Any] | None, progress: Any
) -> tuple[Any, str]:
    """On a background thread: a clip's curves (``given()``, else analysed; imported ones
    beside them) and any problem to show under the timeline."""
    problem = ""
    try:
        if given is not None:
            curves = given()
        else:
            curves = analyse(clip, clip_id=clip_id, dataset=dataset, face=False, progress=progress).curves_of()
    except Exception as exc:  # noqa: BLE001 - shown under the timeline; the review works without curves
        log.warning("no AU curves for %s: %s", clip_id, exc)
        curves, problem = None, f"{type(exc).__name__}: {exc}"
    try:
        curves = clip_curves(project, dataset, clip_id, own=curves)
    except (OSError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    return curves, problem
