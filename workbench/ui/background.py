"""Work a view needs but must not wait for (the face analysis of a clip), on a thread, with a progress bar.

A clip's first frame shows at once; its AU curves, landmarks and face box come when the
face model has run over it (minutes for a long video the first time; the analysis cache
answers afterwards). :class:`Background` runs one job at a time on a daemon thread. A job
asked for while another runs replaces any job still waiting: flipping through five clips
analyses the one being looked at, not all five. A job that is running is not stopped (the
analysis has no way to stop), but its result is only applied while its key is still the
current one, so a late result never lands on another clip. In a kernel, the result is applied
on the kernel's own thread (its IOLoop), like every other change of a widget, never at the same
time as a callback of the user's. Without a kernel (a script, a test) there is no such thread: the
result waits, and :meth:`Background.wait` applies it on the caller's thread, so that no widget is
ever changed by two threads at once (plotly's figures are not thread-safe).

::

    Finding landmarks and AU curves: ▓▓▓▓▓▓░░░░░░  412 / 1000 frames (once per clip, then cached)
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as W

log = logging.getLogger("workbench.ui")

Progress = Callable[[int, int], None]


class Background(W.HBox):
    """One worker thread, the latest job waiting, a progress bar that shows while one runs.

    Parameters
    ----------
    on_error : callable
        Called with ``(exception, key)`` when a job fails (on the worker thread).
    """

    def __init__(self, on_error: Callable[[BaseException, Any], None]) -> None:
        self.bar = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="240px"))
        self.label = W.HTML()
        super().__init__([self.bar, self.label], layout=W.Layout(display="none", align_items="center"))
        self.add_class("wb-background")
        self._on_error = on_error
        self._cv = threading.Condition()
        self._next: tuple[Any, Callable, Callable, str] | None = None
        self._running: Any = None
        self._thread: threading.Thread | None = None
        #: The key whose results may be applied (the clip on screen).
        self.current: Any = None
        #: Without a kernel: results waiting for :meth:`wait` to apply them on the caller's thread.
        self._deferred: list[Callable[[], None]] = []

    def submit(self, key: Any, work: Callable[[Progress], Any], apply: Callable[[Any], None], what: str) -> None:
        """Run ``work(progress)`` for ``key``; then ``apply(result)`` if ``key`` is still current.

        ``what`` names the job in the progress line.
        """
        with self._cv:
            self.current = key
            self._next = (key, work, apply, what)
            self._cv.notify()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="workbench-background", daemon=True)
                self._thread.start()
        self._show(what, 0, 0)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job runs or waits (tests, scripts); False on timeout. Without a kernel,
        the results that came in are applied now, on the calling thread."""
        with self._cv:
            idle = self._cv.wait_for(lambda: self._next is None and self._running is None, timeout)
            deferred, self._deferred = self._deferred, []
        for job in deferred:
            job()
        return idle

    @property
    def busy(self) -> bool:
        with self._cv:
            return self._next is not None or self._running is not None

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._next is None:
                    self._cv.wait()
                key, work, apply, what = self._next
                self._next, self._running = None, key
            try:
                result = work(lambda done, total, key=key, what=what: self._progress(key, what, done, total))
                job = lambda key=key, result=result, apply=apply: self._apply(key, apply, result)  # noqa: E731
                loop = _kernel_loop()
                if loop is not None:
                    loop.add_callback(job)
                else:
                    with self._cv:
                        self._deferred.append(job)
            except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
                log.exception("background job for %r failed", key)
                if key == self.current:
                    self._on_error(exc, key)
            finally:
                with self._cv:
                    self._running = None
                    idle = self._next is None
                    self._cv.notify_all()
                if idle:
                    self.layout.display = "none"

    def _apply(self, key: Any, apply: Callable[[Any], None], result: Any) -> None:
        if key != self.current:
            return
        try:
            apply(result)
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            log.exception("showing the result for %r failed", key)
            self._on_error(exc, key)

    def _progress(self, key: Any, what: str, done: int, total: int) -> None:
        if key == self.current:
            self._show(what, done, total)

    def _show(self, what: str, done: int, total: int) -> None:
        self.bar.max = max(1, int(total))
        self.bar.value = min(int(done), self.bar.max)
        count = f" {done:,} / {total:,} frames" if total else " starting…"
        self.label.value = (
            f"<span class='wb-background-text' style='color:#b45309'>{html.escape(what)}:{count} "
            "(the clip can be watched meanwhile; once per clip, then cached)</span>"
        )
        self.layout.display = ""


def _kernel_loop() -> Any:
    """The kernel's IOLoop, or None without a kernel (scripts, tests)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return getattr(getattr(get_ipython(), "kernel", None), "io_loop", None)
