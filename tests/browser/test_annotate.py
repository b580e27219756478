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


def cursor_x(page) -> float | None:
    return page.evaluate(
        """() => {
          for (const gd of document.querySelectorAll('.js-plotly-plot')) {
            const s = (gd.layout && gd.layout.shapes || []).find(s => s.name === 'cursor');
            if (s) return s.x0;
          }
          return null;
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
    wait_for(
        page,
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(gd =>
        (gd.layout.shapes || []).some(s => s.name === 'cursor' && s.x0 === 3.5))""",
    )

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
    assert cursor_x(page) is not None

    # Saving an offset before its onset is refused and the error is shown, not swallowed.
    press(page, PLAYER, "f", "ArrowRight", "o", "Enter")
    wait_for(page, "() => document.querySelector('.wb-player .wb-err').textContent.includes('onset')")
    assert "Expected" in page.locator(".wb-error").first.inner_text()
    page.screenshot(path=str(lab.root / "workbench.png"), full_page=True)
