"""The corpus tokenizer and the small text towers (Flan-T5's and CLAP's classes, small sizes).

The vocabulary is every word a corpus caption can contain (``corpus.caption_vocabulary``), split
the way the tokenizer splits text (on whitespace and punctuation, so "low-pitched" is three
tokens), so that no training or held-out caption has an unknown word.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from semanticaudio.engine.components.text import ClapGlobalEncoder, T5TokenEncoder

T5_SPECIALS = ("<pad>", "</s>", "<unk>")  # ids 0, 1, 2 as T5 expects (pad 0, eos 1)
CLAP_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # RoBERTa's order (bos 0, pad 1, eos 2)


@dataclass(frozen=True)
class TextRecipe:
    """Sizes of the two text towers. ``global_dim`` is the CLAP vector's width."""

    t5_width: int = 128
    t5_layers: int = 2
    t5_heads: int = 4
    clap_width: int = 128
    clap_layers: int = 2
    clap_heads: int = 4
    global_dim: int = 128
    max_length: int = 64  # tokens; the longest corpus caption has about 40


def corpus_words() -> tuple[str, ...]:
    """Every token a corpus caption can produce, sorted."""
    from semanticaudio.engine.corpus import caption_vocabulary
    from tokenizers import pre_tokenizers

    splitter = pre_tokenizers.Whitespace()
    words = {piece for word in caption_vocabulary() for piece, _ in
             splitter.pre_tokenize_str(word)}
    return tuple(sorted(words))


def build_t5(recipe: TextRecipe, seed: int) -> T5TokenEncoder:
    """A freshly initialised T5 encoder with the corpus tokenizer."""
    from semanticaudio.engine.components.tokenizer import build_word_tokenizer
    from transformers import T5Config, T5EncoderModel

    tokenizer = build_word_tokenizer(
        T5_SPECIALS, unk_token="<unk>", pad_token="<pad>", eos_token="</s>",
        words=corpus_words(), model_max_length=recipe.max_length,
    )
    config = T5Config(
        vocab_size=len(tokenizer), d_model=recipe.t5_width,
        d_kv=recipe.t5_width // recipe.t5_heads, d_ff=2 * recipe.t5_width,
        num_layers=recipe.t5_layers, num_heads=recipe.t5_heads, pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0, dropout_rate=0.0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return T5TokenEncoder(T5EncoderModel(config).eval(), tokenizer)


def build_clap(recipe: TextRecipe, seed: int) -> ClapGlobalEncoder:
    """A freshly initialised CLAP text tower with the corpus tokenizer."""
    from semanticaudio.engine.components.tokenizer import build_word_tokenizer
    from transformers import ClapTextConfig, ClapTextModelWithProjection

    tokenizer = build_word_tokenizer(
        CLAP_SPECIALS, unk_token="<unk>", pad_token="<pad>", eos_token="</s>", bos_token="<s>",
        words=corpus_words(), model_max_length=recipe.max_length,
    )
    config = ClapTextConfig(
        vocab_size=len(tokenizer), hidden_size=recipe.clap_width,
        num_hidden_layers=recipe.clap_layers, num_attention_heads=recipe.clap_heads,
        intermediate_size=2 * recipe.clap_width, projection_dim=recipe.global_dim,
        max_position_embeddings=recipe.max_length + 2, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ClapGlobalEncoder(ClapTextModelWithProjection(config).eval(), tokenizer)
