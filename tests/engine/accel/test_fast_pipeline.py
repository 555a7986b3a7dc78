"""FastPipeline end to end on the CPU: same seed, same output as the plain Pipeline (fp32 within
rounding; bf16 within ``bf16_error``'s bounds), plain fallbacks, progress, cancel and warm-up."""

import pytest
import torch
from semanticaudio.engine.accel import FastConfig, FastPipeline, WarmupRequest
from semanticaudio.engine.errors import Cancelled
from semanticaudio.engine.pipeline import Pipeline
from semanticaudio.engine.tiny import build_tiny_checkpoint

from tests.engine.accel.helpers import FP32_TOLERANCE, bf16_error, fp32_config

CPU = torch.device("cpu")
FIELDS = ("waveforms", "acoustic_latents", "semantic_latents")


@pytest.fixture(scope="module")
def checkpoint():
    return build_tiny_checkpoint(seed=0)


def _pipelines(checkpoint, config: FastConfig) -> tuple[Pipeline, FastPipeline]:
    return (Pipeline(checkpoint, CPU, torch.float32, "plain"),
            FastPipeline(checkpoint, CPU, torch.float32, "fast", config))


def _assert_same(fast, plain, **tolerance) -> None:
    for field in FIELDS:
        torch.testing.assert_close(getattr(fast, field), getattr(plain, field), **tolerance)


def test_generate_matches_the_plain_pipeline_for_a_seed(checkpoint):
    plain, fast = _pipelines(checkpoint, fp32_config())
    a = plain.generate("a dog barks", 1.3, seed=3, variations=2)  # 33 frames → bucket 50
    b = fast.generate("a dog barks", 1.3, seed=3, variations=2)
    _assert_same(b, a, **FP32_TOLERANCE)
    assert not torch.allclose(fast.generate("a dog barks", 1.3, seed=4).waveforms, b.waveforms[:1])


@pytest.mark.parametrize(("source", "range_s"), [(None, None), ("a dog", (0.4, 1.2))])
def test_edit_matches_the_plain_pipeline_for_a_seed(checkpoint, source, range_s):
    plain, fast = _pipelines(checkpoint, fp32_config())
    wave = 0.1 * torch.randn(int(16000 * 1.7), generator=torch.Generator().manual_seed(0))
    a = plain.edit(wave, 16000, "a cat", source, seed=1, range_s=range_s, n_avg=2)
    b = fast.edit(wave, 16000, "a cat", source, seed=1, range_s=range_s, n_avg=2)
    _assert_same(b, a, **FP32_TOLERANCE)


def test_base_model_generate_and_edit_match_the_plain_pipeline():
    checkpoint = build_tiny_checkpoint(seed=0, model_type="base")
    plain, fast = _pipelines(checkpoint, fp32_config())
    _assert_same(fast.generate("rain", 0.9, seed=2), plain.generate("rain", 0.9, seed=2),
                 **FP32_TOLERANCE)
    wave = 0.1 * torch.randn(16000, generator=torch.Generator().manual_seed(1))
    _assert_same(fast.edit(wave, 16000, "wind", seed=5), plain.edit(wave, 16000, "wind", seed=5),
                 **FP32_TOLERANCE)


def test_a_synthesizer_trained_without_text_samples_with_the_null_text():
    from dataclasses import replace

    checkpoint = build_tiny_checkpoint(seed=0)
    checkpoint.model.config = replace(checkpoint.model.config, synthesizer_uses_text=False)
    plain, fast = _pipelines(checkpoint, fp32_config())
    a, b = plain.generate("a dog", 1.3, seed=3), fast.generate("a dog", 1.3, seed=3)
    _assert_same(b, a, **FP32_TOLERANCE)
    with_text = _pipelines(build_tiny_checkpoint(seed=0), fp32_config())[1]
    assert not torch.allclose(with_text.generate("a dog", 1.3, seed=3).waveforms, b.waveforms)


def test_bf16_copies_stay_within_the_stated_tolerance_of_fp32(checkpoint):
    plain, fast = _pipelines(checkpoint, fp32_config(dtype="bfloat16", codec_dtype="bfloat16"))
    a = plain.generate("a dog barks", 1.3, seed=3)
    b = fast.generate("a dog barks", 1.3, seed=3)
    errors = [bf16_error(f, getattr(b, f), getattr(a, f)) for f in FIELDS]
    assert all(0 < error < bound for error, bound in errors), errors  # > 0: bf16 really ran


def test_the_decoders_lstms_in_float16_stay_within_the_stated_tolerance(checkpoint):
    from semanticaudio.engine.accel.compiled import LayeredLSTM

    plain, fast = _pipelines(checkpoint, fp32_config(codec_lstm_dtype="float16"))
    assert any(isinstance(m, LayeredLSTM) for m in fast.accelerator.codec.fast.modules())
    a = plain.generate("a dog barks", 1.3, seed=3)
    b = fast.generate("a dog barks", 1.3, seed=3)
    torch.testing.assert_close(b.semantic_latents, a.semantic_latents, **FP32_TOLERANCE)
    error = bf16_error("waveforms", b.waveforms, a.waveforms)
    assert 0 < error[0] < error[1], error  # > 0: the float16 LSTMs really ran


def test_the_cpu_path_stays_plain_unless_asked(checkpoint):
    plain, fast = _pipelines(checkpoint, FastConfig())
    assert fast.accelerator is None and fast.codec is plain.codec
    _assert_same(fast.generate("a dog", 1.0, seed=0), plain.generate("a dog", 1.0, seed=0),
                 rtol=0, atol=0)


def test_requests_beyond_the_buckets_take_the_plain_path(checkpoint):
    plain, fast = _pipelines(checkpoint, fp32_config(bucket_durations_s=(1.0,), token_capacity=2))
    for duration in (1.5, 0.8):  # too long; fits, but its prompt has more than 2 tokens
        _assert_same(fast.generate("a long prompt here", duration, seed=0),
                     plain.generate("a long prompt here", duration, seed=0), rtol=0, atol=0)
    assert fast.accelerator.runner.num_graphs == 0


def test_progress_reaches_one_per_stage_and_cancel_stops_before_sampling(checkpoint):
    _, fast = _pipelines(checkpoint, fp32_config())
    seen = []
    fast.generate("a dog", 1.0, seed=0, progress=lambda f, s: seen.append((round(f, 3), s)))
    steps = checkpoint.config.sampling
    total = steps.planner_steps + steps.synth_steps + 1
    assert seen == [(round(steps.planner_steps / total, 3), "plan"),
                    (round((total - 1) / total, 3), "synthesize"), (1.0, "decode")]
    with pytest.raises(Cancelled):
        fast.generate("a dog", 1.0, seed=0, should_cancel=lambda: True)


def test_warmup_runs_the_configured_requests(checkpoint):
    requests = (WarmupRequest("generate", 0.6, 2), WarmupRequest("edit", 1.2, 1))
    _, fast = _pipelines(checkpoint, fp32_config(warmup=requests))
    timings = fast.warmup()
    assert [t.request for t in timings] == list(requests)
    assert all(t.seconds > 0 for t in timings)


def test_bad_settings_are_refused_with_the_accepted_values():
    with pytest.raises(ValueError, match="strictly increasing"):
        FastConfig(bucket_durations_s=(10.0, 5.0))
    with pytest.raises(ValueError, match="dtype must be one of"):
        FastConfig(dtype="int8")
    with pytest.raises(ValueError, match="codec_lstm_dtype must be one of"):
        FastConfig(codec_lstm_dtype="float8")
    with pytest.raises(ValueError, match="compile_mode must be one of"):
        FastConfig(compile_mode="reduce-overhead")
    with pytest.raises(ValueError, match="warm-up kind"):
        WarmupRequest("render")
    from semanticaudio.engine.accel.stages import EulerPlan

    with pytest.raises(ValueError, match="nothing to guide"):
        EulerPlan(10, guided=True, null_text=True)
