import pytest

from tests.engine.training.helpers import shared_cache, shared_runs


@pytest.fixture(scope="session")
def tone_cache(tmp_path_factory, tiny_checkpoint_dir):
    return shared_cache(tmp_path_factory, tiny_checkpoint_dir)


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory, tiny_checkpoint_dir):
    return shared_runs(tmp_path_factory, tiny_checkpoint_dir)
