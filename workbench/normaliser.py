"""Normalising in the background: one job per source file, shared by every clip reading it.

:func:`start` returns at once. The job's thread hashes the source (the copy's name in the
cache is its content), then either finds the copy there or writes it with
:func:`workbench.encode.normalise` (x264 and the decoder release the GIL, so the caller's
thread stays free to read frames exactly meanwhile). A clip asks :attr:`Job.ready` before a
read and switches to the copy when it is.

::

    open_clip ──> Job: sha256 ──> copy in the cache? ──yes──> ready
                                        │ no
                                        └──> normalise (progress 0..1) ──> ready | error

Opening the same file again while its job runs joins that job (keyed on the file's path,
size and modification time, the rate asked for, the cache folder and the copy's longest side). A job that failed
keeps its error for the clips that wait on it and leaves the registry, so the next open
tries again. At interpreter exit unfinished jobs are cancelled (no half-written copy
stays behind); the next open starts again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from workbench import encode
from workbench.encode import Cancelled, normalise, normalised_path
from workbench.exact import FrameIndex
from workbench.paths import file_sha256
from workbench.probe import Probe

log = logging.getLogger(__name__)

Listener = Callable[[int, int], None]


class Job:
    """One source file's normalisation, running in a thread of its own.

    Attributes
    ----------
    src
        The user's file.
    dst
        The normalised copy (known once the source is hashed, else None).
    done, total
        Frames written so far, frames in all.
    error
        What stopped the job, kept to be raised by the clips reading it (None: none).
    """

    def __init__(self, src: Path, info: Probe, index: FrameIndex, fps: float | None, cache: Path | None, side: int):
        self.src, self.info, self.index, self.fps, self.cache, self.side = src, info, index, fps, cache, side
        self.dst: Path | None = None
        self.digest: str | None = None
        self.done, self.total = 0, index.n_frames
        self.error: BaseException | None = None
        self._hashed = threading.Event()
        self._finished = threading.Event()
        self._cancel = threading.Event()
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"workbench-normalise {src.name}", daemon=True)

    @property
    def progress(self) -> float:
        """0..1: the share of frames written (1 once the copy is ready)."""
        if self.ready:
            return 1.0
        return self.done / self.total if self.total else 0.0

    @property
    def ready(self) -> bool:
        """The copy is written and may be read."""
        return self._finished.is_set() and self.error is None

    @property
    def finished(self) -> bool:
        """Done, failed or cancelled."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` s); whether it has."""
        return self._finished.wait(timeout)

    def wait_digest(self) -> str:
        """The source's sha256, waiting for the job to compute it.

        Raises
        ------
        ValueError
            When the source could not be read (naming it).
        """
        self._hashed.wait()
        if self.digest is None:
            raise ValueError(f"Expected to read {self.src}, but hashing it failed: {self.error}") from self.error
        return self.digest

    def cancel(self) -> None:
        """Stop the job (nothing is written); clips reading it then raise on their next read."""
        self._cancel.set()

    def listen(self, listener: Listener) -> None:
        """Call ``listener(frames written, frames in all)`` as the copy is written (from the
        job's thread), and once at the end; at once when the job has finished already."""
        with self._lock:
            self._listeners.append(listener)
        if self.finished:
            self._tell(self.total if self.ready else self.done)

    def _tell(self, done: int) -> None:
        self.done = done
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(done, self.total)
            except Exception:  # noqa: BLE001 - a display's fault must not stop the copy; it is logged
                log.exception("progress callback %r failed while normalising %s", listener, self.src)

    def _run(self) -> None:
        try:
            self.digest = file_sha256(self.src)
            self.dst = normalised_path(self.src, self.fps, self.cache, self.digest, self.side)
            self._hashed.set()
            if not self.dst.exists():
                normalise(self.src, self.dst, self.fps, self.info, index=self.index, side=self.side,
                          progress=self._progress, cancel=self._cancel)  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - kept and raised by the next read of every clip
            self.error = exc
        finally:
            self._hashed.set()
            _forget(self)
            self._finished.set()
            self._tell(self.total if self.error is None else self.done)

    def _progress(self, done: int, total: int) -> None:
        self._tell(done)


_JOBS: dict[tuple, Job] = {}
_JOBS_LOCK = threading.Lock()


def _key(src: Path, fps: float | None, cache: Path | None, side: int) -> tuple:
    stat = src.stat()
    return (str(src.resolve()), stat.st_size, stat.st_mtime_ns, fps, str(cache) if cache else None, side)


def _forget(job: Job) -> None:
    with _JOBS_LOCK:
        for key, other in list(_JOBS.items()):
            if other is job and job.error is not None:
                del _JOBS[key]


def start(src: Path, info: Probe, index: FrameIndex, fps: float | None = None, cache: Path | None = None) -> Job:
    """The running (or finished) job normalising ``src`` (its copy at most
    :data:`workbench.encode.COPY_SIDE` pixels on its longest side), started if there is none."""
    side = encode.COPY_SIDE
    key = _key(src, fps, cache, side)
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is None or job.error is not None or (job.ready and not (job.dst and job.dst.exists())):
            job = _JOBS[key] = Job(src, info, index, fps, cache, side)
            job.thread.start()
    return job


def cancel_all(wait: bool = True) -> None:
    """Cancel every unfinished job (at exit: their temporary files are removed)."""
    with _JOBS_LOCK:
        jobs = list(_JOBS.values())
    for job in jobs:
        if not job.finished:
            job.cancel()
    if wait:
        for job in jobs:
            job.wait()


def _at_exit() -> None:
    cancel_all(wait=True)


(getattr(threading, "_register_atexit", None) or __import__("atexit").register)(_at_exit)

__all__ = ["Cancelled", "Job", "cancel_all", "start"]
