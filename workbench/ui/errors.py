"""Errors raised in widget callbacks: shown in the widget and logged, never swallowed."""

from __future__ import annotations

import functools
import html
import logging
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as W

log = logging.getLogger("workbench.ui")


class ErrorArea(W.HTML):
    """A red box under a widget that shows the last error raised in a callback.

    Examples
    --------
    >>> area = ErrorArea()
    >>> @area.guard
    ... def on_click(_):
    ...     raise ValueError("Expected onset <= offset, but got onset=9, offset=3.")
    >>> on_click(None)
    >>> "onset=9" in area.value
    True
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(value="", **kwargs)
        self.add_class("wb-error")
        self.last: BaseException | None = None

    def show(self, exc: BaseException, where: str = "") -> None:
        """Show ``exc`` (type and message) and log it with its traceback."""
        self.last = exc
        text = f"{type(exc).__name__}: {exc}"
        log.error("%s%s", f"{where}: " if where else "", text, exc_info=exc)
        tb = "".join(traceback.format_exception(exc)[-3:])
        self.value = (
            '<div class="wb-error-box" style="color:#b00020;background:#fdecee;'
            "border:1px solid #b00020;border-radius:4px;padding:4px 8px;white-space:pre-wrap;"
            'font-family:monospace;font-size:12px" '
            f'title="{html.escape(tb)}">{html.escape(where + ": " if where else "")}'
            f"{html.escape(text)}</div>"
        )

    def clear(self) -> None:
        """Hide the box (after a successful action)."""
        self.last = None
        self.value = ""

    def guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback so that an exception is shown here instead of lost."""

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown and logged, not swallowed
                self.show(exc, where=getattr(fn, "__name__", ""))
                return None

        return wrapped


def action_guard(
    errors: ErrorArea, player: Any, fn: Callable[..., Any], where: str | None = None
) -> Callable[..., Any]:
    """Wrap a user action: an error shows in ``errors`` and on the player; success clears both.

    Used for what the user did (a key, a button); passive followers use :meth:`ErrorArea.guard`,
    which shows errors without clearing the last action's.
    """

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        try:
            out = fn(*args)
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            errors.show(exc, where=where or getattr(fn, "__name__", "action"))
            player.error = f"{type(exc).__name__}: {exc}"
            return None
        errors.clear()
        player.error = ""
        return out

    return wrapped
