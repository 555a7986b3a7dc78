"""Suite-wide settings: one thread per process keeps two-core machines responsive."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_checkpoint_dir(tmp_path_factory):
    """A tiny random two-stage checkpoint folder, written once per test session."""
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    return write_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def tiny_base_checkpoint_dir(tmp_path_factory):
    """A tiny random Base (single-stage) checkpoint folder."""
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    return write_tiny_checkpoint(tmp_path_factory.mktemp("tiny_base") / "model", model_type="base")


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_checkpoint_dir):
    from semanticaudio.engine.pipeline import load_pipeline

    return load_pipeline(tiny_checkpoint_dir, device="cpu")
