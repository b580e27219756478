"""Frames that carry their own number as a pixel pattern, to prove frame exactness."""

from __future__ import annotations

import numpy as np

BITS = 16
CELL = 40


def coded_frame(number: int, height: int = 480, width: int = 640) -> np.ndarray:
    """A grey frame whose top-left 2x8 cells spell ``number`` in binary (white = 1)."""
    img = np.full((height, width, 3), 128, np.uint8)
    img[2 * CELL :, :, 1] = (np.arange(width) * 255 // width).astype(np.uint8)  # some texture
    for b in range(BITS):
        y, x = divmod(b, 8)
        img[y * CELL : (y + 1) * CELL, x * CELL : (x + 1) * CELL] = 255 if (number >> b) & 1 else 0
    return img


def read_code(img: np.ndarray) -> int:
    """The number a :func:`coded_frame` carries (robust to compression)."""
    value = 0
    for b in range(BITS):
        y, x = divmod(b, 8)
        if img[y * CELL + CELL // 2, x * CELL + CELL // 2].mean() > 128:
            value |= 1 << b
    return value
