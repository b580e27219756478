"""The workbench in a kernel (no browser): one frame value, key actions, store, lock takeover."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench.encode import write_video
from workbench.ui.frames import moving_square
from workbench.ui.workbench import Workbench


@pytest.fixture
def project(tmp_path):
    frames = moving_square(40, fps=25.0)
    write_video((frames.frame(i) for i in range(40)), tmp_path / "data" / "demo" / "c1.mp4", 25.0)
    write_video((frames.frame(i) for i in range(20)), tmp_path / "data" / "demo" / "c2.mp4", 25.0)
    return tmp_path


def test_keys_build_save_and_undo(project):
    wb = Workbench(project, dataset="demo", rater="alice")
    assert wb.clip_ids == ["c1.mp4", "c2.mp4"] and wb.player.n_frames == 40
    for action, arg, frame in [
        ("mark", "onset", 5),
        ("mark", "apex", 7),
        ("mark", "offset", 9),
        ("emotion", "fear", 9),
        ("save", None, 9),
    ]:
        wb._on_action(action, arg, frame)
    assert wb.errors.value == "" and wb.player.error == ""
    saved = wb.store.read("demo", "alice")
    assert saved[["onset", "apex", "offset"]].iloc[0].tolist() == [5, 7, 9]
    assert saved["emotion"].iloc[0] == "fear"
    assert "in progress" in wb.clip_list.options[0][0]
    wb._on_action("next", None, 0)
    assert wb.player.frame == 5 and wb.timeline.cursor == 5
    wb._on_action("undo", None, 5)
    assert wb.store.read("demo", "alice").empty
    wb.close()


def test_errors_are_shown_in_the_widget(project):
    wb = Workbench(project, dataset="demo", rater="alice")
    wb._on_action("mark", "offset", 3)
    wb._on_action("mark", "onset", 8)
    wb._on_action("save", None, 8)
    assert "onset &lt;= apex &lt;= offset" in wb.errors.value
    assert "onset=8" in wb.player.error
    wb.close()


def test_one_frame_for_the_player_and_the_timeline(project):
    wb = Workbench(project, dataset="demo", rater="bob")
    wb.seek(17)  # as choosing an event does
    assert wb.player.frame == 17 and wb.timeline.cursor == 17
    # The browser moved: a key, or a click on the timeline (the player seeks on it in the page).
    wb.player.frame = 3
    assert wb.timeline.cursor == 3
    wb.close()


def test_rerun_takes_the_rater_over(project):
    first = Workbench(project, dataset="demo", rater="alice")
    second = Workbench(project, dataset="demo", rater="alice")
    assert first.session is None and "taken over" in first.errors.value
    assert second.session is not None
    second.close()


def test_curves_and_landmarks(project):
    n = 40
    curves = xr.DataArray(
        np.random.default_rng(0).random((n, 2), dtype=np.float32),
        dims=("frame", "au"),
        coords={"frame": np.arange(n), "au": ["AU1", "AU12"]},
    )
    lm = np.full((n, 478, 3), 0.5, np.float32)
    lm[:, :, 0] += np.linspace(-0.1, 0.1, 478)
    face = xr.Dataset({"landmarks": (("frame", "landmark", "xyz"), lm)})
    wb = Workbench(project, dataset="demo", rater="carol", curves={"c1.mp4": curves}, faces={"c1.mp4": face})
    assert wb.wait(60)
    assert wb.player.n_points > 0 and len(wb.player.face_box) == 4
    assert set(wb.timeline.au_picker.value) == {"AU1", "AU12"}
    wb.open_clip("c2.mp4")
    assert wb.wait(60)
    assert wb.player.n_points == 0 and "No AU curves" in wb.timeline.info.value
    wb.close()


def test_unknown_keyword_refused(project):
    with pytest.raises(TypeError):
        Workbench(project, dataset="demo", colour="red")


def test_done_mark_is_kept_per_rater(project):
    wb = Workbench(project, dataset="demo", rater="dana")
    wb.done_box.value = True
    assert wb.clip_list.options[0][0].startswith("✓ c1.mp4")
    wb.close()
    again = Workbench(project, dataset="demo", rater="dana")
    assert again.done_box.value and "done" in again.clip_list.options[0][0]
    other = Workbench(project, dataset="demo", rater="erin")
    assert "untouched" in other.clip_list.options[0][0]
    again.close()
    other.close()


def test_button_errors_name_the_button(project):
    wb = Workbench(project, dataset="demo", rater="fay")
    wb.labeller.delete_btn.click()
    assert "button &#x27;Delete&#x27;" in wb.errors.value and "Expected an event selected" in wb.errors.value
    wb.close()


def test_a_clip_opens_at_once_without_a_rater_and_its_curves_follow(project):
    """Watching needs no rater id and does not wait for the face analysis: the first frame's
    clip is in the player while the curves are still being computed; marking asks for a rater."""
    import threading

    n = 40
    curves = xr.DataArray(
        np.zeros((n, 1), np.float32), dims=("frame", "au"), coords={"frame": np.arange(n), "au": ["AU12"]}
    )
    release = threading.Event()

    def slow_curves(clip):
        release.wait(30)
        return curves

    wb = Workbench(project, dataset="demo", curves=slow_curves)
    assert wb.session is None and wb.player.n_frames == 40 and wb.player.token == 1
    assert "being computed" in wb.timeline.info.value and wb.background.busy
    assert wb.background.layout.display == ""  # the progress bar shows
    wb._on_action("mark", "onset", 3)
    assert "Expected a rater id before marking" in wb.player.error and wb.labeller.fields["onset"].value == ""
    release.set()
    assert wb.wait(60)
    assert wb.timeline.au_picker.value == ("AU12",) and wb.background.layout.display == "none"
    wb.set_rater("gil")  # the clip stays, and the token with it: the browser keeps its frames
    assert wb.player.token == 1 and wb.labeller.session is wb.session
    wb._on_action("mark", "onset", 3)
    assert wb.labeller.fields["onset"].value == "3"
    wb.close()


def test_a_late_analysis_never_lands_on_another_clip(project):
    import threading

    release = threading.Event()
    n = 40
    curves = xr.DataArray(
        np.ones((n, 1), np.float32), dims=("frame", "au"), coords={"frame": np.arange(n), "au": ["AU1"]}
    )

    def curves_of(clip):
        if clip == "c1.mp4":
            release.wait(30)
            return curves
        return None

    wb = Workbench(project, dataset="demo", rater="hal", curves=curves_of)
    wb.open_clip("c2.mp4")  # while c1's curves are still being computed
    release.set()
    assert wb.wait(60)
    assert wb.clip_id == "c2.mp4" and wb.timeline.curves is None and wb.timeline.n_frames == 20
    wb.close()


def test_the_clip_list_filters_and_keeps_the_open_clip(project):
    wb = Workbench(project, dataset="demo", rater="ida")
    wb.clip_filter.value = "c2"
    assert [c for _, c in wb.clip_list.options] == ["c1.mp4", "c2.mp4"]  # c1 is open: it stays
    wb.open_clip("c2.mp4")
    wb.clip_filter.value = "c2 untouched"
    assert [c for _, c in wb.clip_list.options] == ["c2.mp4"] and "1 of 2 clips" in wb.clip_count.value
    wb.close()
