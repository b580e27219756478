"""Clip folders on disk: find a clip's folder under a media root and number its frames.

A dataset's frame numbers are the numbers in its image names (CASME II
``img46.jpg`` -> 46, SAMM ``006_05562.jpg`` -> 5562). When the frames are on disk,
a number maps to the clip frame index it has in the folder sorted by number:
``index = position of the number among the folder's image numbers``. The number
is the last run of digits in the file name, as :func:`workbench.video.open_clip`
reads it, so the importer and the player agree on every index.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbench.clips import image_number, is_image


def image_numbers(folder: Path) -> list[int]:
    """Sorted frame numbers of the numbered images in ``folder`` (empty if none)."""
    numbers = [image_number(p) for p in folder.iterdir() if is_image(p)]
    return sorted(n for n in numbers if n is not None)


def _child(folder: Path, name: str, prefix: bool) -> Path | None:
    """The entry of ``folder`` called ``name``: exact, else case-insensitive, else by prefix."""
    exact = folder / name
    if exact.exists():
        return exact
    if not folder.is_dir():
        return None
    entries = sorted(folder.iterdir())
    same = [p for p in entries if p.name.lower() == name.lower()]
    if same:
        return same[0]
    if prefix:
        starts = [p for p in entries if p.is_dir() and p.name.lower().startswith(name.lower())]
        if len(starts) == 1:
            return starts[0]
    return None


def resolve_folder(root: Path, rel: str, prefix: bool = False) -> Path | None:
    """Find ``root/rel`` ignoring letter case; the last part may be a folder-name prefix.

    CAS(ME)^3 writes ``spNO.1`` in its sheet and ``spNo.1`` on disk; CAS(ME)^2 folders
    carry a description after the code (``15_0101disgustingteeth``).
    """
    folder = Path(root)
    parts = [p for p in Path(rel).parts if p not in ("", ".")]
    for i, part in enumerate(parts):
        found = _child(folder, part, prefix and i == len(parts) - 1)
        if found is None:
            return None
        folder = found
    return folder if folder.is_dir() else None


class MediaIndex:
    """Clip folders under one media root, each listed once."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Expected a folder of clips at --media {self.root}, but there is no such folder.")
        self._cache: dict[str, tuple[str, list[int]] | None] = {}

    def locate(self, candidates: Sequence[str], prefix: bool = False) -> tuple[str, list[int]] | None:
        """The first candidate folder holding numbered images: (path relative to root, numbers)."""
        for rel in candidates:
            if rel not in self._cache:
                self._cache[rel] = self._look(rel, prefix)
            if self._cache[rel] is not None:
                return self._cache[rel]
        return None

    def _look(self, rel: str, prefix: bool) -> tuple[str, list[int]] | None:
        folder = resolve_folder(self.root, rel, prefix)
        if folder is None:
            return None
        numbers = image_numbers(folder)
        if not numbers:
            return None
        return folder.relative_to(self.root).as_posix(), numbers
