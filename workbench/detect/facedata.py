"""The face dataset: per-frame landmarks, blendshapes and head pose of a clip (xarray).

Built from the landmarker's per-frame arrays by :func:`face_dataset` and checked by
:func:`workbench.arrays.validate_face`. Frames without a face stay in place as NaN, and
:func:`warn_missing_faces` says how many.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import xarray as xr

from workbench.detect.landmarker import BLENDSHAPES, N_LANDMARKS, POSE_ANGLES
from workbench.detect.model import MODEL_SHA256


def head_pose(matrices: np.ndarray) -> np.ndarray:
    """Yaw, pitch and roll in degrees from facial transformation matrices.

    Parameters
    ----------
    matrices
        ``(n, 4, 4)`` canonical-face-to-camera transforms (MediaPipe: x right, y up,
        z towards the camera).

    Returns
    -------
    numpy.ndarray
        ``(n, 3)``: yaw about y, pitch about x, roll about z, for ``R = Rz(roll) Ry(yaw)
        Rx(pitch)``. NaN where the matrix is NaN.
    """
    r = np.asarray(matrices, dtype=float)[:, :3, :3]
    pitch = np.arctan2(r[:, 2, 1], r[:, 2, 2])
    yaw = np.arctan2(-r[:, 2, 0], np.hypot(r[:, 2, 1], r[:, 2, 2]))
    roll = np.arctan2(r[:, 1, 0], r[:, 0, 0])
    return np.degrees(np.stack([yaw, pitch, roll], axis=1))


def face_dataset(
    landmarks: np.ndarray,
    blendshapes: np.ndarray,
    matrices: np.ndarray,
    frames: Sequence[int],
    *,
    width: int,
    height: int,
    attrs: dict | None = None,
) -> xr.Dataset:
    """Assemble per-frame arrays into the face ``xr.Dataset``.

    Returns
    -------
    xarray.Dataset
        ``landmarks (frame, landmark, xyz)`` in normalised image coordinates,
        ``blendshapes (frame, blendshape)``, ``transform (frame, row, col)``,
        ``head_pose (frame, angle)`` (yaw, pitch, roll in degrees) and ``face_found (frame)``;
        attrs ``width``, ``height``, ``model_sha256`` and ``attrs``.
    """
    frames = np.asarray(frames, dtype=np.int64)
    found = np.isfinite(landmarks[:, 0, 0]) if len(frames) else np.zeros(0, bool)
    ds = xr.Dataset(
        {
            "landmarks": (("frame", "landmark", "xyz"), landmarks.astype(np.float32)),
            "blendshapes": (("frame", "blendshape"), blendshapes.astype(np.float32)),
            "transform": (("frame", "row", "col"), matrices.astype(np.float32)),
            "head_pose": (("frame", "angle"), head_pose(matrices).astype(np.float32)),
            "face_found": (("frame",), found),
        },
        coords={
            "frame": frames,
            "landmark": np.arange(N_LANDMARKS),
            "xyz": ["x", "y", "z"],
            "blendshape": list(BLENDSHAPES),
            "angle": list(POSE_ANGLES),
        },
        attrs={"width": int(width), "height": int(height), "model_sha256": MODEL_SHA256},
    )
    ds["head_pose"].attrs["units"] = "degree"
    ds["landmarks"].attrs["units"] = "normalised image coordinates (x/width, y/height, z ~ x)"
    ds.attrs.update(attrs or {})
    return ds


def clip_frames(clip: Any, start: int, stop: int) -> Iterator[np.ndarray]:
    """Yield frames ``start..stop-1`` of a clip one by one, in one forward pass where the
    clip has one (:meth:`workbench.video.Clip.read_range`).

    Raises
    ------
    ValueError
        Naming the clip and the frame that could not be decoded.
    """
    name = getattr(clip, "source", None) or getattr(clip, "path", clip)
    reader = getattr(clip, "read_range", None)
    frames = iter(reader(start, stop) if reader else (clip.frame(i) for i in range(start, stop)))
    for i in range(start, stop):
        try:
            rgb = np.asarray(next(frames))
        except StopIteration:
            raise ValueError(
                f"Expected frames {start}..{stop - 1} of clip '{name}', but it ends before frame {i}."
            ) from None
        except Exception as exc:
            raise ValueError(f"Expected a readable frame, but frame {i} of clip '{name}' failed: {exc}") from exc
        if rgb.dtype != np.uint8 or rgb.ndim != 3:
            raise ValueError(
                f"Expected an RGB uint8 frame, but got {rgb.dtype} {rgb.shape} (clip '{name}', frame {i})."
            )
        yield rgb


def warn_missing_faces(ds: xr.Dataset, clip: str) -> int:
    """Warn (once) how many frames of ``clip`` have no face; return that count."""
    found = ds["face_found"].values
    return warn_frames_without_face(ds["frame"].values[~found], len(found), clip)


def warn_frames_without_face(frames: np.ndarray, total: int, clip: str) -> int:
    """Warn that ``frames`` (of ``total``) of ``clip`` have no face; return how many."""
    missing = len(frames)
    if missing:
        shown = ", ".join(str(f) for f in frames[:10]) + (" ..." if missing > 10 else "")
        warnings.warn(
            f"No face found in {missing} of {total} frames of clip '{clip}' "
            f"(frames {shown}); they are NaN in the curves.",
            RuntimeWarning,
            stacklevel=3,
        )
    return missing
