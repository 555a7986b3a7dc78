"""PE-A-Frame wrapper: frames at 25 fps, resampling, exact save/load, required files."""

import json

import pytest
import torch
from semanticaudio.engine.components.hub import MissingWeightsError
from semanticaudio.engine.components.pe_frame import PROCESSOR_FILES, PeAudioFrameEncoder
from semanticaudio.engine.errors import CheckpointError


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
    assert {"config.json", "model.safetensors", "processor_config.json"} <= {
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


def test_flat_preprocessor_config_is_read_too(encoder, tmp_path):
    encoder.save_pretrained(tmp_path)
    nested = json.loads((tmp_path / "processor_config.json").read_text())
    assert nested["feature_extractor"]["sampling_rate"] == 16_000  # the published layout
    flat = {**nested["feature_extractor"], "sampling_rate": 8_000, "hop_length": 640}
    (tmp_path / "processor_config.json").unlink()
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(flat))
    loaded = PeAudioFrameEncoder.from_pretrained(str(tmp_path))
    assert (loaded.sample_rate_hz, loaded.frame_rate_hz) == (8_000, 12.5)


def test_a_hop_that_disagrees_with_the_model_is_refused(encoder, tmp_path):
    encoder.save_pretrained(tmp_path)
    (tmp_path / "processor_config.json").write_text(
        json.dumps({"feature_extractor": {"sampling_rate": 16_000, "hop_length": 1920}})
    )
    with pytest.raises(ValueError, match=r"hop_length 1920, but the model's front end .* 640"):
        PeAudioFrameEncoder.from_pretrained(str(tmp_path))


def test_missing_processor_config_is_named(encoder, tmp_path):
    encoder.save_pretrained(tmp_path)
    (tmp_path / "processor_config.json").unlink()
    with pytest.raises(MissingWeightsError) as caught:
        PeAudioFrameEncoder.from_pretrained(str(tmp_path))
    assert caught.value.missing == (" or ".join(PROCESSOR_FILES),)
    assert str(tmp_path) in str(caught.value)


def test_bad_rate_and_shape_are_rejected(encoder):
    with pytest.raises(ValueError, match="sample_rate_hz must be positive, got 0"):
        encoder.encode(torch.zeros(1, 100), sample_rate_hz=0)
    with pytest.raises(ValueError, match=r"got shape \(100,\)"):
        encoder.encode(torch.zeros(100))


@pytest.mark.parametrize("text", ['{"feature_ext', "[48000]"])
def test_a_damaged_processor_config_is_named(encoder, tmp_path, text):
    encoder.save_pretrained(tmp_path)
    (tmp_path / "processor_config.json").write_text(text)
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'processor_config.json'}"):
        PeAudioFrameEncoder.from_pretrained(str(tmp_path))


def test_the_conversion_recipe_for_pickled_weights_gives_a_folder_that_loads(encoder, tmp_path):
    """The recipe saves the model and the feature extractor (the rate and hop live there)."""
    from transformers import AutoFeatureExtractor, PeAudioFeatureExtractor

    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "pytorch_model.bin").write_bytes(b"never unpickled")
    with pytest.raises(MissingWeightsError) as caught:
        PeAudioFrameEncoder.from_pretrained(str(pickled))
    recipe = str(caught.value)
    assert "AutoFeatureExtractor.from_pretrained(" in recipe
    # what the recipe does, with the tiny model standing in for the published one
    out = tmp_path / "out"
    encoder.model.save_pretrained(out)
    PeAudioFeatureExtractor(sampling_rate=16_000, hop_length=640).save_pretrained(out)
    assert AutoFeatureExtractor.from_pretrained(out).sampling_rate == 16_000
    assert PeAudioFrameEncoder.from_pretrained(str(out)).sample_rate_hz == 16_000
