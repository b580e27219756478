"""Automatic detection: one analysis path from a clip to face data, curves and events.

::

    model.py       the FaceLandmarker model file (find, fetch, check)
    landmarker.py  the one place that builds a landmarker; one frame -> arrays
    facedata.py    per-frame arrays -> the face dataset (xarray)
    workers.py     worker threads (one landmarker each) and the runners
    pipeline.py    detect(): clips -> chunks -> face data -> curves -> events
    cache.py       the one analysis cache (face data, curves), keyed on content
    analysis.py    analyse(): one clip for the widgets, through the same pipeline
    base.py        the detector protocol; registry.py the detectors by name
    mediapipe.py   the MediaPipe detector (AU curves; au.py is its mapping)
    spot.py        curves -> events
    timings.py     model time and spans, for benchmarks only
    cli.py         workbench model / detect / spot

Public entry points: :func:`analyse` (one clip, for views) and :func:`detect` (batches).
"""

from workbench.detect.analysis import Analysis, analyse
from workbench.detect.pipeline import DetectParams, DetectReport, detect
from workbench.detect.registry import DETECTORS, get_detector
from workbench.detect.spot import SpotParams

__all__ = [
    "DETECTORS",
    "Analysis",
    "DetectParams",
    "DetectReport",
    "SpotParams",
    "analyse",
    "detect",
    "get_detector",
]
