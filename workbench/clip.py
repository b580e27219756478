"""The clip: one video or one folder of numbered images, read frame-exactly.

:class:`Clip` holds what every kind of clip shares: the frame count, the rate, the shape,
``frame(i)`` (exactly the i-th displayed frame, with a small cache around the cursor),
``frames``, ``read_range``, ``jpeg``, the content hash and the dataset's frame numbers.
:mod:`workbench.video` has the kinds (video files, files being normalised, image folders)
and :func:`workbench.video.open_clip`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

#: Decoded frames a clip keeps around the cursor: at most this many bytes (a 2040x1088
#: frame is 6.7 MB: 38 of them), and at most ``cache_size`` frames.
CACHE_BYTES = 256 << 20


def fit(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` scaled to ``size`` ``(width, height)`` with area averaging (itself when it is that size)."""
    if (img.shape[1], img.shape[0]) == tuple(size):
        return img
    import cv2

    return cv2.resize(img, (int(size[0]), int(size[1])), interpolation=cv2.INTER_AREA)


class Clip:
    """A frame-exact clip. Use :func:`open_clip` to make one.

    Attributes
    ----------
    source : Path
        What the user opened (file or folder).
    path : Path
        What is read (the source, or its normalised copy in the cache).
    n_frames, fps, shape
        Frame count, frames per second, ``(height, width, 3)``.
    normalised : bool
        Whether ``path`` is a normalised copy, and ``normalise_reasons`` why.
    progress : float
        0..1: how far the normalised copy is (1 when there is none to make, or it is ready).
    frame_numbers : numpy.ndarray
        The dataset's own number of each frame (``img46.jpg`` -> 46); ``arange`` for videos.
    """

    n_frames: int
    fps: float
    shape: tuple[int, int, int]

    def __init__(self, source: Path, path: Path, cache_size: int = 96):
        self.source = Path(source)
        self.path = Path(path)
        self.normalised = False
        self.normalise_reasons: list[str] = []
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._hash: str | None = None
        self._requested = -2  # the last frame asked for: tells the direction of travel

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        h, w, _ = self.shape
        extra = " normalised" if self.normalised else ""
        return f"<Clip {self.source} {self.n_frames} frames {self.fps:g} fps {w}x{h}{extra}>"

    @property
    def progress(self) -> float:
        """0..1: how far this clip's normalised copy is (1: ready, or none needed)."""
        return 1.0

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the normalised copy (if one is being made); whether the clip reads its final file."""
        return True

    def _check_index(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise TypeError(f"Expected an integer frame index, but got {i!r} ({self.source}).")
        i = int(i)
        if not 0 <= i < self.n_frames:
            raise IndexError(f"Expected a frame index in 0..{self.n_frames - 1}, but got {i} ({self.source}).")
        return i

    def time(self, i: int | np.ndarray) -> float | np.ndarray:
        """Start time of frame ``i`` in seconds."""
        return np.asarray(i, dtype=float) / self.fps if np.ndim(i) else float(i) / self.fps

    def frame(self, i: int) -> np.ndarray:
        """The i-th displayed frame, RGB uint8 ``(height, width, 3)``."""
        i = self._check_index(i)
        hit = self._cache.get(i)
        if hit is None:
            for j, img in self._read(i):
                self._remember(j, img)
            hit = self._cache[i]
        else:
            self._cache.move_to_end(i)
        self._requested = i
        return hit

    def frames(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Several frames as one array ``(n, height, width, 3)``, in the order asked."""
        idx = [self._check_index(i) for i in indices]
        if not idx:
            return np.empty((0, *self.shape), dtype=np.uint8)
        return np.stack([self.frame(i) for i in idx])

    def read_range(self, start: int, stop: int) -> Iterator[np.ndarray]:
        """Frames ``start..stop-1`` in order, for one pass over a stretch (detection).

        The same frames as :meth:`frame`, without keeping them in the clip's cache.

        Raises
        ------
        ValueError
            Naming the clip and the frame that could not be decoded.
        """
        for i in range(self._check_index(start), stop):
            yield self.frame(i)

    def scaled(self, i: int, size: tuple[int, int]) -> np.ndarray:
        """The whole frame ``i`` at ``size`` ``(width, height)``, for the screen.

        Here frame i scaled down (:func:`fit`); a clip with a smaller copy made for browsing
        reads it instead when it is large enough
        (:meth:`workbench.video.NormalisingClip.scaled`).
        """
        return fit(self.frame(i), size)

    def jpeg(self, i: int, quality: int = 85) -> bytes:
        """Frame ``i`` as JPEG bytes (for the browser)."""
        import cv2

        ok, buf = cv2.imencode(".jpg", self.frame(i)[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"Could not encode frame {i} of {self.source} as JPEG.")
        return buf.tobytes()

    def content_hash(self) -> str:
        """sha256 of the clip's content (the source file, or every image of the folder)."""
        if self._hash is None:
            self._hash = self._content_hash()
        return self._hash

    def _remember(self, i: int, img: np.ndarray) -> None:
        self._cache[i] = img
        self._cache.move_to_end(i)
        limit = min(self._cache_size, max(4, CACHE_BYTES // max(img.nbytes, 1)))
        while len(self._cache) > limit:
            self._cache.popitem(last=False)

    def _read(self, i: int) -> Iterable[tuple[int, np.ndarray]]:
        raise NotImplementedError

    def _content_hash(self) -> str:
        raise NotImplementedError

    @property
    def frame_numbers(self) -> np.ndarray:
        return np.arange(self.n_frames)

    def index_of_number(self, number: int) -> int:
        """Index of the frame the dataset numbers ``number`` (``img46.jpg`` -> its position)."""
        nums = self.frame_numbers
        pos = int(np.searchsorted(nums, number))
        if pos >= len(nums) or nums[pos] != number:
            raise IndexError(f"Expected a frame number in {nums[0]}..{nums[-1]}, but got {number} ({self.source}).")
        return pos
