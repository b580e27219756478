"""Playback rate and flash durations in the browser, on the machine's real clock.

The browser tests run these on Playwright's fake clock and check them exactly; what the
machine really achieves is measured here. Starts a real JupyterLab (127.0.0.1, token) in
headless Chromium and opens ``notebooks/annotate.ipynb`` on the built-in sample (200 fps).
Once the player holds every JPEG of the clip, it plays from frame 0 at each speed (1/16x to
1x) for ``--seconds`` of page time, ``--repeats`` times, and reads the player's frame
against ``performance.now()``. Prints the measured rate, the asked rate and their ratio
(1.0: the asked speed; the player waits for a frame not yet decoded, so a busy machine can
only lower it) and the longest time one frame stayed on screen.

Then a two-item flash quiz (the sample's surprise at real speed, 150 ms; an anger apex held
40 ms) is flashed ``--flashes`` times per item on the display's own refresh (the replays
after the reveal are measured too) and the duration shown is printed beside the one asked.

Run: ``.venv/bin/python benchmarks/playback_rate.py [--seconds 2 --repeats 3 --flashes 10]``
(a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the repository: tests.support

from tests.support.jlab import CHROMIUM, CHROMIUM_ARGS, open_notebook, press, run_all, start_lab, stop_lab, wait_for  # noqa: E402

SPEEDS = {"1/16x": 1 / 16, "1/8x": 1 / 8, "1/4x": 1 / 4, "1/2x": 1 / 2, "1x": 1.0}
#: Goals: playback at 95 % of the asked rate or more; flashes undisturbed, shown within one refresh.
GOALS = {"rate_ratio": 0.95, "undisturbed": 0.9}
PLAYER = ".wb-player"

PLAY = """(ms) => new Promise((resolve) => {
  // frames advanced per second of page time while playing, read from the player's own frame
  const player = document.querySelector('.wb-player');
  const f0 = Number(player.dataset.frame), t0 = performance.now();
  let last = f0, since = t0, longest = 0;
  const watch = new MutationObserver(() => {
    const f = Number(player.dataset.frame), t = performance.now();
    if (f !== last) { longest = Math.max(longest, t - since); last = f; since = t; }
  });
  watch.observe(player, { attributes: true, attributeFilter: ['data-frame'] });
  setTimeout(() => {
    watch.disconnect();
    const t1 = performance.now();
    resolve({ frames: Number(player.dataset.frame) - f0, seconds: (t1 - t0) / 1000, longest_ms: longest });
  }, ms);
})"""

QUIZ = """\
import dataclasses
from workbench.ui.quiz import Quiz, project_items

real, clips = project_items(".", "sample", event_ids=["astronaut_1-280"])
held, more = project_items(".", "sample", event_ids=["astronaut_2-80"], mode="apex", hold_ms=40)
clips.update(more)
quiz = Quiz([real[0], dataclasses.replace(held[0], number=2)], clips, outlines=False)
quiz
"""
LOGGED = "(k) => (window.__wbQuiz || []).filter(e => e.item === k)"


def info_shows(page, text: str) -> None:
    wait_for(page, "t => document.querySelector('.wb-player .wb-info').textContent.includes(t)", text)


def annotate_notebook(project: Path) -> str:
    """annotate.ipynb with a rater set and no face analysis (the player alone is measured)."""
    nb = nbformat.read(REPO / "notebooks" / "annotate.ipynb", as_version=4)
    params = {"RATER": "bench", "ANALYSE": False}
    for cell in nb.cells:
        if cell.cell_type == "code" and "RATER =" in cell.source:
            lines = cell.source.splitlines()
            cell.source = "\n".join(
                f"{k} = {params[k]!r}" if (k := line.split("=")[0].strip()) in params else line for line in lines
            )
    (project / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, project / "notebooks" / "bench_annotate.ipynb")
    return "notebooks/bench_annotate.ipynb"


def playback(page, lab, seconds: float, repeats: int) -> dict[str, list[dict]]:
    open_notebook(page, lab, annotate_notebook(lab.root))
    run_all(page, timeout=300_000)
    wait_for(page, "() => document.querySelector('.wb-player canvas.wb-frame')?.width > 320", timeout=120_000)
    wait_for(page, "() => document.querySelector('.wb-player').dataset.held === 'all'", timeout=300_000)
    page.locator(PLAYER).scroll_into_view_if_needed()
    press(page, PLAYER, *["["] * len(SPEEDS))  # the slowest speed
    out: dict[str, list[dict]] = {label: [] for label in SPEEDS}
    for k, label in enumerate(SPEEDS):
        if k:
            press(page, PLAYER, "]")
        info_shows(page, label)
        for _ in range(repeats):
            press(page, PLAYER, "Home")
            wait_for(page, "() => document.querySelector('.wb-player').dataset.frame === '0'")
            press(page, PLAYER, "Space")
            info_shows(page, "▶")
            out[label].append(page.evaluate(PLAY, seconds * 1000))
            press(page, PLAYER, "Space")
            info_shows(page, "❚❚")
    return out


def flashes(page, lab, project: Path, n: int) -> list[dict]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(QUIZ)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, project / "notebooks" / "bench_quiz.ipynb")
    open_notebook(page, lab, "notebooks/bench_quiz.ipynb")
    run_all(page, timeout=120_000)
    phase = "p => document.querySelector('.wb-quiz')?.dataset.phase === p"
    for item in (0, 1):
        wait_for(page, phase, "ready", timeout=60_000)
        for k in range(n):
            before = len(page.evaluate(LOGGED, item))
            # the first flash, then (after an answer and the reveal) its replays
            press(page, ".wb-quiz", "Space" if k == 0 else "r")
            wait_for(page, f"([k, n]) => ({LOGGED})(k).length > n", [item, before], timeout=30_000)
            if k == 0:
                wait_for(page, phase, "answer")
                press(page, ".wb-quiz", "0")
                wait_for(page, phase, "reveal", timeout=30_000)
        press(page, ".wb-quiz", "Space")  # the next item
    return page.evaluate("() => window.__wbQuiz")


def report_playback(runs: dict[str, list[dict]]) -> dict:
    print("\n== playback, 200 fps sample, real clock ==")
    print(f"{'speed':8}{'asked f/s':>11}{'measured f/s':>14}{'ratio':>8}{'longest frame ms':>18}")
    out = {}
    for label, speed in SPEEDS.items():
        asked = 200 * speed
        rates = [r["frames"] / r["seconds"] for r in runs[label]]
        measured = float(np.median(rates))
        longest = max(r["longest_ms"] for r in runs[label])
        out[label] = {"asked": asked, "measured": measured, "ratio": measured / asked, "longest_ms": longest}
        print(f"{label:8}{asked:11.2f}{measured:14.2f}{measured / asked:8.3f}{longest:18.1f}")
    met = min(v["ratio"] for v in out.values()) >= GOALS["rate_ratio"]
    print(f"  {'met ' if met else 'MISSED'}  every speed at >= {GOALS['rate_ratio']:.0%} of its rate")
    return out


def report_flashes(entries: list[dict]) -> dict:
    print("\n== flashes, the display's own refresh ==")
    print(f"{'asked ms':>9}{'n':>4}{'shown ms p50':>14}{'ratio p50':>11}{'|off| / refresh p95':>21}{'undisturbed':>13}")
    out = {}
    for asked in sorted({e["asked_ms"] for e in entries}, reverse=True):
        mine = [e for e in entries if e["asked_ms"] == asked]
        shown = np.array([e["shown_ms"] for e in mine])
        off = np.array([abs(e["shown_ms"] - asked) / e["refresh_ms"] for e in mine])
        calm = float(np.mean([not e["disturbed"] for e in mine]))
        out[f"{asked:.0f}"] = {"n": len(mine), "shown_p50": float(np.median(shown)), "undisturbed": calm}
        print(
            f"{asked:9.0f}{len(mine):4d}{np.median(shown):14.1f}{np.median(shown) / asked:11.3f}"
            f"{np.percentile(off, 95):21.2f}{calm:13.0%}"
        )
    met = min(v["undisturbed"] for v in out.values()) >= GOALS["undisturbed"]
    print(f"  {'met ' if met else 'MISSED'}  >= {GOALS['undisturbed']:.0%} of flashes undisturbed")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="page time played at each speed")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--flashes", type=int, default=10, help="flashes per quiz item")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)

    import os

    from playwright.sync_api import sync_playwright

    from workbench.sample import make_sample

    os.environ.setdefault("TQDM_DISABLE", "1")
    project = Path(tempfile.mkdtemp(prefix="playback-bench-"))
    make_sample(project)
    lab = start_lab(project, project / ".lab")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            runs = playback(page, lab, args.seconds, args.repeats)
            page.close()
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            entries = flashes(page, lab, project, args.flashes)
            browser.close()
    finally:
        stop_lab(lab)
        shutil.rmtree(project, ignore_errors=True)
    results = {"playback": report_playback(runs), "flashes": report_flashes(entries)}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
