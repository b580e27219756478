"""Notebook widgets: the frame-exact player, the AU timeline, the labeller and the workbench.

Heavy imports (plotly, anywidget, cv2) happen when a widget module is imported, not here.
"""

from __future__ import annotations

__all__ = ["Labeller", "Player", "Timeline", "Workbench"]


def __getattr__(name: str):
    if name == "Player":
        from workbench.ui.player import Player

        return Player
    if name == "Timeline":
        from workbench.ui.timeline import Timeline

        return Timeline
    if name == "Labeller":
        from workbench.ui.labeller import Labeller

        return Labeller
    if name == "Workbench":
        from workbench.ui.workbench import Workbench

        return Workbench
    raise AttributeError(f"module 'workbench.ui' has no attribute {name!r}")
