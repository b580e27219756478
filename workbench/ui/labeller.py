"""The labeller: the event being built, this clip's events, and every edit through the store.

The draft holds onset / apex / offset (frames), emotion, AU code (checked against the FACS
grammar as it is typed) and a note. Saving validates ``onset <= apex <= offset`` and adds
(or, when an event was loaded for editing, updates) through the rater's store session, which
autosaves and journals; undo / redo are the session's.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W
import pandas as pd

from workbench.facs import parse
from workbench.schema import EMOTIONS, PHASES, kind_from_duration

Draft = dict
#: The player's key that marks each phase.
KEYS = {"onset": "o", "apex": "a", "offset": "f"}


def check_aus(code: str) -> str:
    """'' when ``code`` is empty or a valid FACS code, else the parser's message."""
    if not str(code).strip():
        return ""
    try:
        parse(str(code))
    except ValueError as exc:
        return str(exc)
    return ""


def check_draft(draft: Draft, n_frames: int | None = None) -> None:
    """Raise ValueError unless the draft can be saved (frames set and ordered, code readable)."""
    on, ap, off = (draft.get(p) for p in PHASES)
    if on is None or off is None:
        missing = [p for p in ("onset", "offset") if draft.get(p) is None]
        raise ValueError(f"Expected an onset and an offset (keys o and f), but got no {' and no '.join(missing)}.")
    if not (on <= (ap if ap is not None else on) <= off) or on > off:
        raise ValueError(f"Expected onset <= apex <= offset, but got onset={on}, apex={ap}, offset={off}.")
    if n_frames is not None and off >= n_frames:
        raise ValueError(f"Expected frames inside the clip (last {n_frames - 1}), but got offset={off}.")
    problem = check_aus(draft.get("aus", ""))
    if problem:
        raise ValueError(f"Expected a FACS code (e.g. 1+2+R12), but got {draft['aus']!r}: {problem}")


def _frame_text(value: int | None) -> str:
    return "" if value is None else str(int(value))


def event_label(row, fps: float) -> str:
    """One line of the events list: frames, duration, emotion, code."""
    apex = "–" if pd.isna(row["apex"]) else int(row["apex"])
    dur = (int(row["offset"]) - int(row["onset"]) + 1) * 1000.0 / fps
    emo = row["emotion"] if isinstance(row["emotion"], str) else "?"
    aus = f" · AU {row['aus']}" if row["aus"] else ""
    return f"{int(row['onset'])}–{int(row['offset'])} (apex {apex}, {dur:.0f} ms) {emo}{aus}"


class Labeller(W.VBox):
    """Build, save, edit and delete one rater's events of one clip.

    Parameters
    ----------
    on_changed : callable, optional
        Called with no argument after every change of the draft or the saved events.
    on_jump : callable, optional
        Called with a frame when the user jumps to an event.
    guard : callable, optional
        Wraps the widget's own observers so that their errors are shown (see
        :meth:`workbench.ui.errors.ErrorArea.guard`).
    """

    def __init__(
        self,
        *,
        on_changed: Callable[[], None] | None = None,
        on_jump: Callable[[int], None] | None = None,
        guard: Callable[[Callable], Callable] | None = None,
    ) -> None:
        self.session = None
        self.clip = ""
        self.fps = 1.0
        self.n_frames: int | None = None
        self.editing: str | None = None
        self._on_changed = on_changed or (lambda: None)
        self._on_jump = on_jump or (lambda frame: None)
        self._quiet = False
        self.message = ""
        lay = W.Layout(width="118px")
        self.fields = {
            p: W.Text(description=p, placeholder=f"key {KEYS[p]}", layout=lay, style={"description_width": "46px"})
            for p in PHASES
        }
        self.emotion = W.Dropdown(
            options=[("–", ""), *[(e, e) for e in EMOTIONS]],
            value="",
            description="emotion",
            layout=W.Layout(width="200px"),
            style={"description_width": "56px"},
        )
        self.aus = W.Text(
            description="AUs",
            placeholder="e.g. 6+12 or R12A",
            continuous_update=True,
            layout=W.Layout(width="260px"),
            style={"description_width": "36px"},
        )
        self.aus_msg = W.HTML()
        self.note = W.Text(description="note", layout=W.Layout(width="390px"), style={"description_width": "36px"})
        self.title = W.HTML()
        self.save_btn = W.Button(description="Save (Enter)", button_style="primary", icon="check")
        self.new_btn = W.Button(description="New", icon="plus", tooltip="clear the draft")
        self.undo_btn = W.Button(description="Undo", icon="undo", tooltip="Ctrl+Z")
        self.redo_btn = W.Button(description="Redo", icon="repeat", tooltip="Ctrl+Shift+Z")
        self.events_list = W.Select(options=[], rows=6, layout=W.Layout(width="390px"))
        self.events_list.add_class("wb-events")
        self.events_filter = W.Text(
            placeholder="filter events: frames, emotion, AU", continuous_update=True, layout=W.Layout(width="390px")
        )
        self.events_filter.add_class("wb-events-filter")
        self.jump_btn = W.Button(description="Jump", icon="crosshairs", tooltip="go to the onset")
        self.edit_btn = W.Button(description="Edit", icon="pencil")
        self.delete_btn = W.Button(description="Delete", icon="trash", button_style="danger")
        self.status = W.HTML()
        small = W.Layout(width="auto")
        for b in (
            self.save_btn,
            self.new_btn,
            self.undo_btn,
            self.redo_btn,
            self.jump_btn,
            self.edit_btn,
            self.delete_btn,
        ):
            b.layout = small
        super().__init__(
            [
                self.title,
                W.HBox(list(self.fields.values())),
                W.HBox([self.emotion, self.aus]),
                self.aus_msg,
                self.note,
                W.HBox([self.save_btn, self.new_btn, self.undo_btn, self.redo_btn]),
                W.HTML("<b>Events of this clip</b>"),
                self.events_filter,
                self.events_list,
                W.HBox([self.jump_btn, self.edit_btn, self.delete_btn]),
                self.status,
            ],
            layout=W.Layout(width="400px", grid_gap="4px"),
        )
        self.add_class("wb-labeller")
        for w in (*self.fields.values(), self.emotion, self.aus, self.note):
            w.observe((guard or (lambda f: f))(self._on_field), "value")
        self.events_filter.observe((guard or (lambda f: f))(lambda _: self._list_events()), "value")

    # -- wiring (the workbench guards these against errors) --------------------
    def bind(self, guard: Callable[[Callable], Callable]) -> None:
        """Connect the buttons, each callback wrapped by ``guard`` (errors shown)."""
        actions = {
            self.save_btn: self.save,
            self.new_btn: self.clear,
            self.undo_btn: self.undo,
            self.redo_btn: self.redo,
            self.jump_btn: lambda: self.jump(self.events_list.value),
            self.edit_btn: lambda: self.edit(self.events_list.value),
            self.delete_btn: lambda: self.delete(self.events_list.value),
        }
        for button, action in actions.items():

            def clicked(_button, action=action):
                return action()

            clicked.__name__ = f"button {button.description.split(' (')[0]!r}"
            button.on_click(guard(clicked))

    def set_clip(self, session, clip: str, fps: float, n_frames: int) -> None:
        """Work on ``clip`` with the rater's store ``session``."""
        self.session, self.clip, self.fps, self.n_frames = session, clip, float(fps), int(n_frames)
        self.clear()
        self.refresh()

    # -- draft --------------------------------------------------------------------
    @property
    def draft(self) -> Draft:
        """The event being built: frames as int or None, emotion, aus, note."""
        out: Draft = {}
        for p, w in self.fields.items():
            text = w.value.strip()
            if text and not text.lstrip("-").isdigit():
                raise ValueError(f"Expected a whole frame number for {p}, but got {w.value!r}.")
            out[p] = int(text) if text else None
        out.update(emotion=self.emotion.value or None, aus=self.aus.value.strip(), note=self.note.value)
        return out

    def mark(self, phase: str, frame: int) -> None:
        """Set onset, apex or offset of the draft to ``frame``."""
        if phase not in PHASES:
            raise ValueError(f"Expected a phase among {', '.join(PHASES)}, but got {phase!r}.")
        self.fields[phase].value = str(int(frame))

    def set_emotion(self, emotion: str) -> None:
        if emotion not in EMOTIONS:
            raise ValueError(f"Expected an emotion among {', '.join(EMOTIONS)}, but got {emotion!r}.")
        self.emotion.value = emotion

    def clear(self) -> None:
        """Start a new, empty draft."""
        self._quiet = True
        try:
            for w in self.fields.values():
                w.value = ""
            self.emotion.value, self.aus.value, self.note.value = "", "", ""
            self.editing = None
        finally:
            self._quiet = False
        self._update_title()
        self._on_changed()

    def _on_field(self, change) -> None:
        if change["owner"] is self.aus:
            problem = check_aus(self.aus.value)
            self.aus_msg.value = (
                f"<span style='color:#b00020;font-family:monospace'>{html.escape(problem)}</span>" if problem else ""
            )
        if not self._quiet:
            self._on_changed()

    def _update_title(self) -> None:
        what = f"editing event <code>{self.editing[:8]}</code>" if self.editing else "new event"
        self.title.value = f"<b>{what}</b> · clip <code>{html.escape(self.clip)}</code>"

    # -- store --------------------------------------------------------------------
    def _need_session(self):
        if self.session is None:
            raise RuntimeError("Expected a rater id first (set it above), but no rater is set.")
        return self.session

    def clip_events(self) -> pd.DataFrame:
        """This rater's saved events of the current clip, by onset."""
        if self.session is None:
            return pd.DataFrame()
        ev = self.session.events
        return ev[ev["clip"].astype(str) == self.clip].reset_index(drop=True)

    def save(self) -> str:
        """Validate and save the draft (add, or update the event being edited); returns its id."""
        s = self._need_session()
        d = self.draft
        check_draft(d, self.n_frames)
        fields = dict(
            onset=d["onset"],
            apex=d["apex"],
            offset=d["offset"],
            emotion=d["emotion"] or "others",
            aus=d["aus"],
            note=d["note"],
        )
        if self.editing:
            s.update(self.editing, **fields)
            eid = self.editing
            verb = "updated"
        else:
            kind = kind_from_duration(d["onset"], d["offset"], self.fps)
            eid = s.add(dict(clip=self.clip, kind=kind, **fields))
            verb = "saved"
        self.clear()
        self.refresh(f"{verb} {d['onset']}–{d['offset']}")
        return eid

    def undo(self) -> None:
        ok = self._need_session().undo()
        self.refresh("undone" if ok else "nothing to undo")

    def redo(self) -> None:
        ok = self._need_session().redo()
        self.refresh("redone" if ok else "nothing to redo")

    def delete(self, event_id: str | None) -> None:
        if not event_id:
            raise ValueError("Expected an event selected in the list, but none is.")
        self._need_session().delete(event_id)
        if self.editing == event_id:
            self.clear()
        self.refresh("deleted (Ctrl+Z to undo)")

    def edit(self, event_id: str | None) -> None:
        """Load a saved event into the draft; Save then updates it."""
        if not event_id:
            raise ValueError("Expected an event selected in the list, but none is.")
        row = self._need_session().get(event_id)
        self._quiet = True
        try:
            for p in PHASES:
                self.fields[p].value = "" if row.get(p) is None or pd.isna(row.get(p)) else str(int(row[p]))
            self.emotion.value = row.get("emotion") or ""
            self.aus.value = row.get("aus") or ""
            self.note.value = row.get("note") or ""
            self.editing = event_id
        finally:
            self._quiet = False
        self._update_title()
        self._on_changed()
        self.jump(event_id)

    def jump(self, event_id: str | None) -> None:
        """Go to an event's onset."""
        if not event_id:
            raise ValueError("Expected an event selected in the list, but none is.")
        ev = self.clip_events()
        row = ev[ev["event_id"] == event_id]
        if row.empty:
            raise KeyError(f"Expected an event of clip {self.clip!r}, but got id {event_id!r}.")
        self._on_jump(int(row["onset"].iloc[0]))

    def neighbour(self, frame: int, step: int) -> int | None:
        """Onset of the next (step=1) or previous (step=-1) event from ``frame``; selects it."""
        ev = self.clip_events()
        if ev.empty:
            return None
        onsets = ev["onset"].astype(int).to_numpy()
        idx = [i for i in range(len(ev)) if (onsets[i] > frame if step > 0 else onsets[i] < frame)]
        if not idx:
            return None
        k = min(idx, key=lambda i: onsets[i]) if step > 0 else max(idx, key=lambda i: onsets[i])
        self.events_list.value = ev["event_id"].iloc[k]
        return int(onsets[k])

    def status_text(self) -> str:
        """A short line for the player: the last store action and the clip's event count."""
        n = len(self.clip_events())
        return f"{self.message + ' · ' if self.message else ''}{n} event(s) saved"

    def _list_events(self) -> pd.DataFrame:
        """Fill the events list (one Select, no widget per event), filtered; returns every event."""
        ev = self.clip_events()
        keep = self.events_list.value
        words = self.events_filter.value.lower().split()
        labels = [(event_label(r, self.fps), r["event_id"]) for r in ev.to_dict("records")]
        self.events_list.options = [(t, i) for t, i in labels if all(w in t.lower() for w in words)]
        if keep in {i for _, i in self.events_list.options}:
            self.events_list.value = keep
        return ev

    def refresh(self, message: str = "") -> None:
        """Re-read the list from the session and tell the workbench."""
        ev = self._list_events()
        self.message = message
        self.undo_btn.disabled = not (self.session and self.session.can_undo)
        self.redo_btn.disabled = not (self.session and self.session.can_redo)
        where = f"<code>{html.escape(str(self.session.path))}</code>" if self.session else "no rater"
        msg = f"<b>{html.escape(message)}</b> · " if message else ""
        self.status.value = (
            f"<span class='wb-status' style='color:#52606d'>{msg}{len(ev)} event(s) in this clip · "
            f"autosaved to {where}</span>"
        )
        self._update_title()
        self._on_changed()
