"""`workbench seminar serve` in real browsers: joining, a whole small course, a reload, a taken name,
a server killed and restarted mid-quiz, and what the students' page receives before an answer.

The server is the real command (its own process, Solara's server on 127.0.0.1) on a copy of the
built-in sample, with a small course: forms of 2 faces, 2 practice faces, no AU curves.
"""

from __future__ import annotations

import json
import signal
import uuid

import pytest

from tests.support.seminar import (
    WAIT_MS,
    answer_one,
    answers_of,
    join,
    restart,
    run_stage,
    run_training,
    serve,
    start_stage,
    stop,
)
from workbench.seminar.classroom import Settings, course_of

SMALL = ("--n-test", "2", "--n-practice", "2", "--no-curves", "--code", "TEST42", "--key", "presenter-key")


@pytest.fixture(scope="module")
def served(sample_project, tmp_path_factory):
    log = tmp_path_factory.mktemp("seminar") / "server.log"
    server = serve(sample_project, "browser-tests", args=SMALL, log=log)
    yield server
    stop(server)


@pytest.fixture
def student(browser, request):
    """A new browser context per call (one student each: its own session cookie)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        return page

    yield make
    for context in contexts:
        context.close()


def test_join_with_a_name_shows_the_pre_test(served, student):
    page = student()
    join(page, served, "Ada Byron", code_in_url=False)
    page.locator(".wb-intro-pre").wait_for()
    assert page.locator(".wb-student").inner_text() == "Ada Byron"
    assert page.locator("a[href*=presenter]").count() == 0


def test_a_wrong_code_is_refused(served, student):
    page = student()
    page.goto(served.url + "/")
    page.get_by_label("Class code").fill("NOPE99")
    page.get_by_label("Your name").fill("Eve")
    page.get_by_role("button", name="Join").click()
    page.get_by_text("not the code of this class").wait_for()
    assert page.locator(".wb-intro-pre").count() == 0


def test_a_name_taken_by_another_browser_is_refused(served, student):
    first, second = student(), student()
    join(first, served, "Dana Scully")
    first.locator(".wb-intro-pre").wait_for()
    join(second, served, "dana  scully")
    second.get_by_text("already taken").wait_for()
    assert second.locator(".wb-intro-pre").count() == 0


def test_a_whole_small_course(served, student, browser):
    page = student()
    join(page, served, "Fox Mulder")
    assert run_stage(page, "pre", ".wb-intro-training") == 2
    assert run_training(page) >= 1
    assert run_stage(page, "practice", ".wb-intro-post") == 2
    assert run_stage(page, "post", ".wb-summary") == 2
    summary = page.locator(".wb-summary").inner_text()
    assert "Pre-test:" in summary and "Your gain:" in summary and "lies" in summary
    mine = answers_of(served, "fox_mulder", 6)
    assert sorted(mine["stage"]) == ["post", "post", "practice", "practice", "pre", "pre"]
    pre, post = set(mine.query("stage == 'pre'")["event_id"]), set(mine.query("stage == 'post'")["event_id"])
    assert not pre & post  # the post-test shows other faces
    presenter = browser.new_context().new_page()
    presenter.goto(served.presenter, timeout=WAIT_MS)
    presenter.locator(".wb-class-gain").get_by_text("gain").first.wait_for(timeout=WAIT_MS)
    assert "fox_mulder" in presenter.locator(".wb-roster").inner_text()
    presenter.context.close()


def test_the_presenter_page_follows_the_answers_live(served, student, browser):
    """Refreshed at most every PRESENTER_EVERY seconds, the presenter's page still shows each new
    answer without a reload."""
    presenter = browser.new_context().new_page()
    presenter.goto(served.presenter, timeout=WAIT_MS)
    row = presenter.locator(".wb-roster tr", has_text="john_doggett")
    page = student()
    join(page, served, "John Doggett")
    start_stage(page, "pre")
    row.wait_for(timeout=WAIT_MS)  # she joined
    for n in (1, 2):
        answer_one(page)
        presenter.locator(".wb-roster td", has_text="john_doggett").locator(
            f"xpath=../td[normalize-space()='{n}']"
        ).first.wait_for(timeout=WAIT_MS)  # her answers column says n
    presenter.context.close()


def test_a_reload_resumes_where_the_student_was(served, student):
    page = student()
    join(page, served, "Walter Skinner")
    start_stage(page, "pre")
    answer_one(page)
    page.locator(".wb-quiz[data-item='1'][data-phase=ready]").wait_for()
    page.reload()
    page.locator(".wb-quiz[data-item='1'][data-phase=ready]").wait_for()  # no name typed: the second face
    assert page.locator(".wb-student").inner_text() == "Walter Skinner"


def test_a_server_killed_mid_quiz_loses_no_answer(served, student):
    page = student()
    join(page, served, "Monica Reyes")
    start_stage(page, "pre")
    answer_one(page, "2")
    page.locator(".wb-quiz[data-item='1'][data-phase=ready]").wait_for()  # the first answer was acknowledged
    stop(served, signal.SIGKILL)
    again = restart(served)
    served.proc = again.proc  # the module's fixture stops the new one
    page.reload()
    page.locator(".wb-quiz[data-item='1'][data-phase=ready]").wait_for()
    mine = answers_of(served, "monica_reyes", 1)
    assert len(mine) == 1 and mine["answer"].iloc[0] == "sadness"
    answer_one(page, "3")
    page.locator(".wb-intro-training").wait_for()


def test_the_truth_is_not_sent_before_the_answer(served, student, sample_project):
    """Every websocket frame the page receives is kept; none before the answer names the item's truth."""
    course, _ = course_of(Settings.load(served.folder / "seminar.json"))
    secrets = {it.event_id for form in course.forms for it in form} | {it.clip for it in course.forms[0]}
    page = student()
    frames: list[str] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(_text(payload)))

    page.on("websocket", on_socket)
    join(page, served, "Dale Cooper")
    start_stage(page, "pre")
    page.locator(".wb-quiz[data-phase=ready]").wait_for()
    page.locator(".wb-quiz").focus()
    page.keyboard.press(" ")
    page.locator(".wb-quiz[data-phase=answer]").wait_for()
    before = "\n".join(frames)
    assert len(frames) > 10  # the page, the widgets and the JPEG buffers came through this socket
    assert '"truth"' not in before and not any(s in before for s in secrets)
    page.keyboard.press("1")
    page.locator(".wb-quiz[data-item='1'][data-phase=ready]").wait_for()
    assert '"truth"' not in "\n".join(frames)  # the pre-test reveals nothing, even after the answer
    assert json.dumps("recorded") in "\n".join(frames)


def _text(payload) -> str:
    return payload.decode("latin-1") if isinstance(payload, bytes | bytearray) else str(payload)


def test_the_websocket_is_not_compressed(served):
    """The server declines permessage-deflate: what it sends is mostly JPEG frames, which do not
    compress, and deflating them on the event loop delayed every student's acknowledgement."""
    from websockets.sync.client import connect

    host = served.url.removeprefix("http://")
    url = f"ws://{host}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"
    with connect(url, compression="deflate", open_timeout=WAIT_MS / 1000) as ws:
        assert "permessage-deflate" in ws.request.headers.get("Sec-WebSocket-Extensions", "")  # offered
        assert "permessage-deflate" not in ws.response.headers.get("Sec-WebSocket-Extensions", "")  # declined
