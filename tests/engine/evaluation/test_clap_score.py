import json

import pytest
import soundfile
import torch
from semanticaudio.engine.cli import main
from semanticaudio.engine.components.hub import MissingWeightsError
from semanticaudio.engine.evaluation.clap_score import (
    ClapScorer,
    edit_gain,
    read_edit_pairs,
    read_mono,
)

from tests.engine.training.helpers import tone


def save_tiny_clap(folder):
    """A one-layer transformers ClapModel (16 kHz, 16 mel bands, 1 s) with its processor."""
    from semanticaudio.engine.components.tokenizer import build_word_tokenizer
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor

    tokenizer = build_word_tokenizer(
        ["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>", pad_token="<pad>",
        eos_token="</s>", bos_token="<s>", model_max_length=64,
    )
    config = ClapConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "intermediate_size": 64,
                     "max_position_embeddings": 66, "pad_token_id": 1, "bos_token_id": 0,
                     "eos_token_id": 2},
        audio_config={"spec_size": 32, "num_mel_bins": 16, "patch_size": 4, "patch_stride": 4,
                      "depths": [1, 1], "num_heads": [2, 2], "window_size": 4,
                      "patch_embeds_hidden_size": 16, "hidden_size": 32, "projection_dim": 16,
                      "enable_fusion": False},
        projection_dim=16,
    )
    torch.manual_seed(0)
    model = ClapModel(config).eval()
    extractor = ClapFeatureExtractor(feature_size=16, sampling_rate=16_000, hop_length=320,
                                     fft_window_size=640, max_length_s=1,
                                     truncation="rand_trunc")
    ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def scorer_dir(tmp_path_factory):
    return save_tiny_clap(tmp_path_factory.mktemp("clap"))


def test_without_the_scorer_it_says_what_to_provide(tmp_path, tiny_checkpoint_dir, capsys):
    with pytest.raises(MissingWeightsError) as error:
        ClapScorer.from_folder(tmp_path / "clap")
    text = str(error.value)
    assert "config.json" in text and "model.safetensors" in text
    assert "laion/clap-htsat-unfused" in text and "--scorer" in text
    (tmp_path / "prompts.txt").write_text("a dog barks\n")
    code = main(["eval", "clap", "--model", str(tiny_checkpoint_dir), "--prompts",
                 str(tmp_path / "prompts.txt"), "--scorer", str(tmp_path / "clap")])
    assert code == 1
    assert "laion/clap-htsat-unfused" in capsys.readouterr().err


def test_a_folder_with_only_pickled_weights_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(MissingWeightsError, match="pickle"):
        ClapScorer.from_folder(tmp_path)


def test_clap_score_matches_the_models_own_similarity(scorer_dir, tiny_checkpoint_dir, tmp_path,
                                                     capsys):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# two prompts\na dog barks\nrain on a roof\n")
    out = tmp_path / "clap.json"
    code = main(["eval", "clap", "--model", str(tiny_checkpoint_dir), "--prompts", str(prompts),
                 "--scorer", str(scorer_dir), "--duration", "1", "--steps", "2", "--seed", "4",
                 "--device", "cpu", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["prompts"] == ["a dog barks", "rain on a roof"]
    # recompute the first score through ClapModel.forward (its logits are scaled cosines)
    from semanticaudio.engine.pipeline import load_pipeline
    from transformers import ClapModel, ClapProcessor

    audio = load_pipeline(tiny_checkpoint_dir, device="cpu").generate(
        "a dog barks", 1.0, seed=4, num_steps=2).waveforms[0]
    model, processor = ClapModel.from_pretrained(scorer_dir), ClapProcessor.from_pretrained(
        scorer_dir)
    inputs = processor(text=["a dog barks"], audio=[audio.numpy()], sampling_rate=16_000,
                       return_tensors="pt", padding=True)
    with torch.no_grad():
        output = model(**inputs)
        cosine = output.logits_per_audio[0, 0] / model.logit_scale_a.exp()
    assert result["scores"][0] == pytest.approx(float(cosine), abs=1e-5)
    assert result["mean"] == pytest.approx(sum(result["scores"]) / 2)


def test_edit_gain_is_edited_minus_source_score(scorer_dir, tiny_pipeline, tmp_path):
    soundfile.write(tmp_path / "source.wav", tone(440, 1.0), 16_000)
    (tmp_path / "pairs.jsonl").write_text(
        json.dumps({"audio": "source.wav", "target": "a cat meows"}) + "\n"
        + json.dumps({"audio": "source.wav", "target": "rain", "source": "a tone"}) + "\n"
    )
    pairs = read_edit_pairs(tmp_path / "pairs.jsonl")
    assert pairs[0].source is None and pairs[1].source == "a tone"
    scorer = ClapScorer.from_folder(scorer_dir)
    result = edit_gain(tiny_pipeline, pairs, scorer, num_steps=4)
    assert len(result.gains) == 2
    source, _ = read_mono(tmp_path / "source.wav")
    source_scores = scorer.similarity([source, source], 16_000, ["a cat meows", "rain"])
    assert result.mean_source == pytest.approx(sum(source_scores) / 2, abs=1e-6)
    edited = tiny_pipeline.edit(source, 16_000, "rain", "a tone", seed=1, num_steps=4)
    edited_score = scorer.similarity([edited.waveforms[0]], 16_000, ["rain"])[0]
    assert result.gains[1] == pytest.approx(edited_score - source_scores[1], abs=1e-6)
    assert result.mean_gain == pytest.approx(result.mean_edited - result.mean_source)


def test_a_clip_longer_than_the_scorers_window_scores_the_same_every_time(scorer_dir):
    # The feature extractor crops a clip longer than its window (here 1 s) at a random place;
    # the score must not depend on numpy's global generator, and a source and its edit (same
    # length) must be cropped at the same place.
    import numpy as np

    scorer = ClapScorer.from_folder(scorer_dir)
    torch.manual_seed(0)
    clip = torch.randn(48_000) * torch.linspace(0.0, 1.0, 48_000)  # 3 s, louder toward the end
    first = scorer.similarity([clip], 16_000, ["a dog barks"])[0]
    for seed in range(3):
        np.random.seed(seed)
        assert scorer.similarity([clip], 16_000, ["a dog barks"])[0] == pytest.approx(first)
    short = torch.from_numpy(tone(440, 0.5))
    batched = scorer.similarity([short, clip], 16_000, ["rain", "a dog barks"])
    assert batched[1] == pytest.approx(first, abs=1e-5)  # a clip's crop ignores its batch
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    scorer.similarity([clip], 16_000, ["a dog barks"])
    assert (np.random.get_state()[1] == state).all()  # the caller's generator is left alone


def test_edit_pairs_name_their_problems_before_any_edit(tmp_path):
    soundfile.write(tmp_path / "source.wav", tone(440, 1.0), 16_000)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"audio": "source.wav", "target": "rain"}) + "\n"
                     + json.dumps({"audio": "missing.wav", "target": "rain"}) + "\n")
    with pytest.raises(FileNotFoundError, match=r"pairs.jsonl, line 2: no audio file .*missing"):
        read_edit_pairs(pairs)
    pairs.write_text(json.dumps({"audio": "source.wav", "target": "rain", "source": 3}) + "\n")
    with pytest.raises(ValueError, match="'source' must be text or absent, got 3"):
        read_edit_pairs(pairs)


def test_similarity_pairs_every_waveform_with_its_own_prompt(scorer_dir):
    scorer = ClapScorer.from_folder(scorer_dir)
    clip = torch.from_numpy(tone(440, 0.5))
    with pytest.raises(ValueError, match="2 waveforms and 1 prompts"):
        scorer.similarity([clip, clip], 16_000, ["rain"])  # would broadcast the one prompt
