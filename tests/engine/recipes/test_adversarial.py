import math
from dataclasses import replace

import pytest
import torch
from semanticaudio.engine.recipes.adversarial import (
    AdversarialRecipe,
    AdversarialTerms,
    Adversary,
)
from semanticaudio.engine.recipes.codec import CodecRecipe, build_codec, train_codec
from semanticaudio.engine.recipes.loop import OptimizerSettings
from semanticaudio.engine.recipes.resume import PROGRESS_FILE

from tests.engine.recipes.helpers import SimulatedInterruptError, StoppingBank

SMALL = AdversarialRecipe(periods=(2,), fft_sizes=(256,))
SCHEDULE = OptimizerSettings(steps=10, batch_size=2, learning_rate=1e-3, warmup_steps=4)
CODEC = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96, crop_s=0.16,
                    reconstruction="multiscale-mel", adversarial=SMALL,
                    optimizer=OptimizerSettings(steps=5, batch_size=2, learning_rate=1e-3,
                                                warmup_steps=1, checkpoint_every=2))


def _audio(seed: int) -> torch.Tensor:
    return 0.1 * torch.randn(2, 2560, generator=torch.Generator().manual_seed(seed))


def test_generator_losses_reach_the_audio_and_not_the_discriminator():
    adversary = Adversary(SMALL, 16_000, seed=0)
    fake, real = _audio(0).requires_grad_(True), _audio(1)
    adversary.requires_grad_(False)
    losses = adversary.generator_losses(fake, real)
    (losses["adversarial"] + losses["feature"]).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in adversary.parameters())
    before = fake.grad.clone()
    adversary.requires_grad_(True)
    adversary.discriminator_loss(fake, real).backward()  # the fake is detached for this one
    assert all(p.grad is not None for p in adversary.parameters())
    torch.testing.assert_close(fake.grad, before, rtol=0, atol=0)


def test_each_call_trains_the_discriminator_one_step_on_its_schedule():
    terms = AdversarialTerms(SMALL, SCHEDULE, 16_000, seed=0)
    weights = [p.detach().clone() for p in terms.adversary.parameters()]
    fake = _audio(0).requires_grad_(True)
    out = terms(fake, _audio(1), step=1)
    assert set(out) == {"adversarial", "feature", "discriminator"}
    assert not out["discriminator"].requires_grad and out["adversarial"].requires_grad
    assert any(not torch.equal(a, b) for a, b in zip(weights, terms.adversary.parameters(),
                                                     strict=True))
    # Warm-up step 1 of 4 at the discriminator's own peak rate, not the codec's.
    assert terms.optimizer.param_groups[0]["lr"] == pytest.approx(SMALL.learning_rate * 2 / 4)
    expected = SMALL.adversarial_weight * out["adversarial"] + SMALL.feature_weight * out["feature"]
    assert float(terms.weighted(out)) == pytest.approx(float(expected))


def test_the_discriminator_starts_from_the_seed():
    first, again, other = (Adversary(SMALL, 16_000, seed=s) for s in (0, 0, 1))
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    assert any(not torch.equal(a, c) for a, c in zip(first.parameters(), other.parameters(),
                                                     strict=True))


def test_a_codec_trains_with_the_adversarial_terms(tiny_bank):
    codec = build_codec(CODEC, 16_000, seed=0)
    log = train_codec(codec, tiny_bank, CODEC, seed=0, progress=False)
    assert set(log.terms) == {"mel", "waveform", "kl", "adversarial", "feature", "discriminator",
                              "loss"}
    assert len(log.losses) == 5 and all(math.isfinite(loss) for loss in log.losses)
    plain = build_codec(CODEC, 16_000, seed=0)
    train_codec(plain, tiny_bank, replace(CODEC, adversarial=None), seed=0, progress=False)
    assert any(not torch.equal(a, b) for a, b in zip(codec.parameters(), plain.parameters(),
                                                     strict=True))


def test_an_interrupted_adversarial_codec_run_resumes_exactly(tiny_bank, tmp_path):
    straight = build_codec(CODEC, 16_000, seed=0)
    straight_log = train_codec(straight, tiny_bank, CODEC, seed=0, progress=False,
                               checkpoint_dir=tmp_path / "straight")
    with pytest.raises(SimulatedInterruptError):
        train_codec(build_codec(CODEC, 16_000, seed=0), StoppingBank(tiny_bank, 3), CODEC,
                    seed=0, progress=False, checkpoint_dir=tmp_path / "resumed")
    assert (tmp_path / "resumed" / PROGRESS_FILE).is_file()  # saved after step 2
    resumed = build_codec(CODEC, 16_000, seed=0)
    resumed_log = train_codec(resumed, tiny_bank, CODEC, seed=0, progress=False,
                              checkpoint_dir=tmp_path / "resumed")
    for a, b in zip(resumed.parameters(), straight.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert resumed_log.losses == pytest.approx(straight_log.losses)


@pytest.mark.parametrize(("settings", "message"), [
    ({"periods": (), "fft_sizes": ()}, "needs a discriminator"),
    ({"adversarial_weight": -1.0}, "must be >= 0"),
    ({"learning_rate": 0.0}, "learning_rate must be > 0"),
])
def test_a_recipe_without_a_working_discriminator_is_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        AdversarialRecipe(**settings)
