"""The one place that builds a MediaPipe FaceLandmarker, and runs it on one frame.

Inference runs in IMAGE mode (one independent detection per frame): the VIDEO (tracking)
mode smooths landmarks over time and shifts apexes late, which at 200 fps is several
frames. A frame without a face gives NaN arrays, kept in place.

:func:`detect_frame` reads MediaPipe's C result struct straight into numpy arrays (the
fast path, :func:`_detect_into_arrays`) and falls back on the public ``detect()`` where
those internals differ.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from workbench.detect.model import acquire_model, verify_model

N_LANDMARKS = 478
#: MediaPipe's 52 blendshape categories, in the model's output order.
BLENDSHAPES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)  # fmt: skip
POSE_ANGLES: tuple[str, ...] = ("yaw", "pitch", "roll")


@contextlib.contextmanager
def open_landmarker(model: str | os.PathLike | None = None, *, min_confidence: float = 0.5) -> Iterator[Any]:
    """A MediaPipe FaceLandmarker in IMAGE mode with blendshapes and transformation matrices.

    Parameters
    ----------
    model
        The model file; by default :func:`acquire_model` finds it.
    min_confidence
        Minimum face detection and presence confidence.

    Yields
    ------
    mediapipe.tasks.python.vision.FaceLandmarker
        Closed on exit.
    """
    from mediapipe.tasks.python import BaseOptions, vision

    path = verify_model(model) if model is not None else acquire_model()
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
        min_face_detection_confidence=min_confidence,
        min_face_presence_confidence=min_confidence,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    with _quiet_stderr():
        landmarker = vision.FaceLandmarker.create_from_options(options)
    with landmarker:
        yield landmarker


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence C++ log lines (XNNPACK, feedback manager) written to fd 2 while the graph starts.

    Python exceptions still propagate; set ``WORKBENCH_VERBOSE=1`` to see the lines.
    """
    if os.environ.get("WORKBENCH_VERBOSE"):
        yield
        return
    with _STDERR_LOCK:  # worker threads start together; fd 2 must come back as it was
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


_STDERR_LOCK = threading.Lock()


def detect_frame(landmarker: Any, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run one frame; return landmarks (478, 3), blendshapes (52,), matrix (4, 4).

    Landmarks are MediaPipe's normalised image coordinates (x, y in [0, 1] of the
    width and height, z in the scale of x). Without a face every value is NaN.
    """
    import mediapipe as mp

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"Expected an RGB uint8 frame (h, w, 3), but got {rgb.dtype} {rgb.shape}.")
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
    landmarks = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    blend = np.full(len(BLENDSHAPES), np.nan, np.float32)
    matrix = np.full((4, 4), np.nan, np.float32)
    if _FAST_RESULTS and _detect_into_arrays(landmarker, image, landmarks, blend, matrix):
        return landmarks, blend, matrix
    result = landmarker.detect(image)
    if result.face_landmarks:
        landmarks[:] = [(p.x, p.y, p.z) for p in result.face_landmarks[0]]
        if result.face_blendshapes:
            scores = {c.category_name: c.score for c in result.face_blendshapes[0]}
            blend[:] = [scores.get(name, np.nan) for name in BLENDSHAPES]
        if result.facial_transformation_matrixes:
            matrix[:] = np.asarray(result.facial_transformation_matrixes[0], np.float32)
    return landmarks, blend, matrix


#: Read results straight from MediaPipe's C result struct (see :func:`_detect_into_arrays`);
#: set to False to always take the public ``detect()`` path.
_FAST_RESULTS = True
#: Positions of :data:`BLENDSHAPES` in MediaPipe's category list, by the list's length. The
#: model is always the one with :data:`MODEL_SHA256`, so its order is read once, not per frame.
_BLEND_ORDER: dict[int, np.ndarray] = {}


def _detect_into_arrays(landmarker: Any, image: Any, landmarks: np.ndarray, blend: np.ndarray,
                        matrix: np.ndarray) -> bool:  # fmt: skip
    """What ``FaceLandmarker.detect`` does, but copying the C result into the arrays with numpy.

    The public ``detect()`` turns each of the 478 landmarks into a Python object (about
    0.8 ms a frame, 7% of the model's time on one core); here the result struct is read
    as numpy arrays instead. It makes the same C call with the same status checks as
    ``detect()`` in mediapipe 1.2 (``MpFaceLandmarkerDetectImage``), but from the calling
    thread: ``detect()`` hands every call to a one-thread executor of the landmarker's
    (MediaPipe's guard for callers sharing a landmarker across threads; here each thread
    has its own, see :func:`_worker_landmarker`), and that hop cost 3-9% of the rate of two
    detection threads. Where those internals differ (another mediapipe), it returns False
    without running anything and the caller takes the public path.
    ``tests/unit/test_face.py`` checks both paths agree.
    """
    global _FAST_RESULTS
    import ctypes

    try:
        from mediapipe.tasks.python.core.mediapipe_c_utils import handle_status
        from mediapipe.tasks.python.vision.face_landmarker import MpFaceLandmarkerResultC

        lib, handle, c_image = landmarker._lib, landmarker._handle, image._image_ptr
        raw = lib._lib  # the ctypes library under the dispatcher
        run, close, free_error = raw.MpFaceLandmarkerDetectImage, raw.MpFaceLandmarkerCloseResult, raw.MpErrorFree
        _check_result_layout(MpFaceLandmarkerResultC)
        if len(run.argtypes or ()) != 5:  # handle, image, options, result, error message
            raise TypeError("another MpFaceLandmarkerDetectImage signature")
    except (ImportError, AttributeError, KeyError, TypeError):
        _FAST_RESULTS = False
        return False
    if not handle:
        raise RuntimeError("Expected an open FaceLandmarker, but this one is closed.")
    result, error = MpFaceLandmarkerResultC(), ctypes.c_char_p()
    try:
        status = run(handle, c_image, None, ctypes.byref(result), ctypes.byref(error))
    except ctypes.ArgumentError:  # another signature: nothing ran
        _FAST_RESULTS = False
        return False
    try:
        handle_status(status, error)
    finally:
        if error.value is not None:
            free_error(error)
    try:
        if result.face_landmarks_count:
            points = result.face_landmarks[0]
            table = _struct_array(points.landmarks, points.landmarks_count, ("x", "y", "z"))
            landmarks[:, 0], landmarks[:, 1], landmarks[:, 2] = table["x"], table["y"], table["z"]
            if result.face_blendshapes_count:
                cats = result.face_blendshapes[0]
                table = _struct_array(cats.categories, cats.categories_count, ("score", "category_name"))
                blend[:] = table["score"][_blend_order(table)]
            if result.facial_transformation_matrixes_count:
                matrix[:] = np.asarray(result.facial_transformation_matrixes[0].to_numpy(), np.float32)
    finally:
        close(ctypes.byref(result))
    return True


_CTYPE_TO_NUMPY = {"c_float": np.float32, "c_char_p": np.uintp}


@functools.cache  # a layout that passes is not checked again; one that fails raises each time
def _check_result_layout(result_type: type) -> None:
    """Raise KeyError or TypeError unless the C result has the fields and types read here."""
    fields = dict(result_type._fields_)
    for name in ("face_landmarks", "face_blendshapes", "facial_transformation_matrixes"):
        fields[name], fields[f"{name}_count"]  # noqa: B018 - KeyError when missing
    points = dict(fields["face_landmarks"]._type_._fields_)
    cats = dict(fields["face_blendshapes"]._type_._fields_)
    point = dict(points["landmarks"]._type_._fields_)
    cat = dict(cats["categories"]._type_._fields_)
    wanted = [(point, "x", "c_float"), (point, "y", "c_float"), (point, "z", "c_float"),
              (cat, "score", "c_float"), (cat, "category_name", "c_char_p")]  # fmt: skip
    for table, name, ctype in wanted:
        if table[name].__name__ != ctype:
            raise TypeError(f"MediaPipe's result field {name} is {table[name].__name__}, not {ctype}.")
    points["landmarks_count"], cats["categories_count"]  # noqa: B018


def _struct_array(pointer: Any, count: int, fields: tuple[str, ...]) -> np.ndarray:
    """A numpy view of ``count`` C structs at ``pointer`` with the named fields only (the
    dtype is built from ctypes' own offsets; ``np.ctypeslib`` refuses ``char *`` fields)."""
    import ctypes

    struct = pointer._type_
    types = dict(struct._fields_)
    dtype = np.dtype(
        {
            "names": list(fields),
            "formats": [_CTYPE_TO_NUMPY[types[f].__name__] for f in fields],
            "offsets": [getattr(struct, f).offset for f in fields],
            "itemsize": ctypes.sizeof(struct),
        }
    )
    if not count:
        return np.zeros(0, dtype)
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(address), dtype)


def _blend_order(table: np.ndarray) -> np.ndarray:
    """Positions in MediaPipe's category list of :data:`BLENDSHAPES`, in that order (read
    from the category names the first time; see :data:`_BLEND_ORDER`)."""
    import ctypes

    order = _BLEND_ORDER.get(len(table))
    if order is None:
        names = [ctypes.string_at(int(p)).decode() if p else "" for p in table["category_name"]]
        where = {n: i for i, n in enumerate(names)}
        missing = [name for name in BLENDSHAPES if name not in where]
        if missing:
            raise ValueError(f"Expected MediaPipe's 52 blendshapes, but {missing} are not among {names}.")
        order = _BLEND_ORDER[len(table)] = np.array([where[name] for name in BLENDSHAPES])
    return order


#: Face regions outlined for people, and MediaPipe's connection list for each.
CONTOUR_LISTS: dict[str, str] = {
    "right eye": "FACE_LANDMARKS_RIGHT_EYE",
    "left eye": "FACE_LANDMARKS_LEFT_EYE",
    "right brow": "FACE_LANDMARKS_RIGHT_EYEBROW",
    "left brow": "FACE_LANDMARKS_LEFT_EYEBROW",
    "nose": "FACE_LANDMARKS_NOSE",
    "lips": "FACE_LANDMARKS_LIPS",
}


@functools.cache
def contours() -> dict[str, tuple[tuple[tuple[int, ...], bool], ...]]:
    """Region -> polylines ``(landmark indices, closed)`` from MediaPipe's own face-mesh
    connection lists (the subject's own left and right)."""
    from mediapipe.tasks.python.vision import FaceLandmarksConnections

    return {
        name: polylines([(c.start, c.end) for c in getattr(FaceLandmarksConnections, attr)])
        for name, attr in CONTOUR_LISTS.items()
    }


def polylines(edges: list[tuple[int, int]]) -> tuple[tuple[tuple[int, ...], bool], ...]:
    """Walk undirected edges into as few polylines as it takes, each ``(points, closed)``.

    Each walk starts at a point with an odd number of unused edges when there is one (a
    chain's end), else anywhere (a loop), and follows unused edges until none is left.

    Examples
    --------
    >>> polylines([(1, 2), (2, 3), (3, 1)])
    (((1, 2, 3), True),)
    >>> polylines([(1, 2), (2, 3)])
    (((1, 2, 3), False),)
    """
    unused: dict[int, list[int]] = {}
    for a, b in edges:
        unused.setdefault(a, []).append(b)
        unused.setdefault(b, []).append(a)
    lines = []
    while any(unused.values()):
        odd = [p for p, nb in unused.items() if len(nb) % 2]
        start = odd[0] if odd else next(p for p, nb in unused.items() if nb)
        line, here = [start], start
        while unused[here]:
            nxt = unused[here].pop(0)
            unused[nxt].remove(here)
            line.append(nxt)
            here = nxt
        closed = len(line) > 2 and line[0] == line[-1]
        lines.append((tuple(line[:-1] if closed else line), closed))
    return tuple(lines)
