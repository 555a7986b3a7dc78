"""PE-A-Frame: the paper's semantic encoder (frame embeddings at 25 frames/s, 1024-dim for large).

A thin wrapper over transformers' ``PeAudioFrameLevelModel``; ``get_audio_embeds`` gives one
embedding per hop of its DAC-style front end (hop 1920 at 48 kHz → 25 frames/s). The model's
rate and hop come from the checkpoint's ``preprocessor_config.json`` (the feature extractor's
``sampling_rate`` and ``hop_length``), as published in ``facebook/pe-a-frame-large``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from semanticaudio.engine.components.base import SemanticEncoder
from semanticaudio.engine.components.hub import (
    SAFETENSORS_WEIGHTS,
    load_transformers_model,
    resolve_folder,
)
from semanticaudio.engine.components.waveform import check_mono, pad_to_hop

PUBLISHED_ID = "facebook/pe-a-frame-large"  # the paper's PE-A-Frame-Large
PREPROCESSOR_FILE = "preprocessor_config.json"


class PeAudioFrameEncoder(SemanticEncoder):
    """Waveform → PE-A-Frame frame embeddings, behind the ``SemanticEncoder`` interface."""

    def __init__(self, model, sample_rate_hz: int):
        super().__init__()
        self.model = model
        self.sample_rate_hz = int(sample_rate_hz)
        self.hop_length = int(model.config.audio_config.dac_config.hop_length)
        self.frame_rate_hz = self.sample_rate_hz / self.hop_length
        self.embed_dim = int(model.config.text_config.hidden_size)  # audio_head's output width

    def encode(self, waveform: torch.Tensor, sample_rate_hz: int | None = None) -> torch.Tensor:
        """(B, num_samples) → (B, ceil(num_samples' / hop), embed_dim).

        ``sample_rate_hz`` is the input's rate (default: the model's); other rates are
        resampled to the model's first (num_samples' is the length after resampling). The
        input is padded at the end to a multiple of the hop, reflected like the published
        feature extractor when long enough, with zeros otherwise.
        """
        check_mono(waveform)
        rate = self.sample_rate_hz if sample_rate_hz is None else int(sample_rate_hz)
        if rate <= 0:
            raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
        if rate != self.sample_rate_hz:
            import torchaudio.functional as AF

            waveform = AF.resample(waveform, rate, self.sample_rate_hz)
        padded = pad_to_hop(waveform, self.hop_length).unsqueeze(1)  # (B, 1, S)
        return self.model.get_audio_embeds(padded)  # (B, T, embed_dim)

    @classmethod
    def from_pretrained(cls, path_or_id: str = PUBLISHED_ID) -> PeAudioFrameEncoder:
        """Load from a folder or a cached hub id (config.json, model.safetensors, preprocessor)."""
        from transformers import PeAudioFrameLevelModel

        required = [SAFETENSORS_WEIGHTS, ("config.json",), (PREPROCESSOR_FILE,)]
        folder = resolve_folder(str(path_or_id), required)
        model = load_transformers_model(PeAudioFrameLevelModel, folder)
        preprocessor = json.loads((folder / PREPROCESSOR_FILE).read_text())
        _check_hop(preprocessor, model, folder)
        return cls(model, preprocessor["sampling_rate"])

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, model.safetensors and preprocessor_config.json into ``folder``."""
        from transformers import PeAudioFeatureExtractor

        self.model.save_pretrained(folder)
        extractor = PeAudioFeatureExtractor(
            sampling_rate=self.sample_rate_hz, hop_length=self.hop_length
        )
        extractor.save_pretrained(folder)

    @classmethod
    def build_tiny(cls, seed: int = 0, **overrides) -> PeAudioFrameEncoder:
        """A tiny random PE-A-Frame: 16 kHz, hop 640 (25 frames/s), 32-dim embeddings.

        ``overrides``: ``sample_rate_hz``, ``downsampling_ratios``, ``embed_dim``.
        """
        from transformers import PeAudioConfig, PeAudioFrameLevelModel

        sample_rate_hz = overrides.pop("sample_rate_hz", 16_000)
        ratios = list(overrides.pop("downsampling_ratios", (2, 4, 8, 10)))
        embed_dim = overrides.pop("embed_dim", 32)
        if overrides:
            raise ValueError(f"unknown tiny PE-A-Frame settings {sorted(overrides)}")
        # Nested configs are built from dicts at construction: setting sizes afterwards leaves
        # derived fields (ModernBERT's layer_types) stale and the saved config fails to reload.
        config = PeAudioConfig(text_config=_tiny_text_config(embed_dim),
                               audio_config=_tiny_audio_config(ratios, sample_rate_hz))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = PeAudioFrameLevelModel(config).eval()
        return cls(model, sample_rate_hz)


def _tiny_text_config(hidden_size: int) -> dict:
    """A one-layer ModernBERT text tower (its width is the embedding width)."""
    return {
        "hidden_size": hidden_size, "intermediate_size": 2 * hidden_size,
        "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 64,
        "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2, "cls_token_id": 2,
        "sep_token_id": 1,
    }


def _tiny_audio_config(ratios: list[int], sample_rate_hz: int) -> dict:
    """A one-layer audio transformer over a 4-channel DAC front end."""
    return {
        "dac_config": {
            "encoder_hidden_size": 4, "downsampling_ratios": ratios, "hidden_size": 32,
            "codebook_dim": 8, "sampling_rate": sample_rate_hz,
        },
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 2, "head_dim": 16,
    }


def _check_hop(preprocessor: dict, model, folder: Path) -> None:
    """The feature extractor's hop must be the model's front-end hop, else frames misalign."""
    model_hop = int(model.config.audio_config.dac_config.hop_length)
    if "sampling_rate" not in preprocessor:
        raise ValueError(f"{folder / PREPROCESSOR_FILE} has no 'sampling_rate' entry")
    if int(preprocessor.get("hop_length", model_hop)) != model_hop:
        raise ValueError(
            f"{folder / PREPROCESSOR_FILE} says hop_length {preprocessor['hop_length']}, but the "
            f"model's front end downsamples by {model_hop}; they must agree"
        )

