import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from semanticaudio.engine.components.dacvae import DacVae, DacVaeConfig
from semanticaudio.engine.components.sine_bank import (
    GOLDEN_RATIO_FRACTION,
    SineBank,
    SineBankConfig,
    spectral_targets,
)
from semanticaudio.engine.recipes.codec_probe import spectral_peaks

RATE, HOP = 16_000, 640
CONFIG = SineBankConfig(oscillators=64, hidden=8)


def _bank(config: SineBankConfig = CONFIG) -> SineBank:
    torch.manual_seed(0)
    return SineBank(config, in_dim=8, sample_rate_hz=RATE, hop_length=HOP)


def _one_oscillator(index: int, amplitude: float, frames: int) -> torch.Tensor:
    amplitudes = torch.zeros(1, CONFIG.oscillators, frames)
    amplitudes[0, index] = amplitude
    return amplitudes


def _reference(amplitudes: torch.Tensor) -> torch.Tensor:
    """What render computes, written plainly in float64: every oscillator's sine from sample 0
    at its golden-ratio phase, its amplitude upsampled linearly between frame centres."""
    count, frames = amplitudes.shape[1:]
    samples = torch.arange(frames * HOP, dtype=torch.float64)
    frequencies = CONFIG.frequencies_hz()[:, None] / RATE
    starts = (torch.arange(count, dtype=torch.float64) * GOLDEN_RATIO_FRACTION)[:, None]
    sines = torch.sin(2 * math.pi * (starts + frequencies * samples))  # (n, S)
    gains = F.interpolate(amplitudes.double(), size=frames * HOP, mode="linear",
                          align_corners=False)
    return (gains * sines).sum(dim=1)


def test_render_is_the_sum_of_interpolated_sines():
    amplitudes = 0.01 * torch.rand(2, CONFIG.oscillators, 60)  # 2.4 s: phases run far
    rendered = _bank().render(amplitudes).double()
    expected = _reference(amplitudes)
    assert rendered.shape == expected.shape == (2, 60 * HOP)
    # float32 phases: within 1e-3 of the float64 sum's peak
    assert (rendered - expected).abs().max() < 1e-3 * expected.abs().max()


def test_one_oscillator_plays_its_frequency_at_its_amplitude():
    frames, index = 400, 20  # 16 s
    waveform = _bank().render(_one_oscillator(index, 0.3, frames))[0].double()
    exact = _reference(_one_oscillator(index, 0.3, frames))[0]
    assert (waveform - exact).abs().max() < 1e-3
    frequency = float(CONFIG.frequencies_hz()[index])
    assert spectral_peaks(waveform.numpy(), RATE)[0] == pytest.approx(frequency, abs=0.5)


def test_casting_the_bank_to_bf16_keeps_its_frequencies():
    bank, index = _bank().to(torch.bfloat16), 40
    amplitudes = _one_oscillator(index, 0.3, 40).to(torch.bfloat16)
    waveform = bank.render(amplitudes)[0].float().numpy()
    assert spectral_peaks(waveform, RATE)[0] == pytest.approx(
        float(CONFIG.frequencies_hz()[index]), abs=0.5)


def test_the_spectral_targets_put_a_sine_on_its_oscillator_and_keep_its_power():
    index, frames = 30, 40
    waveform = _bank().render(_one_oscillator(index, 0.25, frames))
    targets = spectral_targets(waveform, CONFIG, RATE, HOP)  # (1, oscillators, frames)
    assert targets.shape == (1, CONFIG.oscillators, frames)
    middle = targets[0, :, 10:30]
    assert (middle.argmax(dim=0) == index).all()
    assert middle[index].min() > 0.2  # most of it on the nearest oscillator
    power = middle.pow(2).sum(dim=0).sqrt()  # the sine's amplitude, all oscillators together
    torch.testing.assert_close(power, torch.full_like(power, 0.25), rtol=0.01, atol=0)
    assert spectral_targets(torch.zeros(2, 4 * HOP), CONFIG, RATE, HOP).abs().max() == 0


def test_a_fresh_bank_starts_near_silent():
    waveform = _bank()(torch.randn(2, 8, 25))
    assert waveform.pow(2).mean().sqrt() < 1e-3


@pytest.mark.parametrize(("settings", "message"), [
    ({"oscillators": 1}, "oscillators >= 2"),
    ({"range_hz": (500.0, 100.0)}, "0 < low < high"),
    ({"range_hz": (100.0,)}, "0 < low < high"),
    ({"amplitude_scale": 0.0}, "amplitude_scale must be > 0"),
])
def test_bad_bank_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        SineBankConfig(**settings)


def test_a_bank_above_half_the_sample_rate_is_refused():
    with pytest.raises(ValueError, match="below half the sample rate"):
        DacVaeConfig(sample_rate_hz=8000, sine_bank=SineBankConfig(range_hz=(40.0, 5000.0)))


def test_a_codec_with_a_bank_adds_it_to_the_decoder_and_saves_and_loads_it(tmp_path):
    codec = DacVae.build_tiny(sine_bank=SineBankConfig(oscillators=16, hidden=8))
    with torch.no_grad():
        codec.sine_bank.net[-1].bias.fill_(0.0)  # audible
        latent = torch.randn(2, 6, codec.latent_dim)
        features = codec.quantizer.out_proj(latent.transpose(1, 2))
        expected = codec.decoder(features).squeeze(1) + codec.sine_bank(features)
        torch.testing.assert_close(codec.decode(latent), expected)
        codec.save_pretrained(tmp_path / "codec")
        loaded = DacVae.from_pretrained(str(tmp_path / "codec"))
        assert loaded.config == codec.config
        torch.testing.assert_close(loaded.decode(latent), codec.decode(latent), rtol=0, atol=0)


def test_a_codec_without_a_bank_keeps_the_published_layout():
    codec = DacVae.build_tiny()
    assert codec.sine_bank is None
    assert not any(key.startswith("sine_bank") for key in codec.state_dict())
    assert DacVaeConfig().sine_bank is None


def test_an_unknown_bank_setting_in_a_config_file_is_named():
    with pytest.raises(ValueError, match=r"unknown SineBankConfig setting\(s\) \['voices'\]"):
        DacVaeConfig.from_dict({"sine_bank": {"voices": 3}})


def test_an_odd_hop_is_refused():
    with pytest.raises(ValueError, match="even hop length"):
        SineBank(CONFIG, in_dim=8, sample_rate_hz=RATE, hop_length=641)


def test_the_render_refuses_the_wrong_number_of_oscillators():
    with pytest.raises(ValueError, match="expected 64 oscillators"):
        _bank().render(torch.zeros(1, 63, 4))


def test_render_is_deterministic():
    amplitudes = torch.rand(1, CONFIG.oscillators, 12)
    first, second = _bank().render(amplitudes), _bank().render(amplitudes)
    assert np.array_equal(first.numpy(), second.numpy())
