"""The annotation store: atomic saves, journal recovery, undo/redo, one writer per rater."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from workbench import store as store_module
from workbench.schema import EventError
from workbench.store import Store, StoreConflictError, StoreLockedError, parse_rater_ref

EVENT = dict(clip="astronaut_1.mp4", onset=10, apex=14, offset=20, emotion="happiness", aus="6+12")


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "annotations")


def test_add_writes_a_readable_csv(store):
    with store.open("demo", "alice") as s:
        eid = s.add(EVENT)
    text = store.path("demo", "alice").read_text()
    assert text.splitlines()[0] == "clip,rater,event_id,onset,apex,offset,emotion,aus,kind,confidence,note"
    assert f"astronaut_1.mp4,alice,{eid},10,14,20,happiness,6+12" in text
    assert store.raters("demo") == ["alice"] and store.datasets() == ["demo"]


def test_rows_are_saved_in_a_stable_order(store):
    with store.open("demo", "alice") as s:
        for onset in (50, 5, 30):
            s.add({**EVENT, "onset": onset, "apex": None, "offset": onset + 3})
        s.add({**EVENT, "clip": "astronaut_10.mp4", "onset": 1, "apex": None, "offset": 2})
        s.add({**EVENT, "clip": "astronaut_2.mp4", "onset": 1, "apex": None, "offset": 2})
    df = store.read("demo", "alice")
    assert list(zip(df["clip"], df["onset"], strict=True)) == [
        ("astronaut_1.mp4", 5),
        ("astronaut_1.mp4", 30),
        ("astronaut_1.mp4", 50),
        ("astronaut_2.mp4", 1),
        ("astronaut_10.mp4", 1),
    ]


def test_update_delete_undo_redo(store):
    with store.open("demo", "alice") as s:
        a = s.add(EVENT)
        s.update(a, emotion="surprise", aus="1+2")
        assert s.get(a)["emotion"] == "surprise"
        s.delete(a)
        assert s.events.empty
        assert s.undo() and s.get(a)["emotion"] == "surprise"
        assert s.undo() and s.get(a)["emotion"] == "happiness"
        assert s.redo() and s.get(a)["emotion"] == "surprise"
        assert s.undo() and s.undo() and s.events.empty
        assert not s.undo()  # nothing left
        assert s.redo() and len(s.events) == 1


def test_undo_and_redo_survive_a_restart(store):
    with store.open("demo", "alice") as s:
        a = s.add(EVENT)
        s.update(a, onset=12)
        s.undo()
    with store.open("demo", "alice") as s:
        assert s.can_undo and s.can_redo
        assert s.redo() and s.get(a)["onset"] == 12
        assert s.undo() and s.undo() and s.events.empty


def test_a_new_edit_clears_redo(store):
    with store.open("demo", "alice") as s:
        s.add(EVENT)
        s.undo()
        s.add({**EVENT, "onset": 11})
        assert not s.can_redo


def test_second_writer_on_the_same_rater_is_refused(store):
    with store.open("demo", "alice"):
        with pytest.raises(StoreLockedError, match=r"alice\.csv is already open for writing \(pid \d+"):
            store.open("demo", "alice")
        with store.open("demo", "bob") as other:  # another rater is fine
            other.add(EVENT)


def test_writer_in_another_process_is_refused(store, tmp_path):
    code = textwrap.dedent(f"""
        import sys, time
        from workbench.store import Store
        s = Store({str(store.root)!r}).open("demo", "alice")
        print("open", flush=True)
        time.sleep(3600)  # holds the lock until killed
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError, match=rf"pid {proc.pid}"):
            store.open("demo", "alice")
    finally:
        proc.kill()
        proc.wait()
    with store.open("demo", "alice") as s:  # the dead holder's lock is gone
        s.add(EVENT)


def test_two_raters_never_touch_each_others_file(store):
    with store.open("demo", "alice") as a, store.open("demo", "bob") as b:
        a.add(EVENT)
        before = store.path("demo", "alice").read_bytes()
        b.add({**EVENT, "onset": 11})
        b.undo()
        assert store.path("demo", "alice").read_bytes() == before


def test_refused_event_changes_nothing(store):
    with store.open("demo", "alice") as s:
        s.add(EVENT)
        path = store.path("demo", "alice")
        saved, journal = path.read_bytes(), s.journal.path.read_bytes()
        with pytest.raises(EventError, match=r"onset <= apex <= offset, but got onset=10, apex=30, offset=20"):
            s.add({**EVENT, "apex": 30})
        with pytest.raises(EventError, match=r"emotion among .* but got emotion='joy!'"):
            s.add({**EVENT, "emotion": "joy!"})
        with pytest.raises(EventError, match="frame index >= 0"):
            s.update(s.events.event_id[0], onset=-1)
        assert path.read_bytes() == saved and s.journal.path.read_bytes() == journal


def test_crash_between_journal_and_save_loses_nothing(store, monkeypatch):
    s = store.open("demo", "alice")
    a = s.add(EVENT)

    def crash(path, data):
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(store_module, "atomic_write_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        s.add({**EVENT, "onset": 11, "apex": None})
    s.close()
    monkeypatch.undo()
    assert len(pd.read_csv(store.path("demo", "alice"))) == 1  # the CSV missed the edit...
    assert len(store.read("demo", "alice")) == 2  # ...the journal did not
    with store.open("demo", "alice") as again:
        assert sorted(again.events.onset.tolist()) == [10, 11]
        assert again.undo() and again.events.event_id.tolist() == [a]


def test_killed_writer_process_loses_no_acknowledged_edit(store):
    """A writer adds events and reports each one once add() returned; we kill -9 it mid-run."""
    code = textwrap.dedent(f"""
        from workbench.store import Store
        s = Store({str(store.root)!r}).open("demo", "alice")
        for k in range(100_000):
            eid = s.add(dict(clip="c.mp4", onset=k, offset=k + 2))
            print(eid, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acked = []
    while len(acked) < 40:  # the writer's first 40 acknowledgements (it writes until killed)
        line = proc.stdout.readline()
        if not line:  # the writer died: its error is in the test's output
            break
        acked.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acked += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    assert len(acked) >= 40
    with store.open("demo", "alice") as s:
        saved = set(s.events.event_id)
    assert set(acked) <= saved


def test_file_changed_on_disk_is_not_overwritten(store):
    with store.open("demo", "alice") as s:
        s.add(EVENT)
        path = store.path("demo", "alice")
        path.write_text(path.read_text() + "astronaut_2.mp4,alice,x1,1,,2,others,,,,by hand\n")
        with pytest.raises(StoreConflictError, match=r"alice\.csv changed on disk"):
            s.add({**EVENT, "onset": 11})
    assert "by hand" in path.read_text()


def test_hand_edited_file_is_taken_as_it_is(store):
    with store.open("demo", "alice") as s:
        s.add(EVENT)
    path = store.path("demo", "alice")
    path.write_text(path.read_text() + "astronaut_2.mp4,alice,x1,1,,2,others,,,,by hand\n")
    with (
        pytest.warns(UserWarning, match="changed outside the workbench"),
        store.open("demo", "alice") as s,
    ):
        assert len(s.events) == 2 and not s.can_undo


def test_malformed_annotation_file_names_file_line_and_column(store):
    path = store.path("demo", "alice")
    path.parent.mkdir(parents=True)
    path.write_text(
        "clip,rater,event_id,onset,apex,offset,emotion,aus,kind,confidence,note\n"
        "a.mp4,alice,e1,1,2,3,happiness,,,,\n"
        "a.mp4,alice,e2,9,x,12,happiness,,,,\n"
    )
    with pytest.raises(EventError, match=r"alice\.csv, line 3, column 'apex'"):
        store.read("demo", "alice")
    with pytest.raises(EventError):
        store.open("demo", "alice")
    assert "e2,9,x,12" in path.read_text()  # refused, never rewritten


def test_write_replaces_in_one_undoable_step(store):
    df = pd.DataFrame([{**EVENT, "rater": "x"}, {**EVENT, "onset": 11, "rater": "x"}])
    store.write("demo", "casme2", df)
    assert store.read("demo", "casme2").rater.unique().tolist() == ["casme2"]
    store.write("demo", "casme2", store.read("demo", "casme2"))  # unchanged: no new step
    with store.open("demo", "casme2") as s:
        assert s.undo() and s.events.empty and not s.can_undo


def test_detector_rater_names_map_to_safe_file_names(store):
    store.write("demo", "detector:mediapipe", pd.DataFrame([EVENT]))
    assert store.path("demo", "detector:mediapipe").name == "detector--mediapipe.csv"
    assert store.raters("demo") == ["detector:mediapipe"]
    assert parse_rater_ref("demo:detector:mediapipe") == ("demo", "detector:mediapipe")


@pytest.mark.parametrize("ref", ["demo", ":alice", "demo:"])
def test_bad_rater_reference(ref):
    with pytest.raises(ValueError, match="DATASET:RATER"):
        parse_rater_ref(ref)


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "x y"])
def test_unsafe_rater_names_are_refused(store, name):
    with pytest.raises(ValueError, match="rater name"):
        store.open("demo", name)


def test_no_temporary_files_are_left_behind(store):
    with store.open("demo", "alice") as s:
        for k in range(5):
            s.add({**EVENT, "onset": k, "apex": None})
    leftovers = [p.name for p in Path(store.root, "demo").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
