import math
from dataclasses import replace

import pytest
import torch
from semanticaudio.engine.recipes.clips import ClipBank
from semanticaudio.engine.recipes.codec import CodecRecipe, build_codec
from semanticaudio.engine.recipes.decoder import (
    Adversary,
    DecoderRecipe,
    decoder_parameters,
    tune_decoder,
)
from semanticaudio.engine.recipes.loop import OptimizerSettings
from semanticaudio.engine.recipes.resume import PROGRESS_FILE

CODEC = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96,
                    reconstruction="multiscale-mel",
                    optimizer=OptimizerSettings(steps=1, batch_size=1, learning_rate=1e-3))
RECIPE = DecoderRecipe(periods=(2,), fft_sizes=(256,), crop_s=0.16,
                       optimizer=OptimizerSettings(steps=5, batch_size=2, learning_rate=1e-3,
                                                   warmup_steps=0, checkpoint_every=2))


def _codec():
    return build_codec(CODEC, 16_000, seed=0)


def _encoder_state(codec) -> dict[str, torch.Tensor]:
    frozen = {**{f"encoder.{k}": v for k, v in codec.encoder.state_dict().items()},
              **{f"in_proj.{k}": v for k, v in codec.quantizer.in_proj.state_dict().items()}}
    return {key: value.clone() for key, value in frozen.items()}


def _decoder_state(codec) -> list[torch.Tensor]:
    return [p.detach().clone() for p in decoder_parameters(codec)]


def _used_in_decoding(codec) -> list[bool]:
    """For each of decoder_parameters: does decoding a latent give it a gradient?"""
    codec.decode(torch.randn(1, 4, codec.latent_dim)).sum().backward()
    return [p.grad is not None for p in decoder_parameters(codec)]


def test_only_the_decoder_moves_and_every_term_is_logged(tiny_bank):
    codec = _codec()
    encoder, decoder = _encoder_state(codec), _decoder_state(codec)
    log = tune_decoder(codec, tiny_bank, RECIPE, CODEC, seed=0, progress=False)
    assert set(log.terms) == {"mel", "waveform", "adversarial", "feature", "discriminator",
                              "loss"}
    assert len(log.losses) == 5 and all(math.isfinite(loss) for loss in log.losses)
    for key, value in _encoder_state(codec).items():  # the latents the cache holds stay valid
        torch.testing.assert_close(value, encoder[key], rtol=0, atol=0, msg=key)
    used = _used_in_decoding(_codec())  # the watermark branch is off in this codec
    moved = [not torch.equal(a, b) for a, b in zip(_decoder_state(codec), decoder, strict=True)]
    assert sum(used) > 10 and moved == used
    assert all(p.requires_grad for p in codec.parameters())


def test_the_adversarial_terms_take_part_in_the_loss(tiny_bank):
    """Weights 0 for both GAN terms leave reconstruction alone: the decoder ends elsewhere."""
    plain = replace(RECIPE, adversarial_weight=0.0, feature_weight=0.0)
    tuned, untouched = _codec(), _codec()
    tune_decoder(tuned, tiny_bank, RECIPE, CODEC, seed=0, progress=False)
    tune_decoder(untouched, tiny_bank, plain, CODEC, seed=0, progress=False)
    pairs = zip(decoder_parameters(tuned), decoder_parameters(untouched), strict=True)
    assert any(not torch.equal(a, b) for a, b in pairs)


class _SimulatedInterruptError(Exception):
    pass


class _StoppingBank(ClipBank):
    """The bank, raising on the ``stop_at``-th batch as an interruption would."""

    def __init__(self, bank: ClipBank, stop_at: int | None) -> None:
        super().__init__(bank.pcm, bank.sample_rate_hz, bank.captions, bank.specs)
        object.__setattr__(self, "calls", [0, stop_at])

    def sounding_crops(self, *args, **kwargs):
        self.calls[0] += 1
        if self.calls[0] - 1 == self.calls[1]:
            raise _SimulatedInterruptError
        return super().sounding_crops(*args, **kwargs)


def test_an_interrupted_tuning_resumes_exactly(tiny_bank, tmp_path):
    """The discriminator, its optimizer and the decoder's all come back from the checkpoint:
    the resumed run ends on the same weights as one that was never stopped."""
    straight = _codec()
    straight_log = tune_decoder(straight, tiny_bank, RECIPE, CODEC, seed=0, progress=False,
                                checkpoint_dir=tmp_path / "straight")
    resumed = _codec()
    with pytest.raises(_SimulatedInterruptError):
        tune_decoder(resumed, _StoppingBank(tiny_bank, 3), RECIPE, CODEC, seed=0,
                     progress=False, checkpoint_dir=tmp_path / "resumed")
    assert (tmp_path / "resumed" / PROGRESS_FILE).is_file()  # saved after step 2
    resumed = _codec()
    resumed_log = tune_decoder(resumed, tiny_bank, RECIPE, CODEC, seed=0, progress=False,
                               checkpoint_dir=tmp_path / "resumed")
    for a, b in zip(decoder_parameters(resumed), decoder_parameters(straight), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert resumed_log.losses == pytest.approx(straight_log.losses)


def test_generator_losses_reach_the_audio_and_not_the_discriminator():
    adversary = Adversary(RECIPE, 16_000, seed=0)
    fake = (0.1 * torch.randn(2, 2560)).requires_grad_(True)
    real = 0.1 * torch.randn(2, 2560)
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


@pytest.mark.parametrize(("settings", "message"), [
    ({"periods": (), "fft_sizes": ()}, "needs a discriminator"),
    ({"adversarial_weight": -1.0}, "must be >= 0"),
    ({"discriminator_learning_rate": 0.0}, "discriminator_learning_rate must be > 0"),
])
def test_a_recipe_without_a_working_discriminator_is_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        DecoderRecipe(**settings)
