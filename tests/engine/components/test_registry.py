"""The registry: a component's ``path`` is read inside its checkpoint, never from elsewhere."""

import pytest
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.components.hub import MissingWeightsError
from semanticaudio.engine.components.registry import load_component


def test_a_relative_path_missing_from_the_checkpoint_is_not_read_from_the_working_folder(
    tmp_path, monkeypatch
):
    checkpoint, elsewhere = tmp_path / "checkpoint", tmp_path / "elsewhere"
    checkpoint.mkdir()
    DacVae.build_tiny(seed=0).save_pretrained(elsewhere / "codec")  # a stranger's codec
    monkeypatch.chdir(elsewhere)
    with pytest.raises(MissingWeightsError) as caught:
        load_component("codec", {"kind": "dacvae", "path": "codec"}, checkpoint)
    assert caught.value.searched == (f"{checkpoint / 'codec'} (no such folder)",)


def test_a_two_part_relative_path_is_not_read_from_the_working_folder(tmp_path, monkeypatch):
    """"parts/codec" also reads as a hub id; missing from the checkpoint, it must not become
    whatever parts/codec folder the caller stands beside."""
    checkpoint, elsewhere = tmp_path / "checkpoint", tmp_path / "elsewhere"
    checkpoint.mkdir()
    DacVae.build_tiny(seed=0).save_pretrained(elsewhere / "parts" / "codec")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub_cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MissingWeightsError) as caught:
        load_component("codec", {"kind": "dacvae", "path": "parts/codec"}, checkpoint)
    assert caught.value.searched == (f"{checkpoint / 'parts' / 'codec'} (no such folder)",)


def test_an_absolute_folder_outside_the_checkpoint_still_loads(tmp_path):
    DacVae.build_tiny(seed=0).save_pretrained(tmp_path / "shared_codec")
    spec = {"kind": "dacvae", "path": str(tmp_path / "shared_codec")}
    assert load_component("codec", spec, tmp_path / "checkpoint").latent_dim == 8


@pytest.mark.parametrize("path", [None, 3, ""])
def test_a_path_that_is_not_a_non_empty_string_is_named(path, tmp_path):
    with pytest.raises(ValueError, match=r"component 'codec' needs 'path' to be a folder or"):
        load_component("codec", {"kind": "dacvae", "path": path}, tmp_path)
