"""What a detector is: a name, a version, its parameters and ``curves(clip, face)``.

Adding a detector is writing one module with a class that has these members and listing
it in :data:`workbench.detect.registry.DETECTORS`; the pipeline, the cache, the spotter
and every view take it from there. Its curves follow :func:`workbench.arrays.validate_curves`:
``(frame, au)`` for AU intensities, ``(frame, region)`` for facial regions.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import xarray as xr


@runtime_checkable
class Detector(Protocol):
    """The protocol every detector follows."""

    name: str

    @property
    def version(self) -> str:
        """Changes whenever the curves would change for the same input (part of the cache key)."""
        ...

    def params(self) -> dict[str, Any]:
        """JSON-able parameters (part of the cache key and of the curves' attrs)."""
        ...

    def curves(self, clip: Any, face: xr.Dataset) -> xr.DataArray:
        """The curves of ``clip`` (a :class:`workbench.video.Clip`) given its face dataset."""
        ...
