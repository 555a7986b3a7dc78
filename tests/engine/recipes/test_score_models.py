"""bench/score_models.py end to end on the tiny corpus: every model on every split, as JSON."""

import json
import runpy
from pathlib import Path

import pytest
from semanticaudio.engine.corpus import read_timelines, timelines_path

BENCH = Path(__file__).parents[3] / "bench" / "score_models.py"


def test_models_are_scored_on_every_single_event_caption(tmp_path, tiny_corpus,
                                                          tiny_checkpoint_dir,
                                                          tiny_base_checkpoint_dir):
    singles = [r for r in read_timelines(timelines_path(tiny_corpus, "train"))
               if len(r.spec.events) == 1]
    out = tmp_path / "scores.json"
    script = runpy.run_path(str(BENCH))
    script["main"](["--corpus", str(tiny_corpus), "--model", str(tiny_checkpoint_dir),
                    "--model", str(tiny_base_checkpoint_dir), "--split", "train",
                    "--count", "2", "--threads", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["command"].startswith("python bench/score_models.py --corpus")
    assert [m["model"] for m in report["models"]] == [str(tiny_checkpoint_dir),
                                                      str(tiny_base_checkpoint_dir)]
    for model in report["models"]:
        scores = model["scores"]["train"]
        assert scores["clips"] == min(2, len(singles))
        assert 0 <= scores["event_f1"] <= 1 and -1 <= scores["similarity"] <= 1
        assert model["guidance"] > 0


def test_a_split_the_corpus_lacks_is_refused_before_any_model_loads(tmp_path, tiny_corpus):
    script = runpy.run_path(str(BENCH))
    with pytest.raises(SystemExit, match="has no heldout split"):
        script["main"](["--corpus", str(tiny_corpus), "--model", str(tmp_path / "none"),
                        "--split", "heldout", "--out", str(tmp_path / "s.json")])
    assert not (tmp_path / "s.json").exists()
