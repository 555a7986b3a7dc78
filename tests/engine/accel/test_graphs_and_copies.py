"""Graph-runner plumbing, inference copies, the fast decoder and the compile cache folder."""

import os
from dataclasses import dataclass

import pytest
import torch
from semanticaudio.engine.accel.compiled import (
    FastDecodeCodec,
    LayeredLSTM,
    configure_compile_cache,
    cudnn_settings,
    inference_copy,
)
from semanticaudio.engine.accel.graphs import GraphRunner, copy_into, map_tensors
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.tiny import build_tiny_checkpoint


@dataclass(frozen=True)
class Pair:
    a: torch.Tensor
    b: torch.Tensor | None = None


def test_map_and_copy_walk_nested_dataclasses_and_check_shapes():
    static = map_tensors(Pair(torch.zeros(2), Pair(torch.zeros(3))), torch.clone)
    copy_into(static, Pair(torch.ones(2), Pair(torch.full((3,), 2.0))))
    assert static.a.tolist() == [1, 1] and static.b.a.tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match=r"inputs\.b\.a: shape \(4,\) differs .* \(3,\)"):
        copy_into(static, Pair(torch.ones(2), Pair(torch.ones(4))))
    with pytest.raises(ValueError, match=r"inputs\.b: one of the captured and the given"):
        copy_into(static, Pair(torch.ones(2)))


def test_without_graphs_the_program_just_runs_and_graphs_need_cuda():
    runner = GraphRunner(torch.device("cpu"), use_graphs=False)
    assert runner.run("k", lambda p: p.a * 2, Pair(torch.ones(2))).tolist() == [2, 2]
    assert runner.num_graphs == 0
    with pytest.raises(ValueError, match="CUDA graphs need a CUDA device, got cpu"):
        GraphRunner(torch.device("cpu"), use_graphs=True)


def test_inference_copy_casts_parameters_but_keeps_rope_frequencies_float32():
    planner = build_tiny_checkpoint(seed=0).model.planner
    twin = inference_copy(planner, torch.bfloat16)
    assert all(p.dtype == torch.bfloat16 and not p.requires_grad for p in twin.parameters())
    assert twin.rotary.inv_freq.dtype == torch.float32
    assert next(planner.parameters()).dtype == torch.float32  # the original is untouched


def test_the_fast_decoder_folds_weight_norm_and_decodes_like_the_codec():
    codec = DacVae.build_tiny(seed=0)
    fast = FastDecodeCodec(codec, torch.float32, compile=False)
    assert not any(hasattr(m, "weight_g") for m in fast.fast.modules())
    assert any(hasattr(m, "weight_g") for m in codec.modules())
    latent = torch.randn(2, 5, codec.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(fast.decode(latent), codec.decode(latent),
                                   rtol=1e-4, atol=1e-5)
    assert (fast.sample_rate_hz, fast.hop_length) == (codec.sample_rate_hz, codec.hop_length)


def test_a_layered_lstm_is_the_stacked_lstm_one_layer_at_a_time():
    torch.manual_seed(0)
    stacked = torch.nn.LSTM(16, 24, num_layers=2).eval()
    layered = LayeredLSTM(stacked, torch.float32)
    x = torch.randn(30, 3, 16)
    with torch.no_grad():
        expected, (h, c) = stacked(x)
        output, (h_layered, c_layered) = layered(x)
    assert len(layered.layers) == 2 and all(m.num_layers == 1 for m in layered.layers)
    assert torch.equal(output, expected)  # the same kernels in the same order
    assert torch.equal(h_layered, h) and torch.equal(c_layered, c)
    with torch.no_grad():
        half, _ = LayeredLSTM(stacked, torch.float16)(x)
    assert half.dtype == torch.float32  # back in the caller's dtype
    torch.testing.assert_close(half, expected, rtol=0, atol=5e-3)  # float16 rounding only
    for unsupported in (torch.nn.LSTM(4, 4, bidirectional=True), torch.nn.LSTM(4, 4, proj_size=2),
                        torch.nn.LSTM(4, 4, batch_first=True)):
        with pytest.raises(ValueError, match="unidirectional, time-first"):
            LayeredLSTM(unsupported, torch.float16)


def test_the_fast_decoder_with_layered_lstms_decodes_like_the_codec():
    codec = DacVae.build_tiny(seed=0)  # has the published watermark branch and its LSTMs
    assert any(isinstance(m, torch.nn.LSTM) for m in codec.modules())
    fast = FastDecodeCodec(codec, torch.float32, compile=False, lstm_dtype=torch.float32)
    stacked = [m for m in codec.modules() if isinstance(m, torch.nn.LSTM)]
    layered = [m for m in fast.fast.modules() if isinstance(m, LayeredLSTM)]
    assert len(layered) == len(stacked) and sum(len(m.layers) for m in layered) == sum(
        m.num_layers for m in stacked)
    assert all(m.num_layers == 1 for m in fast.fast.modules() if isinstance(m, torch.nn.LSTM))
    latent = torch.randn(2, 5, codec.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(fast.decode(latent), codec.decode(latent),
                                   rtol=1e-4, atol=1e-5)
        half = FastDecodeCodec(codec, torch.float32, compile=False, lstm_dtype=torch.float16)
        error = (half.decode(latent) - codec.decode(latent)).square().mean().sqrt()
    assert 0 < error < 0.01  # RMS of full scale, the fast path's waveform bound


def test_cudnn_settings_apply_inside_the_block_and_are_restored_after_an_error():
    cudnn = torch.backends.cudnn
    before = cudnn.benchmark, cudnn.deterministic
    with cudnn_settings(None, None):
        assert (cudnn.benchmark, cudnn.deterministic) == before
    seen = []

    def failing_decode():
        with cudnn_settings(not before[0], not before[1]):
            seen.append((cudnn.benchmark, cudnn.deterministic))
            raise RuntimeError("decode failed")

    with pytest.raises(RuntimeError, match="decode failed"):
        failing_decode()
    assert seen == [(not before[0], not before[1])]
    assert (cudnn.benchmark, cudnn.deterministic) == before


def test_the_compile_cache_is_a_private_folder_named_to_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "from-env"))
    folder = configure_compile_cache(tmp_path / "cache")
    assert folder == tmp_path / "cache" and oct(folder.stat().st_mode & 0o777) == "0o700"
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(folder)
    assert configure_compile_cache(None) == folder  # the environment now names it
    open_folder = tmp_path / "shared"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    with pytest.raises(EngineError, match="writable by others"):
        configure_compile_cache(open_folder)


@pytest.mark.slow
def test_a_compiled_block_matches_eager_on_the_cpu(tmp_path, monkeypatch):
    """About a minute on two cores (the C++ compile); run with SA_COMPILE_TESTS=1."""
    from semanticaudio.engine.accel.compiled import compile_blocks

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    configure_compile_cache(tmp_path / "cache")
    planner = inference_copy(build_tiny_checkpoint(seed=0).model.planner, torch.float32)
    from tests.engine.accel.helpers import random_text

    text = random_text(planner, 2, (3, 5), seed=0)
    x, t = torch.randn(2, 20, planner.in_proj.in_features), torch.rand(2)
    mask = torch.arange(20)[None].expand(2, -1) < 15
    with torch.no_grad():
        eager = planner(x, t, text, frame_mask=mask)
        compile_blocks(planner, "default")
        compiled = planner(x, t, text, frame_mask=mask)
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-5)
