"""Frame sources for the player: anything with ``n_frames``, ``fps``, ``shape`` and ``jpeg(i)``.

:class:`workbench.video.Clip` is one. :class:`ArrayFrames` wraps a numpy stack (tests,
generated demos). :func:`jpegs` encodes a batch, using ``frames(indices)`` when the
source offers it (one sequential decode instead of many seeks).

The player sends frames at the size they are shown, not at the source's: :func:`view_geometry`
says which part of the frame is shown (all of it, or the face box when zoomed) and at what
size, and :func:`view_jpegs` cuts and scales to it. A 2040x1088 frame shown 520 pixels wide
travels as a JPEG a fifteenth of the size.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from workbench.clip import fit


@runtime_checkable
class FrameSource(Protocol):
    """What the player needs from a clip."""

    n_frames: int
    fps: float

    def jpeg(self, i: int, quality: int = 85) -> bytes:  # pragma: no cover - protocol
        ...


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    """Encode one uint8 RGB image (h, w, 3) as JPEG bytes."""
    import cv2

    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError(f"Expected an encodable RGB image, but got shape {rgb.shape}.")
    return buf.tobytes()


class ArrayFrames:
    """A frame source over an in-memory stack of RGB frames.

    Parameters
    ----------
    frames : numpy.ndarray
        uint8 array (n, h, w, 3).
    fps : float
        Frames per second of the clip.
    name : str
        Shown as the clip id.
    """

    def __init__(self, frames: np.ndarray, fps: float, name: str = "array") -> None:
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"Expected uint8 frames of shape (n, h, w, 3), but got {frames.dtype} {frames.shape}.")
        if fps <= 0:
            raise ValueError(f"Expected fps > 0, but got fps={fps}.")
        self._frames = frames
        self.n_frames = int(frames.shape[0])
        self.fps = float(fps)
        self.shape = tuple(frames.shape[1:])
        self.source = name

    def frame(self, i: int) -> np.ndarray:
        """The i-th frame (IndexError outside the clip)."""
        if not 0 <= int(i) < self.n_frames:
            raise IndexError(f"Expected a frame in [0, {self.n_frames - 1}], but got {i}.")
        return self._frames[int(i)]

    def frames(self, indices) -> np.ndarray:
        """Several frames at once."""
        return np.stack([self.frame(i) for i in indices])

    def jpeg(self, i: int, quality: int = 85) -> bytes:
        """The i-th frame as JPEG bytes."""
        return encode_jpeg(self.frame(i), quality)


def moving_square(n_frames: int = 120, fps: float = 30.0, size: tuple[int, int] = (240, 320)) -> ArrayFrames:
    """A test clip: a square moving one pixel step per frame, the frame number burnt in."""
    import cv2

    h, w = size
    out = np.zeros((n_frames, h, w, 3), np.uint8)
    out[..., 2] = 60
    for i in range(n_frames):
        x = (i * 3) % (w - 40)
        out[i, 100:140, x : x + 40] = (230, 200, 40)
        cv2.putText(out[i], str(i), (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
    return ArrayFrames(out, fps, name="moving_square")


def jpegs(source: FrameSource, indices: list[int], quality: int = 85) -> list[bytes]:
    """JPEG bytes of ``indices``; batch-decodes through ``source.frames`` when it exists."""
    frames = getattr(source, "frames", None)
    if frames is not None and len(indices) > 1:
        return [encode_jpeg(f, quality) for f in frames(list(indices))]
    return [source.jpeg(int(i), quality=quality) for i in indices]


def view_geometry(
    shape: tuple[int, ...], box: tuple[int, int], face_box: list[float] | None = None, zoom: bool = False
) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The part of a frame shown and the size it is sent at.

    Parameters
    ----------
    shape : tuple
        The source's ``(height, width, ...)``.
    box : tuple of int
        ``(width, height)`` in device pixels the picture must fit (the player's canvas at
        most, times the browser's devicePixelRatio).
    face_box : list of float, optional
        ``[x0, y0, x1, y1]`` normalised; with ``zoom``, the crop is this box widened to the
        frame's aspect ratio and kept inside the frame.
    zoom : bool
        Show the face box instead of the whole frame.

    Returns
    -------
    crop : tuple of int
        ``(x0, y0, w, h)`` in source pixels.
    size : tuple of int
        ``(w, h)`` of the picture sent: the crop fitted into ``box``, never enlarged.

    Examples
    --------
    >>> view_geometry((1088, 2040, 3), (520, 480))
    ((0, 0, 2040, 1088), (520, 277))
    >>> view_geometry((480, 640, 3), (1040, 960))  # never larger than the source
    ((0, 0, 640, 480), (640, 480))
    """
    h, w = int(shape[0]), int(shape[1])
    x0, y0, cw, ch = 0.0, 0.0, float(w), float(h)
    if zoom and face_box is not None and len(face_box) == 4:
        bx0, by0, bx1, by1 = face_box[0] * w, face_box[1] * h, face_box[2] * w, face_box[3] * h
        cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
        bw, bh = max(bx1 - bx0, 1.0), max(by1 - by0, 1.0)
        if bw / bh < w / h:
            bw = bh * (w / h)
        else:
            bh = bw / (w / h)
        cw, ch = min(float(w), bw), min(float(h), bh)
        x0 = max(0.0, min(w - cw, cx - cw / 2))
        y0 = max(0.0, min(h - ch, cy - ch / 2))
    crop = (int(round(x0)), int(round(y0)), max(1, int(round(cw))), max(1, int(round(ch))))
    crop = (min(crop[0], w - crop[2]), min(crop[1], h - crop[3]), crop[2], crop[3])
    scale = min(1.0, box[0] / crop[2], box[1] / crop[3])
    size = (max(1, int(round(crop[2] * scale))), max(1, int(round(crop[3] * scale))))
    return crop, size


def _decoded(source: FrameSource, indices: list[int]) -> list[np.ndarray]:
    if getattr(source, "frames", None) is not None and len(indices) > 1:
        return list(source.frames(list(indices)))
    if getattr(source, "frame", None) is not None:
        return [source.frame(int(i)) for i in indices]
    import cv2  # a source that only gives JPEGs

    return [cv2.imdecode(np.frombuffer(source.jpeg(int(i)), np.uint8), cv2.IMREAD_COLOR)[..., ::-1] for i in indices]


def view_jpegs(
    source: FrameSource,
    indices: list[int],
    quality: int = 85,
    crop: tuple[int, int, int, int] | None = None,
    size: tuple[int, int] | None = None,
) -> list[bytes]:
    """JPEG bytes of ``indices``, cut to ``crop`` (x0, y0, w, h) and scaled to ``size`` (w, h).

    The whole frame at its own size is the source's own JPEG (:func:`jpegs`); the whole frame
    scaled is the source's ``scaled(i, size)`` where it has one (a clip reads its copy made
    for browsing, :meth:`workbench.clip.Clip.scaled`); a crop is cut from the frame at full
    resolution. Scaling averages areas.
    """
    shape = getattr(source, "shape", None)
    whole = crop is None or (shape is not None and tuple(crop) == (0, 0, int(shape[1]), int(shape[0])))
    if whole and (size is None or (shape is not None and tuple(size) == (int(shape[1]), int(shape[0])))):
        return jpegs(source, indices, quality)
    if whole and getattr(source, "scaled", None) is not None:
        return [encode_jpeg(np.ascontiguousarray(source.scaled(int(i), tuple(size))), quality) for i in indices]
    out = []
    for img in _decoded(source, indices):
        if crop is not None:
            x0, y0, w, h = crop
            img = img[y0 : y0 + h, x0 : x0 + w]
        if size is not None:
            img = fit(img, size)
        out.append(encode_jpeg(np.ascontiguousarray(img), quality))
    return out
