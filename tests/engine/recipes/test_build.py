import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from semanticaudio.engine.checkpoint import read_config
from semanticaudio.engine.devices import describe_device
from semanticaudio.engine.recipes.build import STEP_NAMES, BuildRequest, build_default
from semanticaudio.engine.recipes.guidance import GUIDANCE_GRID
from semanticaudio.engine.recipes.profiles import PROFILES, get_profile
from semanticaudio.engine.recipes.train_config import write_train_config

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_tiny_profile_builds_a_model_that_generates_and_edits(tmp_path):
    from semanticaudio.engine.pipeline import load_pipeline

    out = tmp_path / "build"
    result = build_default(BuildRequest(out, "tiny", device="cpu", progress=False))
    assert result.ran == tuple(n for n in STEP_NAMES if n != "base")
    log = json.loads(result.log_path.read_text())
    assert log["profile"] == "tiny" and set(log["steps"]) == set(result.ran)
    assert all(step["seconds"] >= 0 for step in log["steps"].values())
    assert {step["device"] for step in log["steps"].values()} == {describe_device("cpu")}
    assert log["steps"]["codec"]["training"]["steps"] == 6
    assert log["steps"]["export"]["model"]["within_size_limit"]
    guidance = log["steps"]["guidance"]  # the tiny corpus has one single-event validation clip
    assert "skipped" not in guidance, guidance
    assert guidance["model"]["scale"] in GUIDANCE_GRID
    assert read_config(result.checkpoint).sampling.planner_guidance == guidance["model"]["scale"]
    quality = log["steps"]["quality"]
    assert 1 <= quality["prompts"] <= 2 and quality["corpus_audio"]["event_f1"] == 1.0
    assert 0.0 <= quality["generated"]["event_f1"] <= 1.0
    pipeline = load_pipeline(result.checkpoint, device="cpu")
    assert pipeline.sample_rate_hz == 16_000 and pipeline.model.is_two_stage
    generated = pipeline.generate("a bell rings twice", 1.0, seed=0, num_steps=3, synth_steps=2)
    assert generated.waveforms.shape == (1, 16_000)
    assert torch.isfinite(generated.waveforms).all()
    edited = pipeline.edit(generated.waveforms[0], 16_000, "rain falls softly",
                           "a bell rings twice", seed=0, num_steps=4, n_max=3, n_min=1, n_avg=1,
                           synth_steps=2)
    assert edited.waveforms.shape == (1, 16_000)
    assert not torch.equal(edited.waveforms, generated.waveforms)
    again = build_default(BuildRequest(out, "tiny", device="cpu", progress=False))
    assert again.ran == () and again.skipped == result.ran


def test_a_build_folder_of_another_profile_is_refused(tmp_path):
    (tmp_path / "build_log.json").write_text(json.dumps({"profile": "gpu", "steps": {}}))
    with pytest.raises(ValueError, match="profile 'gpu', not 'tiny'"):
        build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False))


def test_until_stops_after_that_step(tmp_path):
    result = build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False,
                                        until="corpus"))
    assert result.ran == ("corpus",) and result.checkpoint is None
    assert (tmp_path / "corpus" / "train.jsonl").is_file()


def test_the_log_keeps_the_settings_earlier_steps_ran_under(tmp_path, monkeypatch):
    from dataclasses import replace

    build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False, until="corpus"))
    tiny = get_profile("tiny")
    longer = replace(tiny, flow=replace(tiny.flow, stage2_steps=tiny.flow.stage2_steps + 1))
    monkeypatch.setitem(PROFILES, "tiny", lambda: longer)
    build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False, until="corpus"))
    log = json.loads((tmp_path / "build_log.json").read_text())
    assert log["settings"]["flow"]["stage2_steps"] == tiny.flow.stage2_steps + 1
    [earlier] = log["earlier_settings"]
    assert earlier["settings"]["flow"]["stage2_steps"] == tiny.flow.stage2_steps
    assert earlier["steps_finished"] == ["corpus"]
    build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False, until="corpus"))
    assert len(json.loads((tmp_path / "build_log.json").read_text())["earlier_settings"]) == 1


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("stage", ["stage1", "stage2", "base"])
def test_training_configs_load_in_the_trainer(tmp_path, name, stage):
    from semanticaudio.engine.training.config import load_train_config

    profile = get_profile(name)
    path = write_train_config(profile, stage, tmp_path / f"{stage}.toml")
    config = load_train_config(path)
    assert config.schedule.total_steps == profile.flow.steps(stage)
    assert config.schedule.decay_steps == profile.flow.decay_steps(stage)
    assert all(0 < step < config.schedule.total_steps for step in config.schedule.decay_steps)
    assert config.model.backbone == profile.flow.backbone
    assert config.model.semantic_dim == profile.flow.semantic_dim
    assert tomllib.loads(path.read_text())["batch"]["batch_size"] == profile.flow.batch_size


def test_decay_steps_follow_the_paper_unless_the_recipe_sets_them():
    flow = get_profile("cpu").flow
    assert flow.decay_steps("stage2") == (2400, 4800)  # 40 % and 80 % of 6000, as the paper
    continued = replace(flow, stage2_steps=12000, stage2_decay_steps=(2400, 4800))
    assert continued.decay_steps("stage2") == (2400, 4800)
    assert continued.decay_steps("stage1") == flow.decay_steps("stage1") == (1200, 2400)


def test_profiles_keep_the_frame_rate_and_the_size_limit():
    for name in PROFILES:
        profile = get_profile(name)
        rates = profile.codec.encoder_rates
        assert 16_000 / torch.tensor(rates).prod().item() == 25.0
        assert profile.semantic.size.embed_dim == profile.semantic.text.global_dim
    assert get_profile("gpu").flow.semantic_dim == 128  # the paper's d
    with pytest.raises(ValueError, match="unknown build profile 'huge'"):
        get_profile("huge")


def test_unknown_step_for_until_is_refused(tmp_path):
    with pytest.raises(ValueError, match="until must be one of"):
        BuildRequest(tmp_path, "tiny", until="everything")


def test_the_cpu_profile_uses_the_d_the_claims_benchmark_chose():
    # issue 4: "d = 128 unless the benchmark says otherwise"; it did, at this size
    results = json.loads((REPO / "bench" / "results" / "claims-cpu.json").read_text())
    two_stage = {name: row for name, row in results["generation"].items()
                 if name.startswith("two_stage_d")}
    best = max(two_stage, key=lambda name: two_stage[name]["all"]["event_f1"])
    assert len(two_stage) >= 2
    assert get_profile("cpu").flow.semantic_dim == int(best.removeprefix("two_stage_d"))


@pytest.mark.parametrize("name", ["cpu", "gpu"])
def test_shipping_profiles_fit_the_size_limit(name):
    from semanticaudio.engine.config import ModelConfig
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
    from semanticaudio.engine.recipes.codec import build_codec
    from semanticaudio.engine.recipes.frame_encoder import build_frame_encoder
    from semanticaudio.engine.recipes.profiles import SIZE_LIMIT_MB
    from semanticaudio.engine.recipes.text import build_clap, build_t5

    profile = get_profile(name)
    codec = build_codec(profile.codec, 16_000, 0)
    text = profile.semantic.text
    parts = [codec, build_frame_encoder(profile.semantic.size, codec, 1), build_clap(text, 2),
             build_t5(text, 3)]
    parts.append(SemanticAudioModel(ModelConfig(
        backbone=profile.flow.backbone, acoustic_dim=profile.codec.latent_dim,
        semantic_embed_dim=profile.semantic.size.embed_dim, semantic_dim=profile.flow.semantic_dim,
        head_hidden_dim=profile.flow.head_hidden_dim, global_dim=text.global_dim,
        token_dim=text.t5_width)))
    float32_megabytes = sum(p.numel() for m in parts for p in m.parameters()) * 4 / 1e6
    assert float32_megabytes < SIZE_LIMIT_MB - 2  # room for configs and tokenizer files


def _recording_steps(monkeypatch) -> list[str]:
    """Replace the build's steps by stand-ins that only record their names."""
    from semanticaudio.engine.recipes import build

    ran: list[str] = []

    def stand_in(name):
        return lambda profile, layout, device, progress: ran.append(name) or {}

    monkeypatch.setattr(build, "STEPS", tuple((name, stand_in(name)) for name in STEP_NAMES))
    return ran


@pytest.mark.parametrize(("profile", "step"), [("tiny", "base"), ("cpu", "sine_bank")])
def test_until_a_step_the_profile_does_not_run_is_refused(tmp_path, monkeypatch, profile, step):
    # Before, the loop never met the step and the whole build (hours for cpu) ran.
    ran = _recording_steps(monkeypatch)
    with pytest.raises(ValueError, match=f"profile '{profile}' has no step '{step}'"):
        build_default(BuildRequest(tmp_path, profile, device="cpu", progress=False,
                                   until=step))
    assert ran == [] and not (tmp_path / "build_log.json").exists()


def test_a_step_run_again_runs_the_steps_made_from_it_again(tmp_path, monkeypatch):
    # "delete a step from the log to rebuild it": the steps after it were made from its old
    # output; before, they were skipped and the build silently mixed old and new parts.
    ran = _recording_steps(monkeypatch)
    request = BuildRequest(tmp_path, "tiny", device="cpu", progress=False, until="stage1")
    build_default(request)
    log_path = tmp_path / "build_log.json"
    log = json.loads(log_path.read_text())
    del log["steps"]["codec"]
    log_path.write_text(json.dumps(log))
    ran.clear()
    result = build_default(replace(request, until="codec"))
    assert result.ran == ("codec",) and ran == ["codec"]
    log = json.loads(log_path.read_text())
    assert list(log["steps"]) == ["corpus", "codec"]
    assert [(r["step"], r["because_rerun"]) for r in log["superseded"]] == [
        ("sine_bank", "codec"), ("semantic", "codec"), ("cache", "codec"), ("stage1", "codec")]
    assert build_default(request).ran == ("sine_bank", "semantic", "cache", "stage1")


def test_outputs_without_a_log_are_refused(tmp_path, monkeypatch):
    # Without its log nothing says which profile or seed made them; the codec step would have
    # resumed another build's partial checkpoint and the DiT steps its runs.
    ran = _recording_steps(monkeypatch)
    (tmp_path / "partial" / "codec").mkdir(parents=True)
    (tmp_path / "partial" / "codec" / "progress.json").write_text('{"step": 3}')
    (tmp_path / "runs" / "stage1").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"holds build outputs \(partial, runs\) but no "
                                         r"build_log.json"):
        build_default(BuildRequest(tmp_path, "tiny", device="cpu", progress=False))
    assert ran == [] and not (tmp_path / "build_log.json").exists()
