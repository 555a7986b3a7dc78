"""DAC-VAE: shapes, posterior, watermark branch, published layout, save/load, missing files."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from semanticaudio.engine.components.dacvae import DacVae, DacVaeConfig
from semanticaudio.engine.components.hub import IncompatibleWeightsError, MissingWeightsError
from semanticaudio.engine.errors import CheckpointError

LAYOUT = Path(__file__).parent / "data" / "dacvae_published_layout.json"


@pytest.fixture(scope="module")
def codec() -> DacVae:
    return DacVae.build_tiny(seed=0)


def test_round_trip_shapes_pad_to_a_whole_number_of_frames(codec):
    waveform = 0.1 * torch.randn(2, 16_000 + 123)  # 25 frames and a bit at 16 kHz, hop 640
    with torch.no_grad():
        latent = codec.encode(waveform)
        decoded = codec.decode(latent)
    assert latent.shape == (2, 26, codec.latent_dim)
    assert decoded.shape == (2, 26 * codec.hop_length)
    assert torch.isfinite(decoded).all()
    assert codec.frame_rate_hz == 25.0


def test_encode_returns_the_mean_unless_asked_to_sample(codec):
    waveform = 0.1 * torch.randn(1, 6_400)
    with torch.no_grad():
        mean = codec.encode(waveform)
        again = codec.encode(waveform)
        draw_a = codec.encode(waveform, sample=True, generator=torch.Generator().manual_seed(1))
        draw_b = codec.encode(waveform, sample=True, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(mean, again, rtol=0, atol=0)
    torch.testing.assert_close(draw_a, draw_b, rtol=0, atol=0)
    assert not torch.allclose(draw_a, mean)


def test_watermark_branch_changes_the_waveform_by_a_message(codec):
    latent = torch.randn(2, 5, codec.latent_dim)
    features = codec.quantizer.out_proj(latent.transpose(1, 2))
    zeros = torch.zeros(2, codec.config.watermark_bits)
    ones = torch.ones(2, codec.config.watermark_bits)
    with torch.no_grad():
        marked_zeros = codec.decoder(features, message=zeros)
        marked_ones = codec.decoder(features, message=ones)
        codec.decoder.watermark_enabled = False
        plain = codec.decoder(features)
        codec.decoder.watermark_enabled = True
    assert not torch.allclose(marked_zeros, marked_ones)
    assert not torch.allclose(marked_zeros, plain)
    torch.testing.assert_close(codec.decode(latent).detach(), marked_zeros.squeeze(1))


def test_published_configuration_has_the_published_state_dict_layout():
    """Names and shapes recorded from the facebookresearch/dacvae code (see the JSON's source)."""
    published = json.loads(LAYOUT.read_text())["tensors"]
    with torch.device("meta"):
        model = DacVae(DacVaeConfig())
    ours = {name: list(tensor.shape) for name, tensor in model.state_dict().items()}
    assert sorted(ours) == sorted(published)
    assert ours == published
    assert (model.sample_rate_hz, model.hop_length, model.latent_dim) == (48_000, 1920, 128)
    assert model.frame_rate_hz == 25.0


def test_save_then_load_is_exact(codec, tmp_path):
    codec.save_pretrained(tmp_path / "codec")
    loaded = DacVae.from_pretrained(str(tmp_path / "codec"))
    assert loaded.config == codec.config
    for name, tensor in codec.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor, rtol=0, atol=0)
    waveform = 0.1 * torch.randn(1, 3_000)
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode(waveform), codec.encode(waveform), rtol=0, atol=0)


def test_missing_folder_error_says_what_where_and_how(tmp_path):
    with pytest.raises(MissingWeightsError) as caught:
        DacVae.from_pretrained(str(tmp_path / "nowhere"))
    message = str(caught.value)
    assert "model.safetensors" in message
    assert str(tmp_path / "nowhere") in message
    assert "pass a local folder that holds model.safetensors" in message


def test_pickle_only_folder_is_refused_and_named(tmp_path):
    (tmp_path / "weights.pth").write_bytes(b"not loaded")
    with pytest.raises(MissingWeightsError) as caught:
        DacVae.from_pretrained(str(tmp_path))
    assert caught.value.missing == ("model.safetensors",)
    assert "found only pickled weights (weights.pth)" in str(caught.value)


def test_bad_inputs_are_rejected_with_the_shape_received(codec):
    with pytest.raises(ValueError, match=r"\(B, num_samples\).*\(1, 1, 100\)"):
        codec.encode(torch.zeros(1, 1, 100))
    with pytest.raises(ValueError, match=r"\(B, num_frames, 8\).*\(1, 3, 5\)"):
        codec.decode(torch.zeros(1, 3, 5))
    with pytest.raises(ValueError, match="same product"):
        DacVaeConfig(encoder_rates=(2, 4), decoder_rates=(4, 4), watermark_rates=(2, 2))


def test_weights_of_another_layout_are_refused_by_name(codec, tmp_path):
    codec.save_pretrained(tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    state["decoder.extra.weight"] = state.pop("quantizer.in_proj.weight_v")
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(IncompatibleWeightsError, match=r"1 tensors missing \(quantizer.in_proj"):
        DacVae.from_pretrained(str(tmp_path))


@pytest.mark.parametrize("text", ['{"kind": "dacvae", "dac', "[1, 2]", '{"dacvae": [64]}'])
def test_a_damaged_config_file_is_named(codec, tmp_path, text):
    codec.save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'config.json'}"):
        DacVae.from_pretrained(str(tmp_path))


def test_the_weights_file_itself_is_pointed_to_its_folder(codec, tmp_path):
    codec.save_pretrained(tmp_path)
    with pytest.raises(MissingWeightsError) as caught:
        DacVae.from_pretrained(str(tmp_path / "model.safetensors"))
    assert caught.value.searched == (f"{tmp_path / 'model.safetensors'} (a file: pass the folder "
                                     f"that holds it, {tmp_path})",)
