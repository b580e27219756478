"""The clip list with each rater's progress: done, in progress, untouched.

A clip is *in progress* for a rater who has events in it, *done* when the rater marked it
so (a clip can be done with no event: nothing to label). Done marks live beside the store,
one small JSON file per rater: ``annotations/<dataset>/.progress/<rater>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.atomic import atomic_write_bytes
from workbench.store import rater_filename

STATES = {"done": "✓", "in progress": "◐", "untouched": "○"}


class Progress:
    """Done marks of one rater in one dataset."""

    def __init__(self, annotations: Path, dataset: str, rater: str) -> None:
        self.path = Path(annotations) / dataset / ".progress" / f"{rater_filename(rater)}.json"
        self.done: set[str] = set()
        if self.path.exists():
            self.done = set(json.loads(self.path.read_text(encoding="utf-8")).get("done", []))

    def set_done(self, clip: str, done: bool = True) -> None:
        """Mark or unmark a clip as done (written at once, atomically)."""
        (self.done.add if done else self.done.discard)(clip)
        atomic_write_bytes(self.path, json.dumps({"done": sorted(self.done)}, indent=1).encode("utf-8"))

    def state(self, clip: str, n_events: int) -> str:
        """``done`` (marked), ``in progress`` (has events) or ``untouched``."""
        if clip in self.done:
            return "done"
        return "in progress" if n_events else "untouched"


def clip_label(clip: str, state: str, n_events: int) -> str:
    """``✓ astronaut_1.mp4 · 3 events``"""
    return f"{STATES[state]} {clip} · {n_events} event{'s' if n_events != 1 else ''} · {state}"
