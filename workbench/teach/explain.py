"""The reveal after an answer: the AUs in plain words, where the face moved, the AU curves.

Nothing here reads files: the quiz widget passes the frames, landmarks and curves it has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from workbench.facs import AU_NAMES, au_numbers
from workbench.teach.items import QuizItem


def au_explanations(code: str) -> list[tuple[str, str]]:
    """``[("AU9", "nose wrinkler"), ...]`` for a FACS code, in the code's order of numbers.

    Unreadable codes give ``[(code, "(code not readable)")]``, so that the reveal still shows them.
    """
    if not str(code).strip():
        return []
    try:
        numbers = sorted(au_numbers(code))
    except ValueError:
        return [(str(code), "(code not readable)")]
    return [(f"AU{n}", AU_NAMES.get(n, "(no plain-words name)")) for n in numbers]


def motion_image(
    before: np.ndarray,
    after: np.ndarray,
    *,
    gain: float = 6.0,
    blur: int = 3,
    outlines: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """An amplified difference image: where the face moved between two frames.

    The grey face of ``after`` is shown dimmed, with the absolute difference (summed over
    colour, blurred, multiplied by ``gain``) in a heat colour on top, and optional
    outlines (eyes, brows, nose, mouth) drawn in white.

    Parameters
    ----------
    before, after : numpy.ndarray
        uint8 RGB frames (h, w, 3) of one size (e.g. the onset and the apex).
    gain : float
        Amplification of the difference.
    blur : int
        Gaussian blur (pixels) that removes sensor noise before amplifying.
    outlines : sequence of numpy.ndarray
        Polylines in pixel coordinates, each ``(k, 2)``.

    Returns
    -------
    numpy.ndarray
        uint8 RGB (h, w, 3).
    """
    import cv2

    a, b = np.asarray(before), np.asarray(after)
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"Expected two RGB frames of one size, but got shapes {a.shape} and {b.shape}.")
    diff = np.abs(b.astype(np.float32) - a.astype(np.float32)).mean(axis=2)
    if blur > 0:
        diff = cv2.GaussianBlur(diff, (0, 0), blur)
    heat = np.clip(diff * gain, 0, 255).astype(np.uint8)
    colour = cv2.applyColorMap(heat, cv2.COLORMAP_INFERNO)[..., ::-1].astype(np.float32)
    grey = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None] * 0.45
    alpha = (heat.astype(np.float32) / 255.0)[..., None]
    out = np.clip(grey * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
    for line in outlines:
        pts = np.asarray(line, dtype=float)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) > 1:
            cv2.polylines(out, [np.round(pts).astype(np.int32)], False, (235, 235, 235), 1, cv2.LINE_AA)
    return out


def curve_window(curves, item: QuizItem, pad: int | None = None) -> dict | None:
    """The AU curves named in the item's code around the event, ready to plot.

    Parameters
    ----------
    curves : xarray.DataArray or None
        ``(frame, au)`` AU curves of the item's clip (:func:`workbench.au.au_curves`).
    item : QuizItem
        The event.
    pad : int, optional
        Frames shown before the onset and after the offset (default: half the event, >= 10).

    Returns
    -------
    dict or None
        ``{"frames": (n,) int, "names": [str], "values": (k, n) float32}``; None without
        curves. The bilateral curve of each AU of the code is used, else the most active
        curves of the window.
    """
    if curves is None:
        return None
    length = item.offset - item.onset + 1
    pad = max(10, length // 2) if pad is None else int(pad)
    frames = curves["frame"].values.astype(int)
    keep = (frames >= item.onset - pad) & (frames <= item.offset + pad)
    window = curves.isel(frame=np.flatnonzero(keep))
    available = [str(a) for a in curves["au"].values]
    names = [name for name, _ in au_explanations(item.aus) if name in available]
    if not names:
        bilateral = [a for a in available if not a.endswith(("L", "R"))]
        spread = window.sel(au=bilateral).max("frame") - window.sel(au=bilateral).min("frame")
        names = [str(a) for a in spread.sortby(spread, ascending=False)["au"].values[:3]]
    values = window.sel(au=names).transpose("au", "frame").values.astype(np.float32)
    return {"frames": window["frame"].values.astype(int), "names": names, "values": values}


def region_outlines(
    landmarks: np.ndarray, regions: Mapping[str, Sequence[int]], width: int, height: int
) -> list[np.ndarray]:
    """Polylines in pixels of face regions (eyes, brows, nose, mouth) from normalised landmarks.

    Parameters
    ----------
    landmarks : numpy.ndarray
        ``(n_points, 2+)`` normalised x, y of one frame (NaN: no face).
    regions : mapping
        Region name -> landmark indices of its contour (e.g. Face Mesh contours).
    width, height : int
        Image size in pixels.

    Returns
    -------
    list of numpy.ndarray
        One ``(k, 2)`` array per region; empty when the frame has no face.
    """
    lm = np.asarray(landmarks, dtype=float)
    if lm.ndim != 2 or lm.shape[1] < 2:
        raise ValueError(f"Expected landmarks of shape (n_points, 2+), but got {lm.shape}.")
    if not np.isfinite(lm[:, :2]).any():
        return []
    scale = np.array([width, height], dtype=float)
    return [lm[list(idx), :2] * scale for idx in regions.values()]
