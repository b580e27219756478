"""Detection over clips or datasets: chunks of frames on worker threads or a dask cluster.

One clip is cut into frame chunks (IMAGE mode makes every frame independent), so a single
long clip also uses every core. The landmarker's output is assembled into the clip's face
dataset; every detector asked for turns it into curves; the spotter turns curves into
events. Face data and curves go to the one analysis cache (:mod:`workbench.detect.cache`):
a second run, or a widget opening the same clip, reads them back.

::

    clip ──chunks──> workers (landmarker) ──> face dataset ──> detector.curves ──> spot ──> events
                                                 │                  │
                                                 └──── cache ───────┘
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

import workbench.detect.cache as cache
from workbench.clips import find_clips
from workbench.detect.base import Detector
from workbench.detect.facedata import face_dataset, warn_frames_without_face, warn_missing_faces
from workbench.detect.model import MODEL_SHA256, acquire_model
from workbench.detect.registry import DEFAULT, get_detector, get_detectors
from workbench.detect.spot import SPOT_VERSION, SpotParams, spot
from workbench.detect.timings import Timings
from workbench.detect.workers import Dask, Inline, default_jobs, infer_chunk, make_runner
from workbench.project import Project
from workbench.schema import coerce_events, detector_rater, empty_events
from workbench.video import Clip, open_clip

log = logging.getLogger(__name__)

#: Frames per task; a clip is also cut into at least as many chunks as there are workers.
CHUNK_FRAMES = 100
#: The smallest chunk the planner cuts (towards a clip's end), unless a clip is shorter.
MIN_CHUNK_FRAMES = 20


@dataclass(frozen=True)
class DetectParams:
    """Landmarker parameters (part of the face data's cache key and of its attrs).

    Attributes
    ----------
    min_confidence
        MediaPipe's minimum face detection and presence confidence.
    """

    min_confidence: float = 0.5

    def as_dict(self) -> dict:
        return asdict(self)


def plan_chunks(n_frames: int, workers: int, chunk_frames: int = CHUNK_FRAMES, after: int = 0) -> list[tuple[int, int]]:
    """Split ``range(n_frames)`` into ``[start, stop)`` chunks, at least one per worker.

    Chunks are at most ``chunk_frames`` long (the last one of a clip may take up to
    ``MIN_CHUNK_FRAMES // 2 - 1`` more rather than leave a sliver). Towards the end of the
    whole job (this clip's frames plus the ``after`` frames of the clips queued behind it)
    they shrink to half of what is left per worker, down to :data:`MIN_CHUNK_FRAMES`, so
    that the workers finish close together instead of one idling while another runs a
    whole last chunk.
    """
    if n_frames <= 0:
        return []
    workers = max(workers, 1)
    first = max(1, min(chunk_frames, n_frames // workers))
    smallest = min(first, MIN_CHUNK_FRAMES)
    chunks, start = [], 0
    while start < n_frames:
        left = n_frames - start
        size = max(smallest, min(first, math.ceil((left + after) / (2 * workers))))
        if left - size < smallest // 2:  # no sliver at the end
            size = left
        chunks.append((start, start + size))
        start += size
    return chunks


def missing_ranges(n_frames: int, parts: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """``[start, stop)`` stretches of ``range(n_frames)`` that no part (sorted, none
    overlapping; ``start`` and ``landmarks``) covers."""
    gaps, at = [], 0
    for p in parts:
        if p["start"] > at:
            gaps.append((at, p["start"]))
        at = max(at, p["start"] + len(p["landmarks"]))
    return [*gaps, (at, n_frames)] if at < n_frames else gaps


def assemble(parts: Sequence[dict[str, Any]], attrs: dict) -> xr.Dataset:
    """Join chunk results in frame order into one face dataset."""
    parts = sorted(parts, key=lambda p: p["start"])
    stacked = {k: np.concatenate([p[k] for p in parts]) for k in ("landmarks", "blendshapes", "transform")}
    n = len(stacked["landmarks"])
    return face_dataset(
        stacked["landmarks"],
        stacked["blendshapes"],
        stacked["transform"],
        np.arange(parts[0]["start"], parts[0]["start"] + n),
        width=parts[0]["width"],
        height=parts[0]["height"],
        attrs=attrs,
    )


# ----------------------------------------------------------------------------- tasks


@dataclass
class ClipTask:
    """One clip's progress through :func:`detect`."""

    path: Path
    dataset: str
    clip_id: str
    clip: Clip | None = None
    n_frames: int = 0
    fps: float = 0.0
    face_key: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # detector -> curves cache key
    chunks: list[tuple[int, int]] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)
    face: xr.Dataset | None = None
    curves: dict[str, xr.DataArray] = field(default_factory=dict)  # detector -> curves
    computed: bool = False  # the landmarker ran (else everything came from the cache)
    finished: bool = False
    error: str | None = None

    @property
    def cached(self) -> bool:
        return not self.computed


@dataclass
class DetectReport:
    """What :func:`detect` did: clips done (cached or computed), failures, events."""

    tasks: list[ClipTask]
    events: pd.DataFrame
    detectors: list[str] = field(default_factory=list)

    @property
    def done(self) -> list[ClipTask]:
        return [t for t in self.tasks if t.error is None]

    @property
    def failed(self) -> list[ClipTask]:
        return [t for t in self.tasks if t.error is not None]

    @property
    def frames(self) -> int:
        """Frames the landmarker ran on (cached clips count none)."""
        return sum(t.n_frames for t in self.done if t.computed)

    def summary(self) -> str:
        """Human-readable lines: clips done, failed with reasons, events found."""
        cached = sum(t.cached for t in self.done)
        lines = [
            f"clips done: {len(self.done)} ({cached} from cache), failed: {len(self.failed)}, "
            f"events found: {len(self.events)} ({', '.join(self.detectors)})"
        ]
        lines += [f"  FAILED {t.path}: {t.error}" for t in self.failed]
        for t in self.done:
            n = int((self.events["clip"] == t.clip_id).sum()) if len(self.events) else 0
            lines.append(f"  {t.dataset}/{t.clip_id}: {n} event(s)")
        return "\n".join(lines)


def _failed(task: ClipTask, exc: BaseException) -> None:
    task.error = task.error or f"{type(exc).__name__}: {exc}"


def _prepare(task: ClipTask, detectors: list[Detector], params: DetectParams, need_face: bool) -> None:
    """Open the clip, compute its keys, read what the cache has (the rest needs chunks)."""
    try:
        clip = task.clip or open_clip(task.path, normalise=False)  # detection needs no normalised copy
        task.clip, task.n_frames, task.fps = clip, clip.n_frames, float(clip.fps)
        task.face_key = cache.face_key(clip.content_hash(), MODEL_SHA256, params.as_dict())
    except Exception as exc:  # a clip that cannot be opened fails alone
        _failed(task, exc)
        return
    if task.n_frames == 0:
        _failed(task, ValueError(f"Expected frames in clip '{task.clip_id}', but it has none ({task.path})."))
        return
    for d in detectors:
        key = task.keys[d.name] = cache.curves_key(task.face_key, d.name, d.version, d.params())
        curves = cache.read(cache.curves_path(key), cache.load_curves)
        if curves is not None:
            task.curves[d.name] = curves
    if need_face or len(task.curves) < len(detectors):
        task.face = cache.read(cache.face_path(task.face_key), cache.load_face)


def _plan(tasks: list[ClipTask], workers: int, chunk: int, keep_faces: bool) -> None:
    """Chunks for every clip whose face data must be computed, shrinking towards the job's end.

    Chunks an earlier (killed) run kept in the cache are taken as they are; only the frames
    they do not cover are planned.
    """
    todo = [t for t in tasks if t.error is None and t.face is None and (keep_faces or len(t.curves) < len(t.keys))]
    for t in todo:
        t.parts = cache.load_chunks(t.face_key, t.n_frames)
    gaps = {id(t): missing_ranges(t.n_frames, t.parts) for t in todo}
    after = sum(b - a for t in todo for a, b in gaps[id(t)])
    for t in todo:
        t.chunks = []
        for a, b in gaps[id(t)]:
            after -= b - a
            t.chunks += [(a + i, a + j) for i, j in plan_chunks(b - a, workers, chunk, after=after)]


def _attrs(task: ClipTask) -> dict[str, Any]:
    return {
        "clip": task.clip_id,
        "dataset": task.dataset,
        "source": str(task.path),
        "fps": task.fps,
        "face_key": task.face_key,
    }


def _finish(task: ClipTask, detectors: list[Detector], params: DetectParams, timings: Timings | None) -> None:
    """Assemble and cache the face data (when computed), then every missing detector's curves.

    A failure fails this clip alone (e.g. a cache folder that cannot be written).
    """
    task.finished = True
    if task.error is not None:
        return
    try:
        with timings.finishing() if timings is not None else contextlib.nullcontext():
            _finish_clip(task, detectors, params)
    except Exception as exc:
        _failed(task, exc)


def _finish_clip(task: ClipTask, detectors: list[Detector], params: DetectParams) -> None:
    if task.parts:
        face = assemble(task.parts, {**_attrs(task), "params": str(params.as_dict())})
        task.parts = []
        cache.save_face(face, cache.face_path(task.face_key))
        cache.drop_chunks(task.face_key)
        task.face, task.computed = face, True
    if task.face is not None:
        warn_missing_faces(task.face, task.clip_id)
    else:  # every curve from the cache: repeat the warning from them
        _warn_from_curves(task)
    for d in detectors:
        if d.name in task.curves:
            continue
        curves = d.curves(task.clip, task.face)
        curves.attrs.update({**_attrs(task), "cache_key": task.keys[d.name]})
        cache.save_curves(curves, cache.curves_path(task.keys[d.name]))
        task.curves[d.name] = curves


def _warn_from_curves(task: ClipTask) -> None:
    for curves in task.curves.values():
        if int(curves.attrs.get("frames_without_face", 0)):
            empty = np.isnan(curves.values).all(axis=1)
            warn_frames_without_face(curves["frame"].values[empty], len(empty), task.clip_id)
            return


def _run_chunks(tasks: list[ClipTask], runner: Any, model: str | None, params: DetectParams,
                progress: bool, timings: Timings | None, on_frames: Callable[[int, int], None] | None,
                finish: Callable[[ClipTask], None]) -> None:  # fmt: skip
    """Submit every chunk; collect results as they finish (each kept in the cache at once, so
    that a killed run resumes from it); finish each clip when complete."""
    todo = [t for t in tasks if t.chunks]
    total = sum(t.n_frames for t in todo)
    done = sum(len(p["landmarks"]) for t in todo for p in t.parts)  # kept by an earlier run
    bar_frames = tqdm(total=total, initial=done, unit="frame", desc="frames", disable=not progress, position=1)
    if on_frames is not None:
        on_frames(done, total)
    owner: dict[Any, ClipTask] = {}
    inline = isinstance(runner, Inline)  # runs each chunk in this thread as it is collected
    if inline:
        _warm_up_writing()
    timed = None if isinstance(runner, Dask) else timings  # a Timings does not travel to a cluster
    for t in todo:
        for a, b in t.chunks:
            owner[runner.submit(infer_chunk, str(t.path), a, b, model, params.min_confidence, timed)] = t
    remaining = {id(t): len(t.chunks) for t in todo}
    outstanding = len(owner)
    if not inline:
        _warm_up_writing()  # while the workers start
    for fut in runner.as_completed(list(owner)):
        t = owner[fut]
        remaining[id(t)] -= 1
        outstanding -= 1
        if outstanding == 0:
            runner.release()  # let the workers go while the last clip is finished here
        try:
            part = fut.result()
        except Exception as exc:  # one bad chunk fails its clip, the others go on
            _failed(t, exc)
            part = None
        if part is not None and t.error is None:
            _keep_chunk(t, part)
            t.parts.append(part)
            bar_frames.update(len(part["landmarks"]))
            done += len(part["landmarks"])
            if on_frames is not None:
                on_frames(done, total)
        if remaining[id(t)] == 0:
            t.chunks = []
            finish(t)
    bar_frames.close()


def _keep_chunk(task: ClipTask, part: dict[str, Any]) -> None:
    """Save a chunk for a resumed run; a cache that cannot be written only costs the resume."""
    try:
        cache.save_chunk(task.face_key, part)
    except OSError as exc:
        log.warning("analysis cache: could not keep frames from %d of '%s' (%s)", part["start"], task.clip_id, exc)


def _warm_up_writing() -> None:
    """Make the one-time imports that turning chunks into saved curves needs.

    A first ``xr.Dataset`` imports dask.array, a first ``to_netcdf`` imports h5netcdf and
    dask.distributed: about 0.7 s in all. Called while the workers start, so that this
    does not wait behind the last chunk.
    """
    try:
        with tempfile.TemporaryDirectory() as tmp:
            xr.Dataset({"warm": (("frame",), np.zeros(1))}).to_netcdf(Path(tmp) / "warm.nc", engine="h5netcdf")
    except Exception:  # noqa: BLE001 - only a head start; saving the curves reports real errors
        pass


def clip_events(task: ClipTask, spot_params: SpotParams, names: Sequence[str] | None = None) -> pd.DataFrame:
    """The events of detectors ``names`` (default: every one) of a finished clip (column
    ``dataset`` added). Region curves are coded with the clip's AU curves when it has them."""
    tables = []
    au_curves = next((c for c in task.curves.values() if c.dims[1] == "au"), None)
    for name in names or list(task.curves):
        curves = task.curves[name]
        aus = au_curves if curves.dims[1] == "region" else None
        ev = spot(curves, spot_params, clip=task.clip_id, rater=detector_rater(name), aus=aus)
        if len(ev):
            version = curves.attrs.get("detector_version", "")
            ev["note"] = f"{name} {version}, spot {SPOT_VERSION}, curves {task.keys.get(name, '')[:12]}"
            tables.append(ev.assign(dataset=task.dataset))
    return pd.concat(tables, ignore_index=True) if tables else empty_events(extra=("dataset",))


def with_helpers(detectors: list[Detector], reference: str | None = None) -> list[Detector]:
    """The detectors, plus the MediaPipe AU detector when a region detector is asked alone:
    its AU curves code the region detector's events (its own events are not reported)."""
    regions = any(getattr(d, "channels", "au") == "region" for d in detectors)
    if regions and not any(getattr(d, "channels", "au") == "au" for d in detectors):
        return [*detectors, get_detector(DEFAULT, reference)]
    return detectors


def write_events(project: Project, events: pd.DataFrame, tasks: list[ClipTask], detectors: list[str]) -> None:
    """Replace each detector's events of the clips just processed, dataset by dataset."""
    store = project.store
    for dataset in sorted({t.dataset for t in tasks if t.error is None}):
        clips = {t.clip_id for t in tasks if t.error is None and t.dataset == dataset}
        for name in detectors:
            rater = detector_rater(name)
            old = store.read(dataset, rater)
            keep = old[~old["clip"].isin(clips)] if len(old) else old
            mine = (events["dataset"] == dataset) & (events["rater"] == rater) if len(events) else None
            new = events[mine].drop(columns="dataset") if mine is not None else events
            parts = [d for d in (keep, new) if len(d)]
            table = coerce_events(pd.concat(parts, ignore_index=True)) if parts else empty_events()
            store.write(dataset, rater, table)


def detect(
    paths: Sequence[str | os.PathLike | Clip],
    *,
    project: str | os.PathLike | Project | None = None,
    dataset: str | None = None,
    detectors: Any = None,
    jobs: int | None = None,
    scheduler: Any = None,
    params: DetectParams | None = None,
    spot_params: SpotParams | None = None,
    model: str | os.PathLike | None = None,
    chunk_frames: int = CHUNK_FRAMES,
    progress: bool = True,
    write: bool = True,
    keep_faces: bool = False,
    on_frames: Callable[[int, int], None] | None = None,
    timings: Timings | None = None,
    reference: str | None = None,
) -> DetectReport:
    """Detect face data, curves and events for clips and dataset folders.

    Parameters
    ----------
    paths
        Clips (video files, image folders, open :class:`~workbench.video.Clip` objects) or
        folders holding them.
    project
        The project: clip ids are relative to its ``data/<dataset>/`` and events go to its
        store as raters ``detector:<name>``.
    dataset
        Dataset name for every clip (default: from the path under ``data/``).
    detectors
        Detector names or objects (:mod:`workbench.detect.registry`); ``"all"`` for every
        one; default ``mediapipe``.
    jobs
        Worker threads (default: every core); 1 runs in the calling thread.
    scheduler
        A dask.distributed scheduler address (or a ``Client``): run the same chunk tasks on
        that cluster instead of local threads.
    params, spot_params
        Landmarker and spotting parameters.
    model
        The model file (default: :func:`workbench.detect.model.acquire_model`).
    chunk_frames
        Frames per task.
    progress
        Show two tqdm bars: clips, and frames over every clip.
    write
        Write events to the project's store (needs ``project``).
    keep_faces
        Also give each clip's face dataset (``task.face``), from the cache or computed.
    on_frames
        Called with (frames done, frames in all) as chunks come in (a progress display of
        one's own).
    timings
        For benchmarks: filled with model time, chunk spans and workers.
    reference
        The neutral reference of every detector that takes one: ``"auto"`` (default),
        ``"start"`` or frame ranges ``"0-17,40-50"`` (:mod:`workbench.detect.reference`).

    Returns
    -------
    DetectReport
        Clips done and failed (with reasons), and the events found.
    """
    chosen = get_detectors(detectors, reference)
    proj = Project(project) if project is not None else None
    where = proj or Project(".")
    tasks = []
    for p in paths:
        if isinstance(p, Clip):
            tasks.append(ClipTask(Path(p.source), *where.identify(p.source, dataset), clip=p))
            continue
        tasks.extend(ClipTask(c, *where.identify(c, dataset)) for c in find_clips(p))
    events = run_tasks(
        tasks,
        chosen,
        params=params,
        spot_params=spot_params,
        jobs=jobs,
        scheduler=scheduler,
        model=model,
        chunk_frames=chunk_frames,
        progress=progress,
        keep_faces=keep_faces,
        on_frames=on_frames,
        timings=timings,
        reference=reference,
    )
    names = [d.name for d in chosen]
    if write and proj is not None:
        write_events(proj, events, tasks, names)
    return DetectReport(tasks, events, names)


def run_tasks(
    tasks: list[ClipTask],
    detectors: list[Detector],
    *,
    params: DetectParams | None = None,
    spot_params: SpotParams | None = None,
    jobs: int | None = None,
    scheduler: Any = None,
    model: str | os.PathLike | None = None,
    chunk_frames: int = CHUNK_FRAMES,
    progress: bool = False,
    keep_faces: bool = False,
    on_frames: Callable[[int, int], None] | None = None,
    timings: Timings | None = None,
    reference: str | None = None,
) -> pd.DataFrame:
    """Fill ``tasks`` (face data, curves, errors) and return their events (see :func:`detect`)."""
    names = [d.name for d in detectors]
    detectors = with_helpers(detectors, reference)
    params, spot_params = params or DetectParams(), spot_params or SpotParams()
    model_path = acquire_model(model)
    jobs = jobs or default_jobs()
    runner = make_runner(jobs, scheduler, None, params.min_confidence) if scheduler is not None else None
    workers = runner.workers(jobs) if isinstance(runner, Dask) else jobs
    for t in tasks:
        _prepare(t, detectors, params, keep_faces)
    _plan(tasks, workers, chunk_frames, keep_faces)
    explicit_model = str(model_path) if scheduler is None or model is not None else None

    bar_clips = tqdm(total=len(tasks), unit="clip", desc="clips", disable=not progress, position=0)

    def finish(task: ClipTask) -> None:
        _finish(task, detectors, params, timings)
        bar_clips.set_postfix_str(task.clip_id, refresh=False)
        bar_clips.update(1)

    try:
        if any(t.chunks for t in tasks):
            runner = runner or make_runner(jobs, None, explicit_model, params.min_confidence)
            _run_chunks(tasks, runner, explicit_model, params, progress, timings, on_frames, finish)
    finally:
        if runner is not None:
            runner.close()
    for t in tasks:
        if not t.finished:
            finish(t)
        if not keep_faces:
            t.face = None
    bar_clips.close()
    tables = [clip_events(t, spot_params, names) for t in tasks if t.error is None]
    tables = [e for e in tables if len(e)]
    return pd.concat(tables, ignore_index=True) if tables else empty_events(extra=("dataset",))
