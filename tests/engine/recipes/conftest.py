"""A tiny corpus shared by the recipe tests (rendered once per session, 2-second clips)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    from semanticaudio.engine.corpus import generate_corpus

    folder = tmp_path_factory.mktemp("corpus")
    generate_corpus(folder, 16, seed=3, clip_duration_s=2.0, split="train", progress=False)
    return folder


@pytest.fixture(scope="session")
def tiny_bank(tiny_corpus):
    from semanticaudio.engine.corpus import timelines_path
    from semanticaudio.engine.recipes.clips import load_clip_bank

    return load_clip_bank(timelines_path(tiny_corpus, "train"))


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
