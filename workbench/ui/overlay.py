"""Face box and region polylines for the player, from MediaPipe landmarks or a cheap fallback.

The overlay draws eyes, brows, nose and mouth as polylines over the frame (MediaPipe Face
Mesh contour indices). The zoom toggle crops to one box for the whole clip (the union of
the per-frame landmark boxes, with a margin), so the view does not jitter while scrubbing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Face Mesh (478 points) contours, the subject's own left / right.
REGIONS: dict[str, tuple[tuple[int, ...], bool, str]] = {
    "right eye": ((33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246), True, "#22d3ee"),
    "left eye": ((263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466), True, "#22d3ee"),
    "right brow": ((46, 53, 52, 65, 55, 107, 66, 105, 63, 70), True, "#a3e635"),
    "left brow": ((276, 283, 282, 295, 285, 336, 296, 334, 293, 300), True, "#a3e635"),
    "nose": ((168, 6, 197, 195, 5, 4, 1, 98, 97, 2, 326, 327, 1), False, "#fbbf24"),
    "outer lips": (
        (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185),
        True,
        "#f472b6",
    ),
    "inner lips": (
        (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191),
        True,
        "#f472b6",
    ),
}


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
    order, regions = [], []
    for name, (idx, closed, colour) in REGIONS.items():
        regions.append(
            {"name": name, "start": len(order), "stop": len(order) + len(idx), "closed": closed, "color": colour}
        )
        order.extend(idx)
    return lm[:, order, :2], regions


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
