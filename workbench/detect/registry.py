"""The detectors by name: ``workbench detect --detector NAME`` and ``analyse(detectors=...)``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from workbench.detect.base import Detector
from workbench.detect.flow import FlowRegions
from workbench.detect.mediapipe import MediaPipeAU

#: Name -> factory. A new detector is one module and one line here.
DETECTORS: dict[str, Callable[[], Detector]] = {"mediapipe": MediaPipeAU, "flow": FlowRegions}
#: The detector used when none is named.
DEFAULT = "mediapipe"


def get_detector(detector: str | Detector, reference: str | None = None) -> Detector:
    """A detector from its name (or the detector itself), with the neutral ``reference``
    when given and the detector takes one (see :mod:`workbench.detect.reference`).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(detector, str):
        if detector not in DETECTORS:
            raise ValueError(f"Expected a detector among {sorted(DETECTORS)}, but got {detector!r}.")
        detector = DETECTORS[detector]()
    if reference is not None and dataclasses.is_dataclass(detector) and hasattr(detector, "reference"):
        detector = dataclasses.replace(detector, reference=reference)
    return detector


def get_detectors(
    detectors: str | Detector | Iterable[str | Detector] | None, reference: str | None = None
) -> list[Detector]:
    """Detectors from names; ``"all"`` is every registered one, None the default."""
    if detectors is None:
        detectors = [DEFAULT]
    elif isinstance(detectors, str):
        detectors = list(DETECTORS) if detectors == "all" else [detectors]
    elif not isinstance(detectors, Iterable):
        detectors = [detectors]
    return [get_detector(d, reference) for d in detectors]
