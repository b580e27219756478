"""The motion detector: optical flow in facial regions, training-free, on the CPU.

Blendshapes answer weakly to the small, brief movements of micro-expressions; the field's
training-free spotters measure optical flow in facial regions instead (MDMD, the MEGC2020
baseline; "Rethinking optical flow methods for micro-expression spotting", ACM MM 2022).
This detector does that on the landmarks the analysis already has:

1. **Align.** Each frame's face is warped by a similarity transform (least squares on
   stable landmarks: eye corners and the nose bridge) onto a canonical face of
   :attr:`FlowRegions.size` pixels, the eyes' outer corners :data:`EYE_SPAN` of it apart.
2. **Flow.** Dense optical flow (OpenCV DIS, ``preset``, down to pyramid level
   ``finest_scale``) from frame j−s to frame j on the grey aligned crops, for every frame j,
   with a small step s (``step_seconds`` × fps, at least 1: one frame at 30 fps).
3. **Head motion.** An affine motion (:func:`motion_basis`) is fitted to the flow of the
   whole face (eyes and mouth masked; fitted twice, the second time without the points the
   first fit explains worst) and subtracted: a translation alone (the nose's flow) leaves
   about a pixel in the outer brows when the head turns a little, the size of a
   micro-expression.
4. **Regions.** The mean residual flow vector in discs around landmarks of the canonical
   face (:data:`REGIONS`: inner and outer brows, eyes, nose wings, mouth corners, chin).
5. **Go and come back, at several scales.** Chaining the small steps gives each region's
   displacement between any two frames (for region means the flows add up). An expression
   moves and returns; a drift goes one way. At scale K the region's score at frame i
   compares the movement into frame i from i−K (``a``) with the movement into frame i from
   i+K (``b``): ``max(0, a·b) / max(|a|, |b|)``, in canonical pixels; a drift gives
   ``a ≈ −b``: 0. The curve is the largest score over the scales (``scales`` seconds: about
   half the durations looked for, from a 2-frame twitch at 30 fps to a 0.5 s micro-expression,
   the idea of MEGC's k).

The curves are ``(frame, region)``, NaN where the face is lost or too small (under
:data:`MIN_EYE_SPAN` pixels between the outer eye corners) at frame i, i−k or i+k; a warning
counts those frames. Each region names the AUs that move it (coord ``aus``), so that the
spotter (:mod:`workbench.detect.spot`) can code an event from the regions that moved,
confirmed by the AU curves at its apex. Frames are decoded in one forward pass per range
(``clip.read_range``) on :attr:`FlowRegions.threads` threads (OpenCV releases the GIL).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from workbench.arrays import ARRAYS_VERSION, validate_curves
from workbench.detect.au import robust_noise
from workbench.video import open_clip

#: Version of this detector's code; part of the cache key.
VERSION = "4"  # 4: the spotter's unit is the attr spot_unit
#: Landmarks that expressions hardly move: the alignment is fitted on them.
STABLE = (33, 133, 263, 362, 168, 6, 197, 195)
#: The eyes' outer corners (subject's right, left).
EYE_OUTER = (33, 263)
#: Distance of the outer eye corners in the canonical crop, as a fraction of its size.
EYE_SPAN = 0.46
#: Fewest pixels between the outer eye corners in the video for the regions to mean anything.
MIN_EYE_SPAN = 64.0
#: Regions: name -> (landmarks whose mean is the centre, radius in eye spans, candidate AUs).
REGIONS: dict[str, tuple[tuple[int, ...], float, str]] = {
    "brow_inner_R": ((107, 55, 65), 0.13, "1+4"),
    "brow_inner_L": ((336, 285, 295), 0.13, "1+4"),
    "brow_outer_R": ((70, 46, 63), 0.13, "2"),
    "brow_outer_L": ((300, 276, 293), 0.13, "2"),
    "eye_R": ((159, 145, 153, 158), 0.12, "5+6+7+45"),
    "eye_L": ((386, 374, 380, 385), 0.12, "5+6+7+45"),
    "nose_R": ((129, 64), 0.11, "9+10"),
    "nose_L": ((358, 294), 0.11, "9+10"),
    "mouth_R": ((61, 57), 0.14, "12+14+15+20"),
    "mouth_L": ((291, 287), 0.14, "12+14+15+20"),
    "chin": ((17, 200, 199), 0.16, "17+26"),
}
#: Masked out of the head-motion fit: discs around the eyes and the mouth (landmarks, radius in eye spans).
HEAD_MASK = (((159, 145, 33, 133), 0.28), ((386, 374, 263, 362), 0.28), ((13, 14, 61, 291), 0.45))
#: Every this many pixels of the head-motion mask are fitted on (about 1,500 points at 160 px).
FIT_STEP = 7
#: Canonical pixels that read as 1 for the spotter (its threshold 0.3 is then 0.15 px).
SCALE = 0.5
PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity transform (rotation, uniform scale, translation) that maps ``src``
    onto ``dst`` in least squares (Umeyama, 1991). ``src`` may hold a stack of point sets
    ``(..., points, 2)``: one transform each, ``(..., 2, 3)``, in one batched SVD."""
    mu_s, mu_d = src.mean(-2, keepdims=True), dst.mean(-2, keepdims=True)
    s, d = src - mu_s, dst - mu_d
    cov = np.swapaxes(d, -1, -2) @ s / src.shape[-2]
    u, sig, vt = np.linalg.svd(cov)
    flip = np.sign(np.linalg.det(u @ vt))
    sign = np.stack([np.ones_like(flip), flip], axis=-1)  # the diagonal of the reflection fix
    rot = (u * sign[..., None, :]) @ vt
    scale = np.sum(sig * sign, axis=-1) / s.var(-2).sum(-1)
    m = np.empty((*src.shape[:-2], 2, 3))
    m[..., :2] = scale[..., None, None] * rot
    m[..., 2] = mu_d[..., 0, :] - np.einsum("...ij,...j->...i", m[..., :2], mu_s[..., 0, :])
    return m


def template(points: np.ndarray, found: np.ndarray, size: int) -> np.ndarray:
    """The canonical face: the median of the clip's faces, each put by its outer eye corners at
    fixed places in a ``size`` crop. ``points`` are ``(frame, landmark, 2)`` pixels."""
    right, left = (size * (0.5 - EYE_SPAN / 2), size * 0.4), (size * (0.5 + EYE_SPAN / 2), size * 0.4)
    target = np.array([right, left])
    shapes = []
    for p in points[found][:: max(1, int(found.sum()) // 200)]:
        m = similarity(p[list(EYE_OUTER)], target)
        shapes.append(p @ m[:, :2].T + m[:, 2])
    return np.median(np.stack(shapes), axis=0)


def _disc(shape: tuple[int, int], centre: np.ndarray, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= radius**2


def masks(canon: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Region masks ``(region, y, x)`` and the head-motion fit mask ``(y, x)`` of a canonical face."""
    span = size * EYE_SPAN
    regions = np.stack([_disc((size, size), canon[list(idx)].mean(0), r * span) for idx, r, _ in REGIONS.values()])
    import cv2

    hull = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(canon.astype(np.float32)).astype(np.int32), 1)
    fit = hull.astype(bool)
    for idx, r in HEAD_MASK:
        fit &= ~_disc((size, size), canon[list(idx)].mean(0), r * span)
    return regions, fit


def motion_basis(size: int, quadratic: bool = False) -> np.ndarray:
    """``(pixels, terms)``: 1, x, y (and x², xy, y²) of every pixel of a ``size`` crop (x, y in -1..1).

    The head's motion is fitted in this basis. The quadratic terms (a small turn of a rounded
    face moves the nose more than the cheeks) were measured on the inserted micro-expressions
    (``benchmarks/spot_accuracy.py``): they halved false alarms during head motion but also
    absorbed a third of the inserted movements (a brow raise on both sides is smooth too), so
    the detector fits the affine part only."""
    yy, xx = np.mgrid[0:size, 0:size] / (size / 2) - 1
    x, y = xx.ravel(), yy.ravel()
    terms = [np.ones_like(x), x, y] + ([x * x, x * y, y * y] if quadratic else [])
    return np.stack(terms, axis=1)


def head_motion(flow: np.ndarray, fit: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The head's motion ``(terms, 2)`` fitted to the flow on the ``fit`` pixels (twice: the
    second fit leaves out the fifth of the points the first one explains worst).

    ``fit``: a boolean mask, or the flat indices of the pixels to fit on; ``grid``:
    ``(pixels, terms)``, e.g. :func:`motion_basis`. The motion at pixel p is ``grid[p] @ coef``.
    """
    idx = np.flatnonzero(fit) if fit.dtype == bool else fit
    design = grid[idx]
    target = flow.reshape(-1, 2)[idx].astype(float)
    coef = np.linalg.solve(design.T @ design, design.T @ target)
    err = np.sum((design @ coef - target) ** 2, axis=1)
    keep = err <= _quantile(err, 0.8)
    d = design[keep]
    return np.linalg.solve(d.T @ d, d.T @ target[keep])


def _quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` (its default, linear method) by a partial sort: the same
    number, in a third of the time on the head-motion fit's 1,500 points."""
    at = q * (len(values) - 1)
    lo = int(at)
    hi = min(lo + 1, len(values) - 1)
    part = np.partition(values, (lo, hi))
    a, b, t = part[lo], part[hi], at - lo
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)


def remove_head_motion(flow: np.ndarray, fit: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The flow minus its head motion (:func:`head_motion`)."""
    return flow - (grid @ head_motion(flow, fit, grid)).astype(np.float32).reshape(flow.shape)


@dataclass
class _Setup:
    size: int
    transforms: np.ndarray  # (frame, 2, 3); NaN where unusable
    usable: np.ndarray  # (frame,) bool
    regions: np.ndarray  # (region, y, x) bool
    fit: np.ndarray  # flat indices of the pixels the head motion is fitted on
    grid: np.ndarray  # (y*x, 3)
    preset: int
    finest_scale: int


def _vectors(clip: Any, setup: _Setup, k: int, start: int, stop: int) -> np.ndarray:
    """Mean residual flow ``(frame, region, 2)`` from frame j−k to j, for j in [start, stop)."""
    import cv2

    n_regions = len(setup.regions)
    out = np.full((stop - start, n_regions, 2), np.nan, np.float32)
    dis = cv2.DISOpticalFlow_create(setup.preset)
    dis.setFinestScale(setup.finest_scale)
    crops: dict[int, np.ndarray] = {}
    first = max(0, start - k)
    weights = setup.regions.reshape(n_regions, -1).astype(np.float32)
    weights /= np.maximum(weights.sum(1, keepdims=True), 1)
    centroids = weights @ setup.grid
    inside = np.flatnonzero(weights.any(0))  # the regions' pixels: a tenth of the crop
    weights = weights[:, inside]
    for j, rgb in enumerate(clip.read_range(first, stop), start=first):
        if setup.usable[j]:
            grey = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
            crops[j] = cv2.warpAffine(grey, setup.transforms[j], (setup.size, setup.size), flags=cv2.INTER_LINEAR)
        crops.pop(j - k - 1, None)
        if j < start or j - k < 0 or j not in crops or (j - k) not in crops:
            continue
        flow = dis.calc(crops[j - k], crops[j], None)
        coef = head_motion(flow, setup.fit, setup.grid)
        # the mean of (flow - affine) over a region is its mean flow - the affine at its centroid
        out[j - start] = weights @ flow.reshape(-1, 2)[inside] - centroids @ coef
    return out


def _reader(clip: Any) -> Any:
    """A clip of its own for a thread (a video's decoder is not shared), or the clip itself."""
    source = getattr(clip, "source", None)
    if source is not None and Path(source).exists():
        return open_clip(source)
    return clip


def agreement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-way score ``max(0, a·b) / max(|a|, |b|)`` of the movements ``a`` (into frame i from
    i−K) and ``b`` (into frame i from i+K), ``(..., 2)``; NaN where either is NaN."""
    dot = np.sum(a * b, axis=-1)
    big = np.maximum(np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(big > 0, np.clip(dot, 0, None) / big, 0.0)
    return np.where(np.isnan(dot), np.nan, score)


def chained(vectors: np.ndarray, step: int) -> np.ndarray:
    """Displacement of each region since the start of its chain: ``D[i] = v[i] + D[i - step]``,
    from the step flows ``v[j]`` (frame j−step -> j); NaN stays NaN (and is 0 for the chain)."""
    out = np.zeros_like(vectors)
    filled = np.nan_to_num(vectors)
    for i in range(len(vectors)):
        out[i] = filled[i] + (out[i - step] if i >= step else 0)
    return out


def scores(vectors: np.ndarray, step: int, spans: list[int]) -> np.ndarray:
    """The largest two-way score over the scales ``spans`` (frames, multiples of ``step``),
    ``(frame, region)``; NaN where a step flow inside ``[i−K, i+K]`` is missing."""
    n = len(vectors)
    d = chained(vectors, step)
    missing = np.isnan(vectors[:, :, 0])
    # a step flow v[j] covers frames (j−step, j]: the window [i−K, i+K] needs j in (i−K, i+K]
    bad = np.concatenate([np.zeros((1, missing.shape[1])), np.cumsum(missing, axis=0)])
    best = np.full(vectors.shape[:2], np.nan)
    for k in spans:
        i = np.arange(k, n - k)
        if not len(i):
            continue
        a, b = d[i] - d[i - k], d[i] - d[i + k]
        score = agreement(a, b)
        gaps = bad[i + k + 1] - bad[i - k + 1]
        score[gaps > 0] = np.nan
        best[i] = np.fmax(best[i], score)
    return best


@dataclass(frozen=True)
class FlowRegions:
    """Region curves from optical flow (see the module docstring).

    Attributes
    ----------
    step_seconds
        The flow's frame step, seconds (round(step_seconds * fps), at least 1 frame).
    scales
        The go-and-come-back scales, seconds (each rounded to a multiple of the step).
    size
        Side of the aligned face crop, pixels.
    preset
        DIS optical flow preset: ``ultrafast``, ``fast`` or ``medium``.
    finest_scale
        DIS's finest pyramid level (0: full resolution). The presets stop at level 2 (a
        quarter of the crop), which measured a 3 px local movement at a sixth of its size;
        level 1 measures about half of it, level 0 all, at twice and four times the cost.
    threads
        Threads over frame ranges (0: every core).
    """

    name: str = "flow"
    step_seconds: float = 1 / 30
    scales: tuple[float, ...] = (0.067, 0.133, 0.25)
    size: int = 160
    preset: str = "ultrafast"
    finest_scale: int = 1
    threads: int = 0
    channels = "region"

    @property
    def version(self) -> str:
        return VERSION

    def params(self) -> dict[str, Any]:
        return {
            "step": self.step_seconds,
            "scales": list(self.scales),
            "size": self.size,
            "preset": self.preset,
            "finest": self.finest_scale,
        }

    def steps(self, fps: float) -> tuple[int, list[int]]:
        """The flow step and the scales in frames at ``fps``."""
        step = max(1, round(self.step_seconds * fps))
        return step, sorted({step * max(1, round(s * fps / step)) for s in self.scales})

    def curves(self, clip: Any, face: xr.Dataset) -> xr.DataArray:
        """``(frame, region)`` curves of ``clip`` (canonical pixels; attr ``scale``)."""
        fps = float(clip.fps)
        k, spans = self.steps(fps)
        frames = face["frame"].values
        n = len(frames)
        width, height = int(face.attrs["width"]), int(face.attrs["height"])
        points = face["landmarks"].values[:, :, :2].astype(float) * [width, height]
        found = face["face_found"].values.astype(bool)
        span = np.linalg.norm(points[:, EYE_OUTER[0]] - points[:, EYE_OUTER[1]], axis=1)
        small = found & ~(span >= MIN_EYE_SPAN)
        usable = found & ~small
        clip_id = str(face.attrs.get("clip", getattr(clip, "source", "")))
        _warn(clip_id, n, int((~found).sum()), int(small.sum()), np.nanmedian(span) if found.any() else float("nan"))
        data = np.full((n, len(REGIONS)), np.nan, np.float32)
        if usable.sum() > k:
            data = self._scores(clip, points, usable, k, spans)
        curves = xr.DataArray(
            data,
            dims=("frame", "region"),
            coords={
                "frame": frames,
                "time": ("frame", frames / fps),
                "region": list(REGIONS),
                "aus": ("region", [aus for _, _, aus in REGIONS.values()]),
                "noise": ("region", [robust_noise(data[:, i]) for i in range(data.shape[1])]),
                "rest": ("region", [_quiet_level(data[:, i]) for i in range(data.shape[1])]),
            },
            name="region_motion",
            attrs={
                **face.attrs,
                "fps": fps,
                "detector": self.name,
                "detector_version": self.version,
                "schema_version": ARRAYS_VERSION,
                "params": str(self.params()),
                "spot_unit": SCALE,  # the value the spotter reads as 1
                "units": f"canonical pixels (outer eye corners {EYE_SPAN * self.size:.0f} px apart)",
                "step": k,
                "scales_frames": np.asarray(spans, dtype=np.int64),
                "frames_without_face": int((~found).sum()),
                "frames_face_too_small": int(small.sum()),
            },
        )
        return validate_curves(curves, f"detector {self.name}")

    def _scores(self, clip: Any, points: np.ndarray, usable: np.ndarray, k: int, spans: list[int]) -> np.ndarray:
        n = len(points)
        canon = template(points, usable, self.size)
        transforms = np.full((n, 2, 3), np.nan)
        transforms[usable] = similarity(points[usable][:, list(STABLE)], canon[list(STABLE)])
        regions, fit = masks(canon, self.size)
        fit = np.flatnonzero(fit)[::FIT_STEP]
        grid = motion_basis(self.size)
        setup = _Setup(self.size, transforms, usable, regions, fit, grid, PRESETS[self.preset], self.finest_scale)
        threads = self.threads or os.cpu_count() or 1
        bounds = np.linspace(0, n, min(threads, max(1, n // (4 * k + 8))) + 1).astype(int)
        ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        if len(ranges) == 1:
            vectors = _vectors(clip, setup, k, 0, n)
        else:
            with ThreadPoolExecutor(len(ranges)) as pool:
                parts = pool.map(lambda r: _vectors(_reader(clip), setup, k, *r), ranges)
                vectors = np.concatenate(list(parts))
        return scores(vectors, k, spans).astype(np.float32)


def _quiet_level(values: np.ndarray) -> float:
    """A region's level when nothing happens: half its 90th percentile (most frames are still;
    the score is 0 or above, so a median absolute deviation would say nothing)."""
    v = values[np.isfinite(values)]
    return float(np.percentile(v, 90) / 2) if v.size >= 10 else 0.0


def _warn(clip: str, n: int, lost: int, small: int, median_span: float) -> None:
    if small:
        warnings.warn(
            f"Expected at least {MIN_EYE_SPAN:.0f} px between the outer eye corners for the flow regions, "
            f"but the face of clip '{clip}' is smaller in {small} of {n} frames (median {median_span:.0f} px); "
            "the flow curves are NaN there (the mediapipe detector still reads them).",
            RuntimeWarning,
            stacklevel=3,
        )
    if lost:
        warnings.warn(
            f"No face in {lost} of {n} frames of clip '{clip}': the flow curves are NaN there and "
            "nothing is spotted across the gap.",
            RuntimeWarning,
            stacklevel=3,
        )
