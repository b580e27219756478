"""The review notebook in real JupyterLab: walk the queue, decide with a reason, a new mark by keys, export.

The hypothesis rater is the sample's truth with known disagreements (k = 2 frames)::

    astronaut_1.mp4  truth  100-139 happiness   280-309 surprise
                     hyp    106-145 (+6)        (dropped)           boundary, miss
    astronaut_2.mp4  truth  80-119 anger        (nothing)
                     hyp    80-119 disgust      300-320 happiness   label, false alarm

Worst first: the miss, the false alarm, the label, the boundary.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.jlab import ARTIFACTS, open_notebook, plot_state, press, run_all, wait_for
from workbench.store import Store

NOTEBOOK = "notebooks/review.ipynb"
HYP = "detector:mediapipe"
REVIEWER = "reviewer1"
PANEL = ".wb-review"
PLAYER = ".wb-review .wb-player"


def write_hypothesis(project) -> None:
    """The truth with one event shifted, one dropped, one relabelled and one extra."""
    store = Store(project / "annotations")
    hyp = store.read("sample", "truth")
    hyp["event_id"] = hyp["event_id"] + "-h"
    hyp = hyp[hyp["event_id"] != "astronaut_1-280-h"]
    shifted = hyp["event_id"] == "astronaut_1-100-h"
    hyp.loc[shifted, ["onset", "apex", "offset"]] += 6
    hyp.loc[hyp["event_id"] == "astronaut_2-80-h", "emotion"] = "disgust"
    extra = hyp.iloc[[0]].assign(event_id="extra-h", clip="astronaut_2.mp4", onset=300, apex=310, offset=320)
    store.write("sample", HYP, pd.concat([hyp, extra], ignore_index=True))


def wait_frame(page, frame: int) -> None:
    wait_for(page, "f => document.querySelector('.wb-review .wb-player')?.dataset.frame === String(f)", frame)


def pick(page, position: int) -> None:
    """Click a queue item (0-based) and wait until the card shows it."""
    page.locator(f"{PANEL} .wb-queue-list select").select_option(index=position)
    wait_for(page, "n => document.querySelector('.wb-card')?.textContent.startsWith('#' + n + ' of')", position + 1)


def spans(page) -> dict[str, str]:
    """Rater name -> fill colour of the event spans on the review's timeline, once both raters' are drawn."""
    return wait_for(
        page,
        """names => {
          const gd = document.querySelector('.wb-review .js-plotly-plot');
          const out = {};
          for (const t of (gd && gd.data) || []) {
            if (t.meta === 'events' && t.fill === 'toself') out[t.name] = t.fillcolor;
          }
          return names.every(n => n in out) && out;
        }""",
        ["truth", HYP],
        state=plot_state(PANEL),
    )


@pytest.fixture
def review(page, lab):
    write_hypothesis(lab.root)
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    page.wait_for_selector(PANEL)
    return page


def test_walk_the_queue_decide_and_export(review, lab):
    page = review
    box = page.locator(f"{PANEL} input[placeholder^='your reviewer id']")
    box.fill(REVIEWER)
    box.press("Enter")
    wait_for(page, "r => document.querySelector('.wb-reviewer')?.textContent === r", REVIEWER)
    options = page.locator(f"{PANEL} .wb-queue-list select option").all_inner_texts()
    assert [o.split()[2] for o in options] == ["miss", "false", "label", "boundary"], options

    # Walk: each item opens its clip at the onset of both marks, both raters' marks on the timeline.
    pick(page, 2)
    wait_frame(page, 80)
    assert "anger (truth) vs disgust (detector:mediapipe)" in page.locator(".wb-card").inner_text()
    colours = spans(page)
    assert colours["truth"] != colours[HYP], colours
    pick(page, 0)
    wait_frame(page, 280)
    wait_for(page, "() => document.querySelector('.wb-review canvas.wb-frame')?.width > 320")

    # Decide: tag a reason, keep the reference's mark of the miss.
    page.locator(f"{PANEL} .wb-reasons button", has_text="true miss").click()
    page.locator(f"{PANEL} .wb-decide-ref").click()
    wait_for(page, "() => document.querySelector('.wb-progress')?.textContent.includes('1 of 4 decided')")
    wait_for(page, "() => document.querySelector('.wb-card')?.textContent.startsWith('#2 of')")  # went on
    consensus = pd.read_csv(lab.root / "annotations" / "sample" / "consensus.csv", keep_default_na=False)
    row = consensus.set_index("source_event_id").loc["astronaut_1-280"]
    assert (row["decided_by"], row["note"], row["source_rater"]) == (REVIEWER, "true miss", "truth")
    assert "extra-h" not in set(consensus["source_event_id"])  # the open false alarm is not in it

    # A new mark for the false alarm from the player's keys: o, ten frames on a, two on f, 2 (sadness), Enter.
    wait_frame(page, 300)
    page.locator(PLAYER).scroll_into_view_if_needed()
    press(page, PLAYER, "o", "Shift+ArrowRight")
    wait_frame(page, 310)
    press(page, PLAYER, "a", "ArrowRight", "ArrowRight", "f", "2")
    wait_for(page, "() => document.querySelector('.wb-review .wb-marks')?.textContent.includes('offset 312')")
    page.locator(f"{PANEL} .wb-reasons button", has_text="other").click()
    press(page, PLAYER, "Enter")
    wait_for(page, "() => document.querySelector('.wb-progress')?.textContent.includes('2 of 4 decided')")
    wait_for(page, "() => document.querySelector('.wb-card')?.textContent.startsWith('#3 of')")  # went on
    assert page.locator(".wb-error").first.inner_text() == ""
    consensus = pd.read_csv(lab.root / "annotations" / "sample" / "consensus.csv", keep_default_na=False)
    new = consensus[consensus["decided_by"] == REVIEWER].set_index("onset").loc[300]
    assert (new["apex"], new["offset"], new["emotion"], new["source_rater"]) == (310, 312, "sadness", REVIEWER)

    page.locator(f"{PANEL} .wb-export").click()
    wait_for(page, "() => document.querySelector('.wb-exported')?.textContent.includes('2 record(s)')")
    audit = pd.read_csv(
        lab.root / "reviews" / "sample" / "truth--vs--detector--mediapipe-audit.csv", keep_default_na=False
    )
    assert audit[["action", "type", "reason", "stands", "reviewer"]].values.tolist() == [
        ["decision", "miss", "true miss", "ref", REVIEWER],
        ["decision", "false_alarm", "other", "new", REVIEWER],
    ]
    assert page.locator(".wb-error").first.inner_text() == ""
    assert not page.js_errors, page.js_errors
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1500, "height": 1900})  # the whole panel, timeline included
    wait_for(page, "() => window.innerHeight === 1900")
    page.locator(PANEL).scroll_into_view_if_needed()
    page.locator(PANEL).screenshot(path=str(ARTIFACTS / "review-panel.png"))  # once the panel's box is stable
