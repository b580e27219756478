"""The built-in sample: micro-expressions with known truth, made from a real face photo.

The face is scikit-image's ``astronaut()`` (Eileen Collins, NASA, public domain),
cropped to the face and enlarged. Each expression is a smooth displacement field
built from Action Unit "movers" (an anchor on the face, a direction, a reach),
warped with ``cv2.remap`` (fast: a few ms a frame). The photo smiles, so every frame
first relaxes the lip corners to a near-neutral mouth; expressions start from there.

Each event's intensity follows a half-sine rise from onset to apex and a half-cosine
fall to offset, so the truth is exact: onset is the first frame that moves, apex the
peak frame, offset the last frame that moves. A slow head sway (translation and
rotation of about a pixel and a degree) and sensor noise keep it from being trivially
clean.

Anchors are landmark positions of the original photo measured once with MediaPipe
FaceLandmarker (indices in comments), in photo pixels, subject's own left/right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from workbench import layout
from workbench.encode import write_video
from workbench.schema import make_event, validate_events
from workbench.store import Store

DATASET = "sample"
RATER = "truth"

#: Crop of the photo (x0, y0, size) and output size.
CROP = (125, 25, 200)
SIZE = 400

#: Landmark positions on the original photo (MediaPipe face mesh index in the comment).
ANCHORS: dict[str, tuple[float, float]] = {
    "mouth_r": (202.3, 139.2),  # 61, subject's right lip corner (image left)
    "mouth_l": (244.5, 140.6),  # 291
    "inner_brow_r": (215.1, 89.8),  # 107
    "inner_brow_l": (236.0, 90.6),  # 336
    "mid_brow_r": (197.5, 86.6),  # 105
    "mid_brow_l": (254.2, 89.6),  # 334
    "outer_brow_r": (187.9, 90.7),  # 70
    "outer_brow_l": (263.7, 94.9),  # 300
    "upper_lid_r": (202.6, 97.8),  # 159
    "upper_lid_l": (248.1, 100.2),  # 386
    "lower_lid_r": (204.2, 104.2),  # 145
    "lower_lid_l": (245.9, 106.5),  # 374
    "nose_wing_r": (209.2, 124.9),  # 129
    "nose_wing_l": (238.9, 126.4),  # 358
    "upper_lip": (223.4, 140.6),  # 0
    "lower_lip": (223.0, 149.2),  # 14
    "chin": (221.4, 177.4),  # 152
    "cheek_r": (191.0, 119.7),  # 50
    "cheek_l": (257.8, 123.2),  # 280
    "glabella": (225.4, 91.1),  # 9
}

#: Each AU as movers: (anchor, (dx, dy) in photo pixels at full intensity, reach sigma).
#: Directions follow the FACS Manual's description of each AU's appearance change.
AU_MOVERS: dict[int, list[tuple[str, tuple[float, float], float]]] = {
    1: [("inner_brow_r", (0.0, -3.5), 6.0), ("inner_brow_l", (0.0, -3.5), 6.0)],
    2: [
        ("outer_brow_r", (0.0, -3.5), 6.0),
        ("outer_brow_l", (0.0, -3.5), 6.0),
        ("mid_brow_r", (0.0, -2.5), 6.0),
        ("mid_brow_l", (0.0, -2.5), 6.0),
    ],
    4: [
        ("inner_brow_r", (3.0, 4.5), 6.0),
        ("inner_brow_l", (-3.0, 4.5), 6.0),
        ("mid_brow_r", (1.5, 3.0), 6.0),
        ("mid_brow_l", (-1.5, 3.0), 6.0),
    ],
    5: [("upper_lid_r", (0.0, -2.0), 3.5), ("upper_lid_l", (0.0, -2.0), 3.5)],
    6: [
        ("cheek_r", (0.0, -3.0), 8.0),
        ("cheek_l", (0.0, -3.0), 8.0),
        ("lower_lid_r", (0.0, -1.5), 4.0),
        ("lower_lid_l", (0.0, -1.5), 4.0),
    ],
    7: [
        ("lower_lid_r", (0.0, -2.0), 3.5),
        ("lower_lid_l", (0.0, -2.0), 3.5),
        ("upper_lid_r", (0.0, 0.8), 3.0),
        ("upper_lid_l", (0.0, 0.8), 3.0),
    ],
    9: [
        ("nose_wing_r", (1.0, -3.0), 5.0),
        ("nose_wing_l", (-1.0, -3.0), 5.0),
        ("glabella", (0.0, 1.5), 6.0),
    ],
    10: [("upper_lip", (0.0, -3.0), 7.0)],
    12: [("mouth_r", (-3.5, -4.0), 7.0), ("mouth_l", (3.5, -4.0), 7.0)],
    26: [("lower_lip", (0.0, 4.0), 9.0), ("chin", (0.0, 5.0), 12.0)],
}

#: The photo's own smile, relaxed in every frame so expressions start near neutral.
NEUTRAL_MOVERS = [("mouth_r", (2.0, 3.0), 6.0), ("mouth_l", (-2.0, 3.0), 6.0)]


@dataclass(frozen=True)
class Expression:
    """One scripted event: which AUs, when (seconds), how strong."""

    emotion: str
    aus: tuple[int, ...]
    onset_s: float
    duration_s: float
    apex_fraction: float = 0.4
    intensity: float = 1.0

    def code(self) -> str:
        return "+".join(str(a) for a in self.aus)


#: Two clips of 5 s: micro events of 1/25 s to 1/5 s, one macro event (> 0.5 s) each.
SCRIPTS: dict[str, list[Expression]] = {
    "astronaut_1.mp4": [
        Expression("happiness", (6, 12), 0.50, 0.20),
        Expression("surprise", (1, 2, 5, 26), 1.40, 0.15),
        Expression("disgust", (9, 10), 2.30, 0.18),
        Expression("happiness", (6, 12), 3.20, 1.00, apex_fraction=0.35),
    ],
    "astronaut_2.mp4": [
        Expression("anger", (4, 7), 0.40, 0.20),
        Expression("happiness", (6, 12), 1.30, 0.08, apex_fraction=0.5),
        Expression("surprise", (1, 2, 5, 26), 2.10, 0.18),
        Expression("disgust", (9, 10), 2.90, 0.16),
        Expression("surprise", (1, 2, 5, 26), 3.60, 0.80, apex_fraction=0.3),
    ],
}
DURATION_S = 5.0


def base_face() -> np.ndarray:
    """The cropped, enlarged face (RGB uint8, SIZE x SIZE)."""
    import cv2
    from skimage import data

    x0, y0, size = CROP
    crop = data.astronaut()[y0 : y0 + size, x0 : x0 + size]
    return cv2.resize(crop, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)


def _to_out(x: float, y: float) -> tuple[float, float]:
    x0, y0, size = CROP
    s = SIZE / size
    return (x - x0) * s, (y - y0) * s


def _field(movers, grid_x, grid_y) -> tuple[np.ndarray, np.ndarray]:
    """Displacement field (dx, dy) in output pixels from a list of movers."""
    s = SIZE / CROP[2]
    dx = np.zeros_like(grid_x)
    dy = np.zeros_like(grid_y)
    for anchor, (vx, vy), sigma in movers:
        cx, cy = _to_out(*ANCHORS[anchor])
        w = np.exp(-((grid_x - cx) ** 2 + (grid_y - cy) ** 2) / (2 * (sigma * s) ** 2))
        dx += w * vx * s
        dy += w * vy * s
    return dx, dy


def profile(n_frames: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """Intensity per frame: 0 outside [onset, offset], half-sine rise, half-cosine fall, 1 at apex."""
    t = np.arange(n_frames, dtype=float)
    out = np.zeros(n_frames)
    rise = (t >= onset) & (t <= apex)
    out[rise] = np.sin(0.5 * np.pi * (t[rise] - onset + 1) / (apex - onset + 1))
    fall = (t > apex) & (t <= offset)
    out[fall] = np.cos(0.5 * np.pi * (t[fall] - apex) / (offset - apex + 1))
    return out


def _frames_of(e: Expression, fps: float) -> tuple[int, int, int]:
    onset = int(round(e.onset_s * fps))
    n = max(3, int(round(e.duration_s * fps)))
    offset = onset + n - 1
    apex = onset + int(round(e.apex_fraction * (n - 1)))
    return onset, apex, offset


def render(
    script: list[Expression],
    fps: float,
    seed: int = 0,
    noise: float = 2.0,
    n_frames: int | None = None,
    duration_s: float = DURATION_S,
):
    """Yield the clip's frames (RGB uint8) for a script; deterministic for a seed.

    ``n_frames`` stops early (default: the whole clip, ``duration_s`` seconds)."""
    import cv2

    face = base_face().astype(np.float32)
    n = int(round(duration_s * fps))
    gy, gx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    ndx, ndy = _field(NEUTRAL_MOVERS, gx, gy)
    fields = []
    for e in script:
        movers = [m for au in e.aus for m in AU_MOVERS[au]]
        dx, dy = _field(movers, gx, gy)
        fields.append((profile(n, *_frames_of(e, fps)) * e.intensity, dx, dy))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    sway_x = 1.2 * np.sin(2 * np.pi * 0.23 * t + seed)
    sway_y = 0.8 * np.sin(2 * np.pi * 0.31 * t + 1.0 + seed)
    sway_r = np.deg2rad(0.8) * np.sin(2 * np.pi * 0.17 * t + 2.0 + seed)
    c = SIZE / 2
    for k in range(n if n_frames is None else min(n, n_frames)):
        dx, dy = ndx.copy(), ndy.copy()
        for amount, fx, fy in fields:
            if amount[k] > 0:
                dx += amount[k] * fx
                dy += amount[k] * fy
        cos, sin = np.cos(sway_r[k]), np.sin(sway_r[k])
        # Backward map: output pixel p shows the face at R^-1 (p - c - s) + c - d.
        px, py = gx - c - sway_x[k], gy - c - sway_y[k]
        sx = cos * px + sin * py + c - dx
        sy = -sin * px + cos * py + c - dy
        img = cv2.remap(
            face,
            sx.astype(np.float32),
            sy.astype(np.float32),
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        img += rng.normal(0.0, noise, img.shape).astype(np.float32)
        yield np.clip(img, 0, 255).astype(np.uint8)


def truth_events(fps: float = 200.0) -> pd.DataFrame:
    """The scripted events as an events table (rater ``truth``)."""
    rows = []
    for clip, script in SCRIPTS.items():
        for e in script:
            onset, apex, offset = _frames_of(e, fps)
            rows.append(
                make_event(
                    clip=clip,
                    rater=RATER,
                    onset=onset,
                    apex=apex,
                    offset=offset,
                    emotion=e.emotion,
                    aus=e.code(),
                    fps=fps,
                    note="scripted",
                    event_id=f"{Path(clip).stem}-{onset}",
                )
            )
    return validate_events(pd.DataFrame(rows), n_frames=int(round(DURATION_S * fps)), check_aus=False)


def make_sample(project: str | Path, fps: float = 200.0, seed: int = 0, force: bool = False) -> list[Path]:
    """Write the sample clips and their truth into a project folder.

    Writes ``<project>/data/sample/astronaut_{1,2}.mp4`` and
    ``<project>/annotations/sample/truth.csv``. Existing clips are kept unless ``force``.

    Returns
    -------
    list of Path
        The clip files.
    """
    project = Path(project)
    media = project / layout.DATA / DATASET
    paths = []
    for k, (name, script) in enumerate(SCRIPTS.items()):
        path = media / name
        if force or not path.exists():
            n = int(round(DURATION_S * fps))
            frames = tqdm(render(script, fps, seed=seed + k), total=n, desc=f"sample {name}", unit="frame")
            write_video(frames, path, fps, crf=14)
        paths.append(path)
    Store(project / layout.ANNOTATIONS).write(DATASET, RATER, truth_events(fps), author="workbench sample")
    return paths
