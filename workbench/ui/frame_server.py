"""Serve the player's prefetch requests on a worker thread, nearest first.

The kernel handles comm messages one after another. Encoding prefetch batches in the
message handler would queue a random jump (and the cursor's ``frame`` updates) behind
every batch asked for earlier. Here the handler only files prefetch requests (the frame
on screen is served by the handler itself, see :class:`workbench.ui.player.Player`);
frames that are by now far from the browser's cursor are dropped, and the worker sends at
most :attr:`FrameServer.batch` frames per message. Decoding and encoding release the GIL.

Requests marked ``fill`` (the browser filling its store with the rest of the clip, in
runs of a dozen frames) wait in a lane of their own, served only when no other request
waits, :attr:`FrameServer.batch` frames per message, and are never dropped for being far
from the cursor; a frame asked for again while it waits is filed once, and a fill for a clip
or view no longer shown is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger("workbench.ui")


class FrameServer:
    """A request queue and one daemon worker calling ``serve(request)``.

    Parameters
    ----------
    serve : callable
        Sends the frames of one request (``{"indices", "token", ...}``).
    reach : callable
        Returns how far (frames) from the cursor a prefetch frame is still worth sending.
    on_error : callable
        Called with the exception when ``serve`` fails.
    """

    def __init__(
        self,
        serve: Callable[[dict], None],
        *,
        reach: Callable[[], int],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._serve, self._reach, self._on_error = serve, reach, on_error
        self._queue: deque[dict] = deque()
        self._fill: deque[dict] = deque()
        self._cv = threading.Condition()
        self._cursor = 0
        self._thread: threading.Thread | None = None
        self.dropped = 0
        #: Fill frames asked for again while still waiting (filed once).
        self.duplicates = 0
        #: Frames sent per message, so that a front request waits for at most this many.
        self.batch = 4

    def submit(self, request: dict) -> None:
        """File a request: ``front`` ones first; ``cursor`` updates what is near."""
        with self._cv:
            if request.get("cursor") is not None:
                self._cursor = int(request["cursor"])
            if request.get("front"):
                self._queue.appendleft(request)
            elif request.get("fill"):
                self._file_fill(request)
            else:
                self._queue.append(request)
            self._cv.notify()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="workbench-frames", daemon=True)
            self._thread.start()

    def _file_fill(self, request: dict) -> None:
        """File a fill request (lock held): fill requests for another clip or view are dropped, and
        frames already waiting are not filed twice. The browser asks again for frames that have
        not come after a while; on a slow clip (a seek per run) they may only be waiting here,
        and serving them twice would grow the queue faster than it drains."""
        key = (request.get("token"), request.get("view"))
        self._fill = deque(r for r in self._fill if (r.get("token"), r.get("view")) == key)
        waiting = {int(i) for r in self._fill for i in r.get("indices", [])}
        fresh = [i for i in request.get("indices", []) if int(i) not in waiting]
        self.duplicates += len(request.get("indices", [])) - len(fresh)
        if fresh:
            self._fill.append({**request, "indices": fresh})

    def _next(self) -> dict:
        with self._cv:
            while not self._queue and not self._fill:
                self._cv.wait()
            request = (self._queue or self._fill).popleft()
            cursor = self._cursor
        if request.get("front") or request.get("fill"):
            return request
        reach = self._reach()
        keep = [i for i in request.get("indices", []) if abs(int(i) - cursor) <= reach]
        self.dropped += len(request.get("indices", [])) - len(keep)
        return {**request, "indices": keep}

    def _split(self, request: dict) -> dict:
        """Keep the first :attr:`batch` frames; file the rest behind any front request."""
        indices = request.get("indices", [])
        if request.get("front") or len(indices) <= self.batch:
            return request
        with self._cv:
            if request.get("fill"):
                self._fill.appendleft({**request, "indices": indices[self.batch :]})
                return {**request, "indices": indices[: self.batch]}
            k = 0
            while k < len(self._queue) and self._queue[k].get("front"):
                k += 1
            self._queue.insert(k, {**request, "indices": indices[self.batch :]})
        return {**request, "indices": indices[: self.batch]}

    def _run(self) -> None:
        while True:
            request = self._next()
            if not request.get("indices"):
                continue
            request = self._split(request)
            try:
                self._serve(request)
            except Exception as exc:  # noqa: BLE001 - reported to the widget and logged
                log.exception("serving frames %s failed", request.get("indices"))
                self._on_error(exc)
