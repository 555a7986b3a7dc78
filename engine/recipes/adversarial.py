"""DAC's adversarial terms for the codec recipes: its discriminators, its losses, and the
discriminator's own optimisation, one step per codec step on the same batch.

DAC (descript-audio-codec, conf/base.yml) trains its codec against a multi-period waveform
discriminator (MPD, periods 2, 3, 5, 7, 11) and a multi-resolution STFT discriminator (MRD,
windows 2048, 1024, 512) with least-squares GAN losses and an L1 feature-matching loss between
the discriminators' layers on real and decoded audio, weighing mel 15, feature matching 2 and
adversarial 1; relative to a reconstruction weight of 1 these are the defaults below. Both
optimizers are AdamW with betas (0.8, 0.99); the discriminator's gradients are clipped at 10.

Why a codec needs them here: a convolutional decoder that is given the same latent every frame
can only output a waveform that repeats every hop, a chord of lines at multiples of the frame
rate (25 Hz). Rendering a tone that does not fit the frame grid needs a latent that carries its
phase from frame to frame, and magnitude losses barely ask for that (a comb of lines 25 Hz apart
fills the same mel bands as the tone): the shipped codec decodes every steady tone to lines at
multiples of 50 Hz (bench/results/codec-tones-mixed.json). DAC's discriminators judge the
waveform and the fine spectrum, where the comb shows; whether that is enough at this frame rate
is for a GPU run to tell (on two CPU cores no objective moved a line: docs/default-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from semanticaudio.engine.recipes.loop import OptimizerSettings, update
from torch import nn

DAC_BETAS = (0.8, 0.99)
DAC_DISCRIMINATOR_GRAD_CLIP = 10.0


@dataclass(frozen=True)
class AdversarialRecipe:
    """Which discriminators, how much their terms weigh, and the discriminator's peak learning
    rate (its schedule is the codec's). On two CPU cores MPD costs ~0.7 s per period and MRD
    ~0.3 s per window for one pass over a batch of 8 x 1 s, several times the codec's own step,
    so a CPU recipe may leave periods out (``periods=()``: MRD alone)."""

    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    fft_sizes: tuple[int, ...] = (2048, 1024, 512)
    adversarial_weight: float = 1 / 15
    feature_weight: float = 2 / 15
    learning_rate: float = 1e-4

    def __post_init__(self) -> None:
        if not self.periods and not self.fft_sizes:
            raise ValueError("adversarial training needs a discriminator: give periods (MPD) "
                             "or fft_sizes (MRD), or both")
        if self.adversarial_weight < 0 or self.feature_weight < 0:
            raise ValueError("adversarial_weight and feature_weight must be >= 0, got "
                             f"{self.adversarial_weight} and {self.feature_weight}")
        if not self.learning_rate > 0:
            raise ValueError(f"the discriminator's learning_rate must be > 0, got "
                             f"{self.learning_rate}")


class Adversary(nn.Module):
    """DAC's combined discriminator (``dac.model.discriminator.Discriminator``) and its losses.

    Its forward takes (B, 1, S) audio, removes DC and peak-normalises each clip, and returns one
    list of feature maps per sub-discriminator, the last of each being its real/fake logits.
    """

    def __init__(self, recipe: AdversarialRecipe, sample_rate_hz: int, seed: int) -> None:
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


class AdversarialTerms:
    """The discriminator with its optimizer. Each call trains it one step on the batch, then
    returns the codec's adversarial terms on that batch (as DAC's training loop orders them)."""

    def __init__(self, recipe: AdversarialRecipe, schedule: OptimizerSettings,
                 sample_rate_hz: int, seed: int, device: str | torch.device = "cpu") -> None:
        self.recipe = recipe
        self.schedule = replace(schedule, learning_rate=recipe.learning_rate,
                                grad_clip=DAC_DISCRIMINATOR_GRAD_CLIP)
        self.adversary = Adversary(recipe, sample_rate_hz, seed).to(device).train()
        self.optimizer = torch.optim.AdamW(self.adversary.parameters(), lr=recipe.learning_rate,
                                           betas=DAC_BETAS)

    def __call__(self, estimate: torch.Tensor, target: torch.Tensor,
                 step: int) -> dict[str, torch.Tensor]:
        """(B, S) decoded and real audio → {"adversarial", "feature", "discriminator": the
        discriminator's loss (detached, for the log)}."""
        self.adversary.requires_grad_(True)
        critic = self.adversary.discriminator_loss(estimate, target)
        update(self.optimizer, self.adversary.parameters(), critic, self.schedule, step)
        self.adversary.requires_grad_(False)  # the codec's loss reaches the codec only
        terms = self.adversary.generator_losses(estimate, target)
        terms["discriminator"] = critic.detach()
        return terms

    def weighted(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The codec's share of ``terms`` (this object's output): the recipe's weighted sum."""
        return (self.recipe.adversarial_weight * terms["adversarial"]
                + self.recipe.feature_weight * terms["feature"])

    def checkpoint_parts(self) -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        """(modules, companion optimizers) for a ProgressCheckpoint."""
        return {"discriminator": self.adversary}, {"discriminator": self.optimizer}
