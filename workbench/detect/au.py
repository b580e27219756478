"""Face landmarks and blendshapes to Action Unit (AU) intensity curves.

Each AU curve combines two kinds of evidence, listed in one table, :data:`AU_TABLE`:

* MediaPipe blendshape scores (0 to 1), following the ARKit blendshape definitions;
* landmark geometry: 3D distances between landmarks, divided by the inter-ocular
  distance (outer eye corners) of the same frame.

Head pose: distances are measured in 3D (x and z scaled by the image width, y by its
height), so a rotation of the head leaves them unchanged, and dividing by the
inter-ocular distance of the same frame removes the distance to the camera. The
blendshape model works in a pose-normalised face space already.

Baseline: every component has its value on the clip's neutral face subtracted, so that a
neutral face reads near zero, then is divided by the change that reads as full intensity
(``gain``; inter-ocular units for geometry). The neutral face is the *reference*
(:mod:`workbench.detect.reference`): frames marked by a person, the clip's first frames
("start"), or ("auto") the least active frames; each component takes its median over
those frames. Never the clip's median: many clips are mostly expression. (A low quantile
of each blendshape over the clip was tried and rejected: a smile lowers ``browInnerUp``
below its resting score, so the smiling frames became the brows' "rest".) The AU curve is
the weighted mean of its components.

Noise: the robust noise level of each curve (1.4826 x median absolute deviation of its
frame-to-frame differences / sqrt 2) is kept as the ``noise`` coordinate, and how much it
wanders at rest (1.4826 x median absolute deviation over the calm frames: the least active
:data:`REST_FRACTION` with "auto", else the reference) as ``rest``. ``rest`` catches the
slow drift of head pose and landmark bias that frame-to-frame noise misses.

Sources for the table
---------------------
- Ekman, P., Friesen, W. V. & Hager, J. C. (2002). *Facial Action Coding System:
  Manual and Investigator's Guide*. Research Nexus. (What each AU moves.)
- Apple, ARKit ``ARFaceAnchor.BlendShapeLocation`` documentation (the definition of each
  blendshape that MediaPipe's 52 scores follow).
- Google, *MediaPipe Face Blendshapes V2 model card* (2022) (the 52 outputs).
- Ozel, M. (2019). *ARKit to FACS: blendshape cheat sheet* (the correspondence of
  ARKit blendshapes and AUs used in face animation).
- Landmark indices: MediaPipe Face Mesh canonical model (``canonical_face_model.obj``,
  478 points with irises).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

import workbench.detect.reference as neutral

#: Version of the AU mapping; part of the cache key and of the curves' attrs.
AU_VERSION = "4"
#: "auto" reference: the spread at rest is measured on this least active fraction of the frames
#: (wider than the reference itself, so that slow drifts of head pose are in it).
REST_FRACTION = 0.25

#: Landmarks (subject's own sides; "R" is the image's left in a non-mirrored frame).
LANDMARKS: dict[str, tuple[int, ...]] = {
    "eye_outer_R": (33,), "eye_inner_R": (133,), "lid_upper_R": (159,), "lid_lower_R": (145,),
    "eye_outer_L": (263,), "eye_inner_L": (362,), "lid_upper_L": (386,), "lid_lower_L": (374,),
    "brow_inner_R": (107, 55), "brow_outer_R": (70, 46),
    "brow_inner_L": (336, 285), "brow_outer_L": (300, 276),
    "ala_R": (129,), "ala_L": (358,), "subnasale": (2,),
    "lip_top": (0,), "lip_upper_inner": (13,), "lip_lower_inner": (14,), "lip_bottom": (17,),
    "lip_upper_R": (37,), "lip_upper_L": (267,),
    "mouth_corner_R": (61,), "mouth_corner_L": (291,), "chin": (152,),
    "brow_lower_inner_R": (55,), "brow_lower_inner_L": (285,), "nasion": (168,),
    "cheek_R": (50,), "cheek_L": (280,),
}  # fmt: skip

#: Geometric features: name -> (landmark a, landmark b); "{s}" is replaced by R or L.
FEATURES: dict[str, tuple[str, str]] = {
    "brow_inner_height_{s}": ("brow_inner_{s}", "eye_inner_{s}"),
    "brow_outer_height_{s}": ("brow_outer_{s}", "eye_outer_{s}"),
    "eye_open_{s}": ("lid_upper_{s}", "lid_lower_{s}"),
    "ala_nasion_{s}": ("ala_{s}", "nasion"),
    "brow_nasion_{s}": ("brow_lower_inner_{s}", "nasion"),
    "cheek_eye_{s}": ("cheek_{s}", "eye_outer_{s}"),
    "upper_lip_eye_{s}": ("lip_upper_{s}", "eye_inner_{s}"),
    "corner_eye_{s}": ("mouth_corner_{s}", "eye_outer_{s}"),
    "mouth_width": ("mouth_corner_R", "mouth_corner_L"),
    "lip_gap": ("lip_upper_inner", "lip_lower_inner"),
    "upper_lip_thickness": ("lip_top", "lip_upper_inner"),
    "lower_lip_thickness": ("lip_lower_inner", "lip_bottom"),
    "jaw_drop": ("subnasale", "chin"),
}


@dataclass(frozen=True)
class AUSpec:
    """How one AU is read from blendshapes and geometry.

    Attributes
    ----------
    au
        The FACS AU number.
    blendshapes
        Blendshape names; ``{s}`` becomes ``Left`` / ``Right`` for sided AUs.
    bs_gain
        The blendshape score (above the clip's baseline) that reads as intensity 1.
    geometry
        ``(feature, gain)`` pairs: the change of the feature (inter-ocular units) that
        reads as intensity 1; a negative gain means the AU shrinks the distance.
    sided
        Whether left and right curves are produced (blendshapes separate the sides).
    weight
        Weight of the geometry against the blendshapes (0: blendshapes only).
    source
        Why: the FACS appearance change and the ARKit blendshape it matches.
    """

    au: int
    blendshapes: tuple[str, ...]
    bs_gain: float
    geometry: tuple[tuple[str, float], ...]
    sided: bool
    weight: float
    source: str


#: The mapping, one row per AU (see the module docstring for the sources).
#: Columns: AU, blendshapes, blendshape score read as full intensity, geometry
#: (feature, change read as full intensity), sided, geometry weight, why.
AU_TABLE: tuple[AUSpec, ...] = (
    AUSpec(1, ("browInnerUp",), 0.3, (("brow_inner_height_{s}", 0.05),), False, 0.5,
           "FACS: inner brow raised; ARKit browInnerUp"),
    AUSpec(2, ("browOuterUp{s}",), 0.3, (("brow_outer_height_{s}", 0.05),), True, 0.5,
           "FACS: outer brow raised; ARKit browOuterUp"),
    AUSpec(4, ("browDown{s}",), 0.5, (("brow_nasion_{s}", -0.012),), True, 0.8,
           "FACS: brows lowered and drawn together (inner brow nears the nasion); "
           "ARKit browDown"),
    AUSpec(5, ("eyeWide{s}",), 0.5, (("eye_open_{s}", 0.03),), True, 0.5,
           "FACS: upper lid raised, eye widened; ARKit eyeWide"),
    AUSpec(6, ("cheekSquint{s}",), 0.5, (("cheek_eye_{s}", -0.012),), True, 0.7,
           "FACS: cheek raised towards the eye; ARKit cheekSquint"),
    AUSpec(7, ("eyeSquint{s}",), 0.5, (("eye_open_{s}", -0.03),), True, 0.5,
           "FACS: lids tightened, eye narrowed; ARKit eyeSquint"),
    AUSpec(9, ("noseSneer{s}",), 0.5, (("ala_nasion_{s}", -0.02),), True, 0.7,
           "FACS: nose wrinkled, alae pulled up towards the nasion; ARKit noseSneer"),
    AUSpec(10, ("mouthUpperUp{s}",), 1.0, (("upper_lip_eye_{s}", -0.03),), True, 0.85,
           "FACS: upper lip raised towards the nose; ARKit mouthUpperUp (which also "
           "answers to smiles, hence the low weight)"),
    AUSpec(12, ("mouthSmile{s}",), 0.5, (("corner_eye_{s}", -0.06),), True, 0.5,
           "FACS: lip corners pulled up and out; ARKit mouthSmile"),
    AUSpec(14, ("mouthDimple{s}",), 0.5, (), True, 0.0,
           "FACS: lip corners tightened inwards, dimple; ARKit mouthDimple"),
    AUSpec(15, ("mouthFrown{s}",), 0.5, (), True, 0.0,
           "FACS: lip corners pulled down; ARKit mouthFrown (the corners' distance to the "
           "eyes also grows when the jaw drops, so no geometry)"),
    AUSpec(17, ("mouthShrugLower",), 0.5, (), False, 0.0,
           "FACS: chin boss and lower lip pushed up; ARKit mouthShrugLower"),
    AUSpec(20, ("mouthStretch{s}",), 0.5, (), True, 0.0,
           "FACS: lips stretched sideways; ARKit mouthStretch (mouth width also grows "
           "with AU12, so no geometry)"),
    AUSpec(23, ("mouthRollUpper", "mouthRollLower"), 0.5,
           (("upper_lip_thickness", -0.03), ("lower_lip_thickness", -0.03)), False, 0.5,
           "FACS: lips tightened and narrowed (red parts thinner); ARKit mouthRoll"),
    AUSpec(24, ("mouthPress{s}",), 1.0, (("upper_lip_thickness", -0.03),), True, 0.3,
           "FACS: lips pressed together; ARKit mouthPress"),
    AUSpec(25, ("jawOpen",), 0.3, (("lip_gap", 0.06),), False, 0.8,
           "FACS: lips parted; geometry: inner lip gap (ARKit jawOpen as support)"),
    AUSpec(26, ("jawOpen",), 0.3, (("jaw_drop", 0.06),), False, 0.5,
           "FACS: jaw dropped; ARKit jawOpen"),
    AUSpec(45, ("eyeBlink{s}",), 1.0, (("eye_open_{s}", -0.08),), True, 0.5,
           "FACS: blink (lids close and open); ARKit eyeBlink"),
)  # fmt: skip

_SIDE_WORD = {"L": "Left", "R": "Right"}


def _points(xyz: np.ndarray, name: str) -> np.ndarray:
    """Mean position of the landmarks called ``name``: ``(frame, 3)``."""
    return xyz[:, list(LANDMARKS[name]), :].mean(axis=1)


def landmarks_3d(face: xr.Dataset) -> np.ndarray:
    """Landmarks in pixels, ``(frame, landmark, 3)``: x and z times width, y times height."""
    scale = np.array([face.attrs["width"], face.attrs["height"], face.attrs["width"]], float)
    return face["landmarks"].values.astype(float) * scale


def geometry(face: xr.Dataset) -> dict[str, np.ndarray]:
    """Every feature of :data:`FEATURES` per frame, in inter-ocular units.

    Returns
    -------
    dict
        Feature name (with ``R`` / ``L`` filled in) -> ``(frame,)`` array, NaN without a face.
    """
    xyz = landmarks_3d(face)
    iod = np.linalg.norm(_points(xyz, "eye_outer_R") - _points(xyz, "eye_outer_L"), axis=1)
    out: dict[str, np.ndarray] = {}
    for pattern, (a, b) in FEATURES.items():
        for s in ("R", "L") if "{s}" in pattern else ("",):
            d = _points(xyz, a.format(s=s)) - _points(xyz, b.format(s=s))
            out[pattern.format(s=s)] = np.linalg.norm(d, axis=1) / iod
    return out


def _centred(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Subtract the neutral value, the median over positions ``ref``. NaN-aware; all-NaN stays NaN."""
    values = x[ref]
    if not np.isfinite(values).any():
        return x
    return x - np.nanmedian(values)


def _component_mean(parts: list[np.ndarray], n: int) -> np.ndarray:
    if not parts:
        return np.zeros(n)
    return np.mean(np.stack(parts), axis=0)


def au_curve(
    spec: AUSpec,
    side: str,
    blend: dict[str, np.ndarray],
    geom: dict[str, np.ndarray],
    n: int,
    ref: np.ndarray | None = None,
) -> np.ndarray:
    """One AU's baseline-normalised intensity for one side (``"L"``, ``"R"`` or ``""``).

    ``ref``: positions of the neutral reference frames (default: every frame).
    For a bilateral spec with sided features, ``side=""`` averages both sides.
    """
    ref = np.arange(n) if ref is None else ref
    sides = [side] if side else ["L", "R"]
    bs = [_centred(blend[b.format(s=_SIDE_WORD[s])], ref) / spec.bs_gain for b in spec.blendshapes for s in sides]
    geo = []
    for feature, gain in spec.geometry:
        names = {feature.format(s=s) for s in sides}
        geo.extend(_centred(geom[name], ref) / gain for name in sorted(names))
    b_mean, g_mean = _component_mean(bs, n), _component_mean(geo, n)
    w = spec.weight if geo else 0.0
    w = 1.0 if not spec.blendshapes else w
    return (1 - w) * b_mean + w * g_mean


def robust_noise(curve: np.ndarray) -> float:
    """Noise level of a curve: 1.4826 MAD of its frame-to-frame differences / sqrt(2)."""
    d = np.diff(curve[np.isfinite(curve)])
    if d.size < 2:
        return float("nan")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def rest_spread(values: np.ndarray) -> float:
    """How much a curve wanders at rest: 1.4826 MAD of its values on the reference frames."""
    v = values[np.isfinite(values)]
    if v.size < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def au_names(table: Sequence[AUSpec] | None = None) -> list[tuple[str, int, str]]:
    """Curve names in order: ("AU12", 12, ""), ("AU12L", 12, "L"), ("AU12R", 12, "R"), ..."""
    names = []
    for spec in AU_TABLE if table is None else table:
        names.append((f"AU{spec.au}", spec.au, ""))
        if spec.sided:
            names += [(f"AU{spec.au}L", spec.au, "L"), (f"AU{spec.au}R", spec.au, "R")]
    return names


def au_curves(
    face: xr.Dataset,
    *,
    fps: float | None = None,
    table: Sequence[AUSpec] | None = None,
    reference: str | Sequence[tuple[int, int]] | None = "auto",
) -> xr.DataArray:
    """AU intensity curves from a face dataset (:mod:`workbench.detect.facedata`).

    Parameters
    ----------
    face
        Landmarks, blendshapes and ``face_found`` per frame; attrs ``width``, ``height``.
    fps
        Frame rate for the ``time`` coordinate (default: ``face.attrs["fps"]`` or 1).
    table
        The AU mapping (default :data:`AU_TABLE`, read at call time).
    reference
        The neutral reference: ``"auto"``, ``"start"`` or frame ranges
        (:func:`workbench.detect.reference.parse_reference`).

    Returns
    -------
    xarray.DataArray
        ``(frame, au)`` float32, near zero for the clip's neutral face; coords ``frame``,
        ``time`` (s), ``au`` ("AU12", "AU12L", "AU12R", ...), ``au_number``, ``side``,
        ``noise``; attrs ``fps``, ``au_version``, ``reference`` (as given, canonical),
        ``reference_frames`` (the frames used, ``"0-17,40"``) and the face dataset's
        attrs. Frames without a face are NaN.

    Raises
    ------
    ValueError
        When the reference is malformed or its marked frames hold no face.
    """
    table = AU_TABLE if table is None else table
    spec_text = neutral.parse_reference(reference)
    n = face.sizes["frame"]
    fps = float(fps or face.attrs.get("fps", 1.0))
    names_bs = [str(b) for b in face["blendshape"].values]
    blend = {b: face["blendshapes"].sel(blendshape=b).values.astype(float) for b in names_bs}
    geom = geometry(face) if n else {}
    frames = face["frame"].values
    found = face["face_found"].values
    act = neutral.activity(face["blendshapes"].values, names_bs) if n else np.zeros(0)
    ref = neutral.reference_positions(spec_text, frames, found, fps, act) if n else np.zeros(0, int)
    calm = neutral.least_active(np.where(found, act, np.nan), REST_FRACTION) if spec_text == "auto" else ref
    specs = {s.au: s for s in table}
    names = au_names(table)
    data = (
        np.stack([au_curve(specs[num], side, blend, geom, n, ref) for _, num, side in names], axis=1)
        if n
        else np.zeros((0, len(names)))
    )
    data[~found] = np.nan
    curves = xr.DataArray(
        data.astype(np.float32),
        dims=("frame", "au"),
        coords={
            "frame": frames,
            "time": ("frame", frames / fps),
            "au": [name for name, _, _ in names],
            "au_number": ("au", [num for _, num, _ in names]),
            "side": ("au", [side for _, _, side in names]),
            "noise": ("au", [robust_noise(data[:, i]) for i in range(len(names))]),
            "rest": ("au", [rest_spread(data[calm, i]) for i in range(len(names))]),
        },
        name="au_intensity",
        attrs={
            **face.attrs,
            "fps": fps,
            "au_version": AU_VERSION,
            "reference": spec_text,
            "reference_frames": neutral.format_ranges(frames[ref]),
        },
    )
    return curves
