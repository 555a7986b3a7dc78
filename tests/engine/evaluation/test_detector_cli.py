"""`sa detector train|score` end to end on a tiny corpus (a few steps: wiring, not quality)."""

import json

import torch
from semanticaudio.engine.corpus import generate_corpus
from semanticaudio.engine.evaluation.detector_cli import main


def test_train_then_score(tmp_path, capsys):
    torch.set_num_threads(1)
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, num_clips=10, seed=2, clip_duration_s=1.5, progress=False)
    out = tmp_path / "detector"
    assert (
        main(
            [
                "train",
                "--corpus",
                str(corpus),
                "--out",
                str(out),
                "--steps",
                "2",
                "--batch-size",
                "2",
            ]
        )
        == 0
    )
    report = json.loads((out / "training.json").read_text())
    assert report["train_clips"] > 0
    assert report["training"]["steps"] == 2
    assert {"config.json", "model.safetensors"} <= {p.name for p in out.iterdir()}
    capsys.readouterr()
    assert main(["score", "--detector", str(out), "--corpus", str(corpus), "--split", "train"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["num_clips"] == report["train_clips"]
    assert 0.0 <= scored["event_f1"] <= 1.0
