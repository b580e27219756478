"""Notebook widgets: the frame-exact player, the AU timeline, the labeller and the workbench.

The review panel (:mod:`workbench.ui.review`), the quiz and the presenter live in modules of
their own.
"""

from __future__ import annotations

from workbench.ui.labeller import Labeller
from workbench.ui.player import Player
from workbench.ui.timeline import Timeline
from workbench.ui.workbench import Workbench

__all__ = ["Labeller", "Player", "Timeline", "Workbench"]
