"""``workbench model``, ``workbench detect`` and ``workbench spot``.

Each command is ``func(args) -> int`` (exit status) set with ``set_defaults``.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import fields
from pathlib import Path

import pandas as pd

import workbench.detect.model as face_model
from workbench.atomic import atomic_write_bytes
from workbench.detect.cache import load_curves
from workbench.detect.pipeline import CHUNK_FRAMES, DetectParams, detect
from workbench.detect.reference import parse_reference
from workbench.detect.registry import DEFAULT, DETECTORS
from workbench.detect.spot import METHODS, SpotParams, spot
from workbench.paths import file_sha256
from workbench.schema import empty_events, sort_events
from workbench.store import events_to_csv


def _add_spot_options(p: argparse.ArgumentParser) -> None:
    """One ``--name`` option per :class:`SpotParams` field, with its default."""
    group = p.add_argument_group("spotting (see workbench.detect.spot.SpotParams)")
    for f in fields(SpotParams):
        extra = {"choices": METHODS} if f.name == "method" else {}
        note = " (0: the published value for the frame rate)" if f.name.startswith("megc_k") else ""
        group.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f"spot_{f.name}",
            type=type(f.default),
            default=f.default,
            metavar=type(f.default).__name__.upper(),
            help=f"default {f.default}{note}",
            **extra,
        )


def _spot_params(args: argparse.Namespace) -> SpotParams:
    return SpotParams(**{f.name: getattr(args, f"spot_{f.name}") for f in fields(SpotParams)})


def cmd_model(args: argparse.Namespace) -> int:
    """Acquire the FaceLandmarker model; print its path and sha256."""
    sources = ("cache",) if args.offline else face_model.SOURCES
    path = face_model.acquire_model(args.path, sources=sources, timeout=args.timeout)
    print(path)
    print(f"sha256 {file_sha256(path)}")
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    """Detect curves and events; print a summary. 1 when a clip failed, else 0."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    report = detect(
        args.paths,
        project=args.project,
        dataset=args.dataset,
        detectors=args.detector,
        jobs=args.jobs,
        scheduler=args.scheduler,
        params=DetectParams(min_confidence=args.min_confidence),
        spot_params=_spot_params(args),
        model=args.model,
        chunk_frames=args.chunk_frames or CHUNK_FRAMES,
        progress=not args.no_progress,
        reference=args.reference,
    )
    print(report.summary())
    return 1 if report.failed else 0


def cmd_spot(args: argparse.Namespace) -> int:
    """Turn saved curves (netCDF) into an events CSV."""
    params = _spot_params(args)
    tables = []
    for path in args.curves:
        curves = load_curves(path)
        tables.append(spot(curves, params, clip=args.clip, rater=args.rater))
    tables = [t for t in tables if len(t)]
    events = sort_events(pd.concat(tables, ignore_index=True)) if tables else empty_events()
    atomic_write_bytes(Path(args.out), events_to_csv(events))
    print(f"{len(events)} event(s) from {len(args.curves)} curve file(s) -> {args.out}")
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``model``, ``detect`` and ``spot`` to the ``workbench`` command."""
    p = subparsers.add_parser("model", help="acquire the MediaPipe FaceLandmarker model; print path and hash")
    p.add_argument("--path", default=None, help="use this model file (checked against the expected hash)")
    p.add_argument("--offline", action="store_true", help="only look in the cache")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds for the official download")
    p.set_defaults(func=cmd_model)

    p = subparsers.add_parser("detect", help="AU curves and detector events for clips or dataset folders")
    p.add_argument("paths", nargs="+", help="clips (videos, image folders) or folders holding them")
    p.add_argument("--project", default=".", help="project folder: events go to its annotations/")
    p.add_argument("--dataset", default=None, help="dataset name (default: from data/<dataset>/...)")
    p.add_argument(
        "--detector",
        default=DEFAULT,
        choices=[*DETECTORS, "all"],
        help=f"which detector's curves and events (default {DEFAULT}; all: every one)",
    )
    p.add_argument(
        "--reference",
        default="auto",
        type=parse_reference,
        metavar="auto|start|A-B,...",
        help="the neutral face: auto (the least active frames), start (the clip starts neutral, "
        "as CASME II and SAMM clips do) or frame ranges such as 0-17,40-50 (default auto)",
    )
    p.add_argument("--jobs", type=int, default=None, help="worker threads (default: every core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="dask.distributed scheduler")
    p.add_argument("--model", default=None, help="FaceLandmarker model file")
    p.add_argument("--min-confidence", type=float, default=0.5, help="face detection confidence")
    p.add_argument("--chunk-frames", type=int, default=None, help="frames per task (default 100)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_spot_options(p)
    p.set_defaults(func=cmd_detect)

    p = subparsers.add_parser("spot", help="turn saved AU curves (.nc) into detector events (CSV)")
    p.add_argument("curves", nargs="+", help="curves files (netCDF) from the analysis cache")
    p.add_argument("--out", required=True, help="events CSV to write")
    p.add_argument("--clip", default=None, help="clip id (default: from the curves)")
    p.add_argument("--rater", default=None, help="rater (default: detector:<the curves' detector>)")
    _add_spot_options(p)
    p.set_defaults(func=cmd_spot)
