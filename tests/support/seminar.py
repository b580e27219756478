"""Drive a served seminar: start and stop `workbench seminar serve`, join, answer, run a stage.

Shared by the browser tests (``tests/browser/test_seminar_serve.py``) and the load test
(``benchmarks/seminar_load.py``). Every wait is for a state of the page or of the server, with
generous timeouts (the machine may be loaded); nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 180_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """A running `workbench seminar serve`."""

    url: str
    students: str
    presenter: str
    code: str
    folder: Path
    proc: subprocess.Popen
    log: Path
    argv: list[str]

    @property
    def pid(self) -> int:
        return self.proc.pid


def serve(project: Path, seminar: str, *, port: int | None = None, args: tuple[str, ...] = (), log: Path) -> Served:
    """Start the server (its own process: ``python -m workbench.cli seminar serve``); wait until it answers."""
    port = port or free_port()
    argv = [sys.executable, "-m", "workbench.cli", "seminar", "serve", "--project", str(project)]
    argv += ["--class", seminar, "--host", "127.0.0.1", "--port", str(port), *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = open(log, "ab")  # noqa: SIM115 - the server writes to it until it stops
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=project)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"Expected the seminar server to run, but it stopped ({proc.returncode}); see {log}.")
        text = log.read_text(errors="replace")
        if "students: " in text:
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"Expected the seminar server on {url}, but it did not answer; see {log}.")
        time.sleep(0.2)
    text = log.read_text(errors="replace")
    students = re.findall(r"^students: (\S+)$", text, re.M)[-1]
    presenter = re.findall(r"^presenter: (\S+)$", text, re.M)[-1]
    code = re.findall(r"^class code: (\S+)$", text, re.M)[-1]
    folder = Path(re.findall(r"^answers: (\S+)", text, re.M)[-1])
    return Served(url, students, presenter, code, folder, proc, log, argv)


def stop(served: Served, sig: int = signal.SIGTERM) -> None:
    """Stop the server by its pid (SIGKILL: a crash, nothing written on the way out)."""
    if served.proc.poll() is None:
        os.kill(served.pid, sig)
        try:
            served.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.kill(served.pid, signal.SIGKILL)
            served.proc.wait(60)


def restart(served: Served) -> Served:
    """The same command again (same class, port, project), after the old one stopped."""
    argv = served.argv
    project = Path(argv[argv.index("--project") + 1])
    seminar = argv[argv.index("--class") + 1]
    port = int(argv[argv.index("--port") + 1])
    rest = tuple(argv[argv.index("--port") + 2 :])
    return serve(project, seminar, port=port, args=rest, log=served.log)


def answers_of(served: Served, student: str, n: int, timeout: float = WAIT_MS / 1000):
    """A student's rows of ``answers/<class>/answers.csv`` once it holds ``n`` of them (the CSV is a view
    the server rewrites a moment after each journalled answer)."""
    import pandas as pd

    path = served.folder / "answers.csv"
    deadline = time.monotonic() + timeout
    while True:
        rows = pd.read_csv(path).query("student == @student") if path.exists() else None
        if rows is not None and len(rows) >= n:
            return rows
        if time.monotonic() > deadline:
            got = 0 if rows is None else len(rows)
            raise TimeoutError(f"Expected {n} answers of {student} in {path}, but got {got}.")
        time.sleep(0.1)


# ---- the students' page ------------------------------------------------------------------------------
def join(page, served: Served, name: str, *, code_in_url: bool = True) -> None:
    """Open the students' page and join under ``name``."""
    page.goto(served.students if code_in_url else served.url + "/", timeout=WAIT_MS)
    if not code_in_url:
        page.get_by_label("Class code").fill(served.code, timeout=WAIT_MS)
    page.get_by_label("Your name").fill(name, timeout=WAIT_MS)
    page.get_by_role("button", name="Join").click()


def start_stage(page, stage: str) -> None:
    page.locator(f".wb-intro-{stage} .wb-start").click(timeout=WAIT_MS)


def answer_one(page, key: str = "1") -> str:
    """Flash the item shown (Space), answer with ``key``; returns the phase that follows the answer.

    Replays (r) a flash the page reports disturbed before answering, once.
    """
    quiz = page.locator(".wb-quiz")
    page.locator(".wb-quiz[data-phase=ready]").wait_for(timeout=WAIT_MS)
    quiz.focus()
    page.keyboard.press(" ")
    page.locator(".wb-quiz[data-phase=answer]").wait_for(timeout=WAIT_MS)
    page.keyboard.press(key)
    after = page.locator(
        ".wb-quiz[data-phase=ready], .wb-quiz[data-phase=reveal], .wb-quiz[data-phase=done], "
        ".wb-quiz[data-phase=loading], [class*=wb-intro-], .wb-summary"
    )
    after.first.wait_for(timeout=WAIT_MS)
    # read in one step: the quiz may be gone already (its stage is over)
    return page.evaluate("() => document.querySelector('.wb-quiz')?.dataset.phase ?? 'left'")


def run_stage(page, stage: str, after: str, key: str = "1") -> int:
    """Start a test stage and answer every item until ``after`` (a selector) shows; answers given."""
    start_stage(page, stage)
    given = 0
    while True:
        page.locator(f".wb-quiz[data-phase=ready], {after}").first.wait_for(timeout=WAIT_MS)
        if page.locator(after).count():
            return given
        phase = answer_one(page, key)
        given += 1
        if phase == "reveal":
            page.locator(".wb-quiz").focus()
            page.keyboard.press(" ")


def run_training(page, after: str = ".wb-intro-practice") -> int:
    """Start the training and go through every pair; the pairs seen."""
    start_stage(page, "training")
    seen = 0
    while not page.locator(after).count():
        page.locator(f".wb-train[data-state=ready], {after}").first.wait_for(timeout=WAIT_MS)
        if page.locator(after).count():
            break
        seen += 1
        page.locator(".wb-t-next").click(timeout=WAIT_MS)
        page.locator(f".wb-train[data-pair='{seen}'], .wb-train[data-state=done], {after}").first.wait_for(
            timeout=WAIT_MS
        )
    return seen
