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

    ``progress(done, total)`` is called every 25 frames.
    """
    from workbench.au import au_curves
    from workbench.face import clip_frames, infer_frames, open_landmarker

    log.info("analysing %s (%d frames)", getattr(clip, "source", clip), clip.n_frames)
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        if progress is not None and (done[0] % 25 == 0 or done[0] == clip.n_frames):
            progress(done[0], clip.n_frames)

    with open_landmarker() as lm:
        face = infer_frames(clip_frames(clip, 0, clip.n_frames), lm, on_frame=tick)
    face.attrs["fps"] = float(clip.fps)
    return face, au_curves(face, fps=clip.fps)
