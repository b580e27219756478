"""The class ledger: joins, names, answers journalled before acknowledged, restarts, the CSV view."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.seminar.ledger import Ledger, LedgerLockedError, NameTakenError, check_name, student_id
from workbench.teach import COURSE_COLUMNS, QuizItem


def _item(number: int, emotion: str = "anger") -> QuizItem:
    return QuizItem(number, f"e{number}", "a.mp4", 10, 12, 20, emotion, "4+7", 200.0, 0)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "answers" / "c1", "c1", flush_delay=0) as led:
        yield led


@pytest.mark.parametrize(
    ("name", "sid"),
    [("Ann Lee", "ann_lee"), ("  ann   LEE ", "ann_lee"), ("Zoë O'Brien", "zoe_o_brien"), ("李雷", None)],
)
def test_names_and_ids(name, sid):
    got = student_id(name)
    assert got == sid if sid else got.startswith("s-")


@pytest.mark.parametrize("bad", ["", "   ", "<script>", "a" * 41, "x/y", "..."])
def test_unusable_names_refused(bad):
    with pytest.raises(ValueError, match="Expected a name of 1 to 40"):
        check_name(bad)


def test_same_name_from_another_browser_is_refused_same_browser_resumes(ledger):
    ann = ledger.join("Ann Lee", "browser-1")
    assert ledger.join("ann lee", "browser-1") is ann  # a reload: the same student back
    with pytest.raises(NameTakenError, match="already taken"):
        ledger.join("Ann  Lee", "browser-2")
    assert ledger.returning("browser-1") is ann and ledger.returning("browser-2") is None
    assert len(ledger.students) == 1


def test_the_journal_keeps_only_a_hash_of_the_browser(ledger):
    ledger.join("Ann", "secret-session-cookie")
    assert "secret-session-cookie" not in ledger.journal.path.read_text()


def test_an_answer_is_journalled_before_it_returns_and_the_first_stands(ledger):
    sid = ledger.join("Ann", "b1").student
    row, new = ledger.answer(sid, "pre", _item(1), "fear", response_ms=512.0)
    assert new and row["correct"] is False and row["truth"] == "anger"
    assert '"answer": "fear"' in ledger.journal.path.read_text()  # on disk before the acknowledgement
    again, new = ledger.answer(sid, "pre", _item(1), "anger")
    assert not new and again["answer"] == "fear"
    _, new = ledger.answer(sid, "post", _item(1), "anger")  # another stage: another answer
    assert new
    assert len(ledger.answers()) == 2


def test_restart_resumes_everything(tmp_path):
    folder = tmp_path / "c1"
    led = Ledger(folder, "c1", flush_delay=0)
    ann = led.join("Ann", "b1")
    bob = led.join("Bob", "b2")
    led.answer(ann.student, "pre", _item(1), "anger")
    led.answer(bob.student, "pre", _item(1), "fear")
    led.finish(ann.student, "pre", [_item(1)])
    led._release_lock()  # a killed server: no close(), the CSV writer may not have run
    again = Ledger(folder, "c1", flush_delay=0)
    try:
        assert set(again.students) == {"ann", "bob"}
        assert again.students["ann"].stage() == "training"
        assert (again.students["bob"].form, again.students["bob"].arm) == (bob.form, bob.arm)
        assert len(again.answers()) == 2
        with pytest.raises(NameTakenError):
            again.join("Ann", "b3")
        table = pd.read_csv(folder / "answers.csv")  # written again from the journal at start
        assert list(table.columns) == list(COURSE_COLUMNS) and len(table) == 2
    finally:
        again.close()


def test_a_torn_last_line_is_cut_and_later_answers_survive(tmp_path):
    folder = tmp_path / "c1"
    with Ledger(folder, "c1", flush_delay=0) as led:
        sid = led.join("Ann", "b1").student
        led.answer(sid, "pre", _item(1), "anger")
    with open(folder / ".journal" / "ledger.jsonl", "ab") as f:
        f.write(b'{"op": "answer", "row": {"stud')  # killed mid-append: never acknowledged
    with pytest.warns(UserWarning, match="incomplete journal record"), Ledger(folder, "c1", flush_delay=0) as led:
        led.answer(sid, "pre", _item(2), "fear")
    with Ledger(folder, "c1", flush_delay=0) as led:
        assert sorted(led.answers()["item"]) == [1, 2]


def test_one_server_per_class(tmp_path, ledger):
    with pytest.raises(LedgerLockedError, match="no other server"):
        Ledger(ledger.folder, "c1")


def test_a_test_stage_is_finished_only_when_every_item_is_answered(ledger):
    sid = ledger.join("Ann", "b1").student
    with pytest.raises(ValueError, match=r"items \[1, 2\] are not"):
        ledger.finish(sid, "pre", [_item(1), _item(2)])
    ledger.answer(sid, "pre", _item(1), "anger")
    ledger.answer(sid, "pre", _item(2), "anger")
    ledger.finish(sid, "pre", [_item(1), _item(2)])
    assert ledger.students[sid].stage() == "training"


def test_files_written_on_close(tmp_path):
    with Ledger(tmp_path / "c1", "c1", control=True) as led:
        for k, name in enumerate(["A", "B", "C", "D"]):
            s = led.join(name, f"b{k}")
            led.answer(s.student, "pre", _item(1), "anger")
    students = pd.read_csv(tmp_path / "c1" / "students.csv")
    assert sorted(students["arm"]) == ["retest", "retest", "trained", "trained"]
    assert len(pd.read_csv(tmp_path / "c1" / "answers.csv")) == 4
    assert not [p for p in (tmp_path / "c1").iterdir() if p.name.startswith(".answers")]  # no temporary files
