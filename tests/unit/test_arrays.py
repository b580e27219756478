"""The curves schema: the channel dims it accepts."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench.arrays import ARRAYS_VERSION, CHANNEL_DIMS, validate_curves

ATTRS = {"fps": 30.0, "clip": "c", "detector": "d", "schema_version": ARRAYS_VERSION}


def curves(dim: str) -> xr.DataArray:
    return xr.DataArray(
        np.zeros((3, 2), dtype=np.float32),
        dims=("frame", dim),
        coords={"frame": [0, 1, 2], "time": ("frame", [0.0, 1 / 30, 2 / 30]), dim: ["a", "b"]},
        attrs=ATTRS,
    )


@pytest.mark.parametrize("dim", ["au", "region", "emotion"])
def test_curves_may_be_aus_regions_or_emotions(dim):
    assert dim in CHANNEL_DIMS
    assert validate_curves(curves(dim)).dims == ("frame", dim)


def test_any_other_channel_dim_is_refused():
    expected = r"Expected dims \('frame', 'au'\) or .*'emotion'\), but got \('frame', 'colour'\)"
    with pytest.raises(ValueError, match=expected):
        validate_curves(curves("colour"))
