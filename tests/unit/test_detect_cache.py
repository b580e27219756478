"""The analysis cache's chunks: what a killed detection run leaves for the next one."""

from __future__ import annotations

import numpy as np
import pytest

from workbench import paths
from workbench.detect import cache
from workbench.detect.landmarker import BLENDSHAPES, N_LANDMARKS
from workbench.detect.pipeline import missing_ranges

KEY = "f" * 64


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_CACHE, str(tmp_path / "cache"))


def part(start: int, n: int) -> dict:
    rng = np.random.default_rng(start)
    return {
        "start": start,
        "landmarks": rng.random((n, N_LANDMARKS, 3), dtype=np.float32),
        "blendshapes": rng.random((n, len(BLENDSHAPES)), dtype=np.float32),
        "transform": rng.random((n, 4, 4), dtype=np.float32),
        "width": 640,
        "height": 480,
    }


def test_chunks_round_trip_in_frame_order():
    kept = [part(100, 50), part(0, 100), part(150, 30)]
    for p in kept:
        cache.save_chunk(KEY, p)
    got = cache.load_chunks(KEY, 180)
    assert [g["start"] for g in got] == [0, 100, 150]
    for g, p in zip(got, sorted(kept, key=lambda p: p["start"]), strict=True):
        assert (g["width"], g["height"]) == (640, 480)
        for k in cache.CHUNK_ARRAYS:
            np.testing.assert_array_equal(g[k], p[k])
    assert not list(cache.chunks_folder(KEY).glob("*.part"))  # written atomically
    cache.drop_chunks(KEY)
    assert cache.load_chunks(KEY, 180) == [] and not cache.chunks_folder(KEY).exists()


def test_a_torn_or_misfitting_chunk_is_dropped_and_overlaps_skipped(caplog):
    cache.save_chunk(KEY, part(0, 20))
    cache.save_chunk(KEY, part(10, 20))  # overlaps the first (two runs at once)
    torn = cache.save_chunk(KEY, part(40, 20))
    torn.write_bytes(torn.read_bytes()[:100])
    cache.save_chunk(KEY, part(90, 20))  # past the end of a 100-frame clip
    got = cache.load_chunks(KEY, 100)
    assert [g["start"] for g in got] == [0]
    assert not torn.exists() and "unreadable" in caplog.text


@pytest.mark.parametrize(
    ("covered", "gaps"),
    [
        #  0        50        100
        #  [=====]  .  [====]  .      covered: 0..19, 30..59
        ([(0, 20), (30, 30)], [(20, 30), (60, 100)]),
        ([], [(0, 100)]),
        ([(0, 100)], []),
        ([(10, 90)], [(0, 10)]),
    ],
)
def test_missing_ranges(covered, gaps):
    parts = [{"start": s, "landmarks": np.zeros(n)} for s, n in covered]
    assert missing_ranges(100, parts) == gaps
