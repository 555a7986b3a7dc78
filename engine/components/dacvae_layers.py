"""Layers of the published DAC-VAE that descript-audio-codec does not have.

The published model (github.com/facebookresearch/dacvae, ``dacvae/model/dacvae.py`` and
``dacvae/nn/layers.py``) keeps DAC's Snake / weight-normed convolutions for the audio path and
adds a watermarking branch made of causal, un-normalised convolutions, ELU residual units and
LSTMs. Module names and their order here follow that code so that its state dict loads as is.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from dac.model.dac import ResidualUnit
from dac.nn.layers import Snake1d, WNConv1d, WNConvTranspose1d
from torch import nn

# The watermark path works on a third of the audio path's channels (published default).
WATERMARK_CHANNEL_DIVISOR = 3


class CausalConv1d(nn.Conv1d):
    """Conv1d padded on the left (and on the right just enough to cover the last frame)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, L) → (B, C_out, ceil(L / stride))."""
        kernel, stride = self.kernel_size[0], self.stride[0]
        span = (kernel - 1) * self.dilation[0] + 1
        pad_total = span - stride
        num_frames = math.ceil((x.shape[-1] - span + pad_total) / stride + 1)
        extra = (num_frames - 1) * stride + kernel - pad_total - x.shape[-1]
        return super().forward(F.pad(x, (pad_total, extra)))


class CausalConvTranspose1d(nn.ConvTranspose1d):
    """ConvTranspose1d whose surplus output samples are cut from the right (causal)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, L) → (B, C_out, L * stride) for kernel = 2 * stride."""
        y = super().forward(x)
        surplus = self.kernel_size[0] - self.stride[0]
        return y[..., : y.shape[-1] - surplus]


class EluResidualUnit(nn.Module):
    """ELU → causal conv k3 (C → C/2) → ELU → conv k1 (C/2 → C), plus the input."""

    def __init__(self, dim: int):
        super().__init__()
        hidden = dim // 2
        self.block = nn.Sequential(
            nn.ELU(alpha=1.0),
            CausalConv1d(dim, hidden, kernel_size=3),
            nn.ELU(alpha=1.0),
            CausalConv1d(hidden, dim, kernel_size=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class LSTMBlock(nn.Module):
    """A multi-layer LSTM over time with a skip connection; (B, C, T) in and out."""

    def __init__(self, dim: int, num_layers: int):
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, num_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence = x.permute(2, 0, 1)  # (T, B, C), the LSTM's time-first layout
        y, _ = self.lstm(sequence)
        return (y + sequence).permute(1, 2, 0)  # (B, C, T)


class MessageEmbedding(nn.Module):
    """Adds the embedding of an ``nbits`` binary message to every frame."""

    def __init__(self, nbits: int, dim: int):
        super().__init__()
        self.nbits = nbits
        self.msg_processor = nn.Embedding(2 * nbits, dim)  # row 2k + bit for bit k

    def forward(self, hidden: torch.Tensor, message: torch.Tensor) -> torch.Tensor:
        """hidden (B, dim, T), message (B, nbits) of 0/1 → (B, dim, T)."""
        rows = 2 * torch.arange(self.nbits, device=hidden.device) + message.long()  # (B, nbits)
        offset = self.msg_processor(rows).sum(dim=1)  # (B, dim)
        return hidden + offset.unsqueeze(-1)


class WatermarkedDecoderBlock(nn.Module):
    """One upsampling stage of the decoder, with its two watermark sub-paths.

    ``block`` is a flat list whose indices match the published state dict:
    audio path 0, 1, 4, 5, 8 (DAC's Snake → transposed conv → residual units 1, 3, 9);
    watermark time-downsampling path 7, 10, 11; watermark time-upsampling path 2, 3, 6.
    """

    AUDIO_PATH = (0, 1, 4, 5, 8, 9)
    WATERMARK_DOWN = (7, 10, 11)
    WATERMARK_UP = (2, 3, 6)

    def __init__(self, input_dim: int, output_dim: int, stride: int, watermark_stride: int):
        super().__init__()
        wm_in = input_dim // WATERMARK_CHANNEL_DIVISOR
        wm_out = output_dim // WATERMARK_CHANNEL_DIVISOR
        upsample = WNConvTranspose1d(
            input_dim, output_dim, kernel_size=2 * stride, stride=stride,
            padding=math.ceil(stride / 2), output_padding=stride % 2,
        )
        self.block = nn.ModuleList([
            Snake1d(input_dim),
            upsample,
            nn.ELU(alpha=1.0),
            CausalConvTranspose1d(
                wm_in, wm_out, kernel_size=2 * watermark_stride, stride=watermark_stride
            ),
            ResidualUnit(output_dim, dilation=1),
            ResidualUnit(output_dim, dilation=3),
            EluResidualUnit(wm_out),
            EluResidualUnit(wm_out),
            ResidualUnit(output_dim, dilation=9),
            nn.Identity(),
            nn.ELU(alpha=1.0),
            CausalConv1d(
                wm_out, wm_in, kernel_size=2 * watermark_stride, stride=watermark_stride
            ),
        ])

    def _run(self, x: torch.Tensor, indices: tuple[int, ...]) -> torch.Tensor:
        for index in indices:
            x = self.block[index](x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Audio path: (B, input_dim, L) → (B, output_dim, L * stride)."""
        return self._run(x, self.AUDIO_PATH)

    def watermark_down(self, h: torch.Tensor) -> torch.Tensor:
        """(B, output_dim / 3, L) → (B, input_dim / 3, L / watermark_stride)."""
        return self._run(h, self.WATERMARK_DOWN)

    def watermark_up(self, h: torch.Tensor) -> torch.Tensor:
        """(B, input_dim / 3, L) → (B, output_dim / 3, L * watermark_stride)."""
        return self._run(h, self.WATERMARK_UP)


class WatermarkEncoderBlock(nn.Module):
    """``pre``: the decoder's output head (Snake → conv → tanh) then a causal conv to the
    watermark channels; ``post``: LSTM → ELU → causal conv to the message space."""

    def __init__(self, audio_dim: int, message_dim: int, channels: int, hidden: int):
        super().__init__()
        self.pre = nn.Sequential(
            Snake1d(audio_dim),
            WNConv1d(audio_dim, 1, kernel_size=7, padding=3),
            nn.Tanh(),
            CausalConv1d(1, channels, kernel_size=7),
        )
        self.post = nn.Sequential(
            LSTMBlock(hidden, num_layers=2),
            nn.ELU(alpha=1.0),
            CausalConv1d(hidden, message_dim, kernel_size=7),
        )

    def waveform(self, x: torch.Tensor) -> torch.Tensor:
        """The un-watermarked waveform: (B, audio_dim, N) → (B, 1, N)."""
        for layer in self.pre[:3]:
            x = layer(x)
        return x


class WatermarkDecoderBlock(nn.Module):
    """``pre``: causal conv from the message space → LSTM; ``post``: ELU → conv to 1 channel."""

    def __init__(self, message_dim: int, channels: int, hidden: int):
        super().__init__()
        self.pre = nn.Sequential(
            CausalConv1d(message_dim, hidden, kernel_size=7),
            LSTMBlock(hidden, num_layers=2),
        )
        self.post = nn.Sequential(
            nn.ELU(alpha=1.0),
            CausalConv1d(channels, 1, kernel_size=7),
        )


class Watermarker(nn.Module):
    """The watermark generator's own weights (the decoder blocks lend it their sub-paths)."""

    def __init__(self, audio_dim: int, message_dim: int, channels: int, hidden: int, nbits: int):
        super().__init__()
        self.encoder_block = WatermarkEncoderBlock(audio_dim, message_dim, channels, hidden)
        self.msg_processor = MessageEmbedding(nbits, message_dim)
        self.decoder_block = WatermarkDecoderBlock(message_dim, channels, hidden)
