"""Landmarks and AU curves for the workbench, computed once per clip and cached on disk.

``<project>/cache/ui/<dataset>/<clip>.face.nc`` and ``.au.nc`` (netCDF); a cache whose clip
hash differs is recomputed. Uses :mod:`workbench.face` (MediaPipe) and :mod:`workbench.au`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import xarray as xr

log = logging.getLogger("workbench.ui")


class ClipAnalysis:
    """Per-clip face datasets and AU curves, lazily computed, cached in ``cache_root``.

    Parameters
    ----------
    cache_root : Path
        Folder for the netCDF files.
    media : Path
        The dataset's media folder (clip ids are relative to it).
    """

    def __init__(self, cache_root: str | Path, media: str | Path, *, progress=None) -> None:
        self.root = Path(cache_root)
        self.media = Path(media)
        self.progress = progress
        self._mem: dict[str, tuple[xr.Dataset, xr.DataArray]] = {}

    def _paths(self, clip_id: str) -> tuple[Path, Path]:
        base = self.root / clip_id
        return base.with_name(base.name + ".face.nc"), base.with_name(base.name + ".au.nc")

    def get(self, clip_id: str) -> tuple[xr.Dataset, xr.DataArray]:
        """(face dataset, AU curves) of a clip; computed on first use."""
        if clip_id in self._mem:
            return self._mem[clip_id]
        from workbench.video import open_clip

        clip = open_clip(self.media / clip_id)
        digest = clip.content_hash()
        face_path, au_path = self._paths(clip_id)
        if face_path.exists() and au_path.exists():
            face, curves = xr.load_dataset(face_path), xr.load_dataarray(au_path)
            if face.attrs.get("clip_sha256") == digest:
                self._mem[clip_id] = (face, curves)
                return face, curves
        face, curves = analyse(clip, progress=self.progress)
        face.attrs["clip_sha256"] = digest
        face_path.parent.mkdir(parents=True, exist_ok=True)
        face.to_netcdf(face_path, engine="h5netcdf")
        curves.to_netcdf(au_path, engine="h5netcdf")
        self._mem[clip_id] = (face, curves)
        return face, curves

    def face(self, clip_id: str) -> xr.Dataset:
        return self.get(clip_id)[0]

    def curves(self, clip_id: str) -> xr.DataArray:
        return self.get(clip_id)[1]


def analyse(clip, progress=None) -> tuple[xr.Dataset, xr.DataArray]:
    """Run the face model over every frame of ``clip``; return (face dataset, AU curves).

    The same run as ``workbench detect`` (:func:`workbench.detect.detect`, on every core),
    so the curves are the detector's, and are saved in its cache too.
    ``progress(done, total)`` is called as frames come in.
    """
    from workbench.detect import detect

    log.info("analysing %s (%d frames)", getattr(clip, "source", clip), clip.n_frames)
    report = detect([clip.source], write=False, progress=False, keep_faces=True, on_frames=progress)
    task = report.tasks[0]
    if task.error is not None:
        raise ValueError(f"Expected to find landmarks in clip {clip.source}, but detection failed: {task.error}")
    task.face.attrs["fps"] = float(clip.fps)
    return task.face, task.curves
