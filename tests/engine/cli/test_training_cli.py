"""The README's training path, command by command: cache → stage 1 → stage 2 → export →
generate → evaluate."""

import json

import soundfile
import torch
from semanticaudio.engine.cli import main

from tests.engine.training.helpers import write_tone_corpus


def test_cache_train_export_generate_and_evaluate(tmp_path, tiny_checkpoint_dir, capsys):
    torch.set_num_threads(1)
    manifest = write_tone_corpus(tmp_path / "corpus", count=8)
    cache, stage1, stage2, model = (tmp_path / name for name in ("cache", "s1", "s2", "model"))

    assert main(["cache-features", "--manifest", str(manifest), "--components",
                 str(tiny_checkpoint_dir), "--out", str(cache), "--clip-seconds", "1",
                 "--shard-size", "4", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.strip() == str(cache)

    train = ["--config", "tiny", "--data", str(cache), "--device", "cpu", "--until-step", "2"]
    assert main(["train", "stage1", "--out", str(stage1), *train]) == 0
    assert main(["train", "stage2", "--out", str(stage2), "--head-from", str(stage1),
                 *train]) == 0
    assert "stage2: step 2" in capsys.readouterr().out
    assert main(["train", "stage1", "--out", str(stage1), *train]) == 1
    assert "pass --resume" in capsys.readouterr().err
    assert main(["train", "stage1", "--out", str(stage1), "--resume", *train[:-1], "3"]) == 0

    assert main(["export", str(stage1), str(stage2), "--out", str(model)]) == 0
    assert capsys.readouterr().out.strip().endswith(str(model))

    wav = tmp_path / "tone.wav"
    assert main(["generate", "a steady tone at 440 hz", "--model", str(model), "--duration",
                 "0.5", "--steps", "2", "--synth-steps", "2", "-o", str(wav)]) == 0
    assert soundfile.info(str(wav)).frames == 8_000
    capsys.readouterr()

    assert main(["eval", "reconstruction", "--model", str(model), "--data", str(cache),
                 "--max-clips", "2", "--synth-steps", "2", "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metric"] == "reconstruction" and result["num_clips"] == 2
    assert result["mel_loss"] > 0 and result["stft_loss"] > 0


def test_cache_features_refuses_a_max_shards_below_one(tmp_path, capsys):
    # Before, 0 or -1 wrote nothing, exited 0 and asked to "rerun the command to finish".
    assert main(["cache-features", "--manifest", str(tmp_path / "m.jsonl"), "--components",
                 str(tmp_path), "--out", str(tmp_path / "cache"), "--max-shards", "0"]) == 1
    assert "--max-shards must be at least 1 (leave it out to finish the cache), got 0" in \
        capsys.readouterr().err
    assert not (tmp_path / "cache").exists()
