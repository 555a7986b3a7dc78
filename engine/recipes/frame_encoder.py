"""Build the small PE-A-Frame encoder whose front end is the trained codec's encoder.

PE-A-Frame embeds audio with a DAC-style convolutional front end that it never trains (its
forward pass runs the front end under ``no_grad``) followed by a transformer; the published model
takes that front end from the DAC-VAE codec. We do the same: the front end's weights are copied
from our codec's encoder and the mean half of its bottleneck, so the encoder's frames start from
the codec's latent at the same 25 frames/s, and only the transformer and its head are trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.components.pe_frame import PeAudioFrameEncoder
from torch import nn


@dataclass(frozen=True)
class FrameEncoderSize:
    """The transformer on top of the front end; ``embed_dim`` is the frame embedding width."""

    embed_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4


def build_frame_encoder(size: FrameEncoderSize, codec: DacVae, seed: int) -> PeAudioFrameEncoder:
    """A PE-A-Frame of ``size`` at the codec's rate and hop, its front end copied from ``codec``."""
    from transformers import PeAudioConfig, PeAudioFrameLevelModel

    config = PeAudioConfig(text_config=_text_config(size.embed_dim),
                           audio_config=_audio_config(size, codec))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = PeAudioFrameLevelModel(config)
    encoder = PeAudioFrameEncoder(model, codec.sample_rate_hz)
    copy_front_end(encoder, codec)
    return encoder


def _text_config(hidden_size: int) -> dict:
    """PE's own text tower, unused here (our text towers are CLAP and T5): kept minimal."""
    return {
        "hidden_size": hidden_size, "intermediate_size": hidden_size, "num_hidden_layers": 1,
        "num_attention_heads": 2, "vocab_size": 8, "pad_token_id": 0, "eos_token_id": 1,
        "bos_token_id": 2, "cls_token_id": 2, "sep_token_id": 1,
    }


def _audio_config(size: FrameEncoderSize, codec: DacVae) -> dict:
    codec_config = codec.config
    return {
        "dac_config": {
            "encoder_hidden_size": codec_config.encoder_dim,
            "downsampling_ratios": list(codec_config.encoder_rates),
            "hidden_size": codec_config.encoder_out_dim,
            "codebook_dim": codec_config.latent_dim,
            "sampling_rate": codec_config.sample_rate_hz,
        },
        "hidden_size": size.hidden_size, "intermediate_size": 4 * size.hidden_size,
        "num_hidden_layers": size.num_layers, "num_attention_heads": size.num_heads,
        "num_key_value_heads": size.num_heads, "head_dim": size.hidden_size // size.num_heads,
    }


@torch.no_grad()
def copy_front_end(encoder: PeAudioFrameEncoder, codec: DacVae) -> None:
    """Copy the codec encoder (weight norm folded in) and the posterior-mean projection into the
    PE front end. Both stacks list their convolutions and snakes in the same forward order."""
    embedder = encoder.model.audio_encoder.embedder
    source, target = _leaves(codec.encoder), _leaves(embedder.dac_encoder)
    if len(source) != len(target):
        raise ValueError(
            f"the codec encoder has {len(source)} convolution/snake layers but the PE front end "
            f"{len(target)}; build the encoder with build_frame_encoder(…, codec)"
        )
    for index, (from_layer, to_layer) in enumerate(zip(source, target, strict=True)):
        _copy_layer(from_layer, to_layer, index)
    latent_dim = codec.latent_dim
    in_proj = codec.quantizer.in_proj
    embedder.bottleneck.weight.copy_(_conv_weight(in_proj)[:latent_dim])  # the mean's half
    embedder.bottleneck.bias.copy_(in_proj.bias[:latent_dim])


def _leaves(module: nn.Module) -> list[nn.Module]:
    """Convolutions and snake activations, in registration (= forward) order."""
    return [m for m in module.modules() if isinstance(m, nn.Conv1d) or hasattr(m, "alpha")]


def _copy_layer(source: nn.Module, target: nn.Module, index: int) -> None:
    if isinstance(target, nn.Conv1d):
        weight = _conv_weight(source)
        if weight.shape != target.weight.shape:
            raise ValueError(f"layer {index}: codec weight {tuple(weight.shape)} does not fit "
                             f"the PE front end's {tuple(target.weight.shape)}")
        target.weight.copy_(weight)
        target.bias.copy_(source.bias)
    else:
        target.alpha.copy_(source.alpha.reshape(target.alpha.shape))


def _conv_weight(conv: nn.Module) -> torch.Tensor:
    """A convolution's effective weight (descript's WNConv1d keeps it as weight_g · v / |v|)."""
    if hasattr(conv, "weight_v"):
        return torch._weight_norm(conv.weight_v, conv.weight_g, 0)
    return conv.weight


@torch.no_grad()
def front_end_features(
    encoder: PeAudioFrameEncoder, waveforms: torch.Tensor, batch_size: int = 16
) -> torch.Tensor:
    """(N, S) → the frozen front end's output (N, codebook_dim, T), computed once for training."""
    embedder = encoder.model.audio_encoder.embedder
    parts = []
    for start in range(0, waveforms.shape[0], batch_size):
        batch = waveforms[start : start + batch_size]
        padded = _padded(batch, encoder.hop_length).unsqueeze(1)  # (B, 1, S')
        parts.append(embedder.bottleneck(embedder.dac_encoder(padded)))
    return torch.cat(parts)


def _padded(waveforms: torch.Tensor, hop_length: int) -> torch.Tensor:
    from semanticaudio.engine.components.waveform import pad_to_hop

    return pad_to_hop(waveforms, hop_length)


class FrontEndBypass:
    """Within ``with FrontEndBypass(encoder):``, ``encoder.model.get_audio_embeds`` takes the
    front end's cached output (B, codebook_dim, T) instead of a waveform.

    The front end is frozen, so training on cached features is exact and saves its cost at
    every step (it dominates on a CPU). The layers are restored on exit, even after an error.
    """

    def __init__(self, encoder: PeAudioFrameEncoder) -> None:
        self.embedder = encoder.model.audio_encoder.embedder
        self.saved: tuple[nn.Module, nn.Module] | None = None

    def __enter__(self) -> FrontEndBypass:
        self.saved = (self.embedder.dac_encoder, self.embedder.bottleneck)
        self.embedder.dac_encoder, self.embedder.bottleneck = nn.Identity(), nn.Identity()
        return self

    def __exit__(self, *exc_info) -> None:
        self.embedder.dac_encoder, self.embedder.bottleneck = self.saved


@torch.no_grad()
def standardize_front_end(encoder: PeAudioFrameEncoder, features: torch.Tensor) -> torch.Tensor:
    """Fold per-channel standardisation of ``features`` (N, C, T), the front end's output on
    the training clips, into its last 1×1 convolution. → the features standardised likewise.

    The transformer then sees unit-scale inputs whatever the codec's latent scale (an untrained
    or lightly trained codec's latent barely varies, which would starve the alignment losses).
    """
    mean = features.mean(dim=(0, 2))  # (C,)
    std = features.std(dim=(0, 2)).clamp_min(1e-5)
    bottleneck = encoder.model.audio_encoder.embedder.bottleneck
    bottleneck.weight.div_(std.view(-1, 1, 1).to(bottleneck.weight.device))
    bottleneck.bias.sub_(mean.to(bottleneck.bias.device)).div_(std.to(bottleneck.bias.device))
    return (features - mean.view(1, -1, 1)) / std.view(1, -1, 1)
