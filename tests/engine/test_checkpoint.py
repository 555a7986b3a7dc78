import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from semanticaudio.engine.checkpoint import load_checkpoint, read_config, save_checkpoint
from semanticaudio.engine.errors import CheckpointError
from semanticaudio.engine.tiny import build_tiny_checkpoint


@pytest.fixture
def saved(tmp_path):
    checkpoint = build_tiny_checkpoint(seed=3)
    checkpoint.model.acoustic_norm.set_statistics(torch.randn(50, 8) * 3 + 1)
    return checkpoint, save_checkpoint(tmp_path / "ckpt", checkpoint)


def test_save_then_load_is_exact(saved):
    original, folder = saved
    loaded = load_checkpoint(folder)
    assert loaded.config.model == original.config.model
    assert loaded.config.sampling == original.config.sampling
    assert loaded.config.flowedit == original.config.flowedit
    expected = original.model.state_dict()
    for name, tensor in loaded.model.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
    for role, module in original.components.by_role().items():
        reloaded = loaded.components.by_role()[role].state_dict()
        assert all(torch.equal(t, reloaded[k]) for k, t in module.state_dict().items()), role
    prompts = ["a bell rings twice, then rain", "wind"]
    a, b = original.components.encode_text(prompts), loaded.components.encode_text(prompts)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.global_vector, b.global_vector)


def test_config_records_format_version_and_components(saved):
    _, folder = saved
    document = json.loads((folder / "config.json").read_text())
    assert document["format_version"] == 1
    assert document["components"]["codec"] == {"kind": "dacvae", "path": "codec"}


def test_missing_tensor_is_named(saved):
    _, folder = saved
    weights = load_file(str(folder / "model.safetensors"))
    del weights["planner.out_proj.weight"]
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensor .planner.out_proj.weight."):
        load_checkpoint(folder)


def test_shape_mismatch_is_named(saved):
    _, folder = saved
    weights = load_file(str(folder / "model.safetensors"))
    weights["head.net.0.weight"] = torch.zeros(3, 3)
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"'head.net.0.weight' has shape \(3, 3\)"):
        load_checkpoint(folder)


def test_unknown_version_and_unknown_setting_are_errors(saved):
    _, folder = saved
    path = folder / "config.json"
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "format_version": 7}))
    with pytest.raises(CheckpointError, match="format_version 7; this engine reads version 1"):
        read_config(folder)
    document["model"]["semantic_dimm"] = 3
    path.write_text(json.dumps(document))
    expected = r"unknown ModelConfig setting\(s\) \['semantic_dimm'\]"
    with pytest.raises(CheckpointError, match=expected):
        read_config(folder)


def test_a_folder_without_config_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"config\.json is missing"):
        load_checkpoint(tmp_path)


def test_pickle_files_are_never_read(saved, monkeypatch):
    _, folder = saved
    (folder / "model.pt").write_bytes(b"not a pickle: would crash if read")

    def forbidden(*args, **kwargs):
        raise AssertionError("torch.load must never be called")

    monkeypatch.setattr(torch, "load", forbidden)
    load_checkpoint(folder)


@pytest.mark.parametrize("weights", ["model.safetensors", "codec/model.safetensors",
                                     "semantic_encoder/model.safetensors",
                                     "text_global/model.safetensors",
                                     "text_tokens/model.safetensors"])
@pytest.mark.parametrize("damage", ["truncated", "a pickle"])
def test_a_damaged_weights_file_is_named_not_a_traceback(saved, weights, damage):
    _, folder = saved
    path = folder / weights
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:
        torch.save({"weight": torch.zeros(2)}, path)  # what a renamed .pt file holds
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(folder)
    message = str(caught.value)
    assert str(path.parent if "/" in weights else path) in message
    assert "cannot be read" in message or "not a readable safetensors file" in message
    assert "weights load only from safetensors" in message
