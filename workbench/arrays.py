"""Schemas of the xarray data: the face dataset and the curves.

Like :mod:`workbench.schema` for the events table, this module names the dims, coords,
attrs and dtypes of the two xarray containers in one place and checks them where data
comes in: after computing, and at every load from a cache or a file. Data that passed is
trusted afterwards. Every message has the same shape::

    Expected dims ('frame', 'au'), but got ('time', 'au') (curves.nc, variable 'au_intensity').

* **Face dataset** (``xr.Dataset``), one per clip: ``landmarks (frame, landmark, xyz)``
  in normalised image coordinates, ``blendshapes (frame, blendshape)``, ``transform
  (frame, row, col)``, ``head_pose (frame, angle)`` in degrees and ``face_found (frame)``;
  attrs ``width``, ``height``, ``model_sha256``. Frames without a face are NaN.
* **Curves** (``xr.DataArray``), one per clip and detector: dims ``(frame, au)`` for AU
  intensities, ``(frame, region)`` for a motion detector's facial regions or
  ``(frame, emotion)`` for an imported detector's per-frame emotion evidence; coords
  ``frame`` (int, increasing), ``time`` (s, on ``frame``) and the channel names; attrs
  ``fps``, ``clip``, ``detector``, ``schema_version``. Optional channel coords
  (``au_number``, ``side``, ``noise``) and attrs (``model_sha256``, ``scale``,
  ``reference``...) are kept when present. Imported curves keep their detector's own
  scale and say so in attrs ``scale``, ``scale_min``, ``scale_max``, ``scale_transform``
  (:mod:`workbench.detect.imported`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

#: Version of the layout below; part of every cache key.
ARRAYS_VERSION = 1
#: The name curves are saved under in a netCDF file.
CURVES_VARIABLE = "curves"
#: The second dim of curves: AU intensities, facial regions or per-frame emotion evidence.
CHANNEL_DIMS = ("au", "region", "emotion")
#: Attrs every curves array carries, and their types.
CURVES_ATTRS: Mapping[str, type | tuple[type, ...]] = {
    "fps": (float, int, np.floating, np.integer),
    "clip": str,
    "detector": str,
    "schema_version": (int, np.integer),
}
#: Variables of the face dataset and their dims.
FACE_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "landmarks": ("frame", "landmark", "xyz"),
    "blendshapes": ("frame", "blendshape"),
    "transform": ("frame", "row", "col"),
    "head_pose": ("frame", "angle"),
    "face_found": ("frame",),
}
FACE_ATTRS: Mapping[str, type | tuple[type, ...]] = {
    "width": (int, np.integer),
    "height": (int, np.integer),
    "model_sha256": str,
}


def _where(source: object | None, variable: str | None) -> str:
    parts = [str(source)] if source is not None else []
    if variable:
        parts.append(f"variable '{variable}'")
    return f" ({', '.join(parts)})" if parts else ""


def _check_frames(frames: xr.DataArray | np.ndarray, where: str) -> None:
    values = np.asarray(frames)
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"Expected integer frame indices, but got dtype {values.dtype}{where}.")
    if values.size and values[0] < 0:
        raise ValueError(f"Expected frame indices >= 0, but got {int(values[0])}{where}.")
    if values.size > 1 and not (np.diff(values) > 0).all():
        bad = int(np.flatnonzero(np.diff(values) <= 0)[0])
        raise ValueError(
            f"Expected increasing frame indices, but got {int(values[bad])} then {int(values[bad + 1])}{where}."
        )


def _check_attrs(attrs: Mapping, wanted: Mapping[str, type | tuple[type, ...]], where: str) -> None:
    for name, kind in wanted.items():
        if name not in attrs:
            raise ValueError(f"Expected attr '{name}', but it is missing{where}.")
        if not isinstance(attrs[name], kind):
            raise ValueError(f"Expected attr '{name}' of type {kind}, but got {attrs[name]!r}{where}.")


def validate_curves(curves: object, source: object | None = None) -> xr.DataArray:
    """Check curves against the schema above and return them unchanged.

    Parameters
    ----------
    curves
        The array to check.
    source
        Where it came from (a file, a detector), for the message.

    Raises
    ------
    ValueError
        Naming what was expected, what came, and where.
    """
    where = _where(source, getattr(curves, "name", None))
    if not isinstance(curves, xr.DataArray):
        raise ValueError(f"Expected an xarray.DataArray of curves, but got {type(curves).__name__}{where}.")
    if len(curves.dims) != 2 or curves.dims[0] != "frame" or curves.dims[1] not in CHANNEL_DIMS:
        wanted = " or ".join(str(("frame", d)) for d in CHANNEL_DIMS)
        raise ValueError(f"Expected dims {wanted}, but got {curves.dims}{where}.")
    channel = curves.dims[1]
    for coord in ("frame", "time", channel):
        if coord not in curves.coords:
            raise ValueError(f"Expected coord '{coord}', but it is missing{where}.")
    if curves["time"].dims != ("frame",):
        raise ValueError(f"Expected coord 'time' on ('frame',), but got {curves['time'].dims}{where}.")
    _check_frames(curves["frame"].values, where)
    names = [str(c) for c in curves[channel].values]
    if len(set(names)) != len(names):
        raise ValueError(f"Expected distinct {channel} names, but got {names}{where}.")
    if not np.issubdtype(curves.dtype, np.floating):
        raise ValueError(f"Expected float curves, but got dtype {curves.dtype}{where}.")
    _check_attrs(curves.attrs, CURVES_ATTRS, where)
    if not float(curves.attrs["fps"]) > 0:
        raise ValueError(f"Expected attr 'fps' > 0, but got {curves.attrs['fps']!r}{where}.")
    return curves


def validate_face(face: object, source: object | None = None) -> xr.Dataset:
    """Check a face dataset against the schema above and return it unchanged.

    Raises
    ------
    ValueError
        Naming what was expected, what came, and where.
    """
    where = _where(source, None)
    if not isinstance(face, xr.Dataset):
        raise ValueError(f"Expected an xarray.Dataset of face data, but got {type(face).__name__}{where}.")
    for name, dims in FACE_VARIABLES.items():
        if name not in face.data_vars:
            raise ValueError(f"Expected variable '{name}', but it is missing{where}.")
        if face[name].dims != dims:
            raise ValueError(f"Expected dims {dims}, but got {face[name].dims}{_where(source, name)}.")
    if "frame" not in face.coords:
        raise ValueError(f"Expected coord 'frame', but it is missing{where}.")
    _check_frames(face["frame"].values, where)
    if face["face_found"].dtype != bool:
        raise ValueError(f"Expected bool face_found, but got dtype {face['face_found'].dtype}{where}.")
    if face.sizes.get("xyz") != 3:
        raise ValueError(f"Expected 3 coordinates per landmark (x, y, z), but got {face.sizes.get('xyz')}{where}.")
    _check_attrs(face.attrs, FACE_ATTRS, where)
    return face
