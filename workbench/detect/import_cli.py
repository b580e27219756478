"""``workbench import-curves``: another detector's per-frame output into the project.

::

    workbench import-curves FORMAT FILE --dataset D --clip CLIP [--detector NAME] [--project DIR]

Reads the file (:data:`workbench.detect.import_curves.FORMATS`), checks it against the clip,
saves its curves under ``<project>/curves/<dataset>/<detector>/``, spots them and writes the
events as rater ``detector:<name>``. Bad input prints one error (file, line, rule), exits 2,
and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.detect.cli import _add_spot_options, _spot_params
from workbench.detect.import_curves import FORMATS, import_curves


def cmd_import_curves(args: argparse.Namespace) -> int:
    """Import, check, save, spot; print a summary. 2 on bad input."""
    try:
        result = import_curves(
            args.format,
            args.file,
            dataset=args.dataset,
            clip=args.clip,
            project=args.project,
            detector=args.detector,
            spot_params=_spot_params(args),
            check_fps=not args.no_fps_check,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``import-curves`` to the ``workbench`` command."""
    p = subparsers.add_parser(
        "import-curves",
        help="import another detector's per-frame AU output (OpenFace, py-feat, iMotions, FaceReader)",
        description="Read a detector's per-frame output, check it against the clip, save its curves "
        "in the project, spot them and write the events as detector:<name>.",
    )
    p.add_argument("format", choices=list(FORMATS), help="the file's format")
    p.add_argument("file", type=Path, help="the detector's output file")
    p.add_argument("--dataset", required=True, help="dataset of the clip")
    p.add_argument("--clip", required=True, help="clip id (its path under data/<dataset>/)")
    p.add_argument("--detector", default=None, help="detector name (default: the format; iMotions: facet/affdex)")
    p.add_argument("--project", type=Path, default=Path("."), help="project folder (default: here)")
    p.add_argument(
        "--no-fps-check",
        action="store_true",
        help="accept a file whose declared or implied frame rate differs from the clip's",
    )
    _add_spot_options(p)
    p.set_defaults(func=cmd_import_curves)
