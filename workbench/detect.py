"""Run the detector over clips or datasets: chunks on worker threads or a dask cluster.

One clip is cut into frame chunks (IMAGE mode makes every frame independent), so a
single long clip also uses every core. Each worker thread keeps one FaceLandmarker
(MediaPipe releases the GIL while it runs).
Results are cached as netCDF under ``<cache>/curves/<key>.nc`` where ``key`` is the
sha256 of the clip's content hash, the model hash, the detector version and the
parameters; a second run on the same inputs reads the cache.

Public entry points:

* :func:`clip_curves` -- the AU curves of one clip (cached), for plotting;
* :func:`detect` -- many clips or dataset folders, with events written to the store;
* :func:`find_clips` -- the clips under a path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from workbench import face
from workbench.au import AU_VERSION, au_curves
from workbench.schema import SCHEMA_VERSION, coerce_events, empty_events
from workbench.spot import DETECTOR_NAME, DETECTOR_RATER, SpotParams, spot
from workbench.video import IMAGE_SUFFIXES, VIDEO_SUFFIXES

#: Version of the detection pipeline (inference + AU mapping); part of the cache key.
DETECTOR_VERSION = f"1+au{AU_VERSION}"
#: Frames per task; a clip is also cut into at least as many chunks as there are workers.
CHUNK_FRAMES = 100
#: The smallest chunk the planner cuts (towards a clip's end), unless a clip is shorter.
MIN_CHUNK_FRAMES = 20


@dataclass(frozen=True)
class DetectParams:
    """Inference parameters (part of the cache key and of the curves' attrs).

    Attributes
    ----------
    min_confidence
        MediaPipe's minimum face detection and presence confidence.
    """

    min_confidence: float = 0.5

    def as_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- cache


def curves_key(content_hash: str, model_sha256: str, params: DetectParams) -> str:
    """sha256 of (clip content, model, detector version, parameters)."""
    payload = json.dumps(
        {
            "clip": content_hash,
            "model": model_sha256,
            "detector": DETECTOR_NAME,
            "version": DETECTOR_VERSION,
            "params": params.as_dict(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def curves_path(key: str) -> Path:
    """``<cache>/curves/<key>.nc``."""
    return face.cache_dir() / "curves" / f"{key}.nc"


def save_curves(curves: xr.DataArray, path: Path) -> Path:
    """Write curves as netCDF atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".nc.part", dir=path.parent)
    os.close(fd)
    try:
        curves.to_dataset(name="au_intensity").to_netcdf(tmp, engine="h5netcdf")
        os.chmod(tmp, face.umask_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_curves(path: str | os.PathLike) -> xr.DataArray:
    """Read curves written by :func:`save_curves` (fully loaded, file closed)."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds["au_intensity"].load()


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


def assemble(parts: Sequence[dict[str, Any]], attrs: dict) -> xr.Dataset:
    """Join chunk results in frame order into one face dataset."""
    parts = sorted(parts, key=lambda p: p["start"])
    stacked = {k: np.concatenate([p[k] for p in parts]) for k in ("landmarks", "blendshapes", "transform")}
    n = len(stacked["landmarks"])
    return face.face_dataset(
        stacked["landmarks"],
        stacked["blendshapes"],
        stacked["transform"],
        np.arange(parts[0]["start"], parts[0]["start"] + n),
        width=parts[0]["width"],
        height=parts[0]["height"],
        attrs=attrs,
    )


# ---------------------------------------------------------------------------- runners


class _Inline:
    """Runs tasks in this process, one at a time (jobs=1): same code path, no pool."""

    def submit(self, fn: Callable, *args: Any) -> Any:
        from concurrent.futures import Future

        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as exc:  # handed back like a pool would
            fut.set_exception(exc)
        return fut

    def as_completed(self, futures: Iterable) -> Iterator:
        yield from futures

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Threads:
    """Worker threads in this process, one landmarker each.

    MediaPipe's calls release the GIL, so threads use every core like processes would,
    without spawning processes that each import mediapipe and load the model again
    (about a second before the first frame) or pickling results back. When the pool
    takes every core, each thread is pinned to its own, with its landmarker's graph.
    A thread's landmarker is closed when the thread ends (:func:`face._worker_landmarker`).
    """

    def __init__(self, jobs: int, model: str | None, params: DetectParams):
        from concurrent.futures import ThreadPoolExecutor

        slots = itertools.count() if jobs == default_jobs() else None

        def start() -> None:
            face.init_worker(model, params.min_confidence, next(slots) if slots else None)

        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="workbench-detect", initializer=start)
        face.drain_at_exit(self.pool)

    def submit(self, fn: Callable, *args: Any) -> Any:
        return self.pool.submit(fn, *args)

    def as_completed(self, futures: Iterable) -> Iterator:
        from concurrent.futures import as_completed

        yield from as_completed(list(futures))

    def release(self) -> None:
        """No more tasks: the threads exit as they finish."""
        self.pool.shutdown(wait=False)

    def close(self) -> None:
        """Wait for every thread (each closes its landmarker as it ends)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """The same tasks on a dask.distributed cluster."""

    def __init__(self, address: Any):
        from distributed import Client

        self.client = address if hasattr(address, "submit") else Client(address)
        self.own = not hasattr(address, "submit")

    def submit(self, fn: Callable, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures: Iterable) -> Iterator:
        from distributed import as_completed

        yield from as_completed(list(futures))

    def release(self) -> None:
        pass

    def close(self) -> None:
        if self.own:
            self.client.close()


def make_runner(jobs: int, scheduler: Any, model: str | None, params: DetectParams) -> Any:
    """Inline for one job, a dask client when a scheduler is given, else worker threads."""
    if scheduler is not None:
        return _Dask(scheduler)
    if jobs <= 1:
        return _Inline()
    return _Threads(jobs, model, params)


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------- clips

_MEDIA = VIDEO_SUFFIXES
_IMAGES = IMAGE_SUFFIXES


def _is_image_folder(path: Path) -> bool:
    return path.is_dir() and any(p.suffix.lower() in _IMAGES for p in path.iterdir())


def find_clips(path: str | os.PathLike) -> list[Path]:
    """The clips under ``path``: itself when it is a video or an image folder, else every
    video file and image folder below it (sorted)."""
    path = Path(path)
    if path.is_file() or _is_image_folder(path):
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"Expected a clip or a dataset folder, but {path} does not exist.")
    found = []
    for p in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(path).parts):
            continue
        if (p.is_file() and p.suffix.lower() in _MEDIA) or _is_image_folder(p):
            found.append(p)
    return found


def clip_identity(path: Path, project: Path | None, dataset: str | None) -> tuple[str, str]:
    """``(dataset, clip id)``: the id is the path relative to ``<project>/data/<dataset>/``."""
    if project is not None:
        data = (project / "data").resolve()
        try:
            rel = path.resolve().relative_to(data)
        except ValueError:
            rel = None
        if rel is not None and len(rel.parts) >= 2:
            return dataset or rel.parts[0], Path(*rel.parts[1:]).as_posix()
    return dataset or path.parent.name or "default", path.name


# ---------------------------------------------------------------------------- detect


@dataclass
class ClipTask:
    """One clip's progress through :func:`detect`."""

    path: Path
    dataset: str
    clip_id: str
    n_frames: int = 0
    fps: float = 0.0
    key: str = ""
    chunks: list[tuple[int, int]] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)
    curves: xr.DataArray | None = None
    face: xr.Dataset | None = None  # landmarks, blendshapes, head pose (with keep_faces)
    cached: bool = False
    error: str | None = None
    model_seconds: float = 0.0  # in the model, summed over workers
    other_seconds: float = 0.0  # the pipeline's own work: decode, AU curves, saving
    workers: set[tuple[int, int]] = field(default_factory=set)  # (process id, native thread id)
    spans: list[tuple[float, float]] = field(default_factory=list)  # chunks' (start, end), time.monotonic


@dataclass
class DetectReport:
    """What :func:`detect` did: clips done (cached or computed), failures, events."""

    tasks: list[ClipTask]
    events: pd.DataFrame
    seconds: float = 0.0

    @property
    def done(self) -> list[ClipTask]:
        return [t for t in self.tasks if t.error is None]

    @property
    def failed(self) -> list[ClipTask]:
        return [t for t in self.tasks if t.error is not None]

    @property
    def frames(self) -> int:
        return sum(t.n_frames for t in self.done if not t.cached)

    @property
    def model_seconds(self) -> float:
        return sum(t.model_seconds for t in self.done)

    @property
    def overhead(self) -> float:
        """Time of the pipeline's own work (decode, AU curves, saving) / time in the model.

        Worker time is wall time in the worker's thread (a worker has a core to itself);
        finishing a clip counts the calling thread's CPU time.
        """
        model = self.model_seconds
        return sum(t.other_seconds for t in self.done) / model if model else float("nan")

    def summary(self) -> str:
        """Human-readable lines: clips done, failed with reasons, events found."""
        cached = sum(t.cached for t in self.done)
        lines = [
            f"clips done: {len(self.done)} ({cached} from cache), failed: {len(self.failed)}, "
            f"events found: {len(self.events)}"
        ]
        lines += [f"  FAILED {t.path}: {t.error}" for t in self.failed]
        for t in self.done:
            n = int((self.events["clip"] == t.clip_id).sum()) if len(self.events) else 0
            lines.append(f"  {t.dataset}/{t.clip_id}: {n} event(s)")
        return "\n".join(lines)


def _prepare(task: ClipTask, model_sha: str, params: DetectParams, use_cache: bool = True) -> None:
    """Open the clip, compute its cache key, load cached curves (else it needs chunks)."""
    from workbench.video import open_clip

    try:
        clip = open_clip(task.path)
        task.n_frames, task.fps = clip.n_frames, clip.fps
        task.key = curves_key(clip.content_hash(), model_sha, params)
    except Exception as exc:  # a clip that cannot be opened fails alone
        task.error = f"{type(exc).__name__}: {exc}"
        return
    path = curves_path(task.key)
    if use_cache and path.exists():
        try:
            task.curves, task.cached = load_curves(path), True
            _warn_cached(task.curves, task.clip_id)
            return
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # unreadable cache entry: recompute


def _plan(tasks: list[ClipTask], workers: int, chunk: int) -> None:
    """Chunks for every clip to compute, shrinking towards the end of the whole job."""
    todo = [t for t in tasks if t.error is None and not t.cached]
    after = sum(t.n_frames for t in todo)
    for t in todo:
        after -= t.n_frames
        t.chunks = plan_chunks(t.n_frames, workers, chunk, after=after)


def _warn_cached(curves: xr.DataArray, clip_id: str) -> None:
    """Repeat the no-face warning for curves read from the cache."""
    if int(curves.attrs.get("frames_without_face", 0)):
        empty = np.isnan(curves.values).all(axis=1)
        face.warn_frames_without_face(curves["frame"].values[empty], len(empty), clip_id)


def _finish(task: ClipTask, model_sha: str, params: DetectParams, keep_face: bool = False) -> None:
    """Turn a clip's chunk results into cached curves (warning on frames without a face)."""
    attrs = {
        "clip": task.clip_id,
        "dataset": task.dataset,
        "source": str(task.path),
        "fps": task.fps,
        "detector": DETECTOR_NAME,
        "detector_version": DETECTOR_VERSION,
        "params": json.dumps(params.as_dict(), sort_keys=True),
        "model_sha256": model_sha,
        "schema_version": SCHEMA_VERSION,
        "cache_key": task.key,
    }
    began = time.thread_time()
    if task.n_frames == 0:
        raise ValueError(f"Expected frames in clip '{task.clip_id}', but it has none ({task.path}).")
    ds = assemble(task.parts, attrs)
    missing = face.warn_missing_faces(ds, task.clip_id)
    curves = au_curves(ds, fps=task.fps)
    curves.attrs["frames_without_face"] = missing
    task.parts = []
    task.curves = curves
    task.face = ds if keep_face else None
    save_curves(curves, curves_path(task.key))
    task.other_seconds += time.thread_time() - began


def _run_chunks(tasks: list[ClipTask], runner: Any, model: str | None, params: DetectParams,
                model_sha: str, progress: bool, keep_faces: bool = False,
                on_frames: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
    """Submit every chunk, collect results as they finish, finish each clip when complete."""
    from tqdm.auto import tqdm

    todo = [t for t in tasks if t.error is None and not t.cached]
    total = sum(t.n_frames for t in todo)
    bar_frames = tqdm(total=total, unit="frame", desc="frames", disable=not progress, position=1)
    bar_clips = tqdm(total=len(tasks), unit="clip", desc="clips", disable=not progress, position=0)
    bar_clips.update(len(tasks) - len(todo))
    done = 0
    if on_frames is not None:
        on_frames(done, total)
    owner: dict[Any, ClipTask] = {}
    inline = isinstance(runner, _Inline)  # its submit runs the chunk at once
    if inline:
        _warm_up_writing()
    for t in todo:
        for a, b in t.chunks:
            owner[runner.submit(face.infer_chunk, str(t.path), a, b, model, params.min_confidence)] = t
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
            t.error = t.error or f"{type(exc).__name__}: {exc}"
            part = None
        if part is not None and t.error is None:
            t.parts.append(part)
            t.spans.append(part["span"])
            t.model_seconds += part["seconds"]
            t.other_seconds += part["chunk_seconds"] - part["seconds"]
            t.workers.add(tuple(part["worker"]))
            bar_frames.update(len(part["landmarks"]))
            done += len(part["landmarks"])
            if on_frames is not None:
                on_frames(done, total)
        if remaining[id(t)] == 0:
            if t.error is None:
                try:
                    _finish(t, model_sha, params, keep_faces)
                except Exception as exc:  # e.g. a cache folder that cannot be written
                    t.error = f"{type(exc).__name__}: {exc}"
            bar_clips.update(1)
    bar_frames.close()
    bar_clips.close()


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


def _events(tasks: list[ClipTask], spot_params: SpotParams) -> pd.DataFrame:
    frames = []
    for t in tasks:
        if t.error is None and t.curves is not None:
            ev = spot(t.curves, spot_params, clip=t.clip_id)
            ev["note"] = f"{DETECTOR_NAME} {DETECTOR_VERSION}, curves {t.key[:12]}" if len(ev) else ""
            frames.append(ev.assign(dataset=t.dataset))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_events(extra=("dataset",))
    return pd.concat(frames, ignore_index=True)


def write_events(project: Path, events: pd.DataFrame, tasks: list[ClipTask]) -> None:
    """Replace the detector's events of the clips just processed, dataset by dataset."""
    from workbench.store import Store

    store = Store(project / "annotations")
    for dataset in sorted({t.dataset for t in tasks if t.error is None}):
        clips = {t.clip_id for t in tasks if t.error is None and t.dataset == dataset}
        old = store.read(dataset, DETECTOR_RATER)
        keep = old[~old["clip"].isin(clips)] if len(old) else old
        new = events[events["dataset"] == dataset].drop(columns="dataset") if len(events) else events
        parts = [d for d in (keep, new) if len(d)]
        table = coerce_events(pd.concat(parts, ignore_index=True)) if parts else empty_events()
        store.write(dataset, DETECTOR_RATER, table)


def detect(
    paths: Sequence[str | os.PathLike],
    *,
    project: str | os.PathLike | None = None,
    dataset: str | None = None,
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
) -> DetectReport:
    """Detect AU curves and events for clips and dataset folders.

    Parameters
    ----------
    paths
        Clips (video files, image folders) or folders holding them.
    project
        The project folder: clip ids are relative to ``<project>/data/<dataset>/`` and
        events go to ``<project>/annotations`` as rater ``detector:mediapipe``.
    dataset
        Dataset name for every clip (default: from the path under ``<project>/data``).
    jobs
        Worker threads (default: every core); 1 runs in the calling thread.
    scheduler
        A dask.distributed scheduler address (or a ``Client``): run the same chunk
        tasks on that cluster instead of a local pool.
    params, spot_params
        Inference and spotting parameters.
    model
        The model file (default: :func:`workbench.face.acquire_model`).
    chunk_frames
        Frames per task.
    progress
        Show tqdm bars over clips and frames.
    write
        Write events to the store (needs ``project``).
    keep_faces
        Also keep each clip's face dataset (landmarks, blendshapes, head pose) as
        ``task.face``; clips are then run even when their curves are cached (the cache
        holds curves only), and their curves saved again.
    on_frames
        Called with (frames done, frames in all) as chunks come in (for a progress display
        of one's own).

    Returns
    -------
    DetectReport
        Clips done and failed (with reasons), and the events found.
    """
    started = time.perf_counter()
    params, spot_params = params or DetectParams(), spot_params or SpotParams()
    model_path = face.acquire_model(model)
    model_sha = face.MODEL_SHA256
    jobs = jobs or default_jobs()
    project_path = Path(project) if project is not None else None
    tasks = []
    for p in paths:
        for clip_path in find_clips(p):
            ds_name, clip_id = clip_identity(clip_path, project_path, dataset)
            tasks.append(ClipTask(clip_path, ds_name, clip_id))
    workers = jobs if scheduler is None else _cluster_workers(scheduler, jobs)
    for t in tasks:
        _prepare(t, model_sha, params, use_cache=not keep_faces)
    _plan(tasks, workers, chunk_frames)
    explicit_model = str(model_path) if scheduler is None or model is not None else None
    if any(t.chunks for t in tasks):
        runner = make_runner(jobs, scheduler, explicit_model, params)
        try:
            _run_chunks(tasks, runner, explicit_model, params, model_sha, progress, keep_faces, on_frames)
        finally:
            runner.close()
    events = _events(tasks, spot_params)
    if write and project_path is not None:
        write_events(project_path, events, tasks)
    return DetectReport(tasks, events, time.perf_counter() - started)


def _cluster_workers(scheduler: Any, default: int) -> int:
    """Total worker threads of a dask cluster (for chunk planning)."""
    client = scheduler if hasattr(scheduler, "submit") else None
    if client is None:
        return default
    return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))


def clip_curves(
    clip: Any,
    *,
    model: str | os.PathLike | None = None,
    params: DetectParams | None = None,
    jobs: int = 1,
    clip_id: str | None = None,
    progress: bool = False,
) -> xr.DataArray:
    """The AU curves of one clip, from the cache or computed (and then cached).

    Parameters
    ----------
    clip
        A :class:`workbench.video.Clip` or a path to one.
    model, params
        As in :func:`detect`.
    jobs
        Worker threads; 1 (default) runs in the calling thread.
    clip_id
        Stored in the curves' ``clip`` attr (default: the file name).
    progress
        Show a progress bar.

    Returns
    -------
    xarray.DataArray
        ``(frame, au)`` curves; see :func:`workbench.au.au_curves`.

    Raises
    ------
    ValueError
        When a frame cannot be read (naming the clip and the frame).
    """
    path = Path(getattr(clip, "source", clip))
    report = detect([path], jobs=jobs, params=params, model=model, progress=progress, write=False)
    task = report.tasks[0]
    if task.error is not None:
        raise ValueError(f"Detection failed for clip '{path}': {task.error}")
    curves = task.curves
    if clip_id is not None:
        curves.attrs["clip"] = clip_id
    return curves
