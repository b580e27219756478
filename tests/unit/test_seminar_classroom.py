"""A served seminar without a browser: settings kept with the class, the course from the sample,
what the stage quiz sends (no truth before the answer is recorded), resuming, training pairs."""

from __future__ import annotations

import json

import pytest

from workbench.schema import EMOTIONS
from workbench.seminar.classroom import Classroom, Settings
from workbench.seminar.widgets import StageQuiz, Training


@pytest.fixture(scope="module")
def room(sample_project, tmp_path_factory):
    name = tmp_path_factory.mktemp("c").name.replace("_", "-")
    settings, resumed = Settings.open(sample_project, name, n_test=2, n_practice=3, analysis=False, code="abc234")
    assert not resumed
    settings.save()
    r = Classroom(settings)
    yield r
    r.close()


def _sent(widget):
    out = []
    widget.send = lambda content, buffers=None: out.append((content, buffers or []))
    return out


def test_settings_are_kept_and_a_changed_course_is_refused(room):
    s = room.settings
    assert s.code == "ABC234" and len(s.key) >= 12
    assert oct(s.path.stat().st_mode & 0o777) == "0o600"
    again, resumed = Settings.open(s.project, s.seminar, n_test=2)
    assert resumed and again.code == s.code and again.key == s.key
    with pytest.raises(ValueError, match="as it began"):
        Settings.open(s.project, s.seminar, n_test=5)
    assert room.check_code(" abc 234") and not room.check_code("ABC235") and room.check_key(s.key)


def test_forms_from_the_sample_are_disjoint(room):
    a, b = room.course.forms
    assert len(a) == len(b) == 2 and not {i.event_id for i in a} & {i.event_id for i in b}


def test_stage_quiz_sends_no_truth_before_the_answer_is_recorded(room):
    ann = room.ledger.join("Ann", "b1")
    items = room.items(ann, "pre")
    quiz = StageQuiz(items, room.material, ledger=room.ledger, student=ann, stage="pre")
    sent = _sent(quiz)
    quiz._on_msg(None, {"type": "load", "item": 0}, [])
    content, buffers = sent[-1]
    assert content["type"] == "item" and buffers
    text = json.dumps(content)
    truth = items[0]
    for secret in (truth.emotion, truth.event_id, truth.clip, truth.aus):
        assert secret not in text
    state = {k: v for k, v in quiz.get_state().items() if k not in ("emotion_keys", "_esm")}  # the answer keys
    assert not any(e in json.dumps(state, default=str) for e in EMOTIONS)  # nor in the synced traits
    quiz._on_msg(None, {"type": "shown", "item": 0, "shown_ms": items[0].asked_ms, "refresh_ms": 16.7}, [])
    quiz._on_msg(None, {"type": "answer", "item": 0, "answer": "fear", "response_ms": 400}, [])
    assert sent[-1][0] == {"type": "recorded", "item": 0, "saving": "answer saved"}  # the pre-test reveals nothing
    assert room.ledger.students[ann.student].answered("pre")[1]["answer"] == "fear"
    assert quiz.score == "" and quiz.correct == [None, None]


def test_the_acknowledgement_follows_the_journal_and_precedes_the_state_updates(room):
    """The page moves on at ``recorded``: it must be a promise (the answer is in the journal on disk)
    and come first (the state updates after it do not delay the student)."""
    cleo = room.ledger.join("Cleo", "b3")
    items = room.items(cleo, "pre")
    quiz = StageQuiz(items, room.material, ledger=room.ledger, student=cleo, stage="pre")
    log = []
    journal = room.ledger.journal.path

    def send(content, buffers=None):
        on_disk = [json.loads(line) for line in journal.read_text().splitlines()]
        mine = [r for r in on_disk if r["op"] == "answer" and r["row"]["student"] == cleo.student]
        log.append((content["type"], [r["row"]["answer"] for r in mine]))

    quiz.send = send
    quiz.observe(lambda change: log.append((change["name"], None)), names=["saving", "answers"])
    quiz._on_msg(None, {"type": "shown", "item": 1, "shown_ms": items[1].asked_ms, "refresh_ms": 16.7}, [])
    quiz._on_msg(None, {"type": "answer", "item": 1, "answer": "anger", "response_ms": 300}, [])
    assert log == [("recorded", ["anger"]), ("saving", None), ("answers", None)]


def test_practice_reveals_after_recording_and_a_reload_resumes(room):
    bob = room.ledger.join("Bob", "b2")
    items = room.items(bob, "practice")
    quiz = StageQuiz(items, room.material, ledger=room.ledger, student=bob, stage="practice")
    sent = _sent(quiz)
    quiz._on_msg(None, {"type": "answer", "item": 0, "answer": items[0].emotion}, [])
    reveal, buffers = sent[-1]
    assert reveal["type"] == "reveal" and reveal["truth"] == items[0].emotion and reveal["correct"] is True
    assert len(buffers) >= 1  # the motion image
    reloaded = StageQuiz(items, room.material, ledger=room.ledger, student=bob, stage="practice")
    assert reloaded.index == 1 and reloaded.answers[0] == items[0].emotion and reloaded.score == "1 / 1"


def test_training_pairs_come_from_the_class_confusion_and_examples_avoid_the_post_test(room):
    ann = room.ledger.join("Cat", "b3")
    for item in room.items(ann, "pre"):
        wrong = "happiness" if item.emotion != "happiness" else "surprise"
        room.ledger.answer(ann.student, "pre", item, wrong)
    pairs = room.pairs()
    assert pairs[0].source == "class" and pairs[0].confusions >= 1
    post = {it.event_id for it in room.items(ann, "post")}
    assert not {it.event_id for it in room.examples(ann).values()} & post
    widget = Training(pairs, room.examples(ann), room.material)
    sent = _sent(widget)
    k = next(i for i, p in enumerate(widget.pairs) if p["examples"])
    widget._on_msg(None, {"type": "load", "pair": k}, [])
    content, buffers = sent[-1]
    assert content["type"] == "pair" and sum(side["n"] for side in content["sides"]) == len(buffers)
