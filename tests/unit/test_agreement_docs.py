"""The examples in the agreement modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("match", "metrics", "statistics", "labels", "review", "timeline")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"workbench.agreement.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"no example in workbench.agreement.{name}"
    assert result.failed == 0
