"""The built-in sample: truth matches what the frames show."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.sample import DURATION_S, SCRIPTS, _frames_of, profile, render, truth_events
from workbench.store import Store
from workbench.video import open_clip


def test_truth_covers_what_the_issue_asks():
    truth = truth_events(200)
    assert set(truth["clip"]) == set(SCRIPTS)
    assert {"happiness", "surprise", "disgust", "anger"} <= set(truth["emotion"])
    assert (truth["kind"] == "micro").sum() > (truth["kind"] == "macro").sum() >= 2
    dur = (truth["offset"] - truth["onset"] + 1) / 200
    micro = truth["kind"] == "micro"
    assert dur[micro].between(1 / 25, 1 / 5).all()
    assert (dur[~micro] > 0.5).all()
    assert ((truth["onset"] <= truth["apex"]) & (truth["apex"] <= truth["offset"])).all()


def test_profile_is_zero_outside_the_event_and_peaks_at_apex():
    p = profile(100, 10, 15, 30)
    assert np.all(p[:10] == 0) and np.all(p[31:] == 0)
    assert p[10] > 0 and p[30] > 0  # onset and offset frames already move
    assert int(np.argmax(p)) == 15 and p[15] == 1


def test_rendered_frames_move_only_inside_events():
    script = SCRIPTS["astronaut_1.mp4"][:1]
    onset, apex, offset = _frames_of(script[0], 200)
    n = offset + 20
    frames = list(render(script, 200, noise=0.0, n_frames=n))
    # same head pose frame-to-frame cannot be held, so compare each frame with its
    # render without the expression: the difference is the expression alone
    plain = list(render([], 200, noise=0.0, n_frames=n))
    moved = [float(np.abs(a.astype(int) - b.astype(int)).mean()) for a, b in zip(frames, plain, strict=True)]
    assert max(moved[:onset]) == 0 and max(moved[offset + 1 :]) == 0
    assert moved[onset] > 0 and int(np.argmax(moved)) == apex


@pytest.mark.slow
def test_sample_project_clips_and_truth(sample_project):
    truth = Store(sample_project / "annotations").read("sample", "truth")
    assert len(truth) == sum(len(s) for s in SCRIPTS.values())
    for name in SCRIPTS:
        clip = open_clip(sample_project / "data" / "sample" / name)
        assert clip.n_frames == int(DURATION_S * 200) and clip.fps == 200
        assert not clip.normalised  # written clean: no edit list, short GOP
