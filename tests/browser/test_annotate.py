"""The annotation notebook in real JupyterLab: keys, save, store, restart, undo."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.support.jlab import (
    DECODE_GATE,
    OPEN_GATE,
    REFRESH_MS,
    RUN_MS,
    open_notebook,
    paused_clock,
    plot_state,
    press,
    restart_kernel,
    run_all,
    wait_for,
)

NOTEBOOK = "notebooks/annotate.ipynb"
PLAYER = ".wb-player"
RATER = "tester"
LISTED = "t => [...document.querySelectorAll('.wb-events option')].some(o => o.text.startsWith(t))"


def frame_of(page) -> int:
    return int(page.locator(PLAYER).first.get_attribute("data-frame"))


def wait_frame(page, frame: int) -> None:
    """Wait until the cursor is at ``frame`` and its picture is on screen (a mark waits for it)."""
    wait_for(
        page,
        "f => { const d = document.querySelector('.wb-player')?.dataset; "
        "return d && d.frame === String(f) && d.shown === String(f); }",
        frame,
    )


#: The timeline shows the clip: its x axis spans the 1000 frames and the seek strip is drawn.
TIMELINE_DRAWN = """() => {
  const gd = document.querySelector('.wb-timeline .js-plotly-plot');
  return gd && gd._fullLayout && gd._fullLayout.xaxis.range[1] === 1000 && gd.data.some(t => t.name === 'seek');
}"""


def set_rater(page, rater: str) -> None:
    """Set the rater and wait until the clip is open: its frame and its timeline drawn."""
    box = page.locator(".wb-workbench input[placeholder^='your rater id']")
    box.fill(rater)
    box.press("Enter")
    # The first opening of a clip runs the face model once (cached afterwards).
    wait_for(page, "r => document.querySelector('.wb-rater')?.textContent === r", rater, RUN_MS)
    wait_for(page, "() => document.querySelector('.wb-player canvas.wb-frame')?.width > 320")
    # not the empty plot shown before the clip's is drawn
    wait_for(page, TIMELINE_DRAWN, state=plot_state(".wb-timeline"))


#: The rater's own span on the timeline: a rectangle from frame 3 to 19 (offset 18, inclusive).
SPAN_DRAWN = """r => {
  const gd = document.querySelector('.wb-timeline .js-plotly-plot');
  const own = gd.data.find(t => t.meta === 'events' && t.fill === 'toself' && t.name === r + ' (you)');
  return own && own.x[0] === 3 && own.x[1] === 19;
}"""


def plot_point(page, frame: int) -> tuple[float, float]:
    """Page coordinates of the middle of ``frame`` on the timeline, half way up the plot."""
    return page.evaluate(
        """f => {
          const gd = document.querySelector('.wb-timeline .js-plotly-plot');
          const { xaxis: xa, yaxis: ya } = gd._fullLayout;
          const box = gd.getBoundingClientRect();
          return [box.left + xa._offset + xa.l2p(f + 0.5), box.top + ya._offset + ya._length / 2];
        }""",
        frame,
    )


def events_list(page) -> list[str]:
    return page.locator(".wb-events select option").all_inner_texts()


def plot_cursor(page) -> dict | None:
    """The timeline's cursor as drawn by the player: its frame, its x in the plot and the x
    plotly puts the middle of that frame at."""
    return page.evaluate(
        """() => {
          const line = document.querySelector('.wb-timeline .wb-plot-cursor');
          if (!line || line.style.display === 'none') return null;
          const xa = line.closest('.js-plotly-plot')._fullLayout.xaxis;
          const frame = Number(line.dataset.frame);
          return { frame, x: new DOMMatrixReadOnly(getComputedStyle(line).transform).m41,
                   expected: xa._offset + xa.l2p(frame + 0.5) };
        }"""
    )


@pytest.fixture
def annotate(page, lab):
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    page.wait_for_selector(".wb-workbench")
    return page


def test_mark_save_restart_undo(annotate, lab):
    page = annotate
    store_file = lab.root / "annotations" / "sample" / f"{RATER}.csv"
    set_rater(page, RATER)
    page.locator(PLAYER).scroll_into_view_if_needed()

    # Step with the keys; the plot cursor follows the player.
    press(page, PLAYER, "ArrowRight", "ArrowRight", "ArrowRight")
    wait_frame(page, 3)
    wait_for(page, "() => document.querySelector('.wb-timeline .wb-plot-cursor')?.dataset.frame === '3'")
    cursor = plot_cursor(page)
    assert abs(cursor["x"] - cursor["expected"]) < 1.5, cursor  # over frame 3 of the plot's axis

    # Mark onset 3, apex 13, offset 18, emotion happiness (key 1), save with Enter.
    press(page, PLAYER, "o", "Shift+ArrowRight")
    wait_frame(page, 13)
    press(page, PLAYER, "a", *["ArrowRight"] * 5)
    wait_frame(page, 18)
    press(page, PLAYER, "f", "1")
    wait_for(page, "() => document.querySelector('.wb-marks').textContent.includes('offset 18')")
    wait_for(page, "() => document.querySelector('.wb-marks').textContent.includes('happiness')")
    press(page, PLAYER, "Enter")
    wait_for(page, LISTED, "3–18")

    saved = pd.read_csv(store_file)
    row = saved.iloc[0]
    got = tuple(row[c] for c in ("onset", "apex", "offset", "emotion", "rater"))
    assert got == (3, 13, 18, "happiness", RATER)
    assert row["clip"] == "astronaut_1.mp4"

    # The new span is drawn on the timeline, and a click landing on it seeks to the frame under it.
    wait_for(page, SPAN_DRAWN, RATER)
    page.locator(".wb-timeline .js-plotly-plot").scroll_into_view_if_needed()
    page.mouse.click(*plot_point(page, 10))
    wait_for(page, "() => Math.abs(Number(document.querySelector('.wb-player').dataset.frame) - 10) <= 1")

    # A new kernel reads the store back.
    restart_kernel(page)
    run_all(page)
    set_rater(page, RATER)
    wait_for(page, LISTED, "3–18")

    # Ctrl+Z undoes the save, in the widget and in the file.
    press(page, PLAYER, "Control+z")
    wait_for(page, "() => document.querySelectorAll('.wb-events select option').length === 0")
    assert pd.read_csv(store_file).empty
    assert not page.js_errors, page.js_errors


def test_timeline_click_seeks_and_errors_show(annotate, lab):
    page = annotate
    set_rater(page, "tester2")
    page.locator(".wb-timeline .js-plotly-plot").scroll_into_view_if_needed()
    # The page's figure lags the kernel's, as while new curves are on their way: the kernel
    # has drawn the AU curves and the seek strip, the page shows the strip alone. Plotly names
    # a clicked trace by its index in the page's figure, which in the kernel is a curve.
    wait_for(page, "() => document.querySelector('.wb-timeline .js-plotly-plot').data.length > 1")
    # The timeline shows the cursor from the start, before any step.
    wait_for(page, "() => document.querySelector('.wb-timeline .wb-plot-cursor')?.dataset.frame === '0'")
    page.evaluate(
        """() => { const gd = document.querySelector('.wb-timeline .js-plotly-plot');
                   return window.Plotly.deleteTraces(gd, gd.data.map((_, i) => i).slice(0, -1)); }"""
    )
    # Click near the middle of the plot area: the player follows the timeline.
    box = page.locator(".wb-timeline .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    wait_for(page, "() => Number(document.querySelector('.wb-player').dataset.frame) > 300")
    target = frame_of(page)
    assert abs(target - 500) < 40, target
    cursor = plot_cursor(page)
    assert cursor["frame"] == target and abs(cursor["x"] - cursor["expected"]) < 1.5, cursor

    # Saving an offset before its onset is refused and the error is shown, not swallowed.
    press(page, PLAYER, "f", "ArrowRight", "o", "Enter")
    wait_for(page, "() => document.querySelector('.wb-player .wb-err').textContent.includes('onset')")
    assert "Expected" in page.locator(".wb-error").first.inner_text()
    page.screenshot(path=str(lab.root / "workbench.png"), full_page=True)


#: Installed before the page loads: making a big script (plotly's widget module, 5 MB) holds the
#: page 2.5 s, as a busy machine does while it evaluates it. anywidget gives a widget's model 2 s.
SLOW_BIG_SCRIPT = """() => {
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => {
    if (blob instanceof Blob && blob.size > 1e6) {
      const end = Date.now() + 2500;
      while (Date.now() < end);
    }
    return create(blob);
  };
}"""


def test_the_timeline_draws_the_clip_in_a_browser_slow_to_load_plotly(page, lab):
    """On a busy machine the plot's module takes more than anywidget's 2 s: the timeline still
    shows what the kernel sent (set_rater waits for the clip's range and its seek strip)."""
    page.add_init_script(f"({SLOW_BIG_SCRIPT})()")
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    set_rater(page, "slow")
    assert not page.js_errors, page.js_errors


#: Playback speeds, slowest first ([ and ] step through them), and the sample's frame rate.
SPEEDS = {"1/16x": 1 / 16, "1/8x": 1 / 8, "1/4x": 1 / 4, "1/2x": 1 / 2, "1x": 1.0}
FPS = 200.0
#: The clock runs in steps of 25 refreshes (400 ms), 5 (80 ms) at 1x: a whole number of frames
#: at every speed, and at most 40, well inside what the player decodes ahead of its cursor.
STEP_MS = 25 * REFRESH_MS
#: Every frame the player's data-frame showed, in order (each once).
FRAMES_SHOWN = """() => {
  const player = document.querySelector('.wb-player');
  const shown = (window.__wbShown = [Number(player.dataset.frame)]);
  new MutationObserver(() => {
    const frame = Number(player.dataset.frame);
    if (frame !== shown[shown.length - 1]) shown.push(frame);
  }).observe(player, { attributes: true, attributeFilter: ['data-frame'] });
}"""


def info_shows(page, text: str) -> None:
    wait_for(page, "t => document.querySelector('.wb-player .wb-info').textContent.includes(t)", text)


def ahead_of(page) -> int:
    return int(page.locator(PLAYER).first.get_attribute("data-ahead"))


def frames_at(ms: int, rate: float) -> int:
    """Frames advanced ``ms`` after play started, as the player computes it (JavaScript's doubles)."""
    return math.floor((ms / 1000) * rate)


def play_for(page, ms: int, rate: float) -> None:
    """Run the paused clock ``ms`` while playing at ``rate``; before each step, wait until the frames
    that step shows are decoded, and after it, check the frame: start + elapsed x rate, exactly."""
    start = frame_of(page)
    step = STEP_MS if frames_at(STEP_MS, rate) <= 40 else STEP_MS // 5
    for t in range(step, ms + 1, step):
        need = frames_at(t, rate) - frames_at(t - step, rate)
        wait_for(page, "n => Number(document.querySelector('.wb-player').dataset.ahead) >= n", need)
        page.clock.run_for(step)
        assert frame_of(page) == start + frames_at(t, rate), (t, rate, start, frame_of(page))


@pytest.fixture
def annotate_clocked(page, lab):
    """The annotation notebook in a page whose clock the test controls (and whose decoding it can hold)."""
    page.clock.install()
    page.add_init_script(f"({DECODE_GATE})()")
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    page.wait_for_selector(".wb-workbench")
    return page


def test_playback_on_the_page_clock_pause_a_frame_not_decoded_and_the_whole_clip_held(annotate_clocked, lab):
    page = annotate_clocked
    set_rater(page, "player")
    # While idle the player fills its store with every JPEG of the clip (1000 frames).
    wait_for(page, "() => document.querySelector('.wb-player').dataset.held === 'all'", timeout=RUN_MS)
    info = page.locator(".wb-player .wb-info")
    assert "1/4x" in info.inner_text() and "· 200 fps ·" in info.inner_text()  # the default speed
    press(page, PLAYER, "Home", "[", "[")
    wait_frame(page, 0)
    info_shows(page, "1/16x")

    # Frames advanced per simulated second at each speed: exactly the clip's fps x the speed.
    advanced = {}
    with paused_clock(page):
        press(page, PLAYER, "Space")
        info_shows(page, "▶")
        for k, (label, speed) in enumerate(SPEEDS.items()):
            if k:
                press(page, PLAYER, "]")  # faster
                info_shows(page, label)
            start = frame_of(page)
            play_for(page, 2000, FPS * speed)
            advanced[label] = (frame_of(page) - start) / 2
        press(page, PLAYER, "Space")  # pause: the frame stays
        info_shows(page, "❚❚")
        stopped = frame_of(page)
        page.clock.run_for(1000)
        assert frame_of(page) == stopped
    assert advanced == {label: FPS * speed for label, speed in SPEEDS.items()}
    assert stopped == 2 * (12.5 + 25 + 50 + 100 + 200)

    # A frame not yet decoded makes the player wait on the last decoded one, then go on from
    # there: decoding is held while the clock runs past the frames decoded ahead.
    press(page, PLAYER, "[", "[")  # slower twice: 1/4x, 50 frames/s
    info_shows(page, "1/4x")
    page.evaluate("() => { window.__wbGate.open = false; }")
    wait_for(page, "() => window.__wbGate.inflight === 0")  # the cache stays as it is now
    with paused_clock(page):
        start, ahead = frame_of(page), ahead_of(page)
        page.evaluate(FRAMES_SHOWN)
        press(page, PLAYER, "Space")
        info_shows(page, "▶")
        # frame start + ahead is due ahead x 20 ms after play; run on 400 ms past the next one's time
        page.clock.run_for(5 * REFRESH_MS * math.ceil(((ahead + 1) * 20 + 400) / (5 * REFRESH_MS)))
        assert (frame_of(page), ahead_of(page)) == (start + ahead, 0)
        page.clock.run_for(60 * REFRESH_MS)
        assert frame_of(page) == start + ahead and "▶" in info.inner_text()  # waiting, not skipping
        page.evaluate(OPEN_GATE)
        play_for(page, 400, 50.0)  # on from the frame it waited at, not from where the clock is
        assert frame_of(page) == start + ahead + 20
        shown = page.evaluate("() => window.__wbShown")
        assert shown == list(range(start, start + ahead + 21)), shown  # one frame after another
        press(page, PLAYER, "Space")
    assert not page.js_errors, page.js_errors
