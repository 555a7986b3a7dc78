"""PE-A-Frame wrapper: frames at 25 fps, resampling, exact save/load, required files."""

import pytest
import torch
from semanticaudio.engine.components.hub import MissingWeightsError
from semanticaudio.engine.components.pe_frame import PREPROCESSOR_FILE, PeAudioFrameEncoder


@pytest.fixture(scope="module")
def encoder() -> PeAudioFrameEncoder:
    return PeAudioFrameEncoder.build_tiny(seed=0)


def test_frames_at_the_hop_rate(encoder):
    assert (encoder.sample_rate_hz, encoder.hop_length, encoder.frame_rate_hz) == (16_000, 640, 25)
    with torch.no_grad():
        frames = encoder.encode(0.1 * torch.randn(2, 16_000 + 1))
    assert frames.shape == (2, 26, encoder.embed_dim)
    assert torch.isfinite(frames).all()


def test_other_rates_are_resampled_to_the_model_rate(encoder):
    import torchaudio.functional as AF

    at_8k = 0.1 * torch.randn(2, 8_000)
    with torch.no_grad():
        frames = encoder.encode(at_8k, sample_rate_hz=8_000)
        expected = encoder.encode(AF.resample(at_8k, 8_000, 16_000))
        as_if_16k = encoder.encode(at_8k)
    assert frames.shape == (2, 25, encoder.embed_dim)
    torch.testing.assert_close(frames, expected, rtol=0, atol=0)
    assert as_if_16k.shape[1] == 13  # unresampled input is read as 0.5 s at 16 kHz


def test_save_with_save_pretrained_load_with_from_pretrained_exact(encoder, tmp_path):
    encoder.save_pretrained(tmp_path)
    assert {"config.json", "model.safetensors", PREPROCESSOR_FILE} <= {
        p.name for p in tmp_path.iterdir()
    }
    loaded = PeAudioFrameEncoder.from_pretrained(str(tmp_path))
    assert (loaded.sample_rate_hz, loaded.frame_rate_hz, loaded.embed_dim) == (
        encoder.sample_rate_hz, encoder.frame_rate_hz, encoder.embed_dim
    )
    waveform = 0.1 * torch.randn(1, 9_999)
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode(waveform), encoder.encode(waveform),
                                   rtol=0, atol=0)


def test_missing_preprocessor_config_is_named(encoder, tmp_path):
    encoder.save_pretrained(tmp_path)
    (tmp_path / PREPROCESSOR_FILE).unlink()
    with pytest.raises(MissingWeightsError) as caught:
        PeAudioFrameEncoder.from_pretrained(str(tmp_path))
    assert caught.value.missing == (PREPROCESSOR_FILE,)
    assert str(tmp_path) in str(caught.value)


def test_bad_rate_and_shape_are_rejected(encoder):
    with pytest.raises(ValueError, match="sample_rate_hz must be positive, got 0"):
        encoder.encode(torch.zeros(1, 100), sample_rate_hz=0)
    with pytest.raises(ValueError, match=r"got shape \(100,\)"):
        encoder.encode(torch.zeros(100))
