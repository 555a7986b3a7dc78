"""Reconstruction quality of the Acoustic Synthesizer (paper, section 4.4.3, table 3).

The synthesizer is given the *true* semantic latent of each cached clip (the frozen head applied
to its PE-A-Frame frames), samples an acoustic latent, and the codec decodes it. The result is
compared with the codec's decoding of the clip's true acoustic latent, so the numbers isolate
the synthesizer from the codec (the codec is common to every configuration of table 3).

The two losses follow descript-audio-codec's definitions, which the paper's numbers are in the
scale of: a mel loss summed over seven resolutions (its base training configuration: windows
32 … 2048, 5 … 320 mel bands, L1 between log10 magnitudes) and a multi-scale STFT loss (its
``MultiScaleSTFTLoss`` defaults: windows 2048 and 512, L1 between log10 powers plus L1 between
magnitudes). Hops are a quarter window. Lower is better.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from semanticaudio.engine.checkpoint import Checkpoint
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.features.reader import FeatureBatch, FeatureCache, collate_clips
from semanticaudio.engine.sampling import StepReporter, apply_guidance, euler_sample

MEL_WINDOWS = (32, 64, 128, 256, 512, 1024, 2048)  # DAC's base config (mel loss)
MEL_BANDS = (5, 10, 20, 40, 80, 160, 320)
STFT_WINDOWS = (2048, 512)  # DAC's MultiScaleSTFTLoss defaults
CLAMP = 1e-5  # DAC's clamp_eps


@dataclass(frozen=True)
class ReconstructionResult:
    mel_loss: float  # mean over clips
    stft_loss: float
    num_clips: int
    synth_steps: int
    reference: str = "codec decoding of the cached acoustic latent"


def magnitude(waveform: torch.Tensor, window: int) -> torch.Tensor:
    """(S,) → |STFT| (window // 2 + 1, frames): Hann window, hop window / 4, centred."""
    return torch.stft(
        waveform, n_fft=window, hop_length=window // 4,
        window=torch.hann_window(window, device=waveform.device), center=True,
        pad_mode="reflect" if waveform.shape[-1] > window // 2 else "constant",
        return_complex=True,
    ).abs()


def mel_loss(generated: torch.Tensor, reference: torch.Tensor, sample_rate_hz: int) -> float:
    """Σ over resolutions of L1(log10 mel(generated), log10 mel(reference)); (S,) each."""
    import torchaudio.functional as AF

    total = 0.0
    for window, bands in zip(MEL_WINDOWS, MEL_BANDS, strict=True):
        with warnings.catch_warnings():  # narrow windows leave some high bands empty
            warnings.simplefilter("ignore")
            filters = AF.melscale_fbanks(window // 2 + 1, 0.0, sample_rate_hz / 2, bands,
                                         sample_rate_hz, norm="slaney", mel_scale="slaney")
        filters = filters.to(generated)  # (freqs, bands)
        mels = [(magnitude(x, window).T @ filters).clamp_min(CLAMP).log10()
                for x in (generated, reference)]
        total += float(F.l1_loss(*mels))
    return total


def stft_loss(generated: torch.Tensor, reference: torch.Tensor) -> float:
    """Σ over windows of L1(log10 |S|², log10 |S_ref|²) + L1(|S|, |S_ref|); (S,) each."""
    total = 0.0
    for window in STFT_WINDOWS:
        ours, theirs = magnitude(generated, window), magnitude(reference, window)
        log_ours = ours.clamp_min(CLAMP).pow(2).log10()
        log_theirs = theirs.clamp_min(CLAMP).pow(2).log10()
        total += float(F.l1_loss(log_ours, log_theirs) + F.l1_loss(ours, theirs))
    return total


@torch.no_grad()
def evaluate_reconstruction(
    checkpoint: Checkpoint,
    cache: FeatureCache,
    *,
    max_clips: int | None = None,
    synth_steps: int | None = None,
    batch_size: int = 8,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> ReconstructionResult:
    """Mel and multi-scale STFT losses of the synthesizer over the first ``max_clips`` clips of
    ``cache`` (None: all of them)."""
    if max_clips is not None and max_clips < 1:
        raise ValueError(f"max_clips must be >= 1 (or None for every clip), got {max_clips}")
    if len(cache) == 0:
        raise ValueError("the feature cache holds no clips to evaluate")
    model = checkpoint.model.to(device).eval()
    if not model.is_two_stage:
        raise EngineError("reconstruction measures the synthesizer of a two-stage model; "
                          f"{checkpoint.config.name} is a Base model")
    _check_cache_fits(checkpoint, cache)
    steps = synth_steps or checkpoint.config.sampling.synth_steps
    count = len(cache) if max_clips is None else min(len(cache), max_clips)
    mel, stft = [], []
    for start in range(0, count, batch_size):
        rows = range(start, min(start + batch_size, count))
        batch = collate_clips([cache[i] for i in rows]).to(torch.device(device))
        # clip i always starts from the noise of seed + i, whatever the batching
        noise = torch.stack([torch.randn(batch.acoustic.shape[1:], generator=torch.Generator()
                                         .manual_seed(seed + i)) for i in rows])
        for generated, reference in _render_pairs(checkpoint, batch, steps, noise):
            mel.append(mel_loss(generated, reference, checkpoint.components.codec.sample_rate_hz))
            stft.append(stft_loss(generated, reference))
    return ReconstructionResult(sum(mel) / len(mel), sum(stft) / len(stft), len(mel), steps)


def _render_pairs(checkpoint: Checkpoint, batch: FeatureBatch, steps: int, noise: torch.Tensor):
    """→ [(generated waveform, reference waveform)] trimmed to each clip's real samples."""
    model, codec = checkpoint.model, checkpoint.components.codec
    semantic = model.semantic_latent(batch.semantic_frames)  # (B, T, d)
    scale = checkpoint.config.sampling.synth_guidance
    velocity = _masked_velocity(model.synthesizer, batch, semantic, scale)
    start = noise.to(batch.acoustic)  # (B, T, acoustic_dim)
    acoustic = euler_sample(velocity, start, steps, StepReporter(steps), "synthesize")
    generated = decode_real_frames(codec, model.acoustic_norm.denormalize(acoustic),
                                   batch.frame_mask)
    reference = decode_real_frames(codec, batch.acoustic, batch.frame_mask)
    return list(zip(generated, reference, strict=True))


def decode_real_frames(codec, latents: torch.Tensor, frame_mask: torch.Tensor) -> list:
    """(B, T, C) latents → B waveforms, each decoded from its real frames alone. The decoder's
    convolutions reach across frames, so decoding a padded batch would let padding frames change
    a short clip's last samples (the generated and the reference side differently)."""
    counts = frame_mask.sum(dim=1).tolist()  # (B,) real frames
    if len(set(counts)) == 1:  # equal lengths: one batched decode
        return list(codec.decode(latents[:, : counts[0]]).float())
    return [codec.decode(latents[i : i + 1, :n])[0].float() for i, n in enumerate(counts)]


def _masked_velocity(synthesizer, batch: FeatureBatch, semantic: torch.Tensor, scale: float):
    """The synthesizer's (guided) velocity with padding frames masked, as in training."""
    B = batch.batch_size
    keep, drop = torch.zeros(B, dtype=torch.bool), torch.ones(B, dtype=torch.bool)

    def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
        time = torch.full((B,), t, device=x.device)

        def run(dropped: torch.Tensor) -> torch.Tensor:
            return synthesizer(x, time, batch.text, frame_cond=semantic,
                               frame_mask=batch.frame_mask, drop_text=dropped.to(x.device))

        conditional = run(keep)
        if scale == 1.0:
            return conditional
        return apply_guidance(conditional, run(drop), scale)

    return velocity


def _check_cache_fits(checkpoint: Checkpoint, cache: FeatureCache) -> None:
    dims, config = cache.header.dims, checkpoint.config.model
    if (dims["acoustic_dim"], dims["semantic_embed_dim"]) != (
        config.acoustic_dim, config.semantic_embed_dim
    ):
        raise EngineError(
            f"the cache holds {dims['acoustic_dim']}-dim acoustic latents and "
            f"{dims['semantic_embed_dim']}-dim semantic frames; the model expects "
            f"{config.acoustic_dim} and {config.semantic_embed_dim}: cache the data with the "
            "model's components"
        )
