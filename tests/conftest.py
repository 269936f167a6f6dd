"""Shared fixtures: keep small; tests build their own inputs in code."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

# `make test` (and CI) runs the property tests on a fixed sequence of examples, so a green build
# stays green; `make fuzz` draws new random examples on every run, to find new failures.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES
