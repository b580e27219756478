"""The real detector over the built-in sample, scored against its known truth.

Figures are printed (run with ``-s`` to see them) and asserted against the issue's bar:
F1 >= 0.9 at IoU >= 0.5, median absolute apex error <= 2 frames, emotion right on
>= 75% of matched events.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench import paths
from workbench.agreement import match
from workbench.detect import detect, model
from workbench.detect.spot import SPOT_VERSION
from workbench.store import Store


@pytest.fixture(scope="module")
def detected(sample_project, tmp_path_factory):
    """Run ``detect`` on the sample with a fresh curves cache (model from the user's cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(model.ENV_MODEL, str(model.acquire_model()))
    mp.setenv(paths.ENV_CACHE, str(tmp_path_factory.mktemp("cache")))
    report = detect([sample_project / "data" / "sample"], project=sample_project, jobs=2, progress=False)
    yield sample_project, report
    mp.undo()


@pytest.mark.slow
def test_detector_matches_the_sample_truth(detected):
    project, report = detected
    assert not report.failed, report.summary()
    store = Store(project / "annotations")
    truth = store.read("sample", "truth")
    hyp = store.read("sample", "detector:mediapipe")
    assert len(hyp) == len(report.events)
    m = match(truth, hyp, iou=0.5)
    tp = len(m.pairs)
    precision, recall = tp / max(len(hyp), 1), tp / len(truth)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    ref = truth.set_index("event_id").loc[m.pairs["ref_id"]]
    out = hyp.set_index("event_id").loc[m.pairs["hyp_id"]]
    apex_error = np.abs(out["apex"].to_numpy(float) - ref["apex"].to_numpy(float))
    emotion_ok = float(np.mean(out["emotion"].astype(str).to_numpy() == ref["emotion"].astype(str).to_numpy()))
    print(
        f"\nsample: {len(truth)} truth, {len(hyp)} detected, {tp} matched; F1={f1:.3f} "
        f"median |apex error|={np.median(apex_error):.1f} frames, emotion right={emotion_ok:.0%}"
    )
    print(hyp[["clip", "onset", "apex", "offset", "emotion", "aus", "kind", "confidence"]].to_string())
    assert f1 >= 0.9
    assert np.median(apex_error) <= 2
    assert emotion_ok >= 0.75


@pytest.mark.slow
def test_curves_carry_provenance_and_a_second_run_reads_the_cache(detected):
    project, report = detected
    curves = report.done[0].curves["mediapipe"]
    for key in ("detector", "detector_version", "params", "model_sha256", "fps", "clip"):
        assert key in curves.attrs
    assert curves.attrs["model_sha256"] == model.MODEL_SHA256
    assert int(curves.attrs["frames_without_face"]) == 0
    again = detect([project / "data" / "sample"], project=project, jobs=2, progress=False)
    assert all(t.cached for t in again.tasks)
    np.testing.assert_array_equal(again.done[0].curves["mediapipe"].values, curves.values)
    cols = ["clip", "onset", "apex", "offset", "emotion", "aus"]
    assert again.events[cols].equals(report.events[cols])
    # the events say which detector version and which spotting rules made them
    made_by = f"mediapipe {curves.attrs['detector_version']}, spot {SPOT_VERSION},"
    assert report.events["note"].str.startswith(made_by).all()
