"""The labeller's draft rules and its edits through a real store session."""

from __future__ import annotations

import pytest

from workbench.store import Store
from workbench.ui.labeller import Labeller, check_draft

valid_cases = [
    {"onset": 3, "apex": 5, "offset": 9, "aus": "6+12"},
    {"onset": 3, "apex": None, "offset": 3, "aus": ""},
]
invalid_cases = [
    ({"onset": None, "apex": None, "offset": 9}, "onset and an offset"),
    ({"onset": 9, "apex": None, "offset": 3}, "onset <= apex <= offset"),
    ({"onset": 3, "apex": 12, "offset": 9}, "onset=3, apex=12, offset=9"),
    ({"onset": 3, "apex": None, "offset": 50}, "inside the clip"),
    ({"onset": 3, "apex": None, "offset": 9, "aus": "6+Q"}, "FACS code"),
]


@pytest.mark.parametrize("draft", valid_cases)
def test_valid_drafts(draft):
    check_draft(draft, n_frames=20)


@pytest.mark.parametrize(("draft", "match"), invalid_cases)
def test_invalid_drafts(draft, match):
    with pytest.raises(ValueError, match=match):
        check_draft(draft, n_frames=20)


@pytest.fixture
def labeller(tmp_path):
    session = Store(tmp_path).open("demo", "alice")
    lab = Labeller()
    lab.set_clip(session, "c1.mp4", fps=100.0, n_frames=200)
    yield lab
    session.close()


def test_save_edit_undo_redo_delete(labeller):
    labeller.mark("onset", 10)
    labeller.mark("apex", 12)
    labeller.mark("offset", 20)
    labeller.set_emotion("surprise")
    labeller.aus.value = "1+2"
    eid = labeller.save()
    ev = labeller.clip_events()
    assert ev[["onset", "apex", "offset"]].iloc[0].tolist() == [10, 12, 20]
    assert ev["kind"].iloc[0] == "micro" and labeller.draft["onset"] is None
    labeller.edit(eid)
    labeller.mark("offset", 25)
    labeller.save()
    assert labeller.clip_events()["offset"].iloc[0] == 25
    labeller.undo()
    assert labeller.clip_events()["offset"].iloc[0] == 20
    labeller.redo()
    labeller.delete(eid)
    assert labeller.clip_events().empty
    labeller.undo()
    assert len(labeller.clip_events()) == 1


def test_neighbour_events(labeller):
    for on in (50, 10, 90):
        labeller.mark("onset", on)
        labeller.mark("offset", on + 5)
        labeller.save()
    assert labeller.neighbour(10, 1) == 50
    assert labeller.neighbour(50, -1) == 10
    assert labeller.neighbour(90, 1) is None


def test_refuses_bad_phase_and_emotion(labeller):
    with pytest.raises(ValueError, match="phase"):
        labeller.mark("peak", 3)
    with pytest.raises(ValueError, match="emotion"):
        labeller.set_emotion("joyful")


def test_the_events_list_filters_hundreds_of_events(tmp_path):
    session = Store(tmp_path).open("demo", "alice")
    for k in range(300):
        session.add(dict(clip="c1", kind="micro", onset=10 * k, apex=10 * k + 2, offset=10 * k + 5,
                         emotion="fear" if k % 3 else "happiness", aus=""))  # fmt: skip
    lab = Labeller()
    lab.set_clip(session, "c1", 200.0, 4000)
    assert len(lab.events_list.options) == 300
    lab.events_filter.value = "happiness"
    assert len(lab.events_list.options) == 100
    session.close()
