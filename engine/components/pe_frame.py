"""PE-A-Frame: the paper's semantic encoder (frame embeddings at 25 frames/s, 1024-dim for large).

A thin wrapper over transformers' ``PeAudioFrameLevelModel``; ``get_audio_embeds`` gives one
embedding per hop of its DAC-style front end (hop 1920 at 48 kHz → 25 frames/s). The model's
rate and hop come from the checkpoint's feature-extractor settings (``sampling_rate``,
``hop_length``): ``processor_config.json`` with a nested ``feature_extractor`` entry, as the
published ``facebook/pe-a-frame-*`` repositories have it, or a flat ``preprocessor_config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from semanticaudio.engine.components.base import SemanticEncoder
from semanticaudio.engine.components.hub import (
    SAFETENSORS_WEIGHTS,
    load_transformers_model,
    read_json_table,
    resolve_folder,
    transformers_convert_hint,
)
from semanticaudio.engine.components.waveform import check_mono, pad_to_hop

PUBLISHED_ID = "facebook/pe-a-frame-large"  # the paper's PE-A-Frame-Large
PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")


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
        padded = padded.to(next(self.model.parameters()).dtype)  # e.g. a bf16 model
        return self.model.get_audio_embeds(padded)  # (B, T, embed_dim)

    @classmethod
    def from_pretrained(cls, path_or_id: str = PUBLISHED_ID) -> PeAudioFrameEncoder:
        """Load from a folder or a cached hub id (config.json, model.safetensors, processor)."""
        from transformers import PeAudioFrameLevelModel

        required = [SAFETENSORS_WEIGHTS, ("config.json",), PROCESSOR_FILES]
        convert = transformers_convert_hint(str(path_or_id), "PeAudioFrameLevelModel",
                                            "AutoFeatureExtractor")  # the rate and hop
        folder = resolve_folder(str(path_or_id), required, convert_hint=convert)
        model = load_transformers_model(PeAudioFrameLevelModel, folder)
        sample_rate_hz = _read_sample_rate(folder, model)
        return cls(model, sample_rate_hz)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, model.safetensors and processor_config.json (hub layout)."""
        from transformers import PeAudioFeatureExtractor

        self.model.save_pretrained(folder)
        extractor = PeAudioFeatureExtractor(
            sampling_rate=self.sample_rate_hz, hop_length=self.hop_length
        )
        settings = {"feature_extractor": extractor.to_dict(), "processor_class": "PeAudioProcessor"}
        text = json.dumps(settings, indent=2, sort_keys=True) + "\n"
        (Path(folder) / PROCESSOR_FILES[0]).write_text(text)

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


def _read_sample_rate(folder: Path, model) -> int:
    """The feature extractor's sampling rate; its hop must be the model's front-end hop."""
    path = next(folder / name for name in PROCESSOR_FILES if (folder / name).is_file())
    settings = read_json_table(path)
    settings = settings.get("feature_extractor", settings)  # processor files nest it
    if not isinstance(settings, dict) or "sampling_rate" not in settings:
        raise ValueError(f"{path} has no 'sampling_rate' entry for the feature extractor")
    model_hop = int(model.config.audio_config.dac_config.hop_length)
    if int(settings.get("hop_length", model_hop)) != model_hop:
        raise ValueError(
            f"{path} says hop_length {settings['hop_length']}, but the model's front end "
            f"downsamples by {model_hop}; they must agree or frames would misalign"
        )
    return int(settings["sampling_rate"])
