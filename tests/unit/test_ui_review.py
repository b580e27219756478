"""The review panel in a kernel (no browser): queue, player at the event, decisions, consensus, audit.

Two raters of a small dataset, with one disagreement of each kind (k = 2 frames)::

    frame           0         1         2         3         4         5
                    01234567890123456789012345678901234567890123456789012345
    c1.mp4   ann         [====^====]              [====^===]
             det            [====^====]                          [=^==]
                         boundary +3              miss           false alarm
    c2.mp4   ann              [====^====]  anger
             det              [====^====]  disgust: label

Worst first: the miss and the false alarm (nothing overlaps), the label, the boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.encode import write_video
from workbench.schema import events_from_records, make_event
from workbench.store import Store
from workbench.ui.frames import moving_square
from workbench.ui.review import ReviewPanel, default_pair

FPS = 25.0


@pytest.fixture
def project(tmp_path):
    frames = moving_square(60, fps=FPS, size=(48, 64))
    write_video((frames.frame(i) for i in range(60)), tmp_path / "data" / "demo" / "c1.mp4", FPS)
    write_video((frames.frame(i) for i in range(40)), tmp_path / "data" / "demo" / "c2.mp4", FPS)
    store = Store(tmp_path / "annotations")
    ann = [
        make_event("c1.mp4", "ann", 5, 15, apex=10, emotion="happiness", aus="6+12", event_id="A"),
        make_event("c1.mp4", "ann", 30, 39, apex=35, emotion="surprise", aus="1+2", event_id="B"),
        make_event("c2.mp4", "ann", 10, 20, apex=15, emotion="anger", aus="4+7", event_id="D"),
    ]
    det = [
        make_event("c1.mp4", "det", 8, 18, apex=13, emotion="happiness", aus="6+12", event_id="A2"),
        make_event("c1.mp4", "det", 45, 50, apex=47, emotion="fear", aus="1+4", event_id="C2"),
        make_event("c2.mp4", "det", 10, 20, apex=15, emotion="disgust", aus="4+7", event_id="D2"),
    ]
    store.write("demo", "ann", events_from_records(ann))
    store.write("demo", "det", events_from_records(det))
    return tmp_path


def panel_of(project, **kw) -> ReviewPanel:
    kw.setdefault("reviewer", "eve")
    return ReviewPanel(project, dataset="demo", ref="ann", hyp="det", tolerance=2, **kw)


def consensus(project) -> pd.DataFrame:
    return Store(project / "annotations").read("demo", "consensus")


def test_queue_lists_every_disagreement_worst_first(project):
    panel = panel_of(project)
    assert panel.queue["type"].tolist() == ["miss", "false_alarm", "label", "boundary"]
    labels = [label for label, _ in panel.queue_list.options]
    assert labels[0].split()[:4] == ["1", "open", "miss", "c1.mp4"] and "30–39" in labels[0]
    assert "anger (ann) vs disgust (det)" in labels[2]
    # The first item is open: its clip in the player at its onset, the timeline zoomed round it.
    assert panel.position == 0 and panel.player.frame == 30 and panel.player.n_frames == 60
    assert panel.timeline.cursor == 30 and tuple(panel.timeline.figure.layout.xaxis.range) == (0, 60)
    assert "MISS" in panel.card.value and "no mark" in panel.card.value
    assert panel.decide_btns["hyp"].disabled and not panel.decide_btns["ref"].disabled


def test_selecting_an_item_shows_both_marks_in_distinct_colours(project):
    panel = panel_of(project)
    panel.queue_list.value = 3  # a click on the boundary item
    assert panel.errors.value == "" and panel.position == 3
    assert panel.player.frame == 5 and panel.clip_id == "c1.mp4"
    spans = [t for t in panel.timeline.figure.data if t.fill == "toself" and t.name in ("ann", "det")]
    colour = {t.name: t.fillcolor for t in spans}
    assert {"ann", "det"} == set(colour) and colour["ann"] != colour["det"]
    lane = {t.name: (np.nanmin(t.y), np.nanmax(t.y)) for t in spans}
    assert lane["ann"][0] > lane["det"][1]  # each rater in its own band: overlapping marks stay apart
    assert f"background:{colour['ann']}" in panel.card.value and f"background:{colour['det']}" in panel.card.value
    assert "onset +3, apex +3, offset +3" in panel.card.value
    assert [b.description for b in panel.set_btns.values()] == ["o ← frame", "a ← frame", "f ← frame"]
    panel.player.frame = 12
    panel.set_btns["offset"].click()
    assert panel.draft["offset"] == 12
    panel.fields["offset"].value = "15"
    # The new mark starts from the reference's mark.
    assert panel.draft == {"onset": 5, "apex": 10, "offset": 15, "emotion": "happiness", "aus": "6+12"}


def test_a_decision_builds_the_consensus_in_the_store_and_undo_reverts_it(project):
    panel = panel_of(project)
    panel.reason.value = "blink"
    panel.decide_btns["neither"].click()  # the miss: neither mark stands
    assert panel.errors.value == ""
    saved = consensus(project)
    assert "B" not in set(saved["source_event_id"]) and len(saved) == 2  # A (ann) and D (ann)
    assert panel.queue["stands"].iloc[0] == "neither" and "1 of 4 decided" in panel.progress.value
    assert panel.position == 1  # went on to the next open item
    assert panel.queue_list.options[0][0].split()[1:3] == ["✗", "neither"]

    panel.undo_btn.click()
    assert panel.errors.value == "" and panel.position == 0
    saved = consensus(project)
    assert "B" in set(saved["source_event_id"]) and (saved["decided_by"].fillna("") == "").all()
    assert "0 of 4 decided" in panel.progress.value
    assert panel.review.log["action"].tolist() == ["decision", "revert"]  # nothing erased
    assert panel.undo_btn.disabled and panel.undo() is None  # undo is no redo


def test_undo_walks_back_through_the_decisions(project):
    panel = panel_of(project)
    panel.decide("ref", reason="true miss")  # the miss, then on to the false alarm
    panel.decide("hyp", reason="other")
    panel.select(0)
    panel.decide("neither", reason="blink")  # the reviewer changes their mind on the miss
    assert panel.queue["stands"].tolist()[:2] == ["neither", "hyp"]
    panel.undo()
    assert panel.queue["stands"].tolist()[:2] == ["ref", "hyp"] and panel.position == 0
    panel.undo()
    assert panel.queue["stands"].tolist()[:2] == ["ref", ""] and panel.position == 1
    panel.undo()
    assert not panel.queue["decided"].any() and panel.undo_btn.disabled
    assert consensus(project)["decided_by"].fillna("").eq("").all()


def test_keep_hypothesis_on_a_label_item_has_provenance(project):
    panel = panel_of(project)
    panel.select(2)
    panel.decide("hyp", reason="label error")
    row = consensus(project).set_index("source_event_id").loc["D+D2"]
    assert row["emotion"] == "disgust" and row["decided_by"] == "eve" and row["note"] == "label error"
    assert row["source_rater"] == "ann+det" and row["decided_at"]


def test_a_new_mark_from_the_player_keys(project):
    panel = panel_of(project)
    panel.select(1)  # the false alarm at 45-50
    assert panel.decide_btns["ref"].disabled
    for arg, frame in (("onset", 44), ("apex", 46), ("offset", 52)):
        panel.player._on_msg(None, {"type": "action", "action": "mark", "arg": arg, "frame": frame}, [])
    panel.player._on_msg(None, {"type": "action", "action": "emotion", "arg": "fear", "frame": 52}, [])
    assert panel.player.marks["onset"] == 44 and panel.player.marks["offset"] == 52
    assert any(s.name == "draft" for s in panel.timeline.figure.layout.shapes)
    panel.reason.value = "true miss"
    panel.player._on_msg(None, {"type": "action", "action": "save", "frame": 52}, [])  # Enter
    assert panel.errors.value == "" and panel.player.error == ""
    new = consensus(project).query("onset == 44").iloc[0]
    assert (new["apex"], new["offset"], new["emotion"], new["source_rater"]) == (46, 52, "fear", "eve")


def test_errors_are_shown_in_the_widget(project):
    panel = panel_of(project)
    panel.decide_btns["ref"].click()  # no reason tagged
    assert "Expected a reason tag" in panel.errors.value and "reason" in panel.player.error
    panel.reason.value = "other"
    panel.decide_btns["hyp"].click()  # a miss has no hypothesis mark (the button is disabled too)
    assert "stands" in panel.errors.value
    panel.select(0)
    panel.reason.value = "other"
    panel.fields["offset"].value = "2"  # before the onset
    panel.decide_btns["new"].click()
    assert "onset &lt;= apex &lt;= offset" in panel.errors.value
    assert panel.review.log.empty  # nothing refused was recorded
    panel.reviewer_box.value = "mallory"  # the reviewer is set once
    assert "set once" in panel.errors.value and panel.reviewer == "eve"


def test_no_reviewer_no_decision(project):
    panel = panel_of(project, reviewer=None)
    panel.reason.value = "blink"
    panel.decide_btns["ref"].click()
    assert "reviewer id" in panel.errors.value and panel.review.log.empty
    panel.reviewer_box.value = "eve"
    assert panel.reviewer == "eve" and panel.reviewer_box.disabled
    panel.decide_btns["ref"].click()
    assert panel.errors.value == "" and len(panel.review.log) == 1


def test_export_audit_and_resume_after_a_restart(project):
    panel = panel_of(project)
    panel.decide("ref", reason="true miss")
    panel.decide("neither", reason="head motion")
    panel.undo()
    path = panel.export()
    audit = pd.read_csv(path, keep_default_na=False)
    assert audit["action"].tolist() == ["decision", "decision", "revert"]
    assert audit["reason"].tolist()[:2] == ["true miss", "head motion"] and set(audit["reviewer"]) == {"eve"}
    assert audit["active"].tolist() == [True, False, True] and audit["description"].str.len().min() > 0
    assert "3 record(s)" in panel.export_info.value

    again = panel_of(project, reviewer="eve")  # a new kernel: the log is read back
    assert again.queue["decided"].tolist() == [True, False, False, False]
    assert again.position == 1  # the first open item


def test_curves_are_shown_when_given_and_optional(project):
    n = 60
    curves = xr.DataArray(
        np.random.default_rng(0).random((n, 3), dtype=np.float32),
        dims=("frame", "au"),
        coords={"frame": np.arange(n), "au": ["AU1", "AU2", "AU12"]},
    )
    panel = panel_of(project, curves={"c1.mp4": curves})
    assert panel.wait(60)  # the curves come from the background, as in a kernel
    assert panel.timeline.au_picker.value == ("AU1", "AU2")  # the codes of the miss (1+2)
    panel.select(2)  # c2.mp4 has none: events only
    assert panel.wait(60)
    assert panel.errors.value == "" and panel.timeline.au_picker.options == ()
    assert "No AU curves" in panel.timeline.info.value


def test_unreadable_curves_are_shown_and_the_review_goes_on(project):
    def broken(clip_id):
        raise OSError(f"Expected a netCDF file for {clip_id}, but it is truncated.")

    panel = panel_of(project, curves=broken)
    assert panel.wait(60)
    assert panel.errors.value == "" and panel.player.n_frames == 60
    assert "AU curves unreadable: OSError: Expected a netCDF file for c1.mp4" in panel.timeline.info.value


def test_choosing_another_rater_builds_its_queue(project):
    store = Store(project / "annotations")
    store.write("demo", "cat", store.read("demo", "ann"))  # agrees with ann on everything
    panel = panel_of(project)
    panel.hyp_pick.value = "cat"
    assert panel.errors.value == "" and panel.hyp == "cat" and panel.queue.empty
    assert "no disagreements" in panel.card.value and "cat" in panel.header.value
    panel.hyp_pick.value = "ann"  # the same rater twice is refused, the queue stays
    assert "two different raters" in panel.errors.value and panel.hyp == "cat"


@pytest.mark.parametrize(
    ("raters", "expected"),
    [
        (["alice", "detector:mediapipe", "truth"], ("truth", "detector:mediapipe")),
        (["alice", "consensus", "truth"], ("truth", "alice")),
        (["ann", "det"], ("ann", "det")),
        (["ann"], ("ann", None)),
    ],
)
def test_default_pair(raters, expected):
    assert default_pair(raters) == expected


def test_unknown_rater_is_refused(project):
    with pytest.raises(ValueError, match="Expected a hypothesis rater among ann, det, but got 'bob'"):
        ReviewPanel(project, dataset="demo", ref="ann", hyp="bob")
