"""Teaching mode in a real JupyterLab: a four-item flash quiz, timed in headless Chromium.

Item 1 flashes a surprise at the clip's real speed (30 frames at 200 fps = 150 ms: the
display shows the frame whose timestamp is current at each refresh); item 2 holds an
anger apex for 1/25 s = 40 ms. The duration the browser measured (rAF timestamps of the
first paint of the expression and of the neutral frame after it) must match the asked one
within one display refresh (17 ms at 60 Hz).

On a loaded machine a flash can be disturbed (rAF callbacks come late: a 40 ms flash was
once shown for 133 ms); the widget says so and ``r`` replays it. So each item is replayed
until a flash is undisturbed (at most 5 replays, else the test fails listing every
measurement), and the timing is asserted on that flash. Items 3 and 4 hold the anger apex
for 200 ms and are disturbed on purpose: the page's main thread is blocked just after the
expression is painted. Item 3 must show the warning, then be replayed until undisturbed
(the warning gone); item 4 is answered anyway, and its answer row must say
``flash_disturbed``. The warning is checked after every flash: shown when (and only when)
the flash was disturbed. The widget's score, the student's answers file, the presenter's
live tally and its CSV export must all agree.
"""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest
from jlab import ARTIFACTS, open_notebook, press, run_all, wait_for

STUDENT = "alice"
FOLDER = "answers/seminar-test"

SETUP = f"""\
import dataclasses
import numpy as np
import xarray as xr
from workbench.sample import profile
from workbench.ui.quiz import Quiz, project_items
from workbench.ui.presenter import Presenter

real, clips = project_items(".", "sample", event_ids=["astronaut_1-280"])
held, more = project_items(".", "sample", event_ids=["astronaut_2-80"], mode="apex", hold_ms=40)
long, _ = project_items(".", "sample", event_ids=["astronaut_2-80"], mode="apex", hold_ms=200)
items = [real[0], *(dataclasses.replace(it, number=k) for k, it in ((2, held[0]), (3, long[0]), (4, long[0])))]
clips.update(more)


def truth_curves(aus, onset, apex, offset, n=1000):
    # AU curves shaped like the scripted truth: the test runs no detector
    shape = profile(n, onset, apex, offset)
    data = np.stack([shape * (1 - 0.1 * k) for k in range(len(aus))], axis=1).astype("float32")
    return xr.DataArray(data, dims=("frame", "au"), coords={{"frame": np.arange(n), "au": aus}})


curves = {{
    "astronaut_1.mp4": truth_curves(["AU1", "AU2", "AU5", "AU26"], 280, 292, 309),
    "astronaut_2.mp4": truth_curves(["AU4", "AU7"], 80, 96, 119),
}}
quiz = Quiz(items, clips, student="{STUDENT}", answers="{FOLDER}", curves=curves, outlines=False)
quiz
"""
PRESENTER = f'presenter = Presenter("{FOLDER}", items)\npresenter'


@pytest.fixture
def notebook(lab_project):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(PRESENTER)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab_project / "seminar_test.ipynb")
    return "seminar_test.ipynb"


def phase_is(page, phase: str, timeout: float = 30_000) -> None:
    wait_for(page, f"() => document.querySelector('.wb-quiz')?.dataset.phase === '{phase}'", timeout=timeout)


#: Replays (r) of a disturbed flash before the test gives up.
MAX_REPLAYS = 5
REPORTED = "(k) => (window.__wbQuiz || []).filter(e => e.report && e.item === k)"
#: Block the page's main thread for ``ms`` 10 ms after the next flash's expression is painted.
BLOCK = """(ms) => document.querySelector('.wb-quiz').addEventListener('wb-quiz-flash', (e) => {
  if (e.detail.stage !== 'expression') return;
  setTimeout(() => { const t = performance.now(); while (performance.now() - t < ms) {} }, 10);
}, { once: true })"""


def measured(entries: list[dict]) -> str:
    return "; ".join(
        f"shown {e['shown_ms']:.1f} ms for {e['asked_ms']:.0f} asked (refresh {e['refresh_ms']:.1f} ms, "
        f"{e['dropped_frames']} dropped, longest refresh {e['longest_ms']:.1f} ms, disturbed {e['disturbed']})"
        for e in entries
    )


def flash(page, item: int, key: str = "Space") -> dict:
    """Press ``key`` (Space: the flash; r: its replay) and return the browser's log entry of the flash.

    Checks that the measurement reached the kernel and came back in the synced traits, and that
    the warning is shown when (and only when) the flash was disturbed.
    """
    if key == "Space":
        phase_is(page, "ready")
    before = len(page.evaluate(REPORTED, item))
    press(page, ".wb-quiz", key)
    wait_for(
        page,
        f"([k, n]) => ({REPORTED})(k).length > n && document.querySelector('.wb-quiz').dataset.phase === 'answer'",
        [item, before],
    )
    entry = page.evaluate(REPORTED, item)[-1]
    wait_for(
        page,
        """(e) => { const d = document.querySelector('.wb-quiz').dataset;
                    return Math.abs(Number(d.shown) - e.shown_ms) < 0.01 && d.disturbed === String(e.disturbed); }""",
        entry,
    )
    warning = page.locator(".wb-quiz .wb-q-warn")
    if entry["disturbed"]:
        text = warning.inner_text()
        assert warning.is_visible() and text.startswith("Flash disturbed: "), (text, entry)
        asked = f"{entry['asked_ms']:.0f}"
        if abs(entry["shown_ms"] - entry["asked_ms"]) > entry["refresh_ms"]:
            assert re.search(rf"shown \d+ ms instead of {asked} ms; press r to replay", text), (text, entry)
        else:  # frames dropped, the duration right all the same
            assert f"during the {asked} ms flash; press r to replay" in text, (text, entry)
        if entry["dropped_frames"]:
            assert f"the display dropped {entry['dropped_frames']} frame" in text, (text, entry)
        assert page.locator(".wb-q-replay").is_enabled() and page.locator(".wb-q-anger").is_enabled()
    else:
        assert not warning.is_visible(), (warning.inner_text(), entry)
        assert not page.locator(".wb-q-replay").is_enabled()  # no second look at an undisturbed flash
    return entry


def undisturbed_flash(page, item: int, first: dict | None = None) -> dict:
    """The first undisturbed flash of ``item``, replaying (r) a disturbed one up to MAX_REPLAYS times."""
    entries = [first or flash(page, item)]
    while entries[-1]["disturbed"] and len(entries) <= MAX_REPLAYS:
        entries.append(flash(page, item, "r"))
    if entries[-1]["disturbed"]:
        pytest.fail(
            f"Expected an undisturbed flash of item {item + 1} within {MAX_REPLAYS} replays, " + measured(entries)
        )
    entry = entries[-1]
    assert abs(entry["shown_ms"] - entry["asked_ms"]) <= entry["refresh_ms"], measured(entries)
    assert 12.0 < entry["refresh_ms"] < 40.0, measured(entries)  # a real display cadence was measured
    print(f"item {item + 1}: {len(entries) - 1} replay(s); {measured(entries)}")
    return entry


def test_four_item_quiz_timing_disturbed_flashes_answers_score_and_export(page, lab, lab_project, notebook):
    open_notebook(page, lab, notebook)
    run_all(page)
    ARTIFACTS.mkdir(exist_ok=True)

    first = undisturbed_flash(page, 0)
    assert first["asked_ms"] == pytest.approx(150.0)
    painted = first["painted"]
    assert painted[0] == 280 and painted == sorted(painted) and painted[-1] <= 309 and len(painted) >= 3
    page.locator(".wb-quiz").screenshot(path=str(ARTIFACTS / "seminar-quiz.png"))
    press(page, ".wb-quiz", "6")  # surprise: right
    phase_is(page, "reveal")
    verdict = page.locator(".wb-q-verdict").inner_text()
    assert "Right" in verdict and "surprise" in verdict
    assert "inner brow raiser" in page.locator(".wb-q-info").inner_text()
    assert page.locator(".wb-q-score").inner_text() == "score 1 / 1"
    page.wait_for_timeout(600)  # let the slow-motion replay reach the apex
    page.locator(".wb-quiz").screenshot(path=str(ARTIFACTS / "seminar-reveal.png"))

    press(page, ".wb-quiz", "Space")  # next item
    second = undisturbed_flash(page, 1)
    assert second["asked_ms"] == pytest.approx(40.0)
    assert second["painted"] == [96]  # the apex, held
    page.locator(".wb-q-happiness").click()  # wrong: it is anger
    phase_is(page, "reveal")
    assert "Not quite" in page.locator(".wb-q-verdict").inner_text()
    assert page.locator(".wb-q-score").inner_text() == "score 1 / 2"

    # item 3: a flash disturbed on purpose (150 ms of a busy main thread during a 200 ms hold:
    # frames dropped, whatever the duration), the warning, then replays until undisturbed
    press(page, ".wb-quiz", "Space")
    phase_is(page, "ready")
    page.evaluate(BLOCK, 150)
    forced = flash(page, 2)
    # a late rAF callback is stamped with its frame's start, so the gap shows less than the 150 ms
    assert forced["disturbed"] and forced["longest_ms"] > 4 * forced["refresh_ms"] and forced["dropped_frames"] >= 3, (
        forced
    )
    page.locator(".wb-quiz").screenshot(path=str(ARTIFACTS / "seminar-disturbed.png"))
    third = undisturbed_flash(page, 2, forced)
    assert third["asked_ms"] == pytest.approx(200.0) and third["painted"] == [96]
    press(page, ".wb-quiz", "3")  # anger: right
    phase_is(page, "reveal")
    assert page.locator(".wb-q-score").inner_text() == "score 2 / 3"
    assert not page.locator(".wb-q-marked").count()

    # item 4: disturbed on purpose (300 ms: shown far too long), answered anyway
    press(page, ".wb-quiz", "Space")
    phase_is(page, "ready")
    page.evaluate(BLOCK, 300)
    fourth = flash(page, 3)
    assert fourth["disturbed"] and fourth["shown_ms"] > 200 + fourth["refresh_ms"], fourth
    press(page, ".wb-quiz", "2")  # sadness: wrong, after a disturbed flash
    phase_is(page, "reveal")
    assert "answered after a disturbed flash" in page.locator(".wb-q-marked").inner_text()
    assert not page.locator(".wb-quiz .wb-q-warn").is_visible()
    assert page.locator(".wb-q-score").inner_text() == "score 2 / 4"
    press(page, ".wb-quiz", "Space")
    phase_is(page, "done")
    assert not page.js_errors, page.js_errors

    # the student's file, written atomically by the kernel
    answers = pd.read_csv(lab_project / FOLDER / f"{STUDENT}.csv")
    assert answers[["item", "answer", "truth", "correct", "flash_disturbed"]].values.tolist() == [
        [1, "surprise", "surprise", True, False],
        [2, "happiness", "anger", False, False],
        [3, "anger", "anger", True, False],
        [4, "sadness", "anger", False, True],
    ]
    flashes = (first, second, third, fourth)
    assert answers["shown_ms"].tolist() == pytest.approx([e["shown_ms"] for e in flashes], abs=0.01)
    assert answers["dropped_frames"].tolist() == [e["dropped_frames"] for e in flashes]

    # the presenter's live view picks the answers up by itself, marks the disturbed one, then exports them
    wait_for(page, "() => /1 student\\(s\\) · 4 answer\\(s\\)/.test(document.body.innerText)", timeout=20_000)
    assert "1 after a disturbed flash" in page.locator(".wb-presenter-status").inner_text()
    plots = ".wb-presenter .js-plotly-plot"
    wait_for(page, f"() => document.querySelectorAll('{plots}').length === 3")
    wait_for(page, f"() => document.querySelectorAll('{plots} .barlayer .point').length >= 2")  # bars drawn
    assert "alice" in page.locator(".wb-presenter .wb-scores").inner_text()
    page.get_by_role("button", name="Export CSV").click()
    wait_for(page, "() => /wrote 4 answer/.test(document.body.innerText)")
    exported = pd.read_csv(lab_project / "answers" / "seminar-test-answers.csv")
    assert exported[["student", "item", "correct", "flash_disturbed"]].values.tolist() == [
        [STUDENT, 1, True, False],
        [STUDENT, 2, False, False],
        [STUDENT, 3, True, False],
        [STUDENT, 4, False, True],
    ]
    print(json.dumps({"shown_vs_asked_ms": [[e["shown_ms"], e["asked_ms"], e["disturbed"]] for e in flashes]}))
