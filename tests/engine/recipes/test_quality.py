import pytest
from semanticaudio.engine.corpus import read_timelines, timelines_path
from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
from semanticaudio.engine.recipes.quality import STAGES, stage_ceilings


@pytest.fixture(scope="module")
def records(tiny_corpus):
    every = read_timelines(timelines_path(tiny_corpus, "train"))
    return [r for r in every if len(r.spec.events) == 1][:3], every


def test_stage_ceilings_score_every_stage_per_class(tiny_pipeline, records):
    singles, _ = records
    assert singles, "the tiny corpus should hold single-event clips"
    stages = stage_ceilings(tiny_pipeline, load_detector(default_detector_dir()), singles,
                            progress=False)
    assert tuple(stages) == STAGES
    labels = sorted({r.spec.events[0].label for r in singles})
    for report in stages.values():
        assert report["scores"]["num_clips"] == len(singles)
        assert sorted(report["per_class"]) == labels
        assert sum(c["clips"] for c in report["per_class"].values()) == len(singles)
        assert all(0 <= c["found"] <= c["clips"] for c in report["per_class"].values())
    # the recordings are their own reference; the tiny random model keeps no level of its own
    assert all(c["level"] == 1.0 for c in stages["corpus_audio"]["per_class"].values())
    assert any(c["level"] != 1.0 for c in stages["generated"]["per_class"].values())


def test_stage_ceilings_refuse_clips_with_several_events(tiny_pipeline, records):
    _, every = records
    several = [r for r in every if len(r.spec.events) > 1][:1]
    assert several
    with pytest.raises(ValueError, match="needs single-event records"):
        stage_ceilings(tiny_pipeline, None, several, progress=False)
