"""``workbench seminar serve``: the seminar for a whole class, served by Solara to the students' browsers.

The command checks the course can be made (the dataset's labelled events and clips), saves the
class's settings (:class:`~workbench.seminar.classroom.Settings`: code, presenter key, course),
prints the students' and the presenter's addresses, then becomes Solara's own server
(``solara run workbench.seminar.app --production`` through :mod:`workbench.seminar.server`, which
turns off the websocket compression) bound to ``--host`` only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import secrets
import sys
from pathlib import Path

from workbench.project import Project
from workbench.teach.items import MODES

#: Solara's settings the seminar needs (the environment may override the cull timeout).
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # Solara reports usage to Mixpanel unless told not to
    "SOLARA_KERNEL_CULL_TIMEOUT": "10m",  # a closed tab's state is kept this long (Solara's default: 24h)
}


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``seminar serve`` to the ``workbench`` command."""
    p = subparsers.add_parser("seminar", help="serve the seminar (quiz and course) to a class's browsers")
    sub = p.add_subparsers(dest="seminar_command", metavar="SUBCOMMAND", required=True)
    s = sub.add_parser(
        "serve",
        help="serve a METT-style course: students join from their browsers, the presenter sees the class",
        description="Students open the printed address in any browser, type the class code and a name, and "
        "take the course: pre-test, training on the pairs the class confuses, practice with feedback, "
        "post-test on other faces. The presenter's address shows the class live. Answers go to "
        "answers/<class>/ (journalled before each is acknowledged). Serving the same class again resumes it.",
    )
    s.add_argument("--project", type=Path, default=Path("."), help="project folder (default: here)")
    s.add_argument("--dataset", default="sample", help="whose labelled events and clips (default: the sample)")
    s.add_argument("--rater", default="truth", help="the rater whose events are the truth (default: truth)")
    s.add_argument("--class", dest="seminar", default=None, help="class name: answers/<class>/ (default: DATASET-DATE)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; a LAN address for a room)")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--code", default=None, help="class code students type (default: random, kept for the class)")
    s.add_argument("--key", default=None, help="presenter's key (default: random, kept for the class)")
    s.add_argument("--n-test", type=int, default=14, help="faces in the pre-test and in the post-test (METT: 14)")
    s.add_argument("--n-practice", type=int, default=28, help="most faces in the practice (METT: 28)")
    s.add_argument("--pairs", type=int, default=4, help="pairs of emotions in the training (METT: 4)")
    s.add_argument("--kinds", nargs="+", default=None, help="only events of these kinds (micro, macro; default all)")
    s.add_argument("--mode", choices=MODES, default="real", help="flash the clip at real speed, or the apex held")
    s.add_argument("--hold-ms", type=float, default=None, help="apex hold with --mode apex (40 to 200 ms)")
    s.add_argument("--seed", type=int, default=0, help="seed of the forms and of the students' assignment")
    s.add_argument(
        "--control",
        action="store_true",
        help="a retest control: half the class takes the pre-test and the post-test first, the training after",
    )
    s.add_argument("--no-curves", action="store_true", help="no AU curves in the reveal (no face analysis)")
    s.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from workbench.seminar.classroom import Settings, course_of
    from workbench.seminar.ledger import Ledger

    project = Project(args.project)
    seminar = args.seminar or f"{args.dataset}-{_dt.date.today().isoformat()}"
    given = {
        "dataset": args.dataset,
        "rater": args.rater,
        "n_test": args.n_test,
        "n_practice": args.n_practice,
        "pairs": args.pairs,
        "seed": args.seed,
        "control": args.control,
        "kinds": tuple(args.kinds) if args.kinds else None,
        "mode": args.mode,
        "hold_ms": args.hold_ms,
        "analysis": not args.no_curves,
        "code": args.code,
        "key": args.key,
    }
    settings, resumed = Settings.open(project, seminar, **given)
    course, _ = course_of(settings)  # refuses a dataset without labelled clips
    with Ledger(settings.folder, seminar) as ledger:  # refuses a class another server holds
        n_students = len(ledger.students)
    settings.save()
    base = f"http://{_url_host(args.host)}:{args.port}"
    print(f"students: {base}/?code={settings.code}", flush=True)
    print(f"presenter: {base}/presenter?key={settings.key}", flush=True)
    print(f"class code: {settings.code}", flush=True)
    print(
        f"answers: {settings.folder}"
        + (f" (class resumed: {n_students} student(s) so far)" if resumed else " (new class)"),
        flush=True,
    )
    a, b = course.forms
    print(f"course: pre-test and post-test of {len(a)} and {len(b)} faces (two forms), "
          f"practice up to {settings.n_practice}, {settings.pairs} training pairs", flush=True)  # fmt: skip
    env = {**os.environ, **{k: os.environ.get(k, v) for k, v in SOLARA_ENV.items()}}
    env["WORKBENCH_SEMINAR"] = str(settings.path)
    env.setdefault("SOLARA_SESSION_SECRET_KEY", secrets.token_urlsafe(32))
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "workbench.seminar.server", "run", "workbench.seminar.app"]  # solara run
    cmd += ["--production", "--no-open", "--host", args.host, "--port", str(args.port)]
    sys.stdout.flush()
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
