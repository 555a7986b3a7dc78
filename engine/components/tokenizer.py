"""Tiny word-level tokenizers built in code, for the tiny text encoders (tests, ``sa init-tiny``).

Real checkpoints ship their own tokenizer files; these exist so that a tiny T5 or CLAP text tower
can be saved and reloaded with a real ``tokenizer.json`` through the same code path.
"""

from __future__ import annotations

from collections.abc import Sequence

# A small vocabulary of sound-description words. Anything else maps to the unknown token.
SOUND_WORDS = (
    ",", ".", "a", "an", "the", "and", "with", "of", "in", "on", "at", "to", "from", "by",
    "while", "then", "near", "far", "loud", "soft", "quiet", "distant", "close", "dog", "dogs",
    "bark", "barking", "cat", "meow", "bird", "birds", "chirping", "singing", "rain", "raining",
    "thunder", "wind", "blowing", "water", "stream", "river", "waves", "ocean", "sea", "car",
    "cars", "engine", "traffic", "horn", "siren", "train", "passing", "door", "slam", "knock",
    "footsteps", "walking", "running", "man", "woman", "child", "baby", "people", "crowd",
    "speaking", "talking", "laughing", "crying", "music", "piano", "guitar", "drum", "drums",
    "bell", "bells", "clock", "ticking", "fire", "crackling", "glass", "breaking", "metal",
    "wood", "applause", "cheering", "whistle", "whistling", "buzzing", "insects", "frog", "frogs",
    "cow", "sheep", "horse", "rooster", "hammer", "drill", "typing", "keyboard", "phone",
    "ringing", "alarm", "beep", "electronic", "synth", "bass", "noise", "static", "hum", "high",
    "low", "pitched", "fast", "slow", "short", "long", "background", "foreground", "echo",
    "reverb", "room", "outdoor", "indoor", "street", "city", "forest", "night", "morning",
)


def build_word_tokenizer(
    special_tokens: Sequence[str],
    *,
    unk_token: str,
    pad_token: str,
    eos_token: str,
    bos_token: str | None = None,
    words: Sequence[str] = SOUND_WORDS,
    model_max_length: int = 64,
):
    """A lower-casing word-level ``PreTrainedTokenizerFast``.

    ``special_tokens`` come first, in order (their ids are 0, 1, …, matching the model config's
    pad/eos ids); then ``words``. Words split on whitespace and punctuation (so commas are
    tokens); unknown words become ``unk_token``. Each sequence ends with ``eos_token`` and starts
    with ``bos_token`` when one is given.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(dict.fromkeys([*special_tokens, *words]))}
    for token in (unk_token, pad_token, eos_token, bos_token):
        if token is not None and token not in vocab:
            raise ValueError(f"special token {token!r} is not in special_tokens {special_tokens}")
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unk_token))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    single = f"{bos_token} $A {eos_token}" if bos_token else f"$A {eos_token}"
    ends = [bos_token, eos_token] if bos_token else [eos_token]
    backend.post_processor = processors.TemplateProcessing(
        single=single, special_tokens=[(token, vocab[token]) for token in ends]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token=unk_token,
        pad_token=pad_token,
        eos_token=eos_token,
        bos_token=bos_token,
        model_max_length=model_max_length,
    )
