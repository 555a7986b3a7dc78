import pytest
from semanticaudio.engine.cli import common


@pytest.fixture
def model(tiny_checkpoint_dir):
    """The --model option for the tiny checkpoint."""
    return ["--model", str(tiny_checkpoint_dir)]


@pytest.fixture
def no_model_load(monkeypatch):
    """Fails the test if the command loads a model: what it must refuse, it refuses first."""

    def load(args):
        raise AssertionError("the model was loaded before the command refused its options")

    monkeypatch.setattr(common, "load", load)
