"""The review panel's looks: its style sheet, section titles and the layout of its controls."""

from __future__ import annotations

import ipywidgets as W

#: Buttons as wide as their text, never squeezed.
FIT = {"width": "auto", "flex": "0 0 auto"}
#: Labels of the panel's text boxes and pickers, never cut.
WIDE = {"description_width": "initial"}

CSS = """<style>
.wb-review .wb-queue-list select { font: 12px/1.55 ui-monospace, monospace; }
.wb-review .wb-queue-head { font: 600 12px ui-monospace, monospace; color: #52606d; white-space: pre; }
.wb-review .wb-card { font: 13px/1.5 system-ui, sans-serif; border: 1px solid #cbd2d9; border-radius: 6px;
  padding: 6px 10px; background: #f8fafc; width: 560px; box-sizing: border-box; }
.wb-review .wb-card table { border-collapse: collapse; margin-top: 2px; }
.wb-review .wb-card td { padding: 1px 10px 1px 0; font: 12px ui-monospace, monospace; }
.wb-review .wb-swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 4px; }
.wb-review .wb-section { font: 600 11.5px system-ui, sans-serif; color: #334e68; text-transform: uppercase;
  letter-spacing: .05em; margin: 6px 0 2px; }
.wb-review .wb-open { color: #b45309; font-weight: 600; }
.wb-review .wb-done { color: #047857; font-weight: 600; }
</style>"""


def section(text: str) -> W.HTML:
    """A section title of the panel (``text`` is HTML)."""
    return W.HTML(f"<div class='wb-section'>{text}</div>")
