"""What the views take per clip (curves, faces): a mapping clip id -> value, a function of the
clip id, or None; :func:`per_clip` reads any of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PerClip = Mapping[str, Any] | Callable[[str], Any] | None


def per_clip(table: PerClip, clip: str) -> Any:
    """``table``'s value for ``clip`` (None when there is no table or no entry)."""
    if table is None:
        return None
    return table(clip) if callable(table) else table.get(clip)
