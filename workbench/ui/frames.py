"""Frame sources for the player: anything with ``n_frames``, ``fps``, ``shape`` and ``jpeg(i)``.

:class:`workbench.video.Clip` is one. :class:`ArrayFrames` wraps a numpy stack (tests,
generated demos). :func:`jpegs` encodes a batch, using ``frames(indices)`` when the
source offers it (one sequential decode instead of many seeks).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


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
