"""Skips for the optimised path's tests (this folder only).

``gpu``: needs CUDA, skipped without it. ``compile``-heavy CPU tests (torch.compile of a tiny DiT
takes about a minute on two busy cores) are also marked ``slow`` and run only with
SA_COMPILE_TESTS=1.
"""

import os

import pytest
import torch


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    if item.get_closest_marker("slow") and os.environ.get("SA_COMPILE_TESTS") != "1":
        pytest.skip("compiles with torch.compile (about a minute): set SA_COMPILE_TESTS=1")
