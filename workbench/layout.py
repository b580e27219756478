"""The names of a project's folders: one place for each (see :class:`workbench.project.Project`).

Kept apart from :mod:`workbench.project` so that the modules the project itself uses (the
sample maker) can name the folders without importing it.
"""

from __future__ import annotations

DATA = "data"
ANNOTATIONS = "annotations"
REVIEWS = "reviews"
ANSWERS = "answers"
REPORTS = "reports"
#: Curves imported from other detectors (user data, not a cache).
CURVES = "curves"
