"""The one analysis cache: face data and curves, keyed on everything that makes them.

``<cache>/analysis/face/<key>.nc`` holds a clip's face dataset; its key is the sha256 of the
clip's content, the model's hash, the landmarker's version and parameters and the arrays
schema version. ``<cache>/analysis/curves/<key>.nc`` holds one detector's curves of that
clip; its key adds the detector's name, version (for the MediaPipe detector, the AU
mapping's version) and parameters. ``<cache>`` is :func:`workbench.paths.user_cache`, shared
by every project, the CLI and the widgets: a clip analysed once anywhere is read back
everywhere, and a change of model, mapping or parameter is a new key, so nothing stale is
ever shown.

Files are written atomically and validated at load (:mod:`workbench.arrays`); an entry that
cannot be read is deleted and computed again.

While a clip's face data are computed, each finished chunk of the landmarker's arrays is
kept in ``<cache>/analysis/chunks/<face key>/<start>-<stop>.npz`` (atomically), so that a
run killed half-way resumes with the chunks it has; the folder goes once the face dataset
is saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from workbench.arrays import ARRAYS_VERSION, CURVES_VARIABLE, validate_curves, validate_face
from workbench.atomic import atomic_path
from workbench.paths import user_cache

log = logging.getLogger(__name__)

#: Version of the landmarker's output (inference mode, arrays kept); part of the face key.
LANDMARKER_VERSION = "1"


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def face_key(content_hash: str, model_sha256: str, params: dict[str, Any]) -> str:
    """Key of a clip's face data: clip content, model, landmarker version and parameters."""
    return _digest(
        {
            "clip": content_hash,
            "model": model_sha256,
            "landmarker": LANDMARKER_VERSION,
            "params": params,
            "arrays": ARRAYS_VERSION,
        }
    )


def curves_key(face: str, detector: str, version: str, params: dict[str, Any]) -> str:
    """Key of one detector's curves: the face key, the detector's name, version and parameters."""
    return _digest({"face": face, "detector": detector, "version": version, "params": params})


def root() -> Path:
    """``<cache>/analysis``."""
    return user_cache() / "analysis"


def face_path(key: str) -> Path:
    return root() / "face" / f"{key}.nc"


def curves_path(key: str) -> Path:
    return root() / "curves" / f"{key}.nc"


def save_face(face: xr.Dataset, path: Path) -> Path:
    """Write a face dataset as netCDF, atomically."""
    with atomic_path(path, ".nc.part") as tmp:
        validate_face(face, "face data to save").to_netcdf(tmp, engine="h5netcdf")
    return path


def save_curves(curves: xr.DataArray, path: Path) -> Path:
    """Write curves as netCDF (variable :data:`~workbench.arrays.CURVES_VARIABLE`), atomically."""
    with atomic_path(path, ".nc.part") as tmp:
        validate_curves(curves, "curves to save").to_dataset(name=CURVES_VARIABLE).to_netcdf(tmp, engine="h5netcdf")
    return path


def load_face(path: str | Path) -> xr.Dataset:
    """Read a face dataset (fully loaded, file closed), validated."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return validate_face(ds.load(), path)


def load_curves(path: str | Path) -> xr.DataArray:
    """Read curves (fully loaded, file closed), validated.

    Raises
    ------
    ValueError
        When the file holds no curves variable or they break the schema (naming the file).
    """
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        if CURVES_VARIABLE not in ds.data_vars:
            raise ValueError(
                f"Expected a variable '{CURVES_VARIABLE}', but got {sorted(map(str, ds.data_vars))} ({path})."
            )
        curves = ds[CURVES_VARIABLE].load()
    return validate_curves(curves, path)


def read(path: Path, loader: Any) -> Any | None:
    """``loader(path)``, or None when the entry is absent; an unreadable entry is deleted."""
    if not path.exists():
        return None
    try:
        return loader(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("analysis cache: %s is unreadable (%s); computing it again", path, exc)
        path.unlink(missing_ok=True)
        return None


# ------------------------------------------------------------------ chunks of a run

#: The landmarker's per-frame arrays of a chunk (``workers.infer_chunk``).
CHUNK_ARRAYS = ("landmarks", "blendshapes", "transform")


def chunks_folder(face: str) -> Path:
    """``<cache>/analysis/chunks/<face key>``: the chunks of a clip's face data being computed."""
    return root() / "chunks" / face


def save_chunk(face: str, part: dict[str, Any]) -> Path:
    """Keep one chunk's arrays (``start``, ``landmarks``, ``blendshapes``, ``transform``,
    ``width``, ``height``), atomically."""
    n = len(part["landmarks"])
    path = chunks_folder(face) / f"{part['start']:09d}-{part['start'] + n:09d}.npz"
    with atomic_path(path, ".npz.part") as tmp, open(tmp, "wb") as f:
        np.savez(f, **{k: part[k] for k in CHUNK_ARRAYS}, start=part["start"], size=(part["width"], part["height"]))
    return path


def load_chunks(face: str, n_frames: int) -> list[dict[str, Any]]:
    """The chunks kept for a clip of ``n_frames`` frames, in frame order, none overlapping;
    an unreadable or misfitting one is deleted."""
    folder = chunks_folder(face)
    parts: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(path) as z:
                part = {k: z[k] for k in CHUNK_ARRAYS}
                part["start"], (part["width"], part["height"]) = int(z["start"]), (int(v) for v in z["size"])
            n = len(part["landmarks"])
            if not all(len(part[k]) == n for k in CHUNK_ARRAYS) or part["start"] < 0 or part["start"] + n > n_frames:
                raise ValueError(f"frames {part['start']}..{part['start'] + n - 1} do not fit a {n_frames}-frame clip")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("analysis cache: chunk %s is unreadable (%s); computing it again", path, exc)
            path.unlink(missing_ok=True)
            continue
        if parts and part["start"] < parts[-1]["start"] + len(parts[-1]["landmarks"]):
            continue  # overlaps one kept already (two runs at once): the frames are in that one
        parts.append(part)
    return parts


def drop_chunks(face: str) -> None:
    """Remove a clip's chunks (its face dataset is saved)."""
    shutil.rmtree(chunks_folder(face), ignore_errors=True)
