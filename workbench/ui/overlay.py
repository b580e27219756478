"""Face box and region polylines for the player, from MediaPipe landmarks or a cheap fallback.

The overlay draws eyes, brows, nose and mouth as polylines over the frame (MediaPipe's own
face-mesh connection lists). The zoom toggle crops to one box for the whole clip (the union of
the per-frame landmark boxes, with a margin), so the view does not jitter while scrubbing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.detect.landmarker import contours

#: Colour of each region's outline.
COLOURS = {"eye": "#22d3ee", "brow": "#a3e635", "nose": "#fbbf24", "lips": "#f472b6"}


def regions() -> list[tuple[str, tuple[int, ...], bool, str]]:
    """``(region, landmark indices, closed, colour)`` for every outline, from MediaPipe's
    face-mesh connection lists (:func:`workbench.detect.landmarker.contours`)."""
    out = []
    for name, lines in contours().items():
        colour = next(c for key, c in COLOURS.items() if key in name)
        out.extend((name, idx, closed, colour) for idx, closed in lines)
    return out


def region_points(landmarks: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Pick the region contours from ``(n_frames, 478, 2+)`` landmarks.

    Returns
    -------
    points : numpy.ndarray
        ``(n_frames, n_points, 2)`` float32, normalised x, y.
    regions : list of dict
        ``{"name", "start", "stop", "closed", "color"}`` slices of ``points``.
    """
    lm = np.asarray(landmarks, dtype=np.float32)
    if lm.ndim != 3 or lm.shape[1] < 468:
        raise ValueError(f"Expected Face Mesh landmarks (n_frames, 478, xyz), but got shape {lm.shape}.")
    order, found = [], []
    for name, idx, closed, colour in regions():
        span = {"start": len(order), "stop": len(order) + len(idx)}
        found.append({"name": name, **span, "closed": closed, "color": colour})
        order.extend(idx)
    return lm[:, order, :2], found


def box_from_landmarks(landmarks: np.ndarray, margin: float = 0.25) -> list[float] | None:
    """One ``[x0, y0, x1, y1]`` (normalised) covering the face in every frame, with a margin."""
    xy = np.asarray(landmarks, dtype=float)[..., :2].reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return None
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return [max(0.0, x0 - mx), max(0.0, y0 - my), min(1.0, x1 + mx), min(1.0, y1 + my)]


def box_from_image(rgb: np.ndarray, margin: float = 0.2) -> list[float] | None:
    """A face box from OpenCV's frontal Haar cascade on one frame (no model download)."""
    import cv2

    path = Path(getattr(cv2, "data", None).haarcascades if hasattr(cv2, "data") else "")
    path = path / "haarcascade_frontalface_default.xml"
    if not path.exists():
        return None
    cascade = cv2.CascadeClassifier(str(path))
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
    if len(found) == 0:
        return None
    x, y, w, h = max(found, key=lambda r: r[2] * r[3])
    H, W = grey.shape
    mx, my = w * margin, h * margin
    return [max(0.0, (x - mx) / W), max(0.0, (y - my) / H), min(1.0, (x + w + mx) / W), min(1.0, (y + h + my) / H)]
