"""Where the user's own files live: the cache folder shared by every project.

The cache holds what can be made again: the face model, normalised copies of videos and
the analysis cache (face data and curves, keyed on content). It is the platform's user
cache folder (``platformdirs``: ``~/.cache/workbench`` on Linux), or ``$WORKBENCH_CACHE``.
A project's own files (data, annotations, reviews, answers, reports) are laid out by
:class:`workbench.project.Project`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from platformdirs import user_cache_path

#: Environment variable that moves the cache folder.
ENV_CACHE = "WORKBENCH_CACHE"
APP_NAME = "workbench"


def user_cache() -> Path:
    """The cache folder: ``$WORKBENCH_CACHE``, else the platform's user cache for workbench."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return user_cache_path(APP_NAME, appauthor=False)


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
