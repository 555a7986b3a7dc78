import shutil

import pytest
from semanticaudio.engine.checkpoint import read_config
from semanticaudio.engine.recipes.guidance import choose_guidance, write_guidance


@pytest.fixture
def records(tiny_corpus):
    from semanticaudio.engine.corpus import read_timelines, timelines_path

    every = read_timelines(timelines_path(tiny_corpus, "train"))
    return [record for record in every if len(record.spec.events) == 1][:2]


def test_the_best_scale_is_chosen_and_written(tiny_checkpoint_dir, records, tmp_path):
    model = shutil.copytree(tiny_checkpoint_dir, tmp_path / "model")
    choice = choose_guidance(model, records, 1.0, grid=(1.0, 3.0), progress=False)
    assert set(choice.scores) == {1.0, 3.0} and choice.key == "planner_guidance"
    best = max(choice.scores.values(), key=lambda score: score["event_f1"])["event_f1"]
    assert choice.scores[choice.scale]["event_f1"] == best
    if choice.scores[1.0]["event_f1"] == choice.scores[3.0]["event_f1"]:
        assert choice.scale == 1.0  # ties go to the smaller scale
    write_guidance(model, choice)
    assert read_config(model).sampling.planner_guidance == choice.scale
    assert read_config(tiny_checkpoint_dir).sampling.planner_guidance == 4.5  # a copy was changed
    assert choice.to_json()["tried"]["3.0"] == choice.scores[3.0]


def test_no_captions_is_an_error(tiny_checkpoint_dir):
    with pytest.raises(ValueError, match="at least one validation caption"):
        choose_guidance(tiny_checkpoint_dir, [], 1.0)
