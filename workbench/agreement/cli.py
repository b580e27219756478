"""``workbench agree`` and ``workbench report``: compare two raters from the command line.

REF and HYP are events files (``.csv``, ``.parquet``) or ``DATASET:RATER``
names in the project's store (``<project>/annotations``). When a ``DATASET:detector:NAME``
rater has curves (imported into the project, or a built-in detector's cached analysis),
the AU agreement on curves is added (``au_curves``; :mod:`workbench.agreement.au_curves`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from workbench.agreement.au_curves import compare
from workbench.agreement.match import match
from workbench.agreement.report import per_clip_table, write_report
from workbench.agreement.summary import clean, scores, summary_tables
from workbench.project import Project
from workbench.schema import validate_events
from workbench.store import parse_rater_ref, read_events_csv

CLI_MODES = ("one-to-one", "megc2020", "apex")


def load_events(spec: str, project: str | Path = ".") -> pd.DataFrame:
    """Read one rater's events: a file path, or ``DATASET:RATER`` in the store.

    A file is validated with :func:`workbench.schema.validate_events`, so
    errors name the file, the line (CSV) or row (Parquet) and the column.

    Raises
    ------
    FileNotFoundError
        Neither a file nor a rater of the store.
    workbench.schema.EventError
        A row breaks a rule of the schema.
    """
    path = Path(spec)
    if path.is_file():
        return _read_file(path)
    if ":" in spec and path.suffix.lower() not in (".csv", ".parquet"):
        return _read_store(spec, Path(project))
    raise FileNotFoundError(
        f"Expected an events file (.csv, .parquet) or DATASET:RATER, but got {spec!r}: no such file."
    )


def _read_file(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return validate_events(pd.read_parquet(path), source=str(path))
    if suffix == ".csv":
        return read_events_csv(path)
    raise ValueError(f"Expected an events file ending in .csv or .parquet, but got {str(path)!r}.")


def _read_store(spec: str, project: Path) -> pd.DataFrame:
    dataset, rater = parse_rater_ref(spec)
    store = Project(project).store
    known = store.raters(dataset)
    if rater not in known:
        have = ", ".join(f"{dataset}:{r}" for r in known) or "none"
        raise FileNotFoundError(
            f"Expected a rater of dataset {dataset!r} in {store.root}, but got {spec!r} (raters there: {have})."
        )
    return store.read(dataset, rater)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF", help="reference: events file or DATASET:RATER")
    parser.add_argument("hyp", metavar="HYP", help="hypothesis: events file or DATASET:RATER")
    parser.add_argument("--iou", type=float, default=0.5, help="least IoU of a match (default 0.5)")
    parser.add_argument("--mode", choices=CLI_MODES, default="one-to-one", help="how events match")
    parser.add_argument("--tolerance", type=int, default=None, metavar="K", help="frames between apexes (apex mode)")
    parser.add_argument("--fps", type=float, default=None, help="frames per second, for ms")
    parser.add_argument("--project", default=".", metavar="DIR", help="project folder (default .)")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``agree`` and ``report`` to the ``workbench`` command."""
    agree = subparsers.add_parser(
        "agree",
        help="agreement of two raters (F1, boundaries, kappa, alpha, AUs)",
        description="Match HYP's events to REF's and print every agreement figure.",
    )
    _common(agree)
    agree.add_argument("--json", action="store_true", help="print one JSON object")
    agree.add_argument("--per-clip", action="store_true", help="also print the per-clip table")
    agree.set_defaults(func=run_agree)
    report = subparsers.add_parser(
        "report",
        help="self-contained HTML agreement report with figures",
        description="Write an HTML report (plotly figures, works offline) comparing REF and HYP.",
    )
    _common(report)
    report.add_argument("-o", "--output", default="agreement-report.html", help="HTML file to write")
    report.add_argument("--title", default=None, help="the report's heading")
    report.set_defaults(func=run_report)


def _fail(command: str, exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _load_both(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    if args.mode == "apex" and args.tolerance is None:
        raise ValueError("Expected --tolerance K with --mode apex, but got no tolerance.")
    return load_events(args.ref, args.project), load_events(args.hyp, args.project)


def au_curves(args: argparse.Namespace, ref: pd.DataFrame, hyp: pd.DataFrame):
    """AU agreement on the raters' curves (:func:`workbench.agreement.au_curves.compare`), or None."""
    return compare(args.ref, args.hyp, ref, hyp, project=args.project)


def run_agree(args: argparse.Namespace) -> int:
    """``workbench agree``: print the summary (JSON or tables); exit code 0, or 2 on bad input."""
    try:
        ref, hyp = _load_both(args)
        matching = match(ref, hyp, iou=args.iou, mode=args.mode, tolerance=args.tolerance)
    except (OSError, ValueError) as exc:
        return _fail("agree", exc)
    result = clean(scores(ref, hyp, matching, args.fps))
    settings = {"iou": args.iou, "mode": args.mode, "tolerance": args.tolerance, "fps": args.fps}
    result.update(settings=settings, reference=args.ref, hypothesis=args.hyp)
    try:
        curves = au_curves(args, ref, hyp)
    except (OSError, ValueError) as exc:
        return _fail("agree", exc)
    result["au_curves"] = clean(curves.as_dict()) if curves is not None else None
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{args.ref} (reference) against {args.hyp} (hypothesis); "
        + ", ".join(f"{k} {v}" for k, v in settings.items() if v is not None)
    )
    for name, table in summary_tables(result).items():
        print(f"\n{name}\n{table.to_string(float_format=lambda v: f'{v:.3f}', na_rep='-')}")
    if args.per_clip:
        table = per_clip_table(matching, args.fps)
        print(f"\nPer clip\n{table.to_string(float_format=lambda v: f'{v:.3f}', na_rep='-')}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """``workbench report``: write the HTML report; exit code 0, or 2 on bad input."""
    try:
        ref, hyp = _load_both(args)
        path = write_report(
            args.output,
            ref,
            hyp,
            iou=args.iou,
            mode=args.mode,
            tolerance=args.tolerance,
            fps=args.fps,
            title=args.title or f"Agreement: {args.hyp} against {args.ref}",
            names=(args.ref, args.hyp),
            au_curves=au_curves(args, ref, hyp),
        )
    except (OSError, ValueError) as exc:
        return _fail("report", exc)
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``agree`` / ``report`` without the rest of the ``workbench`` command."""
    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
