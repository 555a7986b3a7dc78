import dataclasses
import json
import os

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


@pytest.mark.parametrize(("content", "named"), [(b"[]", r"must hold a JSON object .*got \[\]"),
                                                (b"null", "must hold a JSON object .*got null"),
                                                (b"\xff\xfe{}", "is not valid JSON")])
def test_a_config_that_is_not_a_json_object_is_named(saved, content, named):
    _, folder = saved
    (folder / "config.json").write_bytes(content)
    with pytest.raises(CheckpointError, match=named):
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


def _contents(folder):
    """Every file under ``folder`` → its bytes (what a reader of the folder would see)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _fail_on_weights(monkeypatch, error: BaseException | None = None):
    """The weights file fails after the components were written: a failure midway."""
    import semanticaudio.engine.checkpoint as module

    def failing(*args, **kwargs):
        raise error or OSError(28, "No space left on device")

    monkeypatch.setattr(module, "save_safetensors_atomic", failing)


def test_a_failed_save_leaves_the_old_checkpoint_whole(saved, monkeypatch):
    _, folder = saved
    (folder / "notes.txt").write_text("mine")
    before = _contents(folder)
    _fail_on_weights(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(folder, build_tiny_checkpoint(seed=1))
    assert _contents(folder) == before  # not the new components beside the old weights
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no hidden leftovers


def test_a_failed_save_leaves_no_folder_under_the_name(tmp_path, monkeypatch):
    _fail_on_weights(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "new", build_tiny_checkpoint())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["one-swap", "two-renames"])
def test_saving_over_a_checkpoint_replaces_it_and_keeps_other_files(saved, monkeypatch, exchange):
    import semanticaudio.engine.features.files as files

    if not exchange:  # where renameat2 cannot swap: rename aside, rename in, remove the old
        monkeypatch.setattr(files, "_exchange", lambda first, second: False)
    _, folder = saved
    (folder / "notes.txt").write_text("mine")
    replacement = build_tiny_checkpoint(seed=1)
    replacement.components.semantic_encoder = None
    save_checkpoint(folder, replacement)
    assert sorted(p.name for p in folder.iterdir()) == [
        "codec", "config.json", "model.safetensors", "notes.txt", "text_global", "text_tokens"
    ]  # the old semantic_encoder/ went with the old checkpoint
    loaded = load_checkpoint(folder)
    expected = replacement.model.state_dict()
    assert all(torch.equal(t, expected[k]) for k, t in loaded.model.state_dict().items())
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_a_failed_swap_puts_the_kept_files_back(saved, monkeypatch):
    import semanticaudio.engine.features.files as files

    def refused(new, folder):
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(files, "_swap_in", refused)
    _, folder = saved
    (folder / "notes.txt").write_text("mine")
    folder.chmod(0o750)
    before = _contents(folder)
    with pytest.raises(OSError, match="busy"):
        save_checkpoint(folder, build_tiny_checkpoint(seed=1))
    assert _contents(folder) == before and folder.stat().st_mode & 0o777 == 0o750
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]
    monkeypatch.undo()
    save_checkpoint(folder, build_tiny_checkpoint(seed=1))
    assert folder.stat().st_mode & 0o777 == 0o750  # the replaced folder keeps its permissions
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_symbolic_link_or_a_file_is_refused_not_written_through(saved, tmp_path):
    _, folder = saved
    before = _contents(folder)
    link = tmp_path / "link"
    link.symlink_to(folder)
    with pytest.raises(ValueError, match=r"link is a symbolic link \(to .*ckpt\).*name the folder"):
        save_checkpoint(link, build_tiny_checkpoint(seed=1))
    assert _contents(folder) == before and link.is_symlink()
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="afile is a file, not a folder"):
        save_checkpoint(afile, build_tiny_checkpoint())
    assert afile.read_text() == "x"


def test_a_checkpoint_replaced_while_it_loads_is_read_again(saved, monkeypatch):
    import semanticaudio.engine.checkpoint as module

    _, folder = saved
    replacement = build_tiny_checkpoint(seed=1)
    replacement.config = dataclasses.replace(replacement.config, name="replacement")
    real_load_weights = module.load_weights

    def replaced_midway(model, path):  # after config.json was read, before the weights
        if not getattr(replaced_midway, "done", False):
            replaced_midway.done = True
            save_checkpoint(folder, replacement)
        real_load_weights(model, path)

    monkeypatch.setattr(module, "load_weights", replaced_midway)
    loaded = load_checkpoint(folder)
    assert loaded.config.name == "replacement"  # not the old config with the new weights
    expected = replacement.model.state_dict()
    assert all(torch.equal(t, expected[k]) for k, t in loaded.model.state_dict().items())


def test_every_file_of_a_saved_checkpoint_gets_the_users_umask(tmp_path):
    # safetensors' save_file leaves 0600: a daemon running as another user could not read it
    previous = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "ckpt", build_tiny_checkpoint(seed=0))
    finally:
        os.umask(previous)
    files = [p for p in (tmp_path / "ckpt").rglob("*") if p.is_file()]
    assert any(p.name == "model.safetensors" for p in files)
    assert {p.relative_to(tmp_path): oct(p.stat().st_mode & 0o777) for p in files
            if p.stat().st_mode & 0o777 != 0o644} == {}


def test_a_component_replaced_midway_is_read_again_not_refused(saved, monkeypatch):
    """The codec's config.json read from the old folder, its weights from the new one (another
    size) must not surface as a torch size mismatch: the folder changed, so it is read again."""
    import semanticaudio.engine.components.dacvae as dacvae
    from semanticaudio.engine.components.dacvae import DacVae

    _, folder = saved
    replacement = build_tiny_checkpoint(seed=1)
    replacement.components.codec = DacVae.build_tiny(seed=1, decoder_dim=192)
    replacement.config = dataclasses.replace(replacement.config, name="replacement")
    real_load = dacvae.load_safetensors

    def replaced_midway(path):  # after the codec's config.json, before its weights
        if not getattr(replaced_midway, "done", False):
            replaced_midway.done = True
            save_checkpoint(folder, replacement)
        return real_load(path)

    monkeypatch.setattr(dacvae, "load_safetensors", replaced_midway)
    loaded = load_checkpoint(folder)
    assert loaded.config.name == "replacement"
    assert loaded.components.codec.config.decoder_dim == 192


def test_a_checkpoint_replaced_twice_while_it_loads_is_read_again(saved, monkeypatch):
    """The second replacement's folder may get the first old folder's inode back (ext4 reuses
    a freed inode at once): the folder's identity must still tell it apart."""
    import semanticaudio.engine.checkpoint as module

    _, folder = saved
    replacements = []
    for seed in (1, 2):
        replacement = build_tiny_checkpoint(seed=seed)
        replacement.config = dataclasses.replace(replacement.config, name=f"replacement {seed}")
        replacements.append(replacement)
    real_load_weights = module.load_weights

    def replaced_twice(model, path):  # after config.json was read, before the weights
        if not getattr(replaced_twice, "done", False):
            replaced_twice.done = True
            for replacement in replacements:
                save_checkpoint(folder, replacement)
        real_load_weights(model, path)

    monkeypatch.setattr(module, "load_weights", replaced_twice)
    loaded = load_checkpoint(folder)
    assert loaded.config.name == "replacement 2"  # not the first config with the last weights
    expected = replacements[1].model.state_dict()
    assert all(torch.equal(t, expected[k]) for k, t in loaded.model.state_dict().items())
