"""Worker threads that run landmarkers, and the runners that hand them chunks of frames.

MediaPipe's C calls (ctypes) release the GIL, so one process runs several landmarkers at
once, each in its own thread: no worker processes to spawn (each would import mediapipe
and load the model again, about a second), and no results to pickle. Every thread keeps
its own landmarker and clip readers; neither is shared between threads. A thread's
landmarker is closed when the thread ends, when its pool closes, or at interpreter exit
(before MediaPipe's own executor shuts down).

Runners: :class:`Inline` (one job, in the calling thread), :class:`Threads` (every core),
:class:`Dask` (a dask.distributed cluster), all with ``submit`` / ``as_completed`` /
``release`` / ``close``.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401 - registers its exit hook before ours (see _at_exit)
import contextlib
import itertools
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np

from workbench.detect.facedata import clip_frames
from workbench.detect.landmarker import BLENDSHAPES, N_LANDMARKS, detect_frame, open_landmarker
from workbench.detect.timings import Timings
from workbench.video import open_clip


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.entry: tuple | None = None  # ((model, confidence), context, landmarker)
        self.clips: dict[str, Any] = {}
        self.token: object | None = None  # dropped when the thread ends: closes its landmarker


_STATE = _ThreadState()
#: Every open worker landmarker by the native id of the thread that made and uses it, so
#: that the thread's end, or exit, can close it.
_OPEN: dict[int, tuple] = {}
_OPEN_LOCK = threading.Lock()
#: Thread pools whose threads run landmarkers: at exit, their work ends before any closes.
_POOLS: weakref.WeakSet = weakref.WeakSet()


def close_landmarkers(threads: Iterable[int] | None = None) -> None:
    """Close the worker landmarkers of ``threads`` (native thread ids; default: all).

    Only the calling thread's own and those of threads that have ended: a thread still
    running may be inside a call on its landmarker (the call does not go through
    MediaPipe's executor, see :func:`_detect_into_arrays`), so it closes its own when it
    ends.
    """
    me = threading.get_native_id()
    running = {t.native_id for t in threading.enumerate()} - {me}
    with _OPEN_LOCK:
        ids = [t for t in (list(_OPEN) if threads is None else threads) if t in _OPEN and t not in running]
        entries = [_OPEN.pop(t) for t in ids]
    for _, ctx, landmarker in entries:
        try:
            ctx.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - e.g. MediaPipe's executor already shut down at exit
            _close_directly(landmarker)


def _close_directly(landmarker: Any) -> None:
    """Close a landmarker with the C call itself, where ``close()`` cannot run (at interpreter
    exit MediaPipe's executor refuses work); never raises. Without this, the landmarker's
    ``__del__`` tries again once modules are torn down."""
    import ctypes

    handle = getattr(landmarker, "_handle", None)
    if handle:
        with contextlib.suppress(Exception):
            error = ctypes.c_char_p()
            landmarker._lib._lib.MpFaceLandmarkerClose(handle, ctypes.byref(error))
        landmarker._handle = None


def drain_at_exit(pool: Any) -> None:
    """Have interpreter exit wait for ``pool``'s work (``shutdown(wait=True)``) before it
    closes the landmarkers, which that work may still be using (a detection running on a
    thread other than the main one)."""
    _POOLS.add(pool)


def _close_at_exit() -> None:
    for pool in list(_POOLS):
        pool.shutdown(wait=True)
    close_landmarkers()


def _at_exit(fn: Callable[[], None]) -> None:
    """Run ``fn`` at interpreter exit *before* thread pools shut down.

    MediaPipe closes a landmarker through a ``concurrent.futures`` thread pool, which the
    ordinary ``atexit`` stage finds already shut down. ``threading``'s exit hooks run
    earlier, the last registered first, so this comes after ``concurrent.futures.thread``
    has registered its own. They run before non-daemon threads are joined.
    """
    register = getattr(threading, "_register_atexit", None)
    (register or atexit.register)(fn)


_at_exit(_close_at_exit)


def _worker_landmarker(model: str | None, min_confidence: float) -> Any:
    """This thread's FaceLandmarker, made once per (model, confidence), closed when the
    thread ends, when its pool closes, or at exit."""
    key = (model, min_confidence)
    me = threading.get_native_id()
    entry = _STATE.entry
    if entry is None or entry[0] != key or _OPEN.get(me) is not entry:
        close_landmarkers([me])
        ctx = open_landmarker(model, min_confidence=min_confidence)
        entry = _STATE.entry = (key, ctx, ctx.__enter__())
        with _OPEN_LOCK:
            _OPEN[me] = entry
        if _STATE.token is None:
            _STATE.token = token = _Token()
            weakref.finalize(token, close_landmarkers, [me]).atexit = False
    return entry[2]


class _Token:
    """Lives in a thread's state; collected when the thread ends."""


def _worker_clip(path: str) -> Any:
    clips = _STATE.clips
    if path not in clips:
        if len(clips) > 4:
            clips.clear()
        clips[path] = open_clip(path, normalise=False)  # one pass in order: the source as it stands, exactly
    return clips[path]


def pin_to_core(slot: int) -> int | None:
    """Pin the calling thread to core number ``slot`` (modulo the cores it may use).

    A pool gives its workers distinct slots, 0, 1, ... MediaPipe runs a graph's stages on
    threads of its own, which it starts when the landmarker is made and which inherit
    the pin: a worker's graph then stays on its core instead of hopping between cores
    (measured in ``benchmarks/detect_throughput.py``).

    Returns the core, or None where affinity cannot be set (not Linux).
    """
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None
    core = allowed[slot % len(allowed)]
    try:
        os.sched_setaffinity(0, {core})  # 0: the calling thread
    except OSError:  # the allowed cores changed under us: run unpinned
        return None
    return core


def init_worker(model: str | None, min_confidence: float, slot: int | None = None) -> int:
    """Start a worker thread: pin it to a core of its own (when ``slot`` is given), then
    make its landmarker. Returns the thread's native id."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if slot is not None:
        pin_to_core(slot)
    _worker_landmarker(model, min_confidence)
    return threading.get_native_id()


def infer_chunk(path: str, start: int, stop: int, model: str | None, min_confidence: float,
                timings: Timings | None = None) -> dict[str, Any]:  # fmt: skip
    """Run this thread's landmarker on frames ``start..stop-1`` of a clip.

    Returns
    -------
    dict
        ``start``, ``landmarks``, ``blendshapes``, ``transform`` arrays, ``width``, ``height``.
        With ``timings`` (benchmarks only), the chunk's model time, span and worker are added
        to it.
    """
    began = time.monotonic() if timings is not None else 0.0
    landmarker = _worker_landmarker(model, min_confidence)
    clip = _worker_clip(path)
    n = stop - start
    lms = np.empty((n, N_LANDMARKS, 3), np.float32)
    bss = np.empty((n, len(BLENDSHAPES)), np.float32)
    mats = np.empty((n, 4, 4), np.float32)
    run = detect_frame if timings is None else timings.timed(detect_frame)
    for k, rgb in enumerate(clip_frames(clip, start, stop)):
        lms[k], bss[k], mats[k] = run(landmarker, rgb)
    if timings is not None:
        timings.chunk(began, time.monotonic())
    h, w = clip.shape[:2]
    return {"start": start, "landmarks": lms, "blendshapes": bss, "transform": mats, "width": w, "height": h}


# ---------------------------------------------------------------------------- runners


class Inline:
    """Runs tasks in this thread, one at a time (jobs=1): same code path, no pool.

    A task runs when :meth:`as_completed` reaches it, so each result is handled (and kept
    in the cache) before the next task starts, as with a pool.
    """

    def __init__(self) -> None:
        self._queued: dict[Future, tuple[Callable, tuple]] = {}

    def submit(self, fn: Callable, *args: Any) -> Future:
        fut: Future = Future()
        self._queued[fut] = (fn, args)
        return fut

    def as_completed(self, futures: Iterable) -> Iterator:
        for fut in futures:
            fn, args = self._queued.pop(fut)
            try:
                fut.set_result(fn(*args))
            except Exception as exc:  # handed back like a pool would
                fut.set_exception(exc)
            yield fut

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


class Threads:
    """Worker threads in this process, one landmarker each.

    MediaPipe's calls release the GIL, so threads use every core like processes would,
    without spawning processes that each import mediapipe and load the model again
    (about a second before the first frame) or pickling results back. When the pool
    takes every core, each thread is pinned to its own, with its landmarker's graph.
    A thread's landmarker is closed when the thread ends (:func:`_worker_landmarker`).
    """

    def __init__(self, jobs: int, model: str | None, min_confidence: float):
        slots = itertools.count() if jobs == default_jobs() else None

        def start() -> None:
            init_worker(model, min_confidence, next(slots) if slots else None)

        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="workbench-detect", initializer=start)
        drain_at_exit(self.pool)

    def submit(self, fn: Callable, *args: Any) -> Future:
        return self.pool.submit(fn, *args)

    def as_completed(self, futures: Iterable) -> Iterator:
        yield from as_completed(list(futures))

    def release(self) -> None:
        """No more tasks: the threads exit as they finish."""
        self.pool.shutdown(wait=False)

    def close(self) -> None:
        """Wait for every thread (each closes its landmarker as it ends)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    """The same tasks on a dask.distributed cluster."""

    def __init__(self, address: Any):
        from distributed import Client

        self.client = address if hasattr(address, "submit") else Client(address)
        self.own = not hasattr(address, "submit")

    def submit(self, fn: Callable, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures: Iterable) -> Iterator:
        from distributed import as_completed as dask_completed

        yield from dask_completed(list(futures))

    def release(self) -> None:
        pass

    def close(self) -> None:
        if self.own:
            self.client.close()

    def workers(self, default: int) -> int:
        """Total worker threads of the cluster (for chunk planning)."""
        info = self.client.scheduler_info()["workers"]
        return max(1, sum(w.get("nthreads", 1) for w in info.values())) if info else default


def make_runner(jobs: int, scheduler: Any, model: str | None, min_confidence: float) -> Inline | Threads | Dask:
    """Inline for one job, a dask client when a scheduler is given, else worker threads."""
    if scheduler is not None:
        return Dask(scheduler)
    if jobs <= 1:
        return Inline()
    return Threads(jobs, model, min_confidence)


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
