"""Flan-T5 token encoder and CLAP text tower: shapes, tokenizers, exact save/load, real formats."""

import pytest
import torch
from safetensors.torch import load_file, save_file
from semanticaudio.engine.components.hub import IncompatibleWeightsError
from semanticaudio.engine.components.text import ClapGlobalEncoder, T5TokenEncoder

PROMPTS = ["A dog barking, then heavy rain.", "xylophone glissando"]


def _reload_from_full(model_class, config, encoder, folder):
    """Save a random ``model_class`` (a whole published-style model) with the encoder's
    tokenizer, load it back as the encoder's class. → (full model, loaded encoder, batch)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        full = model_class(config).eval()
    full.save_pretrained(folder)
    encoder.tokenizer.save_pretrained(folder)
    loaded = type(encoder).from_pretrained(str(folder))
    batch = encoder.tokenizer(PROMPTS, padding=True, return_tensors="pt")
    return full, loaded, {key: batch[key] for key in ("input_ids", "attention_mask")}


@pytest.fixture(scope="module")
def t5() -> T5TokenEncoder:
    return T5TokenEncoder.build_tiny(seed=0)


@pytest.fixture(scope="module")
def clap() -> ClapGlobalEncoder:
    return ClapGlobalEncoder.build_tiny(seed=0)


def test_t5_tokens_and_mask(t5):
    with torch.no_grad():
        tokens, mask = t5.encode(PROMPTS)
    # "a dog barking , then heavy rain ." + </s> = 9 tokens; the second prompt: 2 words + </s>
    assert tokens.shape == (2, 9, t5.embed_dim)
    assert mask.dtype == torch.bool
    assert mask.sum(dim=1).tolist() == [9, 3]
    assert torch.isfinite(tokens).all()


def test_tiny_tokenizer_reads_any_english_and_commas(t5):
    ids = t5.tokenizer("Heavy, rain")["input_ids"]
    unk, comma = t5.tokenizer.unk_token_id, t5.tokenizer.convert_tokens_to_ids(",")
    assert ids == [unk, comma, t5.tokenizer.convert_tokens_to_ids("rain"), 1]
    assert comma != unk


def test_t5_save_and_load_exact(t5, tmp_path):
    t5.save_pretrained(tmp_path)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in tmp_path.iterdir()
    }
    loaded = T5TokenEncoder.from_pretrained(str(tmp_path))
    with torch.no_grad():
        expected, expected_mask = t5.encode(PROMPTS)
        actual, actual_mask = loaded.encode(PROMPTS)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)
    assert torch.equal(actual_mask, expected_mask)


def test_t5_loads_the_encoder_of_a_full_seq2seq_checkpoint(t5, tmp_path):
    """google/flan-t5-large is a full T5ForConditionalGeneration checkpoint."""
    from transformers import T5ForConditionalGeneration

    full, loaded, batch = _reload_from_full(T5ForConditionalGeneration, t5.model.config, t5,
                                            tmp_path)
    with torch.no_grad():
        expected = full.encoder(**batch).last_hidden_state
        actual, _ = loaded.encode(PROMPTS)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_clap_vector_is_unit_length_and_survives_save_load(clap, tmp_path):
    with torch.no_grad():
        vectors = clap.encode(PROMPTS)
    assert vectors.shape == (2, clap.embed_dim)
    torch.testing.assert_close(vectors.norm(dim=-1), torch.ones(2))
    clap.save_pretrained(tmp_path)
    loaded = ClapGlobalEncoder.from_pretrained(str(tmp_path))
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode(PROMPTS), vectors, rtol=0, atol=0)


def test_clap_text_tower_of_a_full_clap_checkpoint_matches_get_text_features(clap, tmp_path):
    from transformers import ClapConfig, ClapModel

    audio = {"depths": [1, 1], "num_attention_heads": [1, 1], "hidden_size": 16,
             "patch_embeds_hidden_size": 16, "spec_size": 64, "window_size": 4,
             "num_mel_bins": 16}
    config = ClapConfig(text_config=clap.model.config.to_dict(), audio_config=audio,
                        projection_dim=clap.embed_dim)
    full, loaded, batch = _reload_from_full(ClapModel, config, clap, tmp_path)
    with torch.no_grad():
        expected = full.get_text_features(**batch).pooler_output
        torch.testing.assert_close(loaded.encode(PROMPTS), expected, rtol=0, atol=0)
    assert all(not name.startswith("audio") for name in loaded.model.state_dict())


def test_a_checkpoint_missing_tensors_is_an_error_not_random_weights(t5, tmp_path):
    t5.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    dropped = sorted(name for name in tensors if "final_layer_norm" in name)
    save_file({k: v for k, v in tensors.items() if k not in dropped},
              tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(IncompatibleWeightsError, match="final_layer_norm"):
        T5TokenEncoder.from_pretrained(str(tmp_path))


def test_prompts_must_be_a_non_empty_list_of_strings(t5, clap):
    with pytest.raises(TypeError, match="list of strings"):
        t5.encode("a dog")
    with pytest.raises(ValueError, match="empty list"):
        clap.encode([])
