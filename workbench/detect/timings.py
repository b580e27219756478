"""Where the time of a detection run goes, for ``benchmarks/`` only.

:func:`workbench.detect.detect` takes an optional :class:`Timings`; without one (every
user's run) nothing is timed. With one, the workers add the time spent in the model, the
span of each chunk and which thread ran it, and the pipeline adds the time it spends
finishing clips (AU curves, saving). ``benchmarks/detect_throughput.py`` reads them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timings:
    """Model time, chunk spans and workers of one detection run.

    Attributes
    ----------
    model_seconds
        Wall time inside the model, summed over workers.
    chunk_seconds
        Wall time of whole chunks (decode + model + copying), summed over workers.
    finish_seconds
        CPU time of the calling thread spent turning chunks into saved curves.
    spans
        ``(start, end)`` of each chunk, ``time.monotonic``.
    workers
        ``(process id, native thread id)`` of every thread that ran a chunk.
    """

    model_seconds: float = 0.0
    chunk_seconds: float = 0.0
    finish_seconds: float = 0.0
    spans: list[tuple[float, float]] = field(default_factory=list)
    workers: set[tuple[int, int]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` with its wall time added to :attr:`model_seconds`."""

        def run(*args: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args)
            finally:
                spent = time.perf_counter() - began
                with self._lock:
                    self.model_seconds += spent

        return run

    def chunk(self, began: float, ended: float) -> None:
        """Record one chunk that ran on the calling thread."""
        with self._lock:
            self.spans.append((began, ended))
            self.chunk_seconds += ended - began
            self.workers.add((os.getpid(), threading.get_native_id()))

    @contextlib.contextmanager
    def finishing(self) -> Iterator[None]:
        """Time the calling thread's CPU while it finishes a clip."""
        began = time.thread_time()
        try:
            yield
        finally:
            self.finish_seconds += time.thread_time() - began

    @property
    def overhead(self) -> float:
        """The pipeline's own work (decode, copying, AU curves, saving) / time in the model."""
        if not self.model_seconds:
            return float("nan")
        return (self.chunk_seconds - self.model_seconds + self.finish_seconds) / self.model_seconds
