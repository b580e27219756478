"""Batch detection on small generated clips: pool, chunks, dask, bad input, the CLI."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from workbench import paths
from workbench.cli import main
from workbench.detect import analyse, analysis, detect, model, pipeline, workers
from workbench.detect.cache import load_curves
from workbench.detect.timings import Timings
from workbench.store import Store
from workbench.video import open_clip

DETECTOR_RATER = "detector:mediapipe"

N = 12


def _faces(n: int = N) -> list[np.ndarray]:
    """The sample's face with a one-pixel sway: a face in every frame."""
    from workbench.sample import base_face

    img = base_face()
    return [np.roll(img, (k % 3 - 1, (k // 3) % 3 - 1), axis=(0, 1)) for k in range(n)]


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch, tmp_path):
    """A fresh analysis cache (and in-process memory) per test; the model from the user's cache."""
    monkeypatch.setenv(model.ENV_MODEL, str(model.acquire_model()))
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(analysis, "_MEMO", type(analysis._MEMO)())


def clip_curves(path):
    """The MediaPipe curves of a clip file, as every view gets them."""
    return analyse(open_clip(path)).curves_of("mediapipe")


@pytest.fixture
def project(tmp_path):
    """data/demo/: good.mp4 (a face), blank.mp4 (no face), broken/ (JPEGs, frame 5 corrupt)."""
    import cv2

    from workbench.encode import write_video

    root = tmp_path / "project"
    data = root / "data" / "demo"
    data.mkdir(parents=True)
    write_video(_faces(), data / "good.mp4", 200.0)
    write_video([np.zeros((64, 64, 3), np.uint8)] * 8, data / "blank.mp4", 200.0)
    broken = data / "broken"
    broken.mkdir()
    for k, img in enumerate(_faces(8)):
        cv2.imwrite(str(broken / f"img{k:03d}.jpg"), img[:, :, ::-1])
    jpeg = (broken / "img005.jpg").read_bytes()  # headers kept, image data cut: opens, won't decode
    (broken / "img005.jpg").write_bytes(jpeg[: jpeg.index(b"\xff\xda")] + b"\xff\xd9")
    return root


@pytest.mark.slow
def test_bad_clip_is_reported_and_the_others_finish(project, capsys):
    with pytest.warns(RuntimeWarning, match=r"No face found in 8 of 8 frames of clip 'blank.mp4'"):
        status = main(["detect", str(project / "data" / "demo"), "--project", str(project),
                       "--jobs", "2", "--chunk-frames", "4", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1
    assert "clips done: 2" in out and "failed: 1" in out
    assert "FAILED" in out and "broken" in out and "frame 5" in out
    events = Store(project / "annotations").read("demo", DETECTOR_RATER)
    assert set(events["clip"]) <= {"good.mp4"}  # no events on the blank clip


@pytest.mark.slow
def test_no_face_gives_nan_curves_zero_events_and_exit_0(project, capsys):
    blank = project / "data" / "demo" / "blank.mp4"
    with pytest.warns(RuntimeWarning, match="blank.mp4"):
        status = main(["detect", str(blank), "--project", str(project), "--jobs", "1", "--no-progress"])
    assert status == 0
    assert "events found: 0" in capsys.readouterr().out
    with pytest.warns(RuntimeWarning):
        curves = clip_curves(blank)  # from the cache now
    assert curves.sizes["frame"] == 8 and bool(np.isnan(curves).all())


@pytest.mark.slow
def test_chunks_on_a_pool_equal_one_process_and_frames_stay_in_place(project, tmp_path, monkeypatch):
    good = project / "data" / "demo" / "good.mp4"
    one = clip_curves(good)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache2"))
    timings = Timings()
    report = detect([good], jobs=2, chunk_frames=5, progress=False, write=False, timings=timings)
    pooled = report.done[0].curves["mediapipe"]
    ran = timings.workers  # (a worker that starts late may find no chunk left)
    assert {pid for pid, _ in ran} == {os.getpid()}  # worker threads of this process,
    assert 1 <= len(ran) <= 2 and threading.get_native_id() not in {tid for _, tid in ran}  # not this one
    assert not {tid for _, tid in ran} & set(workers._OPEN)  # their landmarkers closed as they ended
    assert pooled["frame"].values.tolist() == list(range(N))
    np.testing.assert_allclose(pooled.values, one.values, atol=1e-5)


@pytest.mark.slow
def test_dask_local_cluster_runs_the_same_tasks(project, tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    good = project / "data" / "demo" / "good.mp4"
    local = clip_curves(good)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache-dask"))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        mine = set(workers._OPEN)
        report = detect([good], scheduler=client, chunk_frames=4, progress=False, write=False)
        opened = client.run(lambda: len(__import__("workbench.detect.workers", fromlist=["_OPEN"])._OPEN))
    assert not report.failed, report.summary()
    assert len(opened) == 2 and sum(opened.values()) >= 1  # the chunks ran on the cluster's workers,
    assert set(workers._OPEN) == mine  # not here
    np.testing.assert_allclose(report.done[0].curves["mediapipe"].values, local.values, atol=1e-5)


@pytest.mark.slow
def test_spot_command_writes_events_from_saved_curves(project, tmp_path, capsys):
    good = project / "data" / "demo" / "good.mp4"
    main(["detect", str(good), "--project", str(project), "--jobs", "1", "--no-progress"])
    files = sorted((tmp_path / "cache" / "analysis" / "curves").glob("*.nc"))
    assert len(files) == 1 and load_curves(files[0]).attrs["clip"] == "good.mp4"
    out = tmp_path / "events.csv"
    assert main(["spot", str(files[0]), "--out", str(out), "--threshold", "0.5"]) == 0
    assert out.read_text().startswith("clip,rater,event_id,onset,apex,offset")


def test_model_command_prints_path_and_hash(capsys):
    assert main(["model"]) == 0
    out = capsys.readouterr().out
    assert model.MODEL_SHA256 in out


def test_tampered_model_is_refused_with_its_path(tmp_path, capsys):
    bad = tmp_path / "face_landmarker.task"
    bad.write_bytes(b"tampered")
    assert main(["model", "--path", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "sha256" in err


@pytest.mark.slow
def test_analysis_is_the_detectors_run_and_is_cached(project, monkeypatch):
    good = project / "data" / "demo" / "good.mp4"
    seen = []
    found = analyse(open_clip(good), clip_id="good.mp4", progress=lambda done, total: seen.append((done, total)))
    assert found.face.sizes["frame"] == N and bool(found.face["face_found"].all())
    assert seen[0] == (0, N) and seen[-1] == (N, N)  # the busy display starts and ends
    report = detect([good], progress=False, write=False)  # `workbench detect`: from the cache the analysis filled
    assert report.done[0].cached
    np.testing.assert_array_equal(found.curves_of().values, report.done[0].curves["mediapipe"].values)

    def no_model(*args):
        raise AssertionError("the model ran again")

    monkeypatch.setattr(pipeline, "infer_chunk", no_model)
    monkeypatch.setattr(analysis, "_MEMO", type(analysis._MEMO)())  # a new session: from disk
    again = analyse(open_clip(good), clip_id="good.mp4")
    np.testing.assert_array_equal(again.face["landmarks"].values, found.face["landmarks"].values)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [2, 1])  # worker threads; the calling (non-main) thread itself
def test_exit_waits_for_a_detection_running_on_another_thread(project, tmp_path, jobs):
    import subprocess
    import sys
    import textwrap

    from workbench.encode import write_video

    frames = 120  # the first chunks done, the main thread returns with the rest under way
    clip = write_video(_faces(frames), tmp_path / "longer.mp4", 200.0)
    script = textwrap.dedent(f"""
        import threading
        from workbench.detect import detect

        running = threading.Event()

        def run():
            report = detect([{str(clip)!r}], jobs={jobs}, chunk_frames=10, progress=False, write=False,
                            on_frames=lambda done, total: done and running.set())
            task = report.tasks[0]
            curves = task.curves.get("mediapipe")
            print("frames", curves.sizes["frame"] if curves is not None else None, "error", task.error)

        threading.Thread(target=run).start()
        running.wait(120)  # the main thread returns once the workers run
    """)
    env = {**os.environ, paths.ENV_CACHE: str(tmp_path / "exit-cache"), model.ENV_MODEL: str(model.acquire_model())}
    run = [sys.executable, "-c", script]
    done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=1800)  # the timeout: a hang only
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"frames {frames} error None" in done.stdout
