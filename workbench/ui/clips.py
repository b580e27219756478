"""The clip list with each rater's progress: done, in progress, untouched.

A clip is *in progress* for a rater who has events in it, *done* when the rater marked it
so (a clip can be done with no event: nothing to label). Done marks live beside the store,
one small JSON file per rater: ``annotations/<dataset>/.progress/<rater>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.store import atomic_write_bytes, rater_filename

STATES = {"done": "✓", "in progress": "◐", "untouched": "○"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"}


def list_clips(media: Path) -> list[str]:
    """Clip ids under ``data/<dataset>/``: video files and folders that hold images."""
    from natsort import natsorted

    from workbench.video import IMAGE_SUFFIXES

    media = Path(media)
    if not media.is_dir():
        raise FileNotFoundError(f"Expected a folder of clips, but {media} does not exist.")
    out = []
    for path in media.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(media).parts):
            continue
        video = path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES
        images = path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
        if video or images:
            out.append(path.relative_to(media).as_posix())
    return natsorted(out)


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
