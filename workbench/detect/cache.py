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
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

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
