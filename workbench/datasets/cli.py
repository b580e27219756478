"""``workbench import`` and ``workbench export``.

::

    workbench import FORMAT FILE --dataset NAME [--media ROOT] [--project DIR]
    workbench export FORMAT DATASET:RATER... --out PATH [--project DIR] [--fps FPS]

``import`` reads a dataset's coding file (or an ELAN file, a MEGC log, or any detector's
events CSV with ``--columns`` mapping its columns) into the
store at ``<project>/annotations/<NAME>/<rater>.csv``, prints the import report and the
events per emotion. Without ``--media``, ``<project>/data/<NAME>`` is used when it
exists. ``export`` writes rater sets as csv, parquet, elan or megc. Bad input prints
one error naming the file, row, column, value and rule, and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from workbench.datasets import DATASET_FPS, IMPORTERS, events_csv
from workbench.datasets.export import FORMATS, export
from workbench.project import Project
from workbench.store import parse_rater_ref


def add_parsers(subparsers) -> None:
    """Add the ``import`` and ``export`` sub-commands to the ``workbench`` parser."""
    p = subparsers.add_parser("import", help="import a dataset's coding file into the store")
    p.add_argument("format", choices=sorted(IMPORTERS), help="file format")
    p.add_argument("file", type=Path, help="the coding spreadsheet, .eaf file or MEGC log")
    p.add_argument("--dataset", required=True, help="dataset name in the store")
    p.add_argument("--media", type=Path, default=None, help="folder the clips live in")
    p.add_argument("--project", type=Path, default=Path("."), help="project folder (default: here)")
    p.add_argument("--rater", default=None, help="rater name (default: the format's name)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (elan, megc, events)")
    p.add_argument("--report", type=Path, default=None, help="also write the report as CSV")
    p.add_argument(
        "--columns",
        default=None,
        metavar="FIELD=COLUMN,...",
        help="events: the file's column for clip, onset, offset, apex, emotion, aus, confidence",
    )
    p.add_argument(
        "--unit", default="frames", choices=events_csv.UNITS, help="events: onset/offset unit (s, ms: --fps)"
    )
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("export", help="export rater sets (csv, parquet, elan, megc)")
    p.add_argument("format", choices=FORMATS, help="file format")
    p.add_argument("refs", nargs="+", metavar="DATASET:RATER", help="rater sets (megc: truth, then predictions)")
    p.add_argument("--out", type=Path, required=True, help="output file (elan: folder or .eaf)")
    p.add_argument("--project", type=Path, default=Path("."), help="project folder (default: here)")
    p.add_argument("--fps", type=float, default=None, help="clips' frame rate (elan)")
    p.add_argument("--media", type=Path, default=None, help="folder the clips live in (elan links)")
    p.add_argument("--iou", type=float, default=0.5, help="least IoU of a true positive (megc)")
    p.add_argument("--mode", default="one-to-one", choices=("one-to-one", "megc2020"), help="matching (megc)")
    p.add_argument("--numbers", default="index", choices=("index", "dataset"), help="frames in the log (megc)")
    p.set_defaults(func=cmd_export)


def _error(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _media(args) -> Path | None:
    if args.media is not None:
        return args.media
    default = Project(args.project).media(args.dataset)
    return default if default.is_dir() else None


def _run_import(args):
    options = {}
    if args.format in ("elan", "megc", "events"):
        options["fps"] = args.fps
    if args.format == "megc":
        options["truth_rater"] = args.rater or "megc"
    if args.format == "events":
        options.update(columns=args.columns, unit=args.unit, rater=args.rater or events_csv.DEFAULT_RATER)
    result = IMPORTERS[args.format](args.file, media=_media(args), **options)
    if args.rater and args.format != "megc":
        result.events["rater"] = args.rater
    return result


def _print_report(report: pd.DataFrame, limit: int = 40) -> None:
    if report.empty:
        print("report: nothing to repair")
        return
    counts = report["action"].value_counts()
    print("report: " + ", ".join(f"{n} {a}" for a, n in counts.items()))
    with pd.option_context("display.max_colwidth", 90, "display.width", 160):
        print(report.head(limit).to_string(index=False))
    if len(report) > limit:
        print(f"... {len(report) - limit} more row(s); --report FILE writes them all")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file into the store; 2 on bad input."""
    try:
        result = _run_import(args)
        store = Project(args.project).store
        for rater, events in result.events.groupby("rater", sort=True):
            store.write(args.dataset, str(rater), events.reset_index(drop=True))
    except (ValueError, FileNotFoundError) as exc:
        return _error(exc)
    _print_report(result.report)
    if args.report is not None:
        result.report.to_csv(args.report, index=False)
    counts = result.events.groupby("rater")["emotion"].value_counts(dropna=False)
    print(f"{len(result.events)} events into {Project(args.project).annotations / args.dataset}")
    print(counts[counts > 0].rename("events").to_string())
    return 0


def _read_refs(project: Path, refs: list[str]) -> list[pd.DataFrame]:
    store = Project(project).store
    frames = []
    for ref in refs:
        dataset, rater = parse_rater_ref(ref)
        if rater not in store.raters(dataset):
            known = ", ".join(store.raters(dataset)) or "none"
            raise ValueError(f"Expected a rater set {ref} in {store.root}, but it has none (raters: {known}).")
        frames.append(store.read(dataset, rater))
    return frames


def cmd_export(args: argparse.Namespace) -> int:
    """Export rater sets; 2 on bad input."""
    try:
        frames = _read_refs(args.project, args.refs)
        dataset = args.refs[0].partition(":")[0]
        fps = args.fps or DATASET_FPS.get(dataset)
        options = {"iou": args.iou, "mode": args.mode, "numbers": args.numbers} if args.format == "megc" else {}
        written = export(args.format, frames, args.out, fps=fps, media_root=args.media, **options)
    except (ValueError, FileNotFoundError) as exc:
        return _error(exc)
    for path in written:
        print(path)
    return 0
