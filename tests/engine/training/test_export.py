import pytest
import torch
from safetensors.torch import load_file
from semanticaudio.engine.pipeline import load_pipeline
from semanticaudio.engine.training.export import export_runs
from semanticaudio.engine.training.run import RunError, final_weights


def test_stage1_and_stage2_export_to_a_checkpoint_that_generates_and_edits(
    trained_runs, tiny_checkpoint_dir, tmp_path
):
    result = export_runs([trained_runs["stage1"], trained_runs["stage2"]], tmp_path / "model")
    assert (result.model_type, result.step, result.used_ema) == ("semanticaudio", 12, True)
    exported = load_file(str(tmp_path / "model" / "model.safetensors"))
    for name, tensor in final_weights(trained_runs["stage2"])[0].items():
        assert torch.equal(exported[name], tensor), name
    # the components are the ones the cache was made with (here: the tiny checkpoint's)
    codec = load_file(str(tmp_path / "model" / "codec" / "model.safetensors"))
    original = load_file(str(tiny_checkpoint_dir / "codec" / "model.safetensors"))
    assert all(torch.equal(codec[k], original[k]) for k in original)

    pipeline = load_pipeline(tmp_path / "model", device="cpu")
    generated = pipeline.generate("a steady tone at 440 hz", 0.6, seed=3, num_steps=2,
                                  synth_steps=2)
    assert generated.waveforms.shape == (1, 9_600)
    assert torch.isfinite(generated.waveforms).all() and generated.waveforms.abs().max() > 0
    edited = pipeline.edit(generated.waveforms[0], 16_000, "a steady tone at 880 hz",
                           num_steps=4, synth_steps=2, seed=1)
    assert edited.waveforms.shape == (1, 9_600)


def test_a_base_run_exports_on_its_own(trained_runs, tmp_path):
    result = export_runs([trained_runs["base"]], tmp_path / "base", use_ema=False, name="b")
    assert (result.model_type, result.used_ema) == ("base", False)
    pipeline = load_pipeline(tmp_path / "base", device="cpu")
    assert pipeline.model_name == "b"
    out = pipeline.generate("a steady tone at 220 hz", 0.5, seed=0, num_steps=2)
    assert torch.isfinite(out.waveforms).all()


def test_export_explains_what_is_missing(trained_runs, tmp_path):
    with pytest.raises(RunError, match="holds no planner"):
        export_runs([trained_runs["stage1"]], tmp_path / "a")
    with pytest.raises(RunError, match="exports on its own"):
        export_runs([trained_runs["base"], trained_runs["stage2"]], tmp_path / "b")
    with pytest.raises(RunError, match="not a training run"):
        export_runs([tmp_path], tmp_path / "c")


def test_export_refuses_components_whose_files_changed_since_caching(tmp_path):
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    from tests.engine.training.helpers import build_cache, train_stage, write_tone_corpus

    components = write_tiny_checkpoint(tmp_path / "components", seed=0)
    build_cache(write_tone_corpus(tmp_path / "corpus", count=4), components, tmp_path / "cache")
    train_stage("base", tmp_path / "cache", tmp_path / "run", until_step=1)
    write_tiny_checkpoint(components, seed=1)  # another codec saved over the trained-on one
    with pytest.raises(RunError, match=r"files of codec: .* changed since the cache"):
        export_runs([tmp_path / "run"], tmp_path / "model")


def test_export_over_a_checkpoint_is_whole_or_not_at_all(trained_runs, tmp_path, monkeypatch):
    import semanticaudio.engine.checkpoint as module

    out = tmp_path / "model"
    export_runs([trained_runs["base"]], out, name="first")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def disk_full(*args, **kwargs):  # after the weights, before config.json
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(module, "to_dict", disk_full)
        with pytest.raises(OSError, match="No space left"):
            export_runs([trained_runs["stage2"]], out, name="second")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    export_runs([trained_runs["stage2"]], out, name="second")
    assert load_pipeline(out, device="cpu").model_name == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_export_refuses_a_symbolic_link_before_the_work(trained_runs, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "model"
    link.symlink_to(target)
    with pytest.raises(ValueError, match="is a symbolic link"):
        export_runs([tmp_path / "not_a_run"], link)  # the folder is checked first
    assert list(target.iterdir()) == []
