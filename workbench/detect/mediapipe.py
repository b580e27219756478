"""The MediaPipe detector: AU intensity curves from landmarks and blendshapes.

A detector is one module behind the small protocol of :mod:`workbench.detect.base`: a
name, a version, its parameters, and ``curves(clip, face) -> xr.DataArray``. This one reads
the face dataset only (the mapping is :mod:`workbench.detect.au`); its version carries the
AU mapping's, so a change of mapping is a new cache key everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xarray as xr

import workbench.detect.au as au
from workbench.arrays import ARRAYS_VERSION, validate_curves

#: Version of this detector's own code (the AU mapping has its own, :data:`au.AU_VERSION`).
VERSION = "2"


@dataclass(frozen=True)
class MediaPipeAU:
    """AU curves from MediaPipe's blendshapes and 3D landmark distances."""

    name: str = "mediapipe"

    @property
    def version(self) -> str:
        return f"{VERSION}+au{au.AU_VERSION}"

    def params(self) -> dict[str, Any]:
        return {}

    def curves(self, clip: Any, face: xr.Dataset) -> xr.DataArray:
        """``(frame, au)`` curves of ``clip`` from its face dataset (see :func:`au.au_curves`)."""
        curves = au.au_curves(face, fps=float(clip.fps))
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
