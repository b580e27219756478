"""What counts as a clip on disk, and finding clips under a folder.

A clip is a video file (by suffix) or a folder that holds images; an image's frame number
is the last run of digits in its name (``img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562).
Hidden entries (a name starting with ``.``) are never clips. Everything that lists clips
(the CLI, :class:`workbench.project.Project`, the widgets) and everything that numbers
images (:func:`workbench.video.open_clip`, the dataset importers) uses this module.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from natsort import natsorted

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"})

_NUMBER = re.compile(r"(\d+)(?=\D*$)")


def image_number(path: str | os.PathLike) -> int | None:
    """The frame number of an image file: the last run of digits in its stem (None if none)."""
    m = _NUMBER.search(Path(path).stem)
    return int(m.group(1)) if m else None


def is_image(path: Path) -> bool:
    """A visible file with an image suffix."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def is_image_folder(path: Path) -> bool:
    """A folder that holds at least one image."""
    return path.is_dir() and any(is_image(p) for p in path.iterdir())


def is_clip(path: Path) -> bool:
    """A video file or an image folder."""
    return (path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES) or is_image_folder(path)


def find_clips(path: str | os.PathLike) -> list[Path]:
    """The clips under ``path``: itself when it is a clip, else every clip below it (natural order).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    if path.is_file() or is_image_folder(path):
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"Expected a clip or a folder of clips, but {path} does not exist.")
    found = [
        p for p in path.rglob("*") if not any(part.startswith(".") for part in p.relative_to(path).parts) and is_clip(p)
    ]
    return natsorted(found, key=lambda p: p.relative_to(path).as_posix())
