"""A plotly ``FigureWidget`` that draws what the kernel sent even when the browser is slow.

anywidget gives a widget's model 2 s to load its JavaScript module; past that it drops every
message of the model, for good. plotly's module is 5 MB, evaluated anew for every figure, so on
a busy machine the figure stays an empty plot while the kernel holds its curves. :class:`Figure`
sends a small module instead (``figure.js``): it records the kernel's messages at once, loads
plotly's module once per page, outside that deadline, and replays them to it in order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
import traitlets


@cache
def _plotly_module() -> str:
    return (Path(plotly.__file__).parent / "package_data" / "widgetbundle.js").read_text(encoding="utf-8")


class Figure(go.FigureWidget):
    """``go.FigureWidget`` whose first messages survive a slow browser (see the module)."""

    _esm = Path(__file__).with_name("figure.js")
    #: plotly's own module, in the model's first state (figure.js loads it once per page).
    _bundle = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_bundle")
    def _default_bundle(self) -> str:
        return _plotly_module()
