"""``solara run`` with the websocket settings a classroom needs: no per-message compression.

``workbench seminar serve`` starts Solara's server through :func:`main` (``python -m
workbench.seminar.server run workbench.seminar.app ...``, the arguments of ``solara run``).

Why. Uvicorn compresses every websocket message (permessage-deflate) on its one event-loop
thread. What a seminar sends is mostly the items' JPEG frames, which do not compress: profiled
with 15 students on this 2-core machine, half the server's CPU went to deflating them, and
every answer's acknowledgement waited behind another student's frames in the event loop
(``benchmarks/seminar_load.py``). Solara's command has no option for it, so the uvicorn
configuration it builds gets ``ws_per_message_deflate=False`` here. A classroom's network
carries the uncompressed frames easily (the JPEGs are the same size either way).
"""

from __future__ import annotations

import sys

#: Uvicorn settings this server overrides (over Solara's defaults).
UVICORN = {"ws_per_message_deflate": False}


def _classroom_config(config_class: type) -> type:
    """Uvicorn's ``Config``, with :data:`UVICORN` as defaults."""

    class ClassroomConfig(config_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**UVICORN, **kwargs})

    ClassroomConfig.__name__ = ClassroomConfig.__qualname__ = f"Classroom{config_class.__name__}"
    return ClassroomConfig


def main(argv: list[str] | None = None) -> None:
    """Run Solara's command line (``run APP --host ... --port ...``) with :data:`UVICORN`."""
    import uvicorn

    if not uvicorn.Config.__name__.startswith("Classroom"):
        uvicorn.Config = _classroom_config(uvicorn.Config)  # solara.__main__ builds uvicorn.Config(**kwargs)
    from solara.__main__ import main as solara_main

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    solara_main()


if __name__ == "__main__":
    main()
