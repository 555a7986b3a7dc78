"""Give a trained codec a sine bank (``components/sine_bank.py``), its encoder untouched.

The encoder and the posterior's projection stay frozen, bit for bit, so the latent, and
everything later trained on it (semantic encoder, feature cache, both DiTs), is the same with or
without the bank. Two phases, each resumable:

1. ``fit``: the bank alone learns to play each frame's spectrum (``spectral_targets``) from the
   decoder's input features: an L1 between log amplitudes. Cheap: no decoder in the loop.
2. ``tune``: bank and decoder together on the codec's own reconstruction loss (its mel scales and
   waveform L1) plus the fit term, so that the two share the work: the decoder keeps the
   transients that a 25 frames/s bank smears and gives up the lines the bank now plays. AdamW
   with DAC's betas, the bank at ``bank_lr_scale`` times the decoder's rate.

Both train on posterior samples (mean + std · noise), the latents the synthesizer learns to make.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.components.sine_bank import SineBankConfig, spectral_targets
from semanticaudio.engine.recipes.adversarial import DAC_BETAS
from semanticaudio.engine.recipes.clips import ClipBank
from semanticaudio.engine.recipes.codec import CodecRecipe, posterior, reconstruction_loss
from semanticaudio.engine.recipes.loop import OptimizerSettings, TrainingLog, fit
from semanticaudio.engine.recipes.resume import PROGRESS_FILE, ProgressCheckpoint


@dataclass(frozen=True)
class SineBankRecipe:
    """The bank's size and its two training phases (see the module docstring)."""

    bank: SineBankConfig = field(default_factory=SineBankConfig)
    # Constant rates and no clipping in effect, as in the first trial (round trip 0.896): the
    # first build with a warm-up, cosine decay and clipping at 1 (and the bank tuned at the
    # decoder's rate) kept only 0.844 (docs/default-model.md).
    fit: OptimizerSettings = field(default_factory=lambda: OptimizerSettings(
        steps=3000, batch_size=16, learning_rate=1e-3, warmup_steps=1, weight_decay=0.0,
        final_lr_fraction=1.0, grad_clip=1e3))
    tune: OptimizerSettings = field(default_factory=lambda: OptimizerSettings(
        steps=400, batch_size=8, learning_rate=1e-4, warmup_steps=1, weight_decay=0.0,
        final_lr_fraction=1.0, grad_clip=1e3))
    bank_lr_scale: float = 3.0  # while tuning, the bank learns at this multiple of the rate
    fit_crop_s: float = 0.96
    tune_crop_s: float = 0.48
    target_weight: float = 1.0  # the fit term's weight while tuning
    amplitude_floor: float = 1e-5  # log amplitudes are compared above this

    def __post_init__(self) -> None:
        if not (self.fit_crop_s > 0 and self.tune_crop_s > 0):
            raise ValueError(f"crop lengths must be > 0 s, got {self.fit_crop_s} and "
                             f"{self.tune_crop_s}")
        if not self.bank_lr_scale > 0:
            raise ValueError(f"bank_lr_scale must be > 0, got {self.bank_lr_scale}")
        if self.target_weight < 0 or not self.amplitude_floor > 0:
            raise ValueError(f"target_weight must be >= 0 and amplitude_floor > 0, got "
                             f"{self.target_weight} and {self.amplitude_floor}")


def add_sine_bank(codec: DacVae, bank: SineBankConfig, seed: int) -> DacVae:
    """A copy of ``codec`` with a fresh bank (initialised from ``seed``), every other weight
    the same. A codec that already has a bank is refused: its decoder was tuned with it."""
    if codec.sine_bank is not None:
        raise ValueError("this codec already has a sine bank; start from the codec trained "
                         "without one (rerun the build's codec step)")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        voiced = DacVae(replace(codec.config, sine_bank=bank))
    missing, unexpected = voiced.load_state_dict(codec.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("sine_bank.") for k in missing), missing
    return voiced.eval()


def frozen_parts(codec: DacVae) -> list[torch.nn.Parameter]:
    """What the bank's training never changes: the encoder and the posterior's projection."""
    return [*codec.encoder.parameters(), *codec.quantizer.in_proj.parameters()]


def train_sine_bank(
    codec: DacVae,
    bank: ClipBank,
    recipe: SineBankRecipe,
    codec_recipe: CodecRecipe,
    seed: int,
    device: str | torch.device = "cpu",
    progress: bool = True,
    checkpoint_dir: Path | None = None,
) -> dict[str, dict]:
    """Train ``codec``'s bank, then bank and decoder, in place (``codec_recipe``: the codec's
    own loss for the second phase). With ``checkpoint_dir`` each phase saves there and resumes.
    → each phase's training log (the first phase's is None when a resume skipped it)."""
    if codec.sine_bank is None:
        raise ValueError("the codec has no sine bank: add one first (add_sine_bank)")
    config = codec.sine_bank.config
    for parameter in frozen_parts(codec):
        parameter.requires_grad_(False)
    codec.to(device).train()

    def crops_and_latents(settings: OptimizerSettings, crop_s: float, generator):
        crop = round(crop_s * bank.sample_rate_hz / codec.hop_length) * codec.hop_length
        target = bank.sounding_crops(settings.batch_size, crop, generator).to(device)
        with torch.no_grad():
            mean, std = posterior(codec, target)
            noise = torch.randn(mean.shape, generator=generator).to(device)
        features = codec.quantizer.out_proj(mean + std * noise)
        wanted = spectral_targets(target, config, codec.sample_rate_hz, codec.hop_length)
        return target, features, wanted

    def target_term(amplitudes: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
        floor = recipe.amplitude_floor
        return (torch.log(amplitudes + floor) - torch.log(wanted + floor)).abs().mean()

    fit_generator = torch.Generator().manual_seed(seed)

    def fit_loss(step: int) -> dict[str, torch.Tensor]:
        with torch.no_grad():  # only the bank trains here: no graph through the decoder's side
            _, features, wanted = crops_and_latents(recipe.fit, recipe.fit_crop_s,
                                                    fit_generator)
        term = target_term(codec.sine_bank.amplitudes(features), wanted)
        return {"loss": term, "spectrum": term}

    spectral = reconstruction_loss(codec_recipe, bank.sample_rate_hz).to(device)
    tune_generator = torch.Generator().manual_seed(seed + 1)

    def tune_loss(step: int) -> dict[str, torch.Tensor]:
        target, features, wanted = crops_and_latents(recipe.tune, recipe.tune_crop_s,
                                                     tune_generator)
        amplitudes = codec.sine_bank.amplitudes(features)
        estimate = (codec.decoder(features).squeeze(1)
                    + codec.sine_bank.render(amplitudes))[:, : target.shape[1]]
        terms = spectral(estimate, target)
        terms["waveform"] = F.l1_loss(estimate, target)
        terms["spectrum"] = target_term(amplitudes, wanted)
        terms["loss"] = (sum(v for k, v in terms.items() if k not in ("waveform", "spectrum"))
                         + codec_recipe.waveform_weight * terms["waveform"]
                         + recipe.target_weight * terms["spectrum"])
        return terms

    def saver(phase: str, settings: OptimizerSettings, generator) -> ProgressCheckpoint | None:
        if checkpoint_dir is None:
            return None
        return ProgressCheckpoint(checkpoint_dir / phase, settings.checkpoint_every,
                                  {"codec": codec}, generator)

    tuning_saved = (checkpoint_dir is not None
                    and (checkpoint_dir / "tune" / PROGRESS_FILE).is_file())
    logs: dict[str, TrainingLog | None] = {"fit": None}
    if not tuning_saved:  # a saved tuning state holds the fitted bank already
        logs["fit"] = fit(codec.sine_bank.parameters(), fit_loss, recipe.fit, "sine bank",
                          progress, saver("fit", recipe.fit, fit_generator))
    in_bank = {id(p) for p in codec.sine_bank.parameters()}
    groups = [{"params": [p for p in codec.parameters() if id(p) not in in_bank]},
              {"params": list(codec.sine_bank.parameters()), "lr_scale": recipe.bank_lr_scale}]
    logs["tune"] = fit(groups, tune_loss, recipe.tune, "sine bank + decoder", progress,
                       saver("tune", recipe.tune, tune_generator), betas=DAC_BETAS)
    codec.eval()
    return {phase: None if log is None else log.to_json() for phase, log in logs.items()}
