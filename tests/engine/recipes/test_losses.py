import math

import pytest
import torch
from semanticaudio.engine.recipes.loop import OptimizerSettings, fit
from semanticaudio.engine.recipes.losses import (
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
