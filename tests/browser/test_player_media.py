"""Dataset-scale media in real JupyterLab: a 2040x1088 camera-style clip, watched before any
rater id is given, sent at the canvas' size, with a readout that names the picture on screen
and marks that wait for their frame's picture.

"A frame on its way" is made to last exactly as long as the test wants: decoding in the page
is held behind a gate (:data:`tests.support.jlab.DECODE_GATE`), so nothing depends on how
slow the kernel or the machine is.
"""

from __future__ import annotations

import pytest

from tests.support.clips import write_camera_clip
from tests.support.jlab import CLOSE_GATE, DECODE_GATE, OPEN_GATE, RUN_MS, notebook_variant, open_notebook, run_all
from tests.support.jlab import wait_for as wait

PLAYER = ".wb-player"
N_FRAMES = 120
SIZE = (2040, 1088)  # SAMM's frames
DATA = "() => document.querySelector('.wb-player')?.dataset"


@pytest.fixture(scope="module")
def big_notebook(lab):
    write_camera_clip(lab.root / "data" / "big" / "samm_like.mp4", N_FRAMES, 200.0, SIZE)
    return notebook_variant(lab.root, "annotate_big.ipynb", DATASET="big", RATER=None, ANALYSE=False)


def data(page) -> dict:
    return page.evaluate(DATA)


def marks_text(page) -> str:
    return page.locator(f"{PLAYER} .wb-marks").inner_text()


def test_a_2k_clip_shows_before_a_rater_and_a_mark_waits_for_its_picture(page, lab, big_notebook):
    page.add_init_script(f"({DECODE_GATE})()")
    open_notebook(page, lab, big_notebook)
    run_all(page, timeout=RUN_MS)
    # No rater id: the first frame is on screen all the same (watching needs none).
    wait(page, "() => document.querySelector('.wb-player')?.dataset.shown === '0'")
    assert page.locator(".wb-rater").inner_text() == "set your rater id"
    info = page.locator(f"{PLAYER} .wb-info").inner_text()
    assert info.startswith("frame 0 / 119 ·") and "200 fps" in info
    # The picture came at the canvas' size (device pixels), not at 2040x1088.
    box = page.evaluate("() => [window.__wbGate.width, window.__wbGate.height, window.devicePixelRatio]")
    assert box[0] <= 520 * box[2] and box[0] < SIZE[0] and abs(box[0] / box[1] - SIZE[0] / SIZE[1]) < 0.02, box

    # Marking asks for a rater.
    page.locator(PLAYER).first.focus()
    page.keyboard.press("o")
    wait(page, "() => document.querySelector('.wb-player .wb-err').textContent.includes('rater id before marking')")
    rater = page.locator(".wb-workbench input[placeholder^='your rater id']")
    rater.fill("honest")
    rater.press("Enter")
    wait(page, "() => document.querySelector('.wb-rater')?.textContent === 'honest'")
    assert data(page)["shown"] == "0"  # the clip stayed on screen

    # Hold decoding, then jump to the last frame and press o at once.
    page.evaluate(CLOSE_GATE)
    wait(page, "() => window.__wbGate.inflight === 0")
    page.locator(PLAYER).first.focus()
    page.keyboard.press("End")
    page.keyboard.press("o")
    # The frame is on its way: the notice says so, the readout names the picture on screen,
    # and the mark waits in the browser.
    wait(page, "() => document.querySelector('.wb-player').dataset.loading === '119'")
    notice = page.locator(f"{PLAYER} .wb-loading")
    assert notice.is_visible() and "loading frame 119" in notice.inner_text() and "onset waits" in notice.inner_text()
    state = data(page)
    assert (state["frame"], state["shown"], state["waiting"]) == ("119", "0", "onset"), state
    assert page.locator(f"{PLAYER} .wb-frame-index").inner_text() == "0"
    assert "onset –" in marks_text(page)
    # The picture comes: the mark is sent with the frame shown.
    page.evaluate(OPEN_GATE)
    wait(page, "() => document.querySelector('.wb-player').dataset.shown === '119'")
    wait(page, "() => document.querySelector('.wb-player .wb-marks').textContent.includes('onset 119')")
    assert not notice.is_visible() and page.locator(f"{PLAYER} .wb-frame-index").inner_text() == "119"

    # A mark whose frame never came to the screen (the cursor moved on first) is not made.
    page.evaluate(CLOSE_GATE)
    wait(page, "() => window.__wbGate.inflight === 0")
    goto = page.locator(f"{PLAYER} input.wb-goto")
    goto.fill("60")
    goto.press("Enter")
    wait(page, "() => document.querySelector('.wb-player').dataset.loading === '60'")
    page.keyboard.press("o")
    assert data(page)["waiting"] == "onset"
    page.keyboard.press("End")  # back to 119, still decoded: drawn at once
    wait(page, "() => document.querySelector('.wb-player').dataset.shown === '119'")
    assert "onset not marked: you moved on before frame 60 was shown" in marks_text(page)
    page.evaluate(OPEN_GATE)
    page.keyboard.press("1")  # an action after it: once its answer is back, the kernel has seen everything
    wait(page, "() => document.querySelector('.wb-player .wb-marks').textContent.includes('happiness')")
    assert "onset 119" in marks_text(page)
    assert not page.js_errors, page.js_errors
