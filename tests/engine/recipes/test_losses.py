import math

import pytest
import torch
from semanticaudio.engine.recipes.loop import OptimizerSettings, fit
from semanticaudio.engine.recipes.losses import (
    MultiScaleMelLoss,
    MultiScaleSpectralLoss,
    frame_phrase_loss,
    gaussian_kl,
    symmetric_info_nce,
)


def test_spectral_loss_is_zero_for_identical_audio_and_grows_with_error():
    loss = MultiScaleSpectralLoss(16_000, (128, 512), n_mels=32)
    clean = torch.sin(torch.linspace(0, 400, 8000)).unsqueeze(0)
    same = loss(clean, clean)
    assert float(same["stft"]) == 0.0 and float(same["mel"]) == 0.0
    slightly = loss(clean + 0.01 * torch.randn_like(clean), clean)
    badly = loss(clean + 0.3 * torch.randn_like(clean), clean)
    assert 0 < float(slightly["mel"]) < float(badly["mel"])


def test_multiscale_mel_loss_is_zero_for_identical_audio_and_grows_with_error():
    loss = MultiScaleMelLoss(16_000)
    clean = torch.sin(torch.linspace(0, 400, 8000)).unsqueeze(0)
    assert float(loss(clean, clean)["mel"]) == 0.0
    slightly = loss(clean + 0.01 * torch.randn_like(clean), clean)["mel"]
    badly = loss(clean + 0.3 * torch.randn_like(clean), clean)["mel"]
    assert 0 < float(slightly) < float(badly)


def _tone_and_band_of_noise(rate: int = 16_000) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1 kHz tone and noise band-limited to 800-1250 Hz at the same RMS, 1 s each."""
    generator = torch.Generator().manual_seed(0)
    time = torch.arange(rate) / rate
    tone = 0.05 * torch.sin(2 * torch.pi * 1000 * time).unsqueeze(0)
    spectrum = torch.fft.rfft(torch.randn(1, rate, generator=generator))
    frequency = torch.fft.rfftfreq(rate, 1 / rate)
    spectrum[:, (frequency < 800) | (frequency > 1250)] = 0
    band = torch.fft.irfft(spectrum, n=rate)
    return tone, band * tone.pow(2).mean().sqrt() / band.pow(2).mean().sqrt()


def test_for_a_tone_the_mel_loss_prefers_its_band_to_silence_and_the_stft_loss_does_not():
    """Why the codec recipe offers the multi-scale mel loss: a decoder that cannot yet place a
    tone's line on the right bin is charged less by log-STFT L1 for leaving the tone out than
    for a band of noise at its level; the multi-scale mel loss charges the band less."""
    tone, band = _tone_and_band_of_noise()
    silence = torch.zeros_like(tone)
    mel = MultiScaleMelLoss(16_000)
    assert float(mel(band, tone)["mel"]) < float(mel(silence, tone)["mel"])
    stft = MultiScaleSpectralLoss(16_000, (128, 256, 512, 1024, 2048), n_mels=64)
    band_terms, silence_terms = stft(band, tone), stft(silence, tone)
    assert float(band_terms["stft"] + band_terms["mel"]) > float(
        silence_terms["stft"] + silence_terms["mel"])


def test_kl_is_zero_for_the_prior_and_positive_elsewhere():
    assert float(gaussian_kl(torch.zeros(3, 4), torch.ones(3, 4))) == pytest.approx(0.0)
    assert float(gaussian_kl(torch.ones(3, 4), torch.ones(3, 4))) == pytest.approx(0.5)


def test_info_nce_prefers_matched_pairs_and_counts_repeated_captions_as_positives():
    text = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    scale = torch.tensor(math.log(20.0))
    matched = symmetric_info_nce(text, text, scale)
    shuffled = symmetric_info_nce(text.roll(1, dims=0), text, scale)
    assert float(matched) < float(shuffled)
    repeated = torch.cat([text[:1], text[:1]])  # two clips, one caption
    audio = torch.cat([text[:1], text[:1]])
    two_positives = symmetric_info_nce(audio, repeated, scale)
    # Each row has two equal logits and two positives of weight 1/2: the loss is exactly log 2.
    assert float(two_positives) == pytest.approx(math.log(2.0))


def test_info_nce_is_finite_for_large_batches_of_real_caption_vectors():
    # 32 rows: above 25, cdist's default shortcut rounded some self-distances above the
    # threshold, so a row had no positive and the loss was NaN (the cpu profile's batch).
    torch.manual_seed(0)
    text = torch.nn.functional.normalize(torch.randn(32, 128) * 40 + 3, dim=-1)
    text = torch.cat([text, text[:4]])  # and repeated captions among them
    loss = symmetric_info_nce(text, text, torch.tensor(math.log(10.0)))
    assert torch.isfinite(loss)
    assert float(loss) < math.log(2.0) + 0.5


def test_frame_phrase_loss_is_lower_when_frames_match_their_phrases():
    phrases = torch.eye(3)
    targets = torch.zeros(1, 2, 3)
    targets[0, 0, 1] = targets[0, 1, 2] = 1.0
    right = torch.stack([phrases[1], phrases[2]]).unsqueeze(0)
    wrong = torch.stack([phrases[0], phrases[0]]).unsqueeze(0)
    scale, bias = torch.tensor(math.log(10.0)), torch.tensor(-5.0)
    assert frame_phrase_loss(right, phrases, targets, scale, bias) < frame_phrase_loss(
        wrong, phrases, targets, scale, bias)


def test_schedule_warms_up_then_decays_to_the_floor():
    settings = OptimizerSettings(steps=100, batch_size=1, learning_rate=1.0, warmup_steps=10)
    assert settings.learning_rate_at(0) == pytest.approx(0.1)
    assert settings.learning_rate_at(10) == pytest.approx(1.0)
    assert settings.learning_rate_at(99) == pytest.approx(0.1, abs=1e-3)


def test_a_non_finite_loss_stops_training_with_the_step():
    weight = torch.nn.Parameter(torch.ones(1))
    settings = OptimizerSettings(steps=3, batch_size=1, learning_rate=0.1)
    with pytest.raises(FloatingPointError, match="at step 0"):
        fit([weight], lambda step: {"loss": weight.sum() * float("nan")}, settings, "t",
            progress=False)


def test_settings_reject_nonsense():
    with pytest.raises(ValueError, match="steps and batch_size"):
        OptimizerSettings(steps=0, batch_size=1, learning_rate=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        OptimizerSettings(steps=1, batch_size=1, learning_rate=0.0)
