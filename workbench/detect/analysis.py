"""One clip's analysis for the widgets: face data, every detector's curves, their events.

:func:`analyse` is the entry point of every view (the workbench, the review panel, the
quiz): it runs :func:`workbench.detect.pipeline.run_tasks`, the same code as ``workbench
detect``, with the same cache, so what a view shows is what the detector spots on. A clip
analysed once in this process is kept in memory under its cache keys; a change of model,
AU mapping, detector or parameter is a new key, and so a new analysis.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

import workbench.detect.cache as cache
from workbench.detect.model import MODEL_SHA256
from workbench.detect.pipeline import ClipTask, DetectParams, run_tasks
from workbench.detect.registry import get_detectors
from workbench.detect.spot import SpotParams
from workbench.video import Clip

#: Analyses kept in memory (face data of a 1,000-frame clip is about 6 MB).
MEMORY = 8


@dataclass
class Analysis:
    """Face data, curves and events of one clip.

    Attributes
    ----------
    clip, dataset
        The clip id and its dataset.
    face
        The face dataset (:mod:`workbench.arrays`); None when not asked for.
    curves
        Detector name -> curves.
    events
        Every detector's events of the clip (rater ``detector:<name>``).
    """

    clip: str
    dataset: str
    face: xr.Dataset | None
    curves: dict[str, xr.DataArray]
    events: pd.DataFrame

    def curves_of(self, detector: str | None = None) -> xr.DataArray:
        """One detector's curves (default: the first one analysed)."""
        return self.curves[detector or next(iter(self.curves))]


_MEMO: OrderedDict[tuple, Analysis] = OrderedDict()


def analyse(
    clip: Clip,
    *,
    clip_id: str | None = None,
    dataset: str = "",
    detectors: Any = None,
    params: DetectParams | None = None,
    spot_params: SpotParams | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    face: bool = True,
    reference: str | None = None,
) -> Analysis:
    """Face data, curves and events of ``clip``: from memory, from the cache, or computed.

    Parameters
    ----------
    clip
        An open clip.
    clip_id, dataset
        Names for the events and the curves' attrs (default: the clip's file name).
    detectors
        As in :func:`workbench.detect.detect` (default ``mediapipe``).
    params, spot_params
        Landmarker and spotting parameters.
    jobs
        Worker threads (default: every core).
    progress
        Called with (frames done, frames in all) while the landmarker runs.
    face
        Also give the face dataset (landmarks for outlines and the face box); views that
        show curves only leave it out, and nothing more than the curves is read.
    reference
        The neutral reference: ``"auto"`` (default), ``"start"`` or frame ranges
        ``"0-17,40-50"`` (e.g. frames a person marked neutral); part of the curves' key.

    Raises
    ------
    ValueError
        When the clip cannot be analysed (naming the clip and the reason).
    """
    chosen = get_detectors(detectors, reference)
    params, spot_params = params or DetectParams(), spot_params or SpotParams()
    clip_id = clip_id or Path(clip.source).name
    face_key = cache.face_key(clip.content_hash(), MODEL_SHA256, params.as_dict())
    key = (
        face,
        face_key,
        clip_id,
        dataset,
        tuple(cache.curves_key(face_key, d.name, d.version, d.params()) for d in chosen),
        repr(spot_params),
    )
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    task = ClipTask(Path(clip.source), dataset, clip_id, clip=clip)
    events = run_tasks(
        [task],
        chosen,
        params=params,
        spot_params=spot_params,
        jobs=jobs,
        keep_faces=face,
        on_frames=progress,
        reference=reference,
    )
    if task.error is not None:
        raise ValueError(f"Expected to analyse clip '{clip_id}' ({clip.source}), but it failed: {task.error}")
    found = Analysis(clip_id, dataset, task.face, task.curves, events.drop(columns="dataset", errors="ignore"))
    _MEMO[key] = found
    while len(_MEMO) > MEMORY:
        _MEMO.popitem(last=False)
    return found
