"""The MediaPipe detector: AU intensity curves from landmarks and blendshapes.

A detector is one module behind the small protocol of :mod:`workbench.detect.base`: a
name, a version, its parameters, and ``curves(clip, face) -> xr.DataArray``. This one reads
the face dataset only (the mapping is :mod:`workbench.detect.au`); its version carries the
AU mapping's, so a change of mapping is a new cache key everywhere. Its one parameter is the
neutral reference (:mod:`workbench.detect.reference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xarray as xr

import workbench.detect.au as au
from workbench.arrays import ARRAYS_VERSION, validate_curves
from workbench.detect.reference import parse_reference

#: Version of this detector's own code (the AU mapping has its own, :data:`au.AU_VERSION`).
VERSION = "3"


@dataclass(frozen=True)
class MediaPipeAU:
    """AU curves from MediaPipe's blendshapes and 3D landmark distances.

    Attributes
    ----------
    reference
        The neutral reference: ``"auto"``, ``"start"`` or frame ranges ``"0-17,40-50"``.
    """

    name: str = "mediapipe"
    reference: str = "auto"
    channels = "au"

    def __post_init__(self) -> None:
        object.__setattr__(self, "reference", parse_reference(self.reference))

    @property
    def version(self) -> str:
        return f"{VERSION}+au{au.AU_VERSION}"

    def params(self) -> dict[str, Any]:
        return {"reference": self.reference}

    def curves(self, clip: Any, face: xr.Dataset) -> xr.DataArray:
        """``(frame, au)`` curves of ``clip`` from its face dataset (see :func:`au.au_curves`)."""
        curves = au.au_curves(face, fps=float(clip.fps), reference=self.reference)
        curves.attrs.update(
            {
                "detector": self.name,
                "detector_version": self.version,
                "au_version": au.AU_VERSION,
                "schema_version": ARRAYS_VERSION,
                "frames_without_face": int((~face["face_found"].values).sum()),
            }
        )
        return validate_curves(curves, f"detector {self.name}")
