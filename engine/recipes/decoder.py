"""Tune a trained codec's decoder against DAC's discriminators, with its encoder frozen.

Why: trained on reconstruction losses alone, the mixed build's codec decodes any steady tone to
the same chord of lines at multiples of 50 Hz (bench/results/codec-tones-mixed.json), so every
bell comes back sounding like a siren. Its latent holds more of the pitch than the decoder
renders (the latent probe), and a decoder that must match a discriminator's view of real audio
cannot average pitches into one chord: that is what DAC's adversarial terms are for.

Why only the decoder: with the encoder and the posterior projection frozen, every latent in the
feature cache, and so everything the DiTs learnt, stays valid (as Stable Diffusion's later VAE
decoders were tuned for its already trained UNet). So ``sa build-default`` runs this step after
the DiTs, and only export, guidance and quality follow it.

Objective (DAC's, descript-audio-codec conf/base.yml): the codec recipe's reconstruction loss,
least-squares GAN terms against a multi-period (MPD) and multi-resolution STFT (MRD)
discriminator, and L1 feature matching between the discriminator's layers on real and decoded
audio. DAC weighs mel 15, feature matching 2, adversarial 1; relative to a reconstruction weight
of 1 these are the defaults below. Both optimizers are AdamW with DAC's betas (0.8, 0.99).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.recipes.clips import ClipBank
from semanticaudio.engine.recipes.codec import CodecRecipe, check_rate, reconstruction_loss
from semanticaudio.engine.recipes.loop import OptimizerSettings, TrainingLog, fit
from semanticaudio.engine.recipes.resume import ProgressCheckpoint
from torch import nn

DAC_BETAS = (0.8, 0.99)
DAC_DISCRIMINATOR_GRAD_CLIP = 10.0


@dataclass(frozen=True)
class DecoderRecipe:
    """The decoder tuning: discriminators, loss weights and the two optimizers' schedules.

    DAC's discriminator is MPD at periods (2, 3, 5, 7, 11) and MRD at windows (2048, 1024,
    512). On two CPU cores MPD costs ~0.7 s per pass per period at batch 8 x 1 s (MRD ~0.3 s per
    window), so a recipe may leave periods out; ``periods=()`` uses MRD alone.
    """

    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    fft_sizes: tuple[int, ...] = (2048, 1024, 512)
    adversarial_weight: float = 1 / 15
    feature_weight: float = 2 / 15
    crop_s: float = 0.48
    discriminator_learning_rate: float = 1e-4
    optimizer: OptimizerSettings = field(  # the decoder's
        default_factory=lambda: OptimizerSettings(steps=2000, batch_size=8, learning_rate=1e-4,
                                                  warmup_steps=0))

    def __post_init__(self) -> None:
        if not self.periods and not self.fft_sizes:
            raise ValueError("the decoder tuning needs a discriminator: give periods (MPD) "
                             "or fft_sizes (MRD), or both")
        if self.adversarial_weight < 0 or self.feature_weight < 0:
            raise ValueError("adversarial_weight and feature_weight must be >= 0, got "
                             f"{self.adversarial_weight} and {self.feature_weight}")
        if not self.discriminator_learning_rate > 0:
            raise ValueError("discriminator_learning_rate must be > 0, got "
                             f"{self.discriminator_learning_rate}")

    def discriminator_settings(self) -> OptimizerSettings:
        """The discriminator's schedule: the decoder's, at its own peak rate."""
        return replace(self.optimizer, learning_rate=self.discriminator_learning_rate)


class Adversary(nn.Module):
    """DAC's combined discriminator (``dac.model.discriminator.Discriminator``) and its losses.

    Its forward takes (B, 1, S) audio, removes DC and peak-normalises each clip, and returns one
    list of feature maps per sub-discriminator, the last of each being its real/fake logits.
    """

    def __init__(self, recipe: DecoderRecipe, sample_rate_hz: int, seed: int) -> None:
        super().__init__()
        from dac.model.discriminator import Discriminator

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.discriminator = Discriminator(rates=[], periods=list(recipe.periods),
                                               fft_sizes=list(recipe.fft_sizes),
                                               sample_rate=sample_rate_hz)

    def discriminator_loss(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """(B, S) each → least-squares loss: real towards 1, fake (detached) towards 0."""
        fakes = self.discriminator(fake.detach().unsqueeze(1))
        reals = self.discriminator(real.unsqueeze(1))
        return sum(torch.mean(f[-1] ** 2) + torch.mean((1 - r[-1]) ** 2)
                   for f, r in zip(fakes, reals, strict=True))

    def generator_losses(self, fake: torch.Tensor, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, S) each → {"adversarial": fake towards 1, "feature": L1 between the feature
        maps of fake and real}; gradients reach ``fake`` only."""
        with torch.no_grad():
            reals = self.discriminator(real.unsqueeze(1))
        fakes = self.discriminator(fake.unsqueeze(1))
        adversarial = sum(torch.mean((1 - f[-1]) ** 2) for f in fakes)
        feature = sum(F.l1_loss(a, b) for f, r in zip(fakes, reals, strict=True)
                      for a, b in zip(f[:-1], r[:-1], strict=True))
        return {"adversarial": adversarial, "feature": feature}


def decoder_parameters(codec: DacVae) -> list[nn.Parameter]:
    """What the tuning trains: the latent's projection back to features and the decoder."""
    return [*codec.quantizer.out_proj.parameters(), *codec.decoder.parameters()]


def tune_decoder(
    codec: DacVae,
    bank: ClipBank,
    recipe: DecoderRecipe,
    codec_recipe: CodecRecipe,
    seed: int,
    device: str | torch.device = "cpu",
    progress: bool = True,
    checkpoint_dir: Path | None = None,
) -> TrainingLog:
    """Tune ``codec``'s decoder in place on random sounding crops of ``bank``, decoding the
    posterior mean (what the feature cache holds, so what the synthesizer learnt to make); the
    encoder is left untouched. With ``checkpoint_dir``, the run saves there (the discriminator
    and its optimizer too) every ``recipe.optimizer.checkpoint_every`` steps and resumes from
    it. → the loss history, with the discriminator's loss as the term "discriminator"."""
    check_rate(codec, bank)
    crop = max(round(recipe.crop_s * bank.sample_rate_hz / codec.hop_length), 1) * codec.hop_length
    reconstruction = reconstruction_loss(codec_recipe, bank.sample_rate_hz).to(device)
    adversary = Adversary(recipe, bank.sample_rate_hz, seed).to(device).train()
    critic = torch.optim.AdamW(adversary.parameters(), lr=recipe.discriminator_learning_rate,
                               betas=DAC_BETAS)
    critic_settings = recipe.discriminator_settings()
    generator = torch.Generator().manual_seed(seed)
    codec.to(device).eval()  # no layer of the codec behaves differently in training

    def loss_fn(step: int) -> dict[str, torch.Tensor]:
        target = bank.sounding_crops(recipe.optimizer.batch_size, crop, generator).to(device)
        with torch.no_grad():
            latent = codec.encode(target)
        estimate = codec.decode(latent)[:, :crop]
        # The discriminator's step first, on this batch (as DAC's training loop does).
        for group in critic.param_groups:
            group["lr"] = critic_settings.learning_rate_at(step)
        adversary.requires_grad_(True)
        critic_loss = adversary.discriminator_loss(estimate, target)
        critic.zero_grad(set_to_none=True)
        critic_loss.backward()
        torch.nn.utils.clip_grad_norm_(adversary.parameters(), DAC_DISCRIMINATOR_GRAD_CLIP)
        critic.step()
        adversary.requires_grad_(False)  # the decoder's loss reaches the decoder only
        terms = reconstruction(estimate, target)
        rebuilt = sum(terms.values())
        terms["waveform"] = F.l1_loss(estimate, target)
        terms.update(adversary.generator_losses(estimate, target))
        terms["loss"] = (rebuilt + codec_recipe.waveform_weight * terms["waveform"]
                         + recipe.adversarial_weight * terms["adversarial"]
                         + recipe.feature_weight * terms["feature"])
        terms["discriminator"] = critic_loss.detach()
        return terms

    checkpoint = None if checkpoint_dir is None else ProgressCheckpoint(
        checkpoint_dir, recipe.optimizer.checkpoint_every,
        {"codec": codec, "discriminator": adversary}, generator, {"discriminator": critic})
    # The encoder runs without gradients and is not given to the optimizer: it stays as it was.
    return fit(decoder_parameters(codec), loss_fn, recipe.optimizer, "decoder", progress,
               checkpoint, betas=DAC_BETAS)
