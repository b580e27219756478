"""A project folder: where each kind of file lives, its clips, its store, its sample.

::

    <root>/data/<dataset>/<clip>            media: a video file or a folder of numbered images
    <root>/annotations/<dataset>/<rater>.csv the annotation store (journalled)
    <root>/curves/<dataset>/<detector>/     curves imported from other detectors (user data)
    <root>/reviews/<dataset>/               review decision logs and audit exports
    <root>/answers/<class>/                 seminar answers
    <root>/reports/                         agreement reports

A clip id is the clip's path relative to ``data/<dataset>/`` (``astronaut_1.mp4``,
``sub01/EP02_01f``). The analysis cache (face data, curves) is not in the project: it is
keyed on content and shared by every project (:mod:`workbench.detect.cache`). Curves
imported from another detector's output (``workbench import-curves``) are not a cache: they
cannot be made again, so they live in the project, beside the annotations.
The CLI, the notebooks and the widgets take a :class:`Project`; none spells a folder.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from workbench import layout
from workbench.clips import find_clips
from workbench.sample import DATASET as SAMPLE_DATASET
from workbench.sample import make_sample
from workbench.store import Store, check_name
from workbench.video import Clip, open_clip


class Project:
    """The folders of one project.

    Parameters
    ----------
    root
        The project folder (default: the current one).

    Examples
    --------
    >>> project = Project(".")  # doctest: +SKIP
    >>> project.clips("sample")  # doctest: +SKIP
    ['astronaut_1.mp4', 'astronaut_2.mp4']
    """

    def __init__(self, root: str | os.PathLike | Project = ".") -> None:
        self.root = Path(root.root if isinstance(root, Project) else root).resolve()

    @classmethod
    def find(cls, start: str | os.PathLike | None = None) -> Project:
        """The project a notebook runs in: the nearest folder, from ``start`` (default: the
        current one) upwards, that holds ``data/`` or ``annotations/``; else ``start``."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / layout.DATA).is_dir() or (folder / layout.ANNOTATIONS).is_dir():
                return cls(folder)
        return cls(here)

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    # ---- folders -------------------------------------------------------------------
    @property
    def data(self) -> Path:
        return self.root / layout.DATA

    @property
    def annotations(self) -> Path:
        return self.root / layout.ANNOTATIONS

    @property
    def reports(self) -> Path:
        return self.root / layout.REPORTS

    def media(self, dataset: str) -> Path:
        """``data/<dataset>``: the dataset's clips."""
        return self.data / check_name("dataset", dataset)

    def reviews(self, dataset: str) -> Path:
        """``reviews/<dataset>``: review logs and audit exports."""
        return self.root / layout.REVIEWS / check_name("dataset", dataset)

    def curves(self, dataset: str, detector: str | None = None) -> Path:
        """``curves/<dataset>[/<detector>]``: curves imported from other detectors."""
        folder = self.root / layout.CURVES / check_name("dataset", dataset)
        return folder if detector is None else folder / check_name("detector", detector)

    def curves_path(self, dataset: str, detector: str, clip: str, kind: str = "au") -> Path:
        """The file of one clip's imported curves: ``curves/<dataset>/<detector>/<clip>.nc``
        for AU curves, ``<clip>.<kind>.nc`` for the other kinds (``emotion``, ``presence``)."""
        if not clip or clip.startswith("/") or ".." in Path(clip).parts:
            raise ValueError(f"Expected a clip id relative to data/{dataset}/, but got {clip!r}.")
        suffix = ".nc" if kind == "au" else f".{check_name('kind', kind)}.nc"
        return self.curves(dataset, detector) / f"{clip}{suffix}"

    def imported_detectors(self, dataset: str) -> list[str]:
        """Detectors with imported curves in a dataset (names of ``curves/<dataset>/*/``)."""
        folder = self.curves(dataset)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def answers(self, name: str) -> Path:
        """``answers/<name>``: one seminar's answers."""
        return self.root / layout.ANSWERS / check_name("dataset", name)

    # ---- contents ------------------------------------------------------------------
    @functools.cached_property
    def store(self) -> Store:
        """The annotation store of this project."""
        return Store(self.annotations)

    def datasets(self) -> list[str]:
        """Datasets with media or annotations."""
        names = {p.name for p in self.data.iterdir() if p.is_dir()} if self.data.is_dir() else set()
        return sorted(names | set(self.store.datasets()))

    def clips(self, dataset: str) -> list[str]:
        """Clip ids of a dataset (natural order).

        Raises
        ------
        FileNotFoundError
            When the dataset has no media folder.
        """
        media = self.media(dataset)
        if not media.is_dir():
            raise FileNotFoundError(f"Expected a folder of clips, but {media} does not exist.")
        return [p.relative_to(media).as_posix() for p in find_clips(media) if p != media]

    def clip_path(self, dataset: str, clip: str) -> Path:
        return self.media(dataset) / clip

    def open_clip(self, dataset: str, clip: str, fps: float | None = None) -> Clip:
        """Open a clip of a dataset, frame-exact (:func:`workbench.video.open_clip`)."""
        return open_clip(self.clip_path(dataset, clip), fps=fps)

    def identify(self, path: str | os.PathLike, dataset: str | None = None) -> tuple[str, str]:
        """``(dataset, clip id)`` of a clip file or folder.

        Under ``data/<dataset>/`` the id is the path relative to it; elsewhere the dataset is
        ``dataset`` (or the clip's parent folder's name) and the id is the clip's name.
        """
        path = Path(path)
        try:
            rel = path.resolve().relative_to(self.data)
        except ValueError:
            rel = None
        if rel is not None and len(rel.parts) >= 2:
            return dataset or rel.parts[0], Path(*rel.parts[1:]).as_posix()
        return dataset or path.parent.name or "default", path.name

    def ensure_sample(self) -> None:
        """Make the built-in sample (``data/sample``, ``annotations/sample/truth.csv``) if absent."""
        if not self.media(SAMPLE_DATASET).exists():
            make_sample(self.root)

    def ensure_dataset(self, dataset: str) -> None:
        """The sample is made on first use; any other dataset must exist."""
        if dataset == SAMPLE_DATASET:
            self.ensure_sample()
