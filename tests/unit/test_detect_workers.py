"""How ``detect`` cuts clips into tasks and places its workers (no model needed)."""

from __future__ import annotations

import os
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.detect import workers
from workbench.detect.pipeline import MIN_CHUNK_FRAMES, plan_chunks


@given(
    n=st.integers(0, 5000),
    workers=st.integers(1, 16),
    chunk=st.integers(1, 400),
    after=st.integers(0, 20000),
)
def test_chunks_cover_every_frame_once_in_order(n, workers, chunk, after):
    chunks = plan_chunks(n, workers, chunk, after=after)
    frames = [i for a, b in chunks for i in range(a, b)]
    assert frames == list(range(n))
    assert all(b > a for a, b in chunks)
    assert len(chunks) >= min(n, workers)  # every worker gets something
    assert all(b - a < chunk + MIN_CHUNK_FRAMES // 2 for a, b in chunks)  # a sliver joins the last one


def test_chunks_shrink_towards_the_end_of_the_job():
    sizes = [b - a for a, b in plan_chunks(1000, 2, 100)]
    assert sizes[:7] == [100] * 7
    assert sizes[-4:-1] == [MIN_CHUNK_FRAMES] * 3  # small ones last: workers finish together
    assert sorted(sizes, reverse=True) == sizes
    # with more clips queued behind, this clip is not cut small: the job's end is elsewhere
    assert [b - a for a, b in plan_chunks(150, 2, 100, after=10_000)] == [75, 75]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux-only")
def test_worker_threads_are_pinned_to_distinct_cores_in_turn():
    allowed = sorted(os.sched_getaffinity(0))
    seen: dict[int, tuple[int | None, set[int]]] = {}

    def start(slot):  # as each new worker thread would
        core = workers.pin_to_core(slot)
        seen[slot] = (core, os.sched_getaffinity(0))

    threads = [threading.Thread(target=start, args=(slot,)) for slot in range(len(allowed) + 1)]
    for t in threads:
        t.start()
        t.join()
    assert [seen[s][0] for s in range(len(threads))] == [*allowed, allowed[0]]
    assert all(mask == {core} for core, mask in seen.values())
    assert sorted(os.sched_getaffinity(0)) == allowed  # the calling thread is left free
