"""Detection on a long clip survives a kill: the next run computes only the chunks it lacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from workbench import paths
from workbench.detect import detect, model
from workbench.detect.cache import chunks_folder, load_chunks
from workbench.detect.timings import Timings
from workbench.encode import write_video

FRAMES, CHUNK = 160, 10


@pytest.fixture
def clip(tmp_path, monkeypatch):
    """The sample's face, a little sway, FRAMES frames."""
    from workbench.sample import base_face

    monkeypatch.setenv(model.ENV_MODEL, str(model.acquire_model()))
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))
    img = base_face()
    frames = (np.roll(img, (k % 3 - 1, (k // 3) % 3 - 1), axis=(0, 1)) for k in range(FRAMES))
    return write_video(frames, tmp_path / "long.mp4", 200.0)


@pytest.mark.slow
def test_a_killed_run_resumes_from_the_chunks_it_kept(clip, tmp_path):
    cmd = [sys.executable, "-m", "workbench.cli", "detect", str(clip), "--project", str(tmp_path),
           "--jobs", "1", "--chunk-frames", str(CHUNK), "--no-progress"]  # fmt: skip
    run = subprocess.Popen(cmd, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    face_key = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and run.poll() is None:
        folders = list((tmp_path / "cache" / "analysis" / "chunks").glob("*"))
        if folders and len(list(folders[0].glob("*.npz"))) >= 3:
            face_key = folders[0].name
            break
        time.sleep(0.2)
    assert face_key is not None, f"no chunks were kept: {run.stderr.read().decode() if run.poll() else 'timeout'}"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    kept = load_chunks(face_key, FRAMES)
    done_before = sum(len(p["landmarks"]) for p in kept)
    assert 3 * CHUNK <= done_before < FRAMES  # killed half-way

    timings = Timings()
    report = detect([clip], jobs=1, chunk_frames=CHUNK, progress=False, write=False, keep_faces=True, timings=timings)
    task = report.tasks[0]
    assert task.error is None and task.face_key == face_key
    assert sum(b - a for a, b in timings.spans) > 0
    assert len(timings.spans) == len(range(0, FRAMES - done_before, CHUNK))  # only the missing chunks ran
    assert not chunks_folder(face_key).exists()  # cleaned once the face dataset is saved
    assert task.face["frame"].values.tolist() == list(range(FRAMES))

    # the same face data as one uninterrupted run
    os.environ[paths.ENV_CACHE] = str(tmp_path / "fresh")
    whole = detect([clip], jobs=1, chunk_frames=CHUNK, progress=False, write=False, keep_faces=True).tasks[0]
    np.testing.assert_allclose(task.face["landmarks"].values, whole.face["landmarks"].values, atol=1e-5)
