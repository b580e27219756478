"""One analysis path: every view shows the curves `workbench detect` spots on, and a change of
the AU mapping is seen everywhere at once (no view keeps a cache of its own)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from workbench import paths
from workbench.detect import analysis, au, detect, model
from workbench.encode import write_video
from workbench.project import Project
from workbench.sample import base_face
from workbench.schema import events_from_records, make_event
from workbench.ui.quiz import Quiz
from workbench.ui.review import ReviewPanel
from workbench.ui.workbench import Workbench

N = 24
CLIP = "face.mp4"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """data/demo/face.mp4 (the sample's face, swaying), a truth event and a detector-like rater."""
    monkeypatch.setenv(model.ENV_MODEL, str(model.acquire_model()))
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(analysis, "_MEMO", type(analysis._MEMO)())
    root = tmp_path / "project"
    img = base_face()
    frames = [np.roll(img, (k % 3 - 1, (k // 3) % 3 - 1), axis=(0, 1)) for k in range(N)]
    write_video(frames, root / "data" / "demo" / CLIP, 30.0)
    proj = Project(root)
    truth = [make_event(CLIP, "truth", 6, 14, apex=10, emotion="happiness", aus="6+12", fps=30.0)]
    other = [make_event(CLIP, "bob", 5, 15, apex=9, emotion="surprise", aus="1+2", fps=30.0)]
    proj.store.write("demo", "truth", events_from_records(truth))
    proj.store.write("demo", "bob", events_from_records(other))
    return proj


def detected(project: Project):
    report = detect([project.media("demo")], project=project, progress=False, write=False)
    assert not report.failed, report.summary()
    return report.done[0].curves["mediapipe"]


def shown_by_views(project: Project):
    """The curves the workbench's timeline, the review panel's timeline and the quiz's reveal show."""
    wb = Workbench(project, dataset="demo", rater="alice", analyse=True)
    assert wb.wait(), "the workbench's background analysis did not finish"
    workbench_curves = wb.timeline.curves
    wb.close()
    panel = ReviewPanel(project, dataset="demo", ref="truth", hyp="bob", reviewer="carol")
    panel.select(0)
    assert panel.wait(), "the review panel's background analysis did not finish"
    review_curves = panel.timeline.curves
    panel.close()
    quiz = Quiz.from_project(project.root, "demo", "truth", event_ids=None, kinds=None, outlines=False)
    sent = []
    quiz.send = lambda content, buffers=None: sent.append((content, buffers))
    quiz._on_msg(quiz, {"type": "answer", "item": 0, "answer": "happiness", "response_ms": 900.0}, [])
    reveal, buffers = next((c, b) for c, b in sent if c["type"] == "reveal")
    names = reveal["curves"]["names"]
    values = np.frombuffer(buffers[1], np.float32).reshape(len(names), -1)
    return workbench_curves, review_curves, (reveal["curves"]["first"], names, values)


def assert_views_show(curves, views) -> None:
    workbench_curves, review_curves, (first, names, values) = views
    np.testing.assert_array_equal(workbench_curves.values, curves.values)
    np.testing.assert_array_equal(review_curves.values, curves.values)
    window = curves.sel(au=names).isel(frame=slice(first, first + values.shape[1])).transpose("au", "frame")
    np.testing.assert_array_equal(values, window.values.astype(np.float32))


@pytest.mark.slow
def test_a_new_au_mapping_is_recomputed_and_shown_by_every_view(project, monkeypatch):
    before = detected(project)
    assert_views_show(before, shown_by_views(project))

    # A new mapping: AU12 reads full intensity at half the smile score. New version, new key.
    table = tuple(dataclasses.replace(s, bs_gain=s.bs_gain / 2) if s.au == 12 else s for s in au.AU_TABLE)
    monkeypatch.setattr(au, "AU_TABLE", table)
    monkeypatch.setattr(au, "AU_VERSION", f"{au.AU_VERSION}-test")
    after = detected(project)
    assert after.attrs["au_version"] == f"{au.AU_VERSION}"
    assert not np.array_equal(after.sel(au="AU12").values, before.sel(au="AU12").values)
    np.testing.assert_array_equal(after.sel(au="AU1").values, before.sel(au="AU1").values)
    files = sorted((paths.user_cache() / "analysis" / "curves").glob("*.nc"))
    assert len(files) == 2  # both mappings' curves kept apart, the face data computed once
    assert len(list((paths.user_cache() / "analysis" / "face").glob("*.nc"))) == 1
    assert_views_show(after, shown_by_views(project))
