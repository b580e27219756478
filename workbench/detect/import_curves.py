"""Import another detector's per-frame output: read, check against the clip, save, spot.

::

    FILE --format module--> FrameTable --imported.place--> curves (au, emotion, presence)
         --imported.for_spotting--> spot.spot --> events of detector:<name>

Curves are saved in the project (``Project.curves_path``: ``curves/<dataset>/<detector>/
<clip>.nc``, and ``<clip>.emotion.nc`` / ``<clip>.presence.nc``); they are user data, not a
cache. Events replace that clip's events of the rater ``detector:<name>`` in the store.
Everything is read and checked before anything is written, and the curves files are
renamed into place only once the store has taken the events: a bad file changes nothing.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd
import xarray as xr

import workbench.detect.facereader as facereader
import workbench.detect.imotions as imotions
import workbench.detect.imported as imported
import workbench.detect.openface as openface
import workbench.detect.pyfeat as pyfeat
from workbench.arrays import CURVES_VARIABLE, validate_curves
from workbench.atomic import atomic_path
from workbench.detect.cache import load_curves
from workbench.detect.spot import SpotParams, spot
from workbench.project import Project
from workbench.schema import detector_rater, sort_events
from workbench.store import check_name

#: Format name -> its module (``NAME``, ``TITLE``, ``sniff(lines)``, ``read(path)``).
FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (openface, pyfeat, imotions, facereader)}
#: Kinds saved beside the AU curves.
KINDS = ("au", "emotion", "presence")


def sniff_format(path: str | os.PathLike) -> str | None:
    """The format a file looks like, or None."""
    head = imported.read_header(Path(path), 200)
    return next((name for name, module in FORMATS.items() if module.sniff(head)), None)


def read_table(fmt: str, path: str | os.PathLike) -> imported.FrameTable:
    """Read a file in the named format; a file in another format is refused, naming it.

    Raises
    ------
    ValueError
        Unknown format, a file of another format, or what the format's reader refuses.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Expected a curves format among {', '.join(FORMATS)}, but got {fmt!r}.")
    path, module = Path(path), FORMATS[fmt]
    head = imported.read_header(path, 200)
    if not module.sniff(head):
        other = next((n for n, m in FORMATS.items() if n != fmt and m.sniff(head)), None)
        got = (
            f"a file that looks like {FORMATS[other].TITLE} (import it as '{other}')"
            if other
            else f"a file starting {head[0][:60]!r}"
        )
        raise imported.fail(module.TITLE, got, path, 1)
    return module.read(path)


def default_detector(fmt: str, table: imported.FrameTable) -> str:
    """The detector's name when none is given: the format's, or iMotions' sensor."""
    return imotions.default_detector(table) if fmt == imotions.NAME else fmt


@dataclass
class ImportedCurves:
    """What one import made: curves by kind, events, warnings, and the files written."""

    dataset: str
    clip: str
    detector: str
    format: str
    curves: dict[str, xr.DataArray]
    events: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def rater(self) -> str:
        return detector_rater(self.detector)

    def summary(self) -> str:
        """A few lines for the command line."""
        au = self.curves["au"]
        lines = [
            f"{self.format} -> {self.detector}: {self.dataset}/{self.clip}, {au.sizes['frame']} frames at "
            f"{au.attrs['fps']:g} fps, {au.sizes['au']} AU curves ({au.attrs['scale']})"
        ]
        for kind in ("emotion", "presence"):
            if kind in self.curves:
                arr = self.curves[kind]
                names = ", ".join(map(str, arr[arr.dims[1]].values))
                lines.append(f"  {kind}: {arr.sizes[arr.dims[1]]} curves ({names}; {arr.attrs['scale']})")
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"saved {p}" for p in self.paths.values()]
        lines.append(f"{len(self.events)} event(s) spotted -> rater {self.rater}")
        return "\n".join(lines)


def import_curves(
    fmt: str,
    path: str | os.PathLike,
    *,
    dataset: str,
    clip: str,
    project: str | os.PathLike | Project = ".",
    detector: str | None = None,
    spot_params: SpotParams | None = None,
    check_fps: bool = True,
    save: bool = True,
) -> ImportedCurves:
    """Import one clip's per-frame detector output (see the module docstring).

    Parameters
    ----------
    fmt
        ``openface``, ``pyfeat``, ``imotions`` or ``facereader``.
    path
        The detector's output file.
    dataset, clip
        The clip it belongs to (``Project.open_clip(dataset, clip)`` gives frames and fps).
    project
        The project folder.
    detector
        Name of the rater ``detector:<name>`` and of the curves folder (default: the format,
        or ``facet`` / ``affdex`` for iMotions).
    spot_params
        Spotting parameters, in normalised units (see :func:`imported.for_spotting`).
    check_fps
        Refuse a file whose declared or implied frame rate is not the clip's.
    save
        Write curves and events into the project (False: only return them).

    Raises
    ------
    ValueError, FileNotFoundError
        One message naming the file, the line and the rule; nothing is written.
    """
    project = Project(project)
    table = read_table(fmt, path)
    name = check_name("detector", detector or default_detector(fmt, table))
    media = project.open_clip(dataset, clip)
    arrays, warnings = imported.place(
        table, n_frames=media.n_frames, fps=media.fps, clip=clip, detector=name, check_fps=check_fps
    )
    events = spot(imported.for_spotting(arrays["au"]), spot_params, clip=clip, rater=detector_rater(name))
    if len(events):
        events["note"] = f"spotted on imported {fmt} curves"
    result = ImportedCurves(dataset, clip, name, fmt, arrays, events, warnings)
    if save:
        result.paths = _save(project, result)
    return result


def _save(project: Project, result: ImportedCurves) -> dict[str, Path]:
    """Curves to temporary files, events into the store, then the curves renamed into place."""
    store, rater = project.store, result.rater
    before = store.read(result.dataset, rater)
    table = pd.concat([before[before["clip"] != result.clip], result.events], ignore_index=True)
    paths = {kind: project.curves_path(result.dataset, result.detector, result.clip, kind) for kind in result.curves}
    with contextlib.ExitStack() as stack:
        for kind, curves in result.curves.items():
            tmp = stack.enter_context(atomic_path(paths[kind], ".nc.part"))
            validate_curves(curves, paths[kind]).to_dataset(name=CURVES_VARIABLE).to_netcdf(tmp, engine="h5netcdf")
        store.write(result.dataset, rater, sort_events(table) if len(table) else result.events)
    for kind in KINDS:
        stale = project.curves_path(result.dataset, result.detector, result.clip, kind)
        if kind not in result.curves and stale.exists():
            stale.unlink()
    return paths


def load_imported(
    project: str | os.PathLike | Project, dataset: str, detector: str, clip: str, kind: str = "au"
) -> xr.DataArray | None:
    """One clip's imported curves of a detector, or None when there are none."""
    path = Project(project).curves_path(dataset, detector, clip, kind)
    return load_curves(path) if path.exists() else None


def imported_curves(project: str | os.PathLike | Project, dataset: str, clip: str, kind: str = "au") -> dict:
    """Detector name -> that clip's imported curves, for every detector that has them."""
    project = Project(project)
    found = {}
    for detector in project.imported_detectors(dataset):
        curves = load_imported(project, dataset, detector, clip, kind)
        if curves is not None:
            found[detector] = curves
    return found
