"""The paper's two text encoders through transformers: Flan-T5 (tokens) and CLAP's text tower.

Both load a model and its tokenizer from one folder (a local path or a cached hub snapshot),
safetensors only, and save both back with ``save_pretrained``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.base import GlobalTextEncoder, TokenTextEncoder
from semanticaudio.engine.components.hub import (
    SAFETENSORS_WEIGHTS,
    load_transformers_model,
    resolve_folder,
    transformers_convert_hint,
)
from semanticaudio.engine.errors import CheckpointError

T5_PUBLISHED_ID = "google/flan-t5-large"  # the paper's Flan-T5-Large (1024-dim tokens)
CLAP_PUBLISHED_ID = "laion/clap-htsat-unfused"  # a transformers CLAP; choose yours in the config
TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "vocab.json")
REQUIRED_FILES = [SAFETENSORS_WEIGHTS, ("config.json",), TOKENIZER_FILES]
# the tokenizer's JSON files that transformers may read, checked before it reads them
TOKENIZER_JSON_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                        "added_tokens.json", "vocab.json")


class _PretrainedTextMixin:
    """Shared tokenise / load / save code; subclasses say which transformers class to use."""

    model_class_name: str
    embed_dim_field: str  # the config field that gives the output width

    def __init__(self, model, tokenizer):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.embed_dim = int(getattr(model.config, self.embed_dim_field))

    def _tokenize(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        """B prompts → input_ids and attention_mask (B, L) on the model's device."""
        if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
            raise TypeError(f"prompts must be a list of strings, got {prompts!r}")
        if not prompts:
            raise ValueError("prompts must hold at least one prompt, got an empty list")
        batch = self.tokenizer(
            list(prompts), padding="longest", truncation=True, return_tensors="pt"
        )
        device = next(self.model.parameters()).device
        return {key: batch[key].to(device) for key in ("input_ids", "attention_mask")}

    @classmethod
    def _load_parts(cls, path_or_id: str):
        """The transformers model and tokenizer stored in ``path_or_id``."""
        import transformers

        convert = transformers_convert_hint(str(path_or_id), cls.model_class_name)
        folder = resolve_folder(str(path_or_id), REQUIRED_FILES, convert_hint=convert)
        model_class = getattr(transformers, cls.model_class_name)
        model = load_transformers_model(model_class, folder)
        return model, _load_tokenizer(folder)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, model.safetensors and the tokenizer files into ``folder``."""
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)


def _load_tokenizer(folder: Path):
    """The tokenizer in ``folder``; a damaged tokenizer file is a CheckpointError naming it
    (transformers would raise only "Expecting value: line 1 column 1 (char 0)")."""
    import transformers

    for name in TOKENIZER_JSON_FILES:
        path = Path(folder) / name
        if not path.is_file():
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CheckpointError(
                f"{path} is not valid JSON ({error}); the tokenizer cannot be read: copy or "
                "export that component again (its tokenizer files are written by "
                "save_pretrained)"
            ) from None
    try:
        return transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except Exception as error:  # a damaged tokenizer can make transformers raise almost anything
        raise CheckpointError(
            f"the tokenizer in {folder} cannot be loaded ({type(error).__name__}: {error}); "
            "copy or export that component again"
        ) from None


class T5TokenEncoder(_PretrainedTextMixin, TokenTextEncoder):
    """Flan-T5 encoder: prompts → token embeddings (B, L, d_model) and a bool mask (B, L)."""

    model_class_name = "T5EncoderModel"
    embed_dim_field = "d_model"

    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """list of B prompts → tokens (B, L, embed_dim), mask (B, L) bool (True = real token)."""
        batch = self._tokenize(prompts)
        tokens = self.model(**batch).last_hidden_state  # (B, L, d_model)
        return tokens, batch["attention_mask"].bool()

    @classmethod
    def from_pretrained(cls, path_or_id: str = T5_PUBLISHED_ID) -> T5TokenEncoder:
        """Load the encoder half of a T5 checkpoint (a full seq2seq checkpoint works too)."""
        return cls(*cls._load_parts(path_or_id))

    @classmethod
    def build_tiny(cls, seed: int = 0, **overrides) -> T5TokenEncoder:
        """A two-layer, 32-wide T5 encoder with a word-level tokenizer; overrides: T5Config."""
        from semanticaudio.engine.components.tokenizer import build_word_tokenizer
        from transformers import T5Config, T5EncoderModel

        tokenizer = build_word_tokenizer(
            ["<pad>", "</s>", "<unk>"], unk_token="<unk>", pad_token="<pad>", eos_token="</s>"
        )
        settings = {
            "vocab_size": len(tokenizer), "d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2,
            "num_heads": 4, "relative_attention_num_buckets": 8, "pad_token_id": 0,
            "eos_token_id": 1, "decoder_start_token_id": 0,
        }
        settings.update(overrides)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = T5EncoderModel(T5Config(**settings)).eval()
        return cls(model, tokenizer)


class ClapGlobalEncoder(_PretrainedTextMixin, GlobalTextEncoder):
    """CLAP text tower: prompts → one L2-normalised vector each (B, projection_dim).

    Only the text tower and its projection are kept (``ClapTextModelWithProjection``); a full
    ``ClapModel`` checkpoint loads into it, its audio weights left out. The vector equals
    ``ClapModel.get_text_features(...).pooler_output`` (projected, then L2-normalised).
    """

    model_class_name = "ClapTextModelWithProjection"
    embed_dim_field = "projection_dim"

    def encode(self, prompts: list[str]) -> torch.Tensor:
        """list of B prompts → (B, embed_dim), unit length."""
        text_embeds = self.model(**self._tokenize(prompts)).text_embeds  # (B, projection_dim)
        return F.normalize(text_embeds, dim=-1)

    @classmethod
    def from_pretrained(cls, path_or_id: str = CLAP_PUBLISHED_ID) -> ClapGlobalEncoder:
        """Load the text tower of a CLAP checkpoint (full ``ClapModel`` or text-only)."""
        return cls(*cls._load_parts(path_or_id))

    @classmethod
    def build_tiny(cls, seed: int = 0, **overrides) -> ClapGlobalEncoder:
        """A two-layer, 32-wide CLAP text tower projecting to 16 dims; overrides: ClapTextConfig."""
        from semanticaudio.engine.components.tokenizer import build_word_tokenizer
        from transformers import ClapTextConfig, ClapTextModelWithProjection

        max_length = 64
        tokenizer = build_word_tokenizer(
            ["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>", pad_token="<pad>",
            eos_token="</s>", bos_token="<s>", model_max_length=max_length,
        )
        settings = {
            "vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 2, "intermediate_size": 64, "projection_dim": 16,
            "max_position_embeddings": max_length + 2, "pad_token_id": 1, "bos_token_id": 0,
            "eos_token_id": 2,
        }
        settings.update(overrides)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = ClapTextModelWithProjection(ClapTextConfig(**settings)).eval()
        return cls(model, tokenizer)
