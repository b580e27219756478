"""Where a detector's curves of a dataset are, without computing anything.

Used by ``workbench agree`` and the views to put curves beside a rater ``detector:<name>``:

1. curves imported into the project (``workbench import-curves``:
   ``<project>/curves/<dataset>/<name>/<clip>.nc``);
2. else, for a built-in detector (:data:`workbench.detect.registry.DETECTORS`), the analysis
   cache entry of each clip under the default parameters, if the clip was analysed before
   (``workbench detect`` or a view). Nothing is run: a clip never analysed has no curves here.
"""

from __future__ import annotations

import os

import xarray as xr

import workbench.detect.cache as cache
from workbench.detect.import_curves import KINDS, imported_curves
from workbench.detect.model import MODEL_SHA256
from workbench.detect.pipeline import DetectParams
from workbench.detect.registry import DETECTORS, get_detector
from workbench.project import Project

_SUFFIXES = tuple(f".{kind}.nc" for kind in KINDS if kind != "au")


def imported_clips(project: Project, dataset: str, detector: str) -> list[str]:
    """Clip ids with imported AU curves of a detector."""
    folder = project.curves(dataset, detector)
    if not folder.is_dir():
        return []
    paths = (p for p in folder.rglob("*.nc") if not p.name.startswith(".") and not p.name.endswith(_SUFFIXES))
    return sorted(p.relative_to(folder).as_posix()[: -len(".nc")] for p in paths)


def cached_curves(project: Project, dataset: str, detector: str, clip: str) -> xr.DataArray | None:
    """A built-in detector's cached curves of a clip (default parameters), or None."""
    if detector not in DETECTORS:
        return None
    try:
        media = project.open_clip(dataset, clip)
    except (FileNotFoundError, ValueError):
        return None
    found = get_detector(detector)
    face = cache.face_key(media.content_hash(), MODEL_SHA256, DetectParams().as_dict())
    key = cache.curves_key(face, found.name, found.version, found.params())
    return cache.read(cache.curves_path(key), cache.load_curves)


def find_curves(
    project: str | os.PathLike | Project, dataset: str, detector: str, clips: list[str] | None = None
) -> dict[str, xr.DataArray]:
    """Clip id -> the detector's AU curves, for the clips that have them (see the module docstring).

    Parameters
    ----------
    project, dataset
        Where to look.
    detector
        The detector's name (``openface``, not ``detector:openface``).
    clips
        Only these clips (default: every clip with imported curves, else the dataset's clips).
    """
    project = Project(project)
    imported = imported_clips(project, dataset, detector)
    if imported:
        wanted = imported if clips is None else [c for c in clips if c in set(imported)]
        return {c: cache.load_curves(project.curves_path(dataset, detector, c)) for c in wanted}
    if detector not in DETECTORS:
        return {}
    if clips is None:
        try:
            clips = project.clips(dataset)
        except FileNotFoundError:
            return {}
    found = {c: cached_curves(project, dataset, detector, c) for c in clips}
    return {c: curves for c, curves in found.items() if curves is not None}


def clip_curves(
    project: str | os.PathLike | Project, dataset: str, clip: str, own: xr.DataArray | None = None
) -> dict[str, xr.DataArray] | None:
    """Detector name -> curves of one clip for a view: ``own`` (the view's analysis, if any)
    first, then every detector's imported curves; None when there are none."""
    found = {} if own is None else {str(own.attrs.get("detector", "mediapipe")): own}
    for detector, curves in imported_curves(project, dataset, clip).items():
        found.setdefault(detector, curves)
    return found or None
