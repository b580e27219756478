"""The ``workbench`` command.

Core commands live here (``sample``, ``info``, ``lab``); each part of the package adds
its own through ``add_parsers(subparsers)`` (see :data:`COMMAND_MODULES`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from tqdm.auto import tqdm

from workbench.project import Project
from workbench.sample import make_sample
from workbench.video import open_clip

#: Modules that add sub-commands: import/export, agree/report, model/detect/spot, import-curves, seminar.
COMMAND_MODULES = (
    "workbench.datasets.cli",
    "workbench.agreement.cli",
    "workbench.detect.cli",
    "workbench.detect.import_cli",
    "workbench.seminar.cli",
)


def _cmd_sample(args: argparse.Namespace) -> int:
    paths = make_sample(args.out_dir, fps=args.fps, seed=args.seed, force=args.force)
    for p in paths:
        print(p)
    print(Project(args.out_dir).annotations / "sample" / "truth.csv")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    clip = open_clip(args.clip, fps=args.fps)
    if clip.normalise_reasons and not clip.normalised:  # made in the background: show it, wait for it
        with tqdm(total=clip.n_frames, unit="frame", desc="normalising", disable=args.no_progress) as bar:
            clip.on_progress(lambda done, total: bar.update(done - bar.n))
            clip.wait()
    h, w, _ = clip.shape
    rows = [
        ("clip", str(clip.source)),
        ("frames", str(clip.n_frames)),
        ("fps", f"{clip.fps:g}"),
        ("duration", f"{clip.n_frames / clip.fps:.3f} s"),
        ("size", f"{w}x{h}"),
        ("normalised", "yes: " + "; ".join(clip.normalise_reasons) if clip.normalised else "no"),
    ]
    if clip.normalised:
        copy = getattr(clip, "copy_shape", None)
        if copy is not None and copy != clip.shape:
            rows.append(("shown from", f"{clip.path} ({copy[1]}x{copy[0]}; full resolution from the clip)"))
        else:
            rows.append(("read from", str(clip.path)))
    if len(clip.frame_numbers) and clip.frame_numbers[0] != 0:
        rows.append(("numbers", f"{clip.frame_numbers[0]}..{clip.frame_numbers[-1]}"))
    for k, v in rows:
        print(f"{k:>10}  {v}")
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    project = Project(args.project)
    notebook = Path(args.notebook)
    if not (project.root / notebook).exists():
        print(f"error: Expected a notebook, but {project.root / notebook} does not exist.", file=sys.stderr)
        return 2
    project.ensure_sample()
    exe = Path(sys.executable).with_name("jupyter-lab")
    cmd = [str(exe), str(notebook), f"--ServerApp.root_dir={project.root}"]
    if args.port:
        cmd.append(f"--port={args.port}")
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    os.chdir(project.root)
    os.execv(cmd[0], cmd)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="A Jupyter workbench for facial micro-expressions.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("sample", help="write the built-in sample clips and their truth events")
    p.add_argument("out_dir", type=Path, help="project folder (gets data/sample and annotations/sample)")
    p.add_argument("--fps", type=float, default=200.0, help="frame rate (default 200, like CASME II and SAMM)")
    p.add_argument("--seed", type=int, default=0, help="noise and head-motion seed")
    p.add_argument("--force", action="store_true", help="rewrite clips that exist")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("info", help="frames, fps, duration, size of a clip, and whether it was normalised")
    p.add_argument("clip", type=Path, help="video file or folder of numbered images")
    p.add_argument("--fps", type=float, default=None, help="frame rate of an image folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while normalising")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("lab", help="open JupyterLab on a notebook (default: the annotation workbench)")
    p.add_argument("notebook", nargs="?", default="notebooks/annotate.ipynb")
    p.add_argument("--project", default=".", help="project folder (default: here)")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-browser", action="store_true")
    p.set_defaults(func=_cmd_lab)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError, IndexError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
