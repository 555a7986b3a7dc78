import torch
from semanticaudio.engine.components.text import ClapGlobalEncoder, T5TokenEncoder
from semanticaudio.engine.corpus import sample_clip
from semanticaudio.engine.recipes.text import TextRecipe, build_clap, build_t5, corpus_words

SMALL = TextRecipe(t5_width=32, t5_layers=1, t5_heads=2, clap_width=32, clap_layers=1,
                   clap_heads=2, global_dim=16)


def test_no_corpus_caption_has_an_unknown_word():
    t5 = build_t5(SMALL, seed=0)
    unknown = t5.tokenizer.unk_token_id
    captions = [sample_clip(5, index, 5.0, 0.1).caption for index in range(300)]
    for caption in captions:
        ids = t5.tokenizer(caption)["input_ids"]
        assert unknown not in ids, caption
    assert "low" in corpus_words() and "pitched" in corpus_words()  # "low-pitched" splits


def test_text_towers_have_the_recipe_sizes_and_reload_identically(tmp_path):
    t5, clap = build_t5(SMALL, seed=0), build_clap(SMALL, seed=1)
    prompts = ["a bell rings twice, then rain falls softly", "a siren wails"]
    tokens, mask = t5.encode(prompts)
    assert tokens.shape[-1] == 32 and mask.dtype == torch.bool
    assert clap.encode(prompts).shape == (2, 16)
    t5.save_pretrained(tmp_path / "t5")
    clap.save_pretrained(tmp_path / "clap")
    with torch.no_grad():
        torch.testing.assert_close(T5TokenEncoder.from_pretrained(str(tmp_path / "t5"))
                                   .encode(prompts)[0], tokens)
        torch.testing.assert_close(ClapGlobalEncoder.from_pretrained(str(tmp_path / "clap"))
                                   .encode(prompts), clap.encode(prompts))
