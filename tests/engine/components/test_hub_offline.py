"""Offline loading: hub ids resolve from the local cache only; absent weights give a useful error.

Every test points HF_HOME at a temporary folder, sets HF_HUB_OFFLINE=1 and an unreachable
endpoint, so nothing here can reach (or be rescued by) the network.
"""

import shutil

import pytest
import torch
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.components.hub import MissingWeightsError, hub_cache_dir
from semanticaudio.engine.components.registry import COMPONENT_KINDS, component_class
from semanticaudio.engine.components.text import T5TokenEncoder

PUBLISHED = {
    "dacvae": "facebook/dacvae-watermarked",
    "pe-a-frame": "facebook/pe-a-frame-large",
    "t5": "google/flan-t5-large",
    "clap": "laion/clap-htsat-unfused",
}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def offline_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: unreachable
    return tmp_path / "hf" / "hub"


def _cache_snapshot(cache, repo_id: str, source_folder=None, ref="main"):
    """Lay out ``source_folder`` as the hub cache does: refs/<ref> → snapshots/<commit>/."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs" / ref).parent.mkdir(parents=True, exist_ok=True)
    (repo / "refs" / ref).write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    if source_folder is None:
        snapshot.mkdir(parents=True)
    else:
        shutil.copytree(source_folder, snapshot)
    return snapshot


def test_cache_dir_follows_hf_home_at_call_time(offline_hub):
    assert hub_cache_dir() == offline_hub


@pytest.mark.parametrize("kind", sorted(COMPONENT_KINDS))
def test_uncached_hub_id_names_files_places_and_the_fix(kind, offline_hub):
    repo_id = PUBLISHED[kind]
    with pytest.raises(MissingWeightsError) as caught:
        component_class(kind).from_pretrained(repo_id)
    message = str(caught.value)
    assert repo_id in message
    assert "model.safetensors" in message
    assert str(offline_hub / ("models--" + repo_id.replace("/", "--"))) in message
    # the DAC-VAE hub repository holds only a pickle: its hint is the conversion recipe
    assert ("weights.pth" if kind == "dacvae" else f"hf download {repo_id}") in message


def test_cached_snapshot_of_a_hub_id_loads(offline_hub, tmp_path):
    encoder = T5TokenEncoder.build_tiny(seed=0)
    encoder.save_pretrained(tmp_path / "saved")
    _cache_snapshot(offline_hub, "acme/tiny-t5", tmp_path / "saved")
    loaded = T5TokenEncoder.from_pretrained("acme/tiny-t5")
    with torch.no_grad():
        expected, _ = encoder.encode(["rain, wind"])
        actual, _ = loaded.encode(["rain, wind"])
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_partial_snapshot_lists_what_is_missing_in_the_snapshot(offline_hub, tmp_path):
    DacVae.build_tiny(seed=0).save_pretrained(tmp_path / "saved")
    (tmp_path / "saved" / "model.safetensors").unlink()
    snapshot = _cache_snapshot(offline_hub, "acme/tiny-codec", tmp_path / "saved")
    with pytest.raises(MissingWeightsError) as caught:
        DacVae.from_pretrained("acme/tiny-codec")
    assert caught.value.missing == ("model.safetensors",)
    assert caught.value.searched == (str(snapshot),)


def test_pickled_published_weights_in_the_cache_are_refused(offline_hub):
    snapshot = _cache_snapshot(offline_hub, "facebook/dacvae-watermarked")
    (snapshot / "weights.pth").write_bytes(b"never unpickled")
    with pytest.raises(MissingWeightsError) as caught:
        DacVae.from_pretrained("facebook/dacvae-watermarked")
    message = str(caught.value)
    assert "found only pickled weights (weights.pth)" in message
    assert "save_file" in message  # the conversion recipe


def test_a_revision_after_at_selects_that_cached_ref(offline_hub, tmp_path):
    DacVae.build_tiny(seed=0).save_pretrained(tmp_path / "saved")
    _cache_snapshot(offline_hub, "acme/tiny-codec", tmp_path / "saved", ref="refs/pr/3")
    assert DacVae.from_pretrained("acme/tiny-codec@refs/pr/3").latent_dim == 8
    with pytest.raises(MissingWeightsError, match="hf download acme/tiny-codec --revision v2"):
        DacVae.from_pretrained("acme/tiny-codec@v2")


def test_pickle_only_transformers_repository_gets_a_conversion_recipe(offline_hub):
    snapshot = _cache_snapshot(offline_hub, "laion/clap-htsat-unfused")
    for name in ("pytorch_model.bin", "config.json", "tokenizer.json"):
        (snapshot / name).write_bytes(b"{}")
    with pytest.raises(MissingWeightsError) as caught:
        component_class("clap").from_pretrained("laion/clap-htsat-unfused")
    message = str(caught.value)
    assert caught.value.missing == ("model.safetensors or model.safetensors.index.json",)
    assert "found only pickled weights (pytorch_model.bin)" in message
    assert "ClapTextModelWithProjection.from_pretrained('laion/clap-htsat-unfused')" in message
    assert "laion/clap-htsat-unfused@refs/pr/<n>" in message


def test_a_checkpoints_hub_id_loads_from_the_cache_beside_a_folder_of_that_name(
    offline_hub, tmp_path, monkeypatch
):
    """A checkpoint's "acme/tiny-codec" is its hub id, not the acme/tiny-codec folder the caller
    happens to stand beside."""
    from semanticaudio.engine.components.registry import load_component

    DacVae.build_tiny(seed=0).save_pretrained(tmp_path / "saved")
    _cache_snapshot(offline_hub, "acme/tiny-codec", tmp_path / "saved")
    DacVae.build_tiny(seed=1, decoder_dim=192).save_pretrained(tmp_path / "cwd/acme/tiny-codec")
    monkeypatch.chdir(tmp_path / "cwd")
    spec = {"kind": "dacvae", "path": "acme/tiny-codec"}
    assert load_component("codec", spec, tmp_path / "checkpoint").config.decoder_dim == 96
