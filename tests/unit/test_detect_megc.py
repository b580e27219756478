"""The MEGC feature-difference rule: k per frame rate, difference, contrast, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.detect import megc


@pytest.mark.parametrize("fps, expected", [(30.0, (6, 18)), (200.0, (37, 174)), (25.0, (5, 15)), (100.0, (18, 87))])
def test_published_k_follows_the_frame_rate(fps, expected):
    assert megc.published_k(fps) == expected


def test_difference_peaks_at_a_movement_and_contrast_is_never_negative():
    f = np.zeros((200, 3))
    f[95:106, 0] = 3.0  # a movement of 11 frames
    d = megc.difference(f, 6)
    c = megc.contrast(d, 6)
    assert 95 <= int(np.argmax(d)) <= 105 and (c >= 0).all()


def test_intervals_surround_the_movement_and_a_still_clip_gives_none():
    f = np.random.default_rng(0).normal(0, 0.05, (300, 3))
    assert megc.intervals(f, 6, 0.55) == []  # the relative threshold alone would find "the strongest"
    f[150:161, 1] += 3.0
    (on, apex, off, strength), *_ = megc.intervals(f, 6, 0.55)
    assert on <= 152 and off >= 158 and 150 <= apex <= 160 and strength >= 1
