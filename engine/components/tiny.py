"""The tiny component set: the paper's four component classes at toy sizes, random weights.

Used by the tests and by ``sa init-tiny`` for a checkpoint that runs end to end on a CPU in well
under a second. Invariant: the codec's frame rate equals the semantic encoder's frame rate
(16 kHz, hop 640 → 25 frames/s for both, like the paper's 48 kHz / hop 1920), because the
acoustic synthesizer pairs codec latents and semantic frames one to one.
"""

from __future__ import annotations

from torch import nn

TINY_SAMPLE_RATE_HZ = 16_000
TINY_HOP_LENGTH = 640  # 25 frames/s at 16 kHz, the paper's frame rate
TINY_CODEC_RATES = (2, 4, 8, 10)  # product = TINY_HOP_LENGTH


def build_tiny_components(seed: int = 0) -> dict[str, nn.Module]:
    """role → tiny component, for the roles in ``registry.ROLES``.

    codec: DacVae (16 kHz, hop 640, latent 8); semantic_encoder: PeAudioFrameEncoder
    (16 kHz, hop 640, 32-dim frames); text_global: ClapGlobalEncoder (16-dim);
    text_tokens: T5TokenEncoder (32-dim tokens). Each role gets its own seed offset.
    """
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.components.pe_frame import PeAudioFrameEncoder
    from semanticaudio.engine.components.text import ClapGlobalEncoder, T5TokenEncoder

    components = {
        "codec": DacVae.build_tiny(
            seed, sample_rate_hz=TINY_SAMPLE_RATE_HZ, encoder_rates=TINY_CODEC_RATES,
            decoder_rates=tuple(reversed(TINY_CODEC_RATES)),
        ),
        "semantic_encoder": PeAudioFrameEncoder.build_tiny(
            seed + 1, sample_rate_hz=TINY_SAMPLE_RATE_HZ, downsampling_ratios=TINY_CODEC_RATES
        ),
        "text_global": ClapGlobalEncoder.build_tiny(seed + 2),
        "text_tokens": T5TokenEncoder.build_tiny(seed + 3),
    }
    check_frame_rates(components["codec"], components["semantic_encoder"])
    return components


def check_frame_rates(codec: nn.Module, semantic_encoder: nn.Module) -> None:
    """Raise unless codec and semantic encoder produce frames at the same rate."""
    if codec.frame_rate_hz != semantic_encoder.frame_rate_hz:
        raise ValueError(
            f"codec frame rate {codec.frame_rate_hz} Hz differs from the semantic encoder's "
            f"{semantic_encoder.frame_rate_hz} Hz; the synthesizer aligns them frame by frame"
        )
