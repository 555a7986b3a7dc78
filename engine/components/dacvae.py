"""DAC-VAE: the paper's acoustic codec (48 kHz, hop 1920, 128-dim continuous latent, 25 frames/s).

Layout source: github.com/facebookresearch/dacvae (``dacvae/model/dacvae.py``, class ``DACVAE``;
``dacvae/nn/bottleneck.py``, ``VAEBottleneck``), the code that reads the published
``facebook/dacvae-watermarked`` weights, with the published hyperparameters as listed by the
sam-audio / perception-encoder configs (encoder_dim 64, rates 2·8·10·12, latent 1024, decoder 1536,
rates 12·10·8·2, codebook_dim 128, 48 kHz) and the model's default watermark rates 8·5·4·2.
The encoder is descript-audio-codec's ``Encoder`` unchanged; the decoder stages and the
watermark branch are in ``dacvae_layers.py``. Top-level names (``encoder``, ``quantizer.in_proj``,
``quantizer.out_proj``, ``decoder.model``, ``decoder.wm_model``) follow the published state dict.

The published weights are a pickle (``weights.pth``), which this project never loads: convert
them once to ``model.safetensors`` on a trusted machine (see ``CONVERT_HINT``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.base import AcousticCodec
from semanticaudio.engine.components.hub import (
    SAFETENSORS_WEIGHTS,
    IncompatibleWeightsError,
    read_json_table,
    resolve_folder,
)
from semanticaudio.engine.components.sine_bank import SineBank, SineBankConfig
from semanticaudio.engine.components.waveform import check_mono, pad_to_hop
from semanticaudio.engine.config import from_dict
from semanticaudio.engine.errors import CheckpointError
from semanticaudio.engine.features.files import load_safetensors, save_safetensors_atomic
from torch import nn

PUBLISHED_ID = "facebook/dacvae-watermarked"
CONVERT_HINT = (
    "the published facebook/dacvae-watermarked holds weights.pth (a pickle). On a trusted, "
    "connected machine: `pip install git+https://github.com/facebookresearch/dacvae` and run "
    "`python -c \"from dacvae import DACVAE; from safetensors.torch import save_file; "
    "save_file(DACVAE.load('facebook/dacvae-watermarked').state_dict(), 'model.safetensors')\"`, "
    "then put model.safetensors in a folder and pass that folder (config.json is optional: "
    "without it the published 48 kHz configuration is assumed)"
)
POSTERIOR_STD_FLOOR = 1e-4  # published VAEBottleneck: std = softplus(scale) + 1e-4


@dataclass(frozen=True)
class DacVaeConfig:
    """Hyperparameters; defaults are the published ``facebook/dacvae-watermarked`` model.

    ``encoder_out_dim`` is the published ``latent_dim`` (encoder output channels) and
    ``latent_dim`` the published ``codebook_dim`` (the VAE latent the flow models see).
    """

    sample_rate_hz: int = 48_000
    encoder_dim: int = 64
    encoder_rates: tuple[int, ...] = (2, 8, 10, 12)
    encoder_out_dim: int = 1024
    latent_dim: int = 128
    decoder_dim: int = 1536
    decoder_rates: tuple[int, ...] = (12, 10, 8, 2)
    watermark_rates: tuple[int, ...] = (8, 5, 4, 2)
    watermark_dim: int = 128
    watermark_bits: int = 16
    watermark: bool = True  # decode adds the published watermark (a fixed all-zero message)
    # Not in the published model: a bank of sine oscillators whose sum decode adds to the
    # decoder's waveform (``sine_bank.py``; the default model's codec has one). None: no bank.
    sine_bank: SineBankConfig | None = None

    def __post_init__(self) -> None:
        for name in ("encoder_rates", "decoder_rates", "watermark_rates"):
            object.__setattr__(self, name, tuple(int(r) for r in getattr(self, name)))
        if isinstance(self.sine_bank, dict):
            object.__setattr__(self, "sine_bank", from_dict(SineBankConfig, self.sine_bank))
        if self.sine_bank is not None:
            self.sine_bank.check_rate(self.sample_rate_hz)
        if math.prod(self.encoder_rates) != math.prod(self.decoder_rates):
            raise ValueError(
                f"encoder_rates {self.encoder_rates} and decoder_rates {self.decoder_rates} "
                "must have the same product (the hop length)"
            )
        if len(self.watermark_rates) != len(self.decoder_rates):
            raise ValueError(
                f"watermark_rates {self.watermark_rates} needs one rate per decoder stage "
                f"({len(self.decoder_rates)})"
            )
        unit = 3 * 2 ** len(self.decoder_rates)
        if self.decoder_dim % unit or self.decoder_dim < 2 * unit:
            raise ValueError(
                f"decoder_dim {self.decoder_dim} must be a multiple of {unit} and at least "
                f"{2 * unit} (3 * 2**stages: the watermark branch works on a third of every "
                "stage's channels, at least 2 of them)"
            )

    @property
    def hop_length(self) -> int:
        return math.prod(self.encoder_rates)

    @classmethod
    def from_dict(cls, data: dict) -> DacVaeConfig:
        """From a config file's table; unknown keys (the bank's too) are named."""
        return from_dict(cls, data)


class VaeBottleneck(nn.Module):
    """Published ``VAEBottleneck``: 1×1 convs to (mean, scale) and back to the decoder's width."""

    def __init__(self, encoder_out_dim: int, latent_dim: int):
        super().__init__()
        from dac.nn.layers import WNConv1d

        self.in_proj = WNConv1d(encoder_out_dim, 2 * latent_dim, kernel_size=1)
        self.out_proj = WNConv1d(latent_dim, encoder_out_dim, kernel_size=1)

    def posterior(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, encoder_out_dim, T) → mean and std, each (B, latent_dim, T)."""
        mean, scale = self.in_proj(features).chunk(2, dim=1)
        return mean, F.softplus(scale) + POSTERIOR_STD_FLOOR


class WatermarkedDecoder(nn.Module):
    """Published decoder: conv → upsampling stages, then the waveform plus the watermark."""

    def __init__(self, config: DacVaeConfig):
        super().__init__()
        from dac.nn.layers import WNConv1d
        from semanticaudio.engine.components.dacvae_layers import (
            WATERMARK_CHANNEL_DIVISOR,
            WatermarkedDecoderBlock,
            Watermarker,
        )

        stages: list[nn.Module] = [
            WNConv1d(config.encoder_out_dim, config.decoder_dim, kernel_size=7, padding=3)
        ]
        for index, (rate, wm_rate) in enumerate(zip(config.decoder_rates, config.watermark_rates,
                                                    strict=True)):
            in_dim, out_dim = config.decoder_dim // 2**index, config.decoder_dim // 2 ** (index + 1)
            stages.append(WatermarkedDecoderBlock(in_dim, out_dim, rate, wm_rate))
        self.model = nn.ModuleList(stages)
        channels = out_dim // WATERMARK_CHANNEL_DIVISOR
        hidden = config.decoder_dim // WATERMARK_CHANNEL_DIVISOR
        self.wm_model = Watermarker(out_dim, config.watermark_dim, channels, hidden,
                                    config.watermark_bits)
        self.watermark_strength = channels / config.watermark_dim  # published: alpha = 32 / 128
        self.watermark_enabled = config.watermark

    def forward(self, x: torch.Tensor, message: torch.Tensor | None = None) -> torch.Tensor:
        """(B, encoder_out_dim, T) → (B, 1, T * hop)."""
        for stage in self.model:
            x = stage(x)
        waveform = self.wm_model.encoder_block.waveform(x)
        if not self.watermark_enabled:
            return waveform
        return waveform + self.watermark_strength * self._watermark(x, message)

    def _watermark(self, x: torch.Tensor, message: torch.Tensor | None) -> torch.Tensor:
        """The additive watermark signal (B, 1, N) for the last stage's features x."""
        blocks = list(self.model[1:])
        h = self.wm_model.encoder_block.pre(x)
        for block in reversed(blocks):
            h = block.watermark_down(h)
        h = self.wm_model.encoder_block.post(h)
        if message is None:
            message = torch.zeros(x.shape[0], self.wm_model.msg_processor.nbits, device=x.device)
        h = self.wm_model.decoder_block.pre(self.wm_model.msg_processor(h, message))
        for block in blocks:
            h = block.watermark_up(h)
        return self.wm_model.decoder_block.post(h)


class DacVae(AcousticCodec):
    """The DAC-VAE codec behind the ``AcousticCodec`` interface; see the module docstring."""

    def __init__(self, config: DacVaeConfig | None = None):
        super().__init__()
        from dac.model.dac import Encoder

        self.config = config or DacVaeConfig()
        self.sample_rate_hz = self.config.sample_rate_hz
        self.hop_length = self.config.hop_length
        self.latent_dim = self.config.latent_dim
        self.encoder = Encoder(
            self.config.encoder_dim, list(self.config.encoder_rates), self.config.encoder_out_dim
        )
        self.quantizer = VaeBottleneck(self.config.encoder_out_dim, self.config.latent_dim)
        self.decoder = WatermarkedDecoder(self.config)
        bank = self.config.sine_bank
        self.sine_bank = None if bank is None else SineBank(
            bank, self.config.encoder_out_dim, self.sample_rate_hz, self.hop_length)

    def encode(
        self,
        waveform: torch.Tensor,
        sample: bool = False,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """(B, num_samples) → latent (B, ceil(num_samples / hop), latent_dim).

        Returns the posterior mean, or a draw from the posterior when ``sample`` is True
        (``generator``, if given, must live on the waveform's device).
        The input is padded at the end to a multiple of the hop (reflected, like the published
        code, when long enough; with zeros otherwise).
        """
        check_mono(waveform)
        features = self.encoder(pad_to_hop(waveform, self.hop_length).unsqueeze(1))
        mean, std = self.quantizer.posterior(features)  # (B, latent_dim, T) each
        if sample:
            noise = torch.randn(mean.shape, generator=generator, device=mean.device,
                                dtype=mean.dtype)
            mean = mean + std * noise
        return mean.transpose(1, 2)  # (B, T, latent_dim)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, num_frames, latent_dim) → waveform (B, num_frames * hop_length)."""
        if latent.ndim != 3 or latent.shape[-1] != self.latent_dim:
            raise ValueError(
                f"latent must be (B, num_frames, {self.latent_dim}), got {tuple(latent.shape)}"
            )
        features = self.quantizer.out_proj(latent.transpose(1, 2))
        waveform = self.decoder(features).squeeze(1)
        if self.sine_bank is not None:
            waveform = waveform + self.sine_bank(features)
        return waveform

    @classmethod
    def from_pretrained(cls, path_or_id: str = PUBLISHED_ID) -> DacVae:
        """Load from a folder or a cached hub id holding ``model.safetensors`` (+ config.json)."""

        published = str(path_or_id).partition("@")[0] == PUBLISHED_ID  # only a pickle there
        folder = resolve_folder(str(path_or_id), [SAFETENSORS_WEIGHTS[:1]],
                                hint=CONVERT_HINT if published else None, convert_hint=CONVERT_HINT)
        model = cls(_read_config(folder))
        state = load_safetensors(folder / "model.safetensors")
        missing, unexpected = _key_differences(model, state)
        if missing or unexpected:
            raise IncompatibleWeightsError(
                f"{folder / 'model.safetensors'} does not match the DAC-VAE layout of "
                f"{model.config}: {len(missing)} tensors missing ({', '.join(missing[:5])}), "
                f"{len(unexpected)} unexpected ({', '.join(unexpected[:5])})"
            )
        model.load_state_dict(state, strict=True)  # also checks every shape
        return model.eval()

    def save_pretrained(self, folder: str | Path) -> None:
        """Write ``config.json`` and ``model.safetensors`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = {"kind": "dacvae", "dacvae": asdict(self.config)}
        (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        save_safetensors_atomic(folder / "model.safetensors", self.state_dict())

    @classmethod
    def build_tiny(cls, seed: int = 0, **overrides) -> DacVae:
        """A tiny random DAC-VAE: 16 kHz, hop 640 (25 frames/s), 8-dim latent, by default."""
        settings = {
            "sample_rate_hz": 16_000, "encoder_dim": 4, "encoder_rates": (2, 4, 8, 10),
            "encoder_out_dim": 32, "latent_dim": 8, "decoder_dim": 96,
            "decoder_rates": (10, 8, 4, 2), "watermark_rates": (2, 2, 2, 2),
            "watermark_dim": 8, "watermark_bits": 4,
        }
        settings.update(overrides)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(DacVaeConfig(**settings)).eval()



def _read_config(folder: Path) -> DacVaeConfig:
    """The ``dacvae`` entry of ``folder/config.json``; the published configuration without one
    (the published repository has no config of ours; a wrong guess fails the strict load)."""
    path = folder / "config.json"
    if not path.is_file():
        return DacVaeConfig()
    entry = read_json_table(path).get("dacvae")
    if entry is None:
        return DacVaeConfig()
    try:
        return DacVaeConfig.from_dict(entry)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: its 'dacvae' settings are not usable: {error}") from None


def _key_differences(model: nn.Module, state: dict) -> tuple[list[str], list[str]]:
    """Tensor names the model expects but ``state`` lacks, and the reverse (sorted)."""
    expected = set(model.state_dict())
    return sorted(expected - set(state)), sorted(set(state) - expected)
