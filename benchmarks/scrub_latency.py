"""Scrub latency in the browser: the workbench player against an ipywidgets Image + IntSlider.

Starts a real JupyterLab (127.0.0.1, token) in headless Chromium, opens
``notebooks/annotate.ipynb`` and measures, in the page, ``performance.now()`` from the
keydown event to the animation frame after the new frame was drawn, for 200 steps
forward, 200 back and 50 random jumps, on the built-in sample and on a 640x480 30 fps
clip of 60 s. The same run drives the obvious baseline (an ``ipywidgets.Image`` whose
bytes an ``IntSlider`` observer replaces) with the same keys, and measures how long the
plot cursor takes to follow a step. Prints p50 / p95 of both and their ratio.

Run: ``.venv/bin/python benchmarks/scrub_latency.py`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the repository: tests.support

from tests.support.jlab import CHROMIUM, CHROMIUM_ARGS, open_notebook, run_all, start_lab, stop_lab  # noqa: E402

GOALS = {"step_p95": 17.0, "jump_p95": 80.0, "cursor_p95": 150.0}
PACE_MS = 33  # a held arrow key repeats about 30 times a second

BASELINE_CELL = """\
import ipywidgets as W
from workbench.video import open_clip

clip = open_clip({path!r})
image = W.Image(value=clip.jpeg(0), format="jpeg", layout=W.Layout(width="{width}px"))
slider = W.IntSlider(0, min=0, max=clip.n_frames - 1, description="frame", continuous_update=True)
slider.observe(lambda change: setattr(image, "value", clip.jpeg(change["new"])), "value")
W.VBox([slider, image])
"""

BASELINE_PROBE = """() => {
  window.__wbLatency = [];
  const img = document.querySelector('.widget-image');
  let pending = null;
  document.addEventListener('keydown', (e) => { pending = { t0: e.timeStamp, key: e.key }; }, true);
  new MutationObserver(() => {
    const m = pending; pending = null;
    if (!m) return;
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => {
      const t1 = performance.now();
      window.__wbLatency.push({ widget: 'baseline', kind: m.key, t0: m.t0, t1, ms: t1 - m.t0,
                                value: document.querySelector('.widget-readout').textContent });
    }));
  }).observe(img, { attributes: true, attributeFilter: ['src'] });
}"""

CURSOR_PROBE = """([frame, t0]) => new Promise((resolve) => {
  // the timeline's cursor line (drawn over the plot by the player) shows the frame
  const start = performance.now();
  function look() {
    const line = document.querySelector('.wb-timeline .wb-plot-cursor');
    if (line && line.dataset.frame === String(frame)) {
      requestAnimationFrame(() => resolve(performance.now() - t0));
      return;
    }
    if (performance.now() - start > 3000) resolve(null); else requestAnimationFrame(look);
  }
  look();
})"""


def make_long_clip(path: Path, seconds: float = 60.0, fps: float = 30.0) -> Path:
    """A 640x480 clip: textured moving background, a moving face-sized blob, frame number.

    Written the way cameras and x264's defaults write (keyframes 250 frames apart, B-frames),
    so ``open_clip`` normalises it once, as it would a user's file.
    """
    import av
    import cv2

    n = int(seconds * fps)
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (480, 1280, 3), dtype=np.uint8)
    texture = cv2.GaussianBlur(texture, (0, 0), 3)

    def frames():
        for i in range(n):
            x = (i * 2) % 640
            img = np.ascontiguousarray(texture[:, x : x + 640])
            cx, cy = 320 + int(120 * np.sin(i / 40)), 240 + int(60 * np.cos(i / 55))
            cv2.ellipse(img, (cx, cy), (90, 120), 0, 0, 360, (205, 170, 140), -1)
            cv2.putText(img, f"{i}", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
            yield img

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=int(fps))
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}  # x264 defaults otherwise: GOP 250, B-frames
        for img in frames():
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path


def notebook_variant(project: Path, name: str, **params: object) -> str:
    """Copy annotate.ipynb with its parameter cell's values replaced; return its path."""
    nb = nbformat.read(REPO / "notebooks" / "annotate.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "RATER =" in cell.source:
            lines = []
            for line in cell.source.splitlines():
                key = line.split("=")[0].strip()
                lines.append(f"{key} = {params[key]!r}" if key in params else line)
            cell.source = "\n".join(lines)
    out = project / "notebooks" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return f"notebooks/{name}"


def baseline_notebook(project: Path, clip: Path, name: str, width: int) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(BASELINE_CELL.format(path=str(clip), width=width))]
    nbformat.write(nb, project / "notebooks" / name)
    return f"notebooks/{name}"


def pct(values: list[float]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None], dtype=float)
    return (float(np.percentile(a, 50)), float(np.percentile(a, 95))) if len(a) else (np.nan, np.nan)


def latencies(page, since: int) -> list[dict]:
    return page.evaluate(f"() => (window.__wbLatency || []).slice({since})")


def wait_painted(page, frame: int, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "f => document.querySelector('.wb-player').dataset.paintedFrame === String(f)",
        arg=frame,
        timeout=timeout,
    )


#: The player reports each measured paint in a "wb-painted" event; the benchmark keeps them.
LISTEN = """() => {
  window.__wbLatency = window.__wbLatency || [];
  document.addEventListener('wb-painted', (e) => window.__wbLatency.push(e.detail), true);
}"""


def run_player(page, lab, notebook: str, n_frames: int, steps: int, jumps: int, seed: int) -> dict:
    page.add_init_script(f"({LISTEN})()")
    open_notebook(page, lab, notebook)
    run_all(page, timeout=300_000)
    page.wait_for_selector(".wb-player canvas.wb-frame", timeout=60_000)
    player = page.locator(".wb-player").first
    player.scroll_into_view_if_needed()
    player.focus()
    start = min(100, n_frames // 10)
    page.locator(".wb-player input.wb-goto").fill(str(start))
    page.locator(".wb-player input.wb-goto").press("Enter")
    wait_painted(page, start)
    page.wait_for_timeout(1500)  # the first prefetch window arrives
    player.focus()
    out: dict[str, list] = {"step": [], "step_cached": [], "jump": [], "jump_held": [], "cursor": []}
    frame = start
    for key, delta in (("ArrowRight", 1), ("ArrowLeft", -1)):
        for _ in range(steps):
            mark = page.evaluate("() => (window.__wbLatency || []).length")
            page.keyboard.press(key)
            frame += delta
            wait_painted(page, frame)
            page.wait_for_function(f"() => window.__wbLatency.length > {mark}")
            entry = latencies(page, mark)[-1]
            out["step"].append(entry["ms"])
            out["step_cached"].append(bool(entry["cached"]))
            page.wait_for_timeout(max(0, PACE_MS - 10))
    rng = random.Random(seed)
    goto = page.locator(".wb-player input.wb-goto")
    for _ in range(jumps):
        target = rng.randrange(n_frames)
        while target == frame:
            target = rng.randrange(n_frames)
        goto.fill(str(target))
        mark = page.evaluate("() => window.__wbLatency.length")
        goto.press("Enter")
        wait_painted(page, target)
        page.wait_for_function(f"() => window.__wbLatency.length > {mark}")
        entry = latencies(page, mark)[-1]
        out["jump"].append(entry["ms"])
        out["jump_held"].append(bool(entry.get("held") or entry.get("cached")))
        frame = target
        page.wait_for_timeout(250)
    player.focus()
    for _ in range(30):
        mark = page.evaluate("() => window.__wbLatency.length")
        page.keyboard.press("ArrowRight")
        frame = min(frame + 1, n_frames - 1)
        page.wait_for_function(f"() => window.__wbLatency.length > {mark}")
        t0 = latencies(page, mark)[-1]["t0"]
        out["cursor"].append(page.evaluate(CURSOR_PROBE, [frame, t0]))
        page.wait_for_timeout(300)
    return out


def run_baseline(page, lab, notebook: str, n_frames: int, steps: int, jumps: int, seed: int) -> dict:
    open_notebook(page, lab, notebook)
    run_all(page, timeout=120_000)
    page.wait_for_selector(".widget-image", timeout=60_000)
    page.evaluate(BASELINE_PROBE)
    readout = page.locator(".widget-readout").first
    handle = page.locator(".widget-slider .noUi-handle").first
    start = min(100, n_frames // 10)

    def set_value(value: int) -> dict:
        mark = page.evaluate("() => window.__wbLatency.length")
        readout.click()
        page.keyboard.press("Control+a")
        page.keyboard.type(str(value))
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"() => window.__wbLatency.length > {mark} && "
            f"window.__wbLatency[window.__wbLatency.length - 1].value === '{value}'",
            timeout=10_000,
        )
        return latencies(page, mark)[-1]

    set_value(start)
    handle.focus()
    out: dict[str, list] = {"step": [], "jump": []}
    value = start
    for key, delta in (("ArrowRight", 1), ("ArrowLeft", -1)):
        for _ in range(steps):
            mark = page.evaluate("() => window.__wbLatency.length")
            page.keyboard.press(key)
            value += delta
            page.wait_for_function(
                f"() => window.__wbLatency.length > {mark} && "
                f"window.__wbLatency[window.__wbLatency.length - 1].value === '{value}'",
                timeout=10_000,
            )
            out["step"].append(latencies(page, mark)[-1]["ms"])
            page.wait_for_timeout(max(0, PACE_MS - 10))
    rng = random.Random(seed)
    for _ in range(jumps):
        target = rng.randrange(n_frames)
        while target == value:
            target = rng.randrange(n_frames)
        out["jump"].append(set_value(target)["ms"])
        value = target
        page.wait_for_timeout(250)
    return out


def report(name: str, player: dict, base: dict) -> dict:
    step_p = pct(player["step"])
    cached = [m for m, c in zip(player["step"], player["step_cached"], strict=True) if c]
    win_p = pct(cached)
    jump_p, cur_p = pct(player["jump"]), pct(player["cursor"])
    bstep, bjump = pct(base["step"]), pct(base["jump"])
    print(f"\n== {name} ==")
    print(f"{'':28}{'p50 ms':>9}{'p95 ms':>9}{'n':>6}")
    rows = [
        ("player step (all)", step_p, len(player["step"])),
        ("player step (in window)", win_p, len(cached)),
        ("player random jump", jump_p, len(player["jump"])),
        ("plot cursor follows step", cur_p, len([c for c in player["cursor"] if c is not None])),
        ("baseline step", bstep, len(base["step"])),
        ("baseline random jump", bjump, len(base["jump"])),
    ]
    for label, (p50, p95), n in rows:
        print(f"{label:28}{p50:9.1f}{p95:9.1f}{n:6d}")
    ratio = {
        "step_p50": bstep[0] / step_p[0],
        "step_p95": bstep[1] / step_p[1],
        "jump_p50": bjump[0] / jump_p[0],
        "jump_p95": bjump[1] / jump_p[1],
    }
    print(
        "baseline / player: step p50 {step_p50:.1f}x, p95 {step_p95:.1f}x; "
        "jump p50 {jump_p50:.1f}x, p95 {jump_p95:.1f}x".format(**ratio)
    )
    goals = {
        "step in window p95 <= 17 ms": win_p[1] <= GOALS["step_p95"],
        "random jump p95 <= 80 ms": jump_p[1] <= GOALS["jump_p95"],
        "cursor follows p95 <= 150 ms": cur_p[1] <= GOALS["cursor_p95"],
    }
    held = sum(player["jump_held"])
    print(f"jumps to a frame the browser held (no kernel round trip): {held} of {len(player['jump'])}")
    for goal, ok in goals.items():
        print(f"  {'met ' if ok else 'MISSED'}  {goal}")
    return {
        "player": {"step": step_p, "step_in_window": win_p, "jump": jump_p, "cursor": cur_p},
        "baseline": {"step": bstep, "jump": bjump},
        "ratio": ratio,
        "goals": goals,
        "cached_fraction": len(cached) / max(1, len(player["step"])),
        "jumps_held": held,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--jumps", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the 640x480 clip")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = ap.parse_args(argv)

    import os

    from playwright.sync_api import sync_playwright

    from workbench.sample import make_sample
    from workbench.video import open_clip

    os.environ.setdefault("TQDM_DISABLE", "1")
    project = Path(tempfile.mkdtemp(prefix="scrub-bench-"))
    t = time.time()
    make_sample(project)
    long_clip = make_long_clip(project / "data" / "long" / "walk_640x480_30fps.mp4", args.seconds)
    print(f"clips ready in {time.time() - t:.0f} s: {project}")
    cases = []
    for dataset, clip in (("sample", project / "data" / "sample" / "astronaut_1.mp4"), ("long", long_clip)):
        c = open_clip(clip)
        nb = notebook_variant(project, f"annotate_{dataset}.ipynb", DATASET=dataset, RATER="bench", ANALYSE=False)
        base = baseline_notebook(project, clip, f"baseline_{dataset}.ipynb", width=min(640, c.shape[1]))
        cases.append(
            (
                f"{dataset}: {clip.name} ({c.n_frames} frames, {c.shape[1]}x{c.shape[0]}, {c.fps:g} fps)",
                nb,
                base,
                c.n_frames,
            )
        )
    lab = start_lab(project, project / ".lab")
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for k, (name, nb, base_nb, n) in enumerate(cases):
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                player = run_player(page, lab, nb, n, args.steps, args.jumps, seed=k)
                page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
                page.close()
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                base = run_baseline(page, lab, base_nb, n, args.steps, args.jumps, seed=k)
                page.close()
                results[name] = report(name, player, base)
            browser.close()
    finally:
        stop_lab(lab)
        if not args.keep:
            shutil.rmtree(project, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
