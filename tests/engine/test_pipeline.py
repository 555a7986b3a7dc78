"""The pipelines end to end on the tiny random checkpoints."""

import itertools
import math

import pytest
import torch
from semanticaudio.engine.errors import Cancelled, EngineError
from semanticaudio.engine.pipeline import load_pipeline
from semanticaudio.engine.regions import CROSSFADE_S
from semanticaudio.engine.sampling import StepReporter

RATE = 16000


@pytest.fixture(scope="module")
def base_pipeline(tiny_base_checkpoint_dir):
    return load_pipeline(tiny_base_checkpoint_dir, device="cpu")


@pytest.mark.parametrize("duration_s", [0.5, 1.37, 3.0])
def test_generate_cuts_to_the_exact_sample_count(tiny_pipeline, duration_s):
    result = tiny_pipeline.generate("a bell rings", duration_s, seed=3)
    assert result.sample_rate_hz == RATE
    assert result.waveforms.shape == (1, round(duration_s * RATE))
    frames = math.ceil(duration_s * 25)
    assert result.semantic_latents.shape == (1, frames, 8)
    assert result.acoustic_latents.shape == (1, frames, 8)
    assert torch.isfinite(result.waveforms).all() and result.waveforms.abs().max() <= 1


def test_thirty_seconds_is_accepted(tiny_pipeline):
    result = tiny_pipeline.generate("rain", 30.0, seed=0, num_steps=1, synth_steps=1)
    assert result.waveforms.shape == (1, 30 * RATE)


def test_a_seed_gives_bit_identical_output_and_variations_differ(tiny_pipeline):
    a = tiny_pipeline.generate("a dog barks", 1.0, seed=7, variations=3)
    b = tiny_pipeline.generate("a dog barks", 1.0, seed=7, variations=3)
    assert torch.equal(a.waveforms, b.waveforms) and a.seed == 7
    assert a.waveforms.shape[0] == 3
    assert not torch.equal(a.waveforms[0], a.waveforms[1])
    c = tiny_pipeline.generate("a dog barks", 1.0, seed=8)
    assert not torch.equal(a.waveforms[0], c.waveforms[0])


def test_the_prompt_and_guidance_change_the_plan(tiny_pipeline):
    a = tiny_pipeline.generate("a dog barks", 1.0, seed=1)
    b = tiny_pipeline.generate("heavy rain on a roof", 1.0, seed=1)
    c = tiny_pipeline.generate("a dog barks", 1.0, seed=1, guidance=1.0)
    assert not torch.allclose(a.semantic_latents, b.semantic_latents)
    assert not torch.allclose(a.semantic_latents, c.semantic_latents)


@pytest.mark.parametrize("fixture", ["tiny_pipeline", "base_pipeline"])
def test_no_guidance_means_the_checkpoints_text_guidance(request, fixture):
    pipeline = request.getfixturevalue(fixture)
    sampling = pipeline.checkpoint.config.sampling
    two_stage = pipeline.model.is_two_stage
    field = sampling.guidance_field(two_stage)
    assert field == ("planner_guidance" if two_stage else "base_guidance")
    default = sampling.text_guidance(two_stage)
    assert default == getattr(sampling, field)
    plain = pipeline.generate("a dog barks", 1.0, seed=1).waveforms
    assert torch.equal(plain, pipeline.generate("a dog barks", 1.0, seed=1,
                                                guidance=default).waveforms)
    assert not torch.equal(plain, pipeline.generate("a dog barks", 1.0, seed=1,
                                                    guidance=default + 1.0).waveforms)


def test_progress_runs_through_every_stage_and_cancel_stops_early(tiny_pipeline):
    seen = []
    tiny_pipeline.generate("wind", 1.0, seed=0, progress=lambda f, s: seen.append((f, s)))
    assert [s for _, s in seen] == ["plan"] * 4 + ["synthesize"] * 3 + ["decode"]
    assert seen[-1][0] == 1.0 and all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    calls = []
    with pytest.raises(Cancelled):
        tiny_pipeline.generate(
            "wind", 1.0, seed=0, progress=lambda f, s: calls.append(s),
            should_cancel=lambda: len(calls) >= 2,
        )
    assert len(calls) == 2


def test_edit_keeps_length_and_rate_and_is_deterministic(tiny_pipeline):
    source = 0.1 * torch.randn(int(1.3 * 44100), generator=torch.Generator().manual_seed(0))
    a = tiny_pipeline.edit(source, 44100, "a cat meows", "a dog barks", seed=4, variations=2)
    b = tiny_pipeline.edit(source, 44100, "a cat meows", "a dog barks", seed=4, variations=2)
    assert a.waveforms.shape == (2, len(source)) and a.sample_rate_hz == 44100
    assert torch.equal(a.waveforms, b.waveforms)
    assert a.source_latent.shape == (1, math.ceil(1.3 * 25), 8)


def test_region_edit_leaves_the_outside_untouched_apart_from_the_crossfade(tiny_pipeline):
    source = 0.2 * torch.randn(2 * RATE, generator=torch.Generator().manual_seed(1))
    start_s, end_s = 0.6, 1.4
    result = tiny_pipeline.edit(source, RATE, "a bell", None, range_s=(start_s, end_s), seed=0)
    edited = result.waveforms[0]
    margin = int((CROSSFADE_S / 2) * RATE) + 1
    before, after = int(start_s * RATE) - margin, int(end_s * RATE) + margin
    assert CROSSFADE_S <= 0.05
    assert torch.equal(edited[:before], source[:before])
    assert torch.equal(edited[after:], source[after:])
    assert not torch.allclose(edited[int(0.8 * RATE):int(1.2 * RATE)],
                              source[int(0.8 * RATE):int(1.2 * RATE)])


def test_resynthesize_renders_the_recordings_own_plan_at_its_length_and_rate(tiny_pipeline):
    source = 0.1 * torch.randn(int(1.3 * 44100), generator=torch.Generator().manual_seed(2))
    a = tiny_pipeline.resynthesize(source, 44100, "a bell rings", seed=5)
    b = tiny_pipeline.resynthesize(source, 44100, "a bell rings", seed=5)
    c = tiny_pipeline.resynthesize(source, 44100, "a bell rings", seed=6)
    assert a.waveforms.shape == (1, len(source)) and a.sample_rate_hz == 44100
    assert torch.equal(a.waveforms, b.waveforms) and not torch.equal(a.waveforms, c.waveforms)
    # the plan is the recording's, as FlowEdit starts from it, not one the planner drew
    edited = tiny_pipeline.edit(source, 44100, "a gong", seed=5)
    torch.testing.assert_close(a.semantic_latents, edited.source_latent)


def test_resynthesize_needs_a_two_stage_model(base_pipeline):
    with pytest.raises(EngineError, match="resynthesize needs a two-stage model"):
        base_pipeline.resynthesize(torch.zeros(RATE), RATE, "a bell")


def test_base_model_generates_and_edits_in_the_acoustic_space(base_pipeline):
    generated = base_pipeline.generate("a bell rings", 1.0, seed=0)
    assert generated.semantic_latents is None and generated.waveforms.shape == (1, RATE)
    edited = base_pipeline.edit(generated.waveforms[0], RATE, "a gong", "a bell rings", seed=0)
    assert edited.waveforms.shape == (1, RATE) and edited.semantic_latents is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration_s": 0.2}, "duration must be from 0.5 to 30.0"),
        ({"duration_s": 31}, "duration must be from 0.5 to 30.0"),
        ({"duration_s": float("nan")}, "duration"),
        ({"prompt": "  "}, "prompt must be non-empty"),
        ({"variations": 0}, "variations must be a whole number from 1 to 8"),
        ({"num_steps": 0}, "steps must be a whole number"),
        ({"guidance": -1.0}, "guidance must be a number"),
        ({"seed": -5}, "seed must be a whole number"),
    ],
)
def test_bad_generate_requests_teach(tiny_pipeline, kwargs, message):
    request = {"prompt": "rain", "duration_s": 1.0, **kwargs}
    with pytest.raises(EngineError, match=message):
        tiny_pipeline.generate(request.pop("prompt"), request.pop("duration_s"), **request)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"range_s": (0.8, 0.2)}, r"range \(0.8, 0.2\) must satisfy"),
        ({"range_s": (0.0, 5.0)}, "must satisfy"),
        ({"n_max": 60}, "n_min ≤ n_max ≤ num_steps"),
        ({"waveform": torch.zeros(100)}, "the audio lasts 0.006 s"),
        ({"waveform": torch.full((RATE,), float("nan"))}, "NaN"),
        ({"waveform": torch.zeros(2, RATE)}, "mono waveform"),
        ({"waveform": torch.full((RATE,), 3000, dtype=torch.int16)},
         "floating-point samples .* got torch.int16"),
    ],
)
def test_bad_edit_requests_teach(tiny_pipeline, kwargs, message):
    request = {"waveform": torch.zeros(RATE), **kwargs}
    with pytest.raises(EngineError, match=message):
        tiny_pipeline.edit(request.pop("waveform"), RATE, "a bell", **request)


def test_missing_default_model_says_what_to_do(monkeypatch, tmp_path):
    from semanticaudio.engine import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_MODEL_DIR", tmp_path / "absent")
    with pytest.raises(EngineError, match="pass --model DIR"):
        load_pipeline(None)


def test_a_synthesizer_trained_without_text_ignores_the_prompt(tiny_checkpoint_dir):
    from dataclasses import replace

    from semanticaudio.engine.checkpoint import load_checkpoint
    from semanticaudio.engine.pipeline import Pipeline

    checkpoint = load_checkpoint(tiny_checkpoint_dir)
    model_config = replace(checkpoint.config.model, synthesizer_uses_text=False)
    checkpoint.model.config = model_config
    pipeline = Pipeline(checkpoint, torch.device("cpu"), torch.float32, "no-text-synth")
    plan = torch.randn(1, 25, 8, generator=torch.Generator().manual_seed(0))
    texts = [pipeline._encode_text([p]) for p in ("a bell", "heavy rain on a roof")]
    a, b = (pipeline._synthesize(text, plan, 3, torch.Generator().manual_seed(1), StepReporter(3))
            for text in texts)
    torch.testing.assert_close(a, b)  # equal up to the padding of the token sequences
    checkpoint.model.config = replace(model_config, synthesizer_uses_text=True)
    c = pipeline._synthesize(texts[1], plan, 3, torch.Generator().manual_seed(1), StepReporter(3))
    assert not torch.allclose(a, c)


def test_a_dc_offset_from_the_codec_does_not_reach_the_output(tiny_pipeline, monkeypatch):
    clean = tiny_pipeline.generate("a bell rings", 1.0, seed=4).waveforms
    decode = tiny_pipeline.codec.decode
    monkeypatch.setattr(tiny_pipeline.codec, "decode", lambda latent: decode(latent) + 0.05)
    offset = tiny_pipeline.generate("a bell rings", 1.0, seed=4).waveforms
    torch.testing.assert_close(offset, clean, rtol=0, atol=1e-6)  # the offset is 50 000 x that


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_steps": 0}, "steps must be a whole number from 1 to 1000, got 0"),
        ({"num_steps": 5000}, "steps must be a whole number from 1 to 1000, got 5000"),
        ({"num_steps": 2.5}, "steps must be a whole number"),
        ({"n_max": 2.5}, "n_max must be a whole number from 0 to 1000, got 2.5"),
        ({"n_min": True}, "n_min must be a whole number"),
        ({"n_avg": 1.5}, "n_avg must be a whole number from 1 to 64, got 1.5"),
        ({"source_prompt": 5}, "the source prompt must be non-empty text, got 5"),
        ({"source_prompt": "x" * 1001}, "the source prompt has 1001 characters; at most 1000"),
    ],
)
def test_bad_flowedit_settings_and_source_prompts_teach(tiny_pipeline, kwargs, message):
    with pytest.raises(EngineError, match=message):
        tiny_pipeline.edit(torch.zeros(RATE), RATE, "a bell", **kwargs)


def test_a_blank_source_prompt_is_the_null_condition(tiny_pipeline):
    source = 0.1 * torch.randn(RATE, generator=torch.Generator().manual_seed(3))
    null = tiny_pipeline.edit(source, RATE, "a bell", None, seed=2).waveforms
    assert torch.equal(null, tiny_pipeline.edit(source, RATE, "a bell", "  ", seed=2).waveforms)
    captioned = tiny_pipeline.edit(source, RATE, "a bell", "a dog barks", seed=2).waveforms
    assert not torch.equal(null, captioned)


@pytest.mark.parametrize("rate", [RATE, 44100])
def test_a_range_reaching_the_clips_ends_is_not_faded_there(tiny_pipeline, rate):
    # the clip's own start and end are no border with untouched audio: nothing to fade across
    source = 0.2 * torch.randn(rate, generator=torch.Generator().manual_seed(1))
    whole = tiny_pipeline.edit(source, rate, "a bell", seed=0).waveforms
    ranged = tiny_pipeline.edit(source, rate, "a bell", seed=0, range_s=(0.0, 1.0)).waveforms
    assert torch.equal(ranged, whole)
    head = tiny_pipeline.edit(source, rate, "a bell", seed=0, range_s=(0.0, 0.5)).waveforms[0]
    fade = int(CROSSFADE_S * rate)
    torch.testing.assert_close(head[:fade], whole[0, :fade], rtol=0, atol=0.02)
    assert torch.equal(head[int(0.5 * rate) + fade:], source[int(0.5 * rate) + fade:])


def test_a_bfloat16_edit_integrates_float32_latents(tiny_checkpoint_dir, monkeypatch):
    # autocast lowers the matmuls only: FlowEdit's source, noise and trajectory stay float32
    from semanticaudio.engine import pipeline as module

    seen = []
    flow_edit = module.flow_edit

    def recording_flow_edit(model, x_src, *args):
        seen.append(x_src.dtype)
        return flow_edit(model, x_src, *args)

    monkeypatch.setattr(module, "flow_edit", recording_flow_edit)
    bf16 = load_pipeline(tiny_checkpoint_dir, device="cpu", dtype="bfloat16")
    result = bf16.edit(0.1 * torch.randn(RATE), RATE, "a gong", "a bell", seed=1)
    assert seen == [torch.float32] and torch.isfinite(result.waveforms).all()
