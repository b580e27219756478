"""The reviewer's controls: reason tags, decision buttons, the new mark's fields, the audit export.

::

    reason    [blink][head motion][lighting][occlusion][speech][true miss][label error][other]
    decision  [keep reference][keep hypothesis][neither][enter new mark]  [undo last decision]
    new mark  onset [ ] [o ← frame]  apex [ ] [a ← frame]  offset [ ] [f ← frame]  emotion  AUs  note
    [Export audit CSV]

The form holds the widgets and what they say (:attr:`DecisionForm.draft`); the panel
(:class:`workbench.ui.review.ReviewPanel`) wires their clicks to the review.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as W

from workbench.agreement.review import REASONS, allowed_stands
from workbench.schema import EMOTIONS, PHASES
from workbench.ui.review_style import FIT, WIDE, section

#: The decision buttons: (stands, label, button style).
DECISIONS: tuple[tuple[str, str, str], ...] = (
    ("ref", "Keep reference", "success"),
    ("hyp", "Keep hypothesis", "warning"),
    ("neither", "Neither", "danger"),
    ("new", "Enter new mark", "primary"),
)
#: The player's key that sets each phase of the new mark.
KEYS = {"onset": "o", "apex": "a", "offset": "f"}


class DecisionForm(W.VBox):
    """Reason tags, decision buttons, undo, the new mark's fields and the audit export.

    Attributes
    ----------
    reason : ipywidgets.ToggleButtons
        One of :data:`workbench.agreement.review.REASONS` (None until tagged).
    decide_btns : dict
        ``stands`` -> its button (:data:`DECISIONS`).
    undo_btn, export_btn : ipywidgets.Button
        Undo the last decision; export the audit.
    fields : dict
        Phase -> the new mark's frame box.
    set_btns : dict
        Phase -> the button setting it from the player's frame.
    emotion, aus, note : ipywidgets widgets
        The new mark's emotion and AUs, and the decision's note.
    export_info : ipywidgets.HTML
        Where the audit went.
    """

    def __init__(self) -> None:
        self.reason = W.ToggleButtons(
            options=list(REASONS),
            value=None,
            tooltips=[f"why they disagree: {r}" for r in REASONS],
            style={"button_width": "auto"},
        )
        self.reason.add_class("wb-reasons")
        self.decide_btns = {}
        for stands, label, style in DECISIONS:
            btn = W.Button(description=label, button_style=style, layout=W.Layout(height="34px", **FIT))
            btn.add_class(f"wb-decide-{stands}")
            self.decide_btns[stands] = btn
        self.decide_btns["new"].description = "Enter new mark (Enter)"
        self.undo_btn = W.Button(
            description="Undo last decision", icon="undo", tooltip="Ctrl+Z in the player", layout=W.Layout(**FIT)
        )
        self.undo_btn.add_class("wb-undo")
        self.fields = {
            p: W.Text(placeholder="key " + KEYS[p], description=p, layout=W.Layout(width="112px"), style=WIDE)
            for p in PHASES
        }
        self.set_btns = {
            p: W.Button(description=f"{KEYS[p]} ← frame", tooltip=f"{p} := the player's frame", layout=W.Layout(**FIT))
            for p in PHASES
        }
        self.emotion = W.Dropdown(
            options=list(EMOTIONS), value="others", description="emotion", layout=W.Layout(width="180px"), style=WIDE
        )
        self.aus = W.Text(description="AUs", placeholder="e.g. 6+12", layout=W.Layout(width="160px"), style=WIDE)
        self.note = W.Text(description="note", placeholder="optional", layout=W.Layout(width="300px"), style=WIDE)
        self.export_btn = W.Button(description="Export audit CSV", icon="download", layout=W.Layout(**FIT))
        self.export_btn.add_class("wb-export")
        self.export_info = W.HTML()
        super().__init__(
            [
                section("Reason (tag one)"),
                self.reason,
                section("Decision: which mark stands"),
                W.HBox([*self.decide_btns.values(), self.undo_btn], layout=W.Layout(grid_gap="6px")),
                section("New mark · keys o / a / f in the player set it from the current frame"),
                W.HBox([W.HBox([self.fields[p], self.set_btns[p]]) for p in PHASES], layout=W.Layout(grid_gap="6px")),
                W.HBox([self.emotion, self.aus, self.note], layout=W.Layout(grid_gap="6px")),
                W.HBox([self.export_btn, self.export_info], layout=W.Layout(align_items="center", grid_gap="8px")),
            ]
        )
        self.add_class("wb-decisions")

    @property
    def draft(self) -> dict:
        """The new mark: onset, apex, offset (int or None), emotion, aus."""
        out: dict = {}
        for p, w in self.fields.items():
            text = w.value.strip()
            if text and not text.isdigit():
                raise ValueError(f"Expected a whole frame number >= 0 for {p}, but got {w.value!r}.")
            out[p] = int(text) if text else None
        out.update(emotion=self.emotion.value, aus=self.aus.value.strip())
        return out

    def fill(self, mark: Mapping) -> None:
        """Start the new mark from ``mark`` (empty: no frames, emotion "others"); clear the note and the tag."""
        for p in PHASES:
            self.fields[p].value = "" if mark.get(p) is None else str(mark[p])
        self.emotion.value = mark.get("emotion") if mark.get("emotion") in EMOTIONS else "others"
        self.aus.value = mark.get("aus", "")
        self.note.value = ""
        self.reason.value = None

    def allow(self, kind: str | None, side: str = "ref") -> None:
        """Enable the decisions an item of type ``kind`` allows (None: no item, none); ``side`` is
        the rater whose mark an ``au_curve`` item is about."""
        allowed = set() if kind is None else set(allowed_stands(kind, side))
        for stands, btn in self.decide_btns.items():
            btn.disabled = stands not in allowed

    def paint(self, raters: Mapping[str, str], colours: Mapping[str, str]) -> None:
        """Colour the "keep" buttons as their raters' marks on the timeline.

        Parameters
        ----------
        raters : mapping
            ``"ref"`` and ``"hyp"`` -> the rater.
        colours : mapping
            Rater -> colour.
        """
        for stands, rater in raters.items():
            btn = self.decide_btns[stands]
            btn.style.button_color, btn.style.text_color = colours[rater], "white"
            btn.tooltip = f"{rater}'s mark stands (its colour on the timeline)"
