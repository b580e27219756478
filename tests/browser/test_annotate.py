"""The annotation notebook in real JupyterLab: keys, save, store, restart, undo."""

from __future__ import annotations

import pandas as pd
import pytest
from jlab import open_notebook, press, restart_kernel, run_all, wait_for

NOTEBOOK = "notebooks/annotate.ipynb"
PLAYER = ".wb-player"
RATER = "tester"
LISTED = "t => [...document.querySelectorAll('.wb-events option')].some(o => o.text.startsWith(t))"


def frame_of(page) -> int:
    return int(page.locator(PLAYER).first.get_attribute("data-frame"))


def wait_frame(page, frame: int) -> None:
    wait_for(page, "f => document.querySelector('.wb-player')?.dataset.frame === String(f)", frame)


def set_rater(page, rater: str) -> None:
    box = page.locator(".wb-workbench input[placeholder^='your rater id']")
    box.fill(rater)
    box.press("Enter")
    # The first opening of a clip runs the face model once (cached afterwards).
    wait_for(page, "r => document.querySelector('.wb-rater')?.textContent === r", rater, 300_000)
    wait_for(page, "() => document.querySelector('.wb-player canvas.wb-frame')?.width > 320")


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
    run_all(page, timeout=240_000)
    page.wait_for_selector(".wb-workbench", timeout=60_000)
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

    # A new kernel reads the store back.
    restart_kernel(page)
    run_all(page, timeout=240_000)
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


PLAY_PROBE = """(ms) => new Promise((resolve) => {
  // frames advanced per second of page time while playing, read from the player's own frame
  const player = document.querySelector('.wb-player');
  const f0 = Number(player.dataset.frame), t0 = performance.now();
  setTimeout(() => resolve((Number(player.dataset.frame) - f0) / ((performance.now() - t0) / 1000)), ms);
})"""


def test_playback_at_the_chosen_speed_and_the_whole_clip_held(annotate, lab):
    page = annotate
    set_rater(page, "player")
    # While idle the player fills its store with every JPEG of the clip (1000 frames).
    wait_for(page, "() => document.querySelector('.wb-player').dataset.held === 'all'", timeout=120_000)
    info = page.locator(".wb-player .wb-info")
    assert "1/4x" in info.inner_text()  # the default speed: 200 fps clip shown at 50 frames/s
    press(page, PLAYER, "Home")
    wait_frame(page, 0)
    press(page, PLAYER, "Space")
    wait_for(page, "() => document.querySelector('.wb-player .wb-info').textContent.includes('▶')")
    # The player moves by the clock (frame = start + elapsed x rate); a frame not yet
    # decoded makes it wait, so a loaded machine can only lower the rate, never raise it.
    quarter = page.evaluate(PLAY_PROBE, 1500)
    assert 0.6 * 50 <= quarter <= 1.1 * 50, quarter
    press(page, PLAYER, "]")  # faster: 1/2x, 100 frames/s
    wait_for(page, "() => document.querySelector('.wb-player .wb-info').textContent.includes('1/2x')")
    half = page.evaluate(PLAY_PROBE, 1500)
    assert 0.6 * 100 <= half <= 1.1 * 100 and half > 1.4 * quarter, (quarter, half)
    press(page, PLAYER, "Space")  # pause: the frame stays
    wait_for(page, "() => document.querySelector('.wb-player .wb-info').textContent.includes('❚❚')")
    stopped = frame_of(page)
    page.wait_for_timeout(400)
    assert frame_of(page) == stopped and 100 < stopped < 999
    press(page, PLAYER, "[", "[")  # slower twice: 1/8x
    wait_for(page, "() => document.querySelector('.wb-player .wb-info').textContent.includes('1/8x')")
    assert not page.js_errors, page.js_errors
