"""The frame-exact player: an anywidget whose browser side caches decoded frames.

The browser asks for frames with a custom message ``{"type": "get", "indices": [...]}``
and gets them back as JPEG buffers (never base64 in JSON). Stepping and playback inside
the cached window need no kernel round trip; the browser reports the cursor back through
the synced ``frame`` trait (throttled), which the timeline and the labeller observe.

Key presses that need Python (mark, emotion, save, undo, redo, next, prev) arrive as
``{"type": "action", "action": ..., "arg": ..., "frame": ...}`` and go to the callbacks
registered with :meth:`Player.on_action`. A mark (o / a / f) is sent only once the picture
of its frame is on screen: pressed while a frame is on its way, it waits for that picture
(and is dropped, saying so, if the cursor moves on before it comes), so a mark always names
a frame the rater has seen. The readout names the frame on screen; "loading frame N…"
shows while another is on its way.

Frames travel at the size they are shown: the browser tells the kernel the box its canvas
fits in device pixels (``view_px``: at most 520x480 CSS pixels times devicePixelRatio) and
the kernel sends the whole frame, or the face crop when zoomed (``crop``), fitted into it
(:func:`workbench.ui.frames.view_geometry`). A new geometry is a new ``view_id``: the browser
drops what it holds and asks again. Full resolution is the source's: ``player.source.frame(i)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets as t

from workbench.schema import EMOTION_KEYS
from workbench.ui.frame_server import FrameServer
from workbench.ui.frames import FrameSource, view_geometry, view_jpegs

log = logging.getLogger("workbench.ui")

#: Playback speeds offered by ``[`` and ``]``, as fractions of the clip's real fps.
SPEEDS: tuple[float, ...] = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
ACTIONS: tuple[str, ...] = ("mark", "emotion", "save", "undo", "redo", "next", "prev")

ActionCallback = Callable[[str, Any, int], None]


class Player(anywidget.AnyWidget):
    """Show a clip frame by frame, with a browser-side cache and prefetch.

    Parameters
    ----------
    source : FrameSource, optional
        Anything with ``n_frames``, ``fps``, ``jpeg(i, quality)`` (e.g. a
        :class:`workbench.video.Clip`); set later with :meth:`set_source`.
    quality : int
        JPEG quality of the frames sent to the browser.
    cache_size : int
        Decoded frames the browser keeps around the cursor.
    prefetch : int
        Frames fetched ahead of the cursor in the direction of travel.
    store_mb : float
        Megabytes of JPEGs the browser keeps. While idle it fills this store with the rest
        of the clip (a micro-expression clip of a few hundred frames fits many times), so
        that a jump anywhere decodes a frame it already holds instead of asking the
        kernel; 0 turns the fill off.
    threaded : bool
        Encode frames on a worker thread (:class:`FrameServer`), so that a jump and the
        cursor are not queued behind prefetch batches; False serves in the handler.

    Examples
    --------
    >>> from workbench.ui.frames import moving_square
    >>> p = Player(moving_square(30))
    >>> p.n_frames, p.fps
    (30, 30.0)
    """

    _esm = Path(__file__).with_name("player.js")

    frame = t.Int(0).tag(sync=True)
    n_frames = t.Int(0).tag(sync=True)
    fps = t.Float(30.0).tag(sync=True)
    width = t.Int(0).tag(sync=True)
    height = t.Int(0).tag(sync=True)
    token = t.Int(0).tag(sync=True)
    playing = t.Bool(False).tag(sync=True)
    speed = t.Float(1 / 4).tag(sync=True)
    zoom = t.Bool(False).tag(sync=True)
    overlay = t.Bool(False).tag(sync=True)
    diff = t.Bool(False).tag(sync=True)
    diff_gain = t.Float(6.0).tag(sync=True)
    reference = t.Int(-1).tag(sync=True)
    face_box = t.List(t.Float(), default_value=[]).tag(sync=True)
    landmarks = t.Bytes(b"").tag(sync=True)
    n_points = t.Int(0).tag(sync=True)
    regions = t.List(t.Dict(), default_value=[]).tag(sync=True)
    marks = t.Dict(default_value={}).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    cache_size = t.Int(160).tag(sync=True)
    prefetch = t.Int(40).tag(sync=True)
    #: Frames further than this from the cursor are dropped from the queues, here and in the browser.
    reach = t.Int(80).tag(sync=True)
    store_mb = t.Float(256.0).tag(sync=True)
    #: The box (device pixels) the browser's canvas fits in; it sets this from devicePixelRatio.
    view_px = t.List(t.Int(), default_value=[520, 480]).tag(sync=True)
    #: ``[x0, y0, w, h]``: the part of the source frame the pictures sent show (source pixels).
    crop = t.List(t.Int(), default_value=[]).tag(sync=True)
    #: Bumped when ``crop`` or the size sent changes: the browser drops its frames and asks again.
    view_id = t.Int(0).tag(sync=True)
    emotion_keys = t.List(default_value=[list(pair) for pair in EMOTION_KEYS]).tag(sync=True)

    def __init__(
        self,
        source: FrameSource | None = None,
        *,
        quality: int = 85,
        cache_size: int = 160,
        prefetch: int = 40,
        store_mb: float = 256.0,
        threaded: bool = True,
    ) -> None:
        super().__init__(cache_size=int(cache_size), prefetch=int(prefetch), store_mb=float(store_mb))
        self._set_reach()
        self.quality = int(quality)
        self.source: FrameSource | None = None
        self._actions: list[ActionCallback] = []
        self.served = 0
        self.size: tuple[int, int] | None = None
        self._source_lock = threading.Lock()
        self.server = FrameServer(self._serve, reach=self._reach, on_error=self._show_error) if threaded else None
        self.on_msg(self._on_msg)
        if source is not None:
            self.set_source(source)

    # -- source and overlays ------------------------------------------------
    def set_source(
        self,
        source: FrameSource,
        *,
        face_box: list[float] | None = None,
        landmarks: np.ndarray | None = None,
        regions: list[dict] | None = None,
        frame: int = 0,
    ) -> None:
        """Show another clip; the browser drops its cache.

        Parameters
        ----------
        source : FrameSource
            The clip.
        face_box : list of float, optional
            ``[x0, y0, x1, y1]`` in normalised image coordinates, for the zoom toggle.
        landmarks : numpy.ndarray, optional
            ``(n_frames, n_points, 2)`` normalised x, y of the overlay points (NaN: none).
        regions : list of dict, optional
            Polylines over ``landmarks``: ``{"name", "start", "stop", "closed", "color"}``.
        frame : int
            Where the cursor starts.
        """
        for name in ("n_frames", "fps"):
            if not hasattr(source, name):
                raise TypeError(f"Expected a frame source with '{name}', but got {type(source).__name__}.")
        shape = getattr(source, "shape", None) or source_shape(source)
        pts = _landmark_bytes(landmarks, int(source.n_frames))
        with self.hold_trait_notifications():
            self.source = source
            self.playing = False
            self.n_frames = int(source.n_frames)
            self.fps = float(source.fps)
            self.height, self.width = int(shape[0]), int(shape[1])
            self.face_box = [float(v) for v in face_box] if face_box is not None else []
            self.landmarks = pts
            self.n_points = 0 if landmarks is None else int(np.asarray(landmarks).shape[1])
            self.regions = list(regions or []) if landmarks is not None else []
            self.reference = -1
            self.frame = max(0, min(int(frame), self.n_frames - 1))
            self._update_view()
            self.token += 1

    def set_face(
        self,
        face_box: list[float] | None = None,
        landmarks: np.ndarray | None = None,
        regions: list[dict] | None = None,
    ) -> None:
        """Add the face box and the overlay to the clip shown (they come after its first frame:
        the face analysis runs in the background); the browser keeps the frames it holds."""
        pts = _landmark_bytes(landmarks, self.n_frames)
        with self.hold_trait_notifications():
            self.face_box = [float(v) for v in face_box] if face_box is not None else []
            self.landmarks = pts
            self.n_points = 0 if landmarks is None else int(np.asarray(landmarks).shape[1])
            self.regions = list(regions or []) if landmarks is not None else []

    # -- actions -------------------------------------------------------------
    def on_action(self, callback: ActionCallback) -> None:
        """Call ``callback(action, arg, frame)`` on each key action sent by the browser."""
        self._actions.append(callback)

    def _on_msg(self, _widget: Any, content: dict, _buffers: list) -> None:
        try:
            kind = content.get("type")
            if kind == "get":
                # The frame on screen is served here at once (waiting for at most the one
                # frame the worker is decoding); prefetch goes to the worker's queue.
                if self.server is None or content.get("front"):
                    self._serve(content)
                if self.server is not None:
                    self.server.submit(content if not content.get("front") else {**content, "indices": []})
            elif kind == "action":
                self._act(content)
            else:
                raise ValueError(f"Expected a message of type 'get' or 'action', but got {kind!r}.")
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            log.exception("player message %r failed", content)
            self._show_error(exc)

    @t.observe("prefetch", "cache_size")
    def _set_reach(self, _change: Any = None) -> None:
        self.reach = max(2 * self.prefetch, self.cache_size // 2)

    @t.observe("zoom", "face_box", "view_px")
    def _on_view(self, _change: Any = None) -> None:
        if self.source is not None:
            self._update_view()

    def _update_view(self) -> None:
        """Set ``crop`` and the size frames are sent at; a change is a new ``view_id``."""
        box = self.view_px if len(self.view_px) == 2 and min(self.view_px) > 0 else [520, 480]
        crop, size = view_geometry((self.height, self.width), (box[0], box[1]), self.face_box, self.zoom)
        if list(crop) != list(self.crop) or size != self.size:
            with self._source_lock:  # a frame being encoded now is for the old view
                self.size = size
            self.crop = list(crop)
            self.view_id += 1

    def _reach(self) -> int:
        return self.reach

    def _show_error(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"

    def _serve(self, content: dict) -> None:
        if self.source is None or content.get("token") != self.token:
            return
        idx = [int(i) for i in content.get("indices", []) if 0 <= int(i) < self.n_frames]
        if not idx:
            return
        view = content.get("view", self.view_id)
        if view != self.view_id:
            return  # asked for before the zoom or the canvas changed: the browser asks again
        source, token, fill = self.source, self.token, bool(content.get("fill"))
        crop = tuple(self.crop) if len(self.crop) == 4 else None
        buffers, sent, failed = [], [], []
        for i in idx:  # one frame at a time under the lock: sources need not be thread-safe
            try:
                with self._source_lock:
                    buffers.extend(view_jpegs(source, [i], self.quality, crop, self.size))
                sent.append(i)
            except Exception:
                if not fill:
                    raise
                failed.append(i)  # the background fill skips it; showing it reports the error
        reply = {"type": "frames", "indices": sent, "token": token, "view": view, "fill": fill}
        if fill:
            reply["failed"] = failed
        self.send(reply, buffers=buffers)
        self.served += len(sent)

    def _act(self, content: dict) -> None:
        action = content.get("action")
        if action not in ACTIONS:
            raise ValueError(f"Expected an action among {', '.join(ACTIONS)}, but got {action!r}.")
        frame = int(content.get("frame", self.frame))
        if frame != self.frame:
            # The browser's frame, as if it had synced it: observers follow, but nothing is
            # sent back, so the player is not pulled back to it after moving on (keys
            # pressed right after an action).
            with self._lock_property(frame=frame):
                self.frame = frame
        for cb in list(self._actions):
            cb(action, content.get("arg"), frame)

    def step(self, delta: int) -> int:
        """Move the cursor by ``delta`` frames (clamped) from Python; return the new frame."""
        self.frame = max(0, min(self.frame + int(delta), self.n_frames - 1))
        return self.frame


def source_shape(source: FrameSource) -> tuple[int, int, int]:
    """(h, w, 3) of a source without ``shape``: decode its first frame."""
    import cv2

    buf = np.frombuffer(source.jpeg(0), np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return int(img.shape[0]), int(img.shape[1]), 3


def _landmark_bytes(landmarks: np.ndarray | None, n_frames: int) -> bytes:
    if landmarks is None:
        return b""
    arr = np.asarray(landmarks, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] < 2 or arr.shape[0] != n_frames:
        raise ValueError(f"Expected landmarks of shape (n_frames={n_frames}, n_points, 2), but got {arr.shape}.")
    return np.ascontiguousarray(arr[:, :, :2]).tobytes()
