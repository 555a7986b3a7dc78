import json
from dataclasses import replace

import pytest
from semanticaudio.engine.config import BackboneSize, ModelConfig
from semanticaudio.engine.recipes.claims import (
    ClaimsSettings,
    edit_cases,
    markdown_tables,
    parameter_count,
    run_claims,
    variants,
)
from semanticaudio.engine.recipes.profiles import get_profile

CPU_MODEL = ModelConfig(backbone=BackboneSize(4, 192, 4), acoustic_dim=64, semantic_embed_dim=128,
                        semantic_dim=32,
                        head_hidden_dim=256, global_dim=128, token_dim=128)


def test_variants_match_size_and_budget():
    profile = get_profile("cpu")
    two, other, base = variants(profile, ClaimsSettings(), CPU_MODEL)
    assert (two.name, other.name, base.name) == ("two_stage_d32", "two_stage_d128", "base")
    assert two.from_build and not other.from_build and not base.from_build
    assert other.profile.flow.semantic_dim == 128 and other.profile.flow.backbone == \
        profile.flow.backbone
    base_config = replace(CPU_MODEL, model_type="base", backbone=base.profile.flow.backbone)
    assert base.profile.flow.backbone.depth == 9  # 9 × 192: 5.80 M against 5.70 M
    # the closest depth: one 192-wide block is ~0.45 M, so within half a block (~4 %)
    assert abs(parameter_count(base_config) / parameter_count(CPU_MODEL) - 1) < 0.02
    assert base.profile.flow.backbone.width == profile.flow.backbone.width
    stages = profile.flow.stage1_steps + profile.flow.stage2_steps
    assert base.profile.flow.base_steps == stages / 2  # one Base step ≈ one step of each stage
    assert base.profile.flow.batch_size == profile.flow.batch_size
    with pytest.raises(ValueError, match="must differ from the profile's d = 32"):
        variants(profile, ClaimsSettings(other_dim=32), CPU_MODEL)


def test_the_other_d_defaults_to_the_papers_or_else_32():
    cpu = get_profile("cpu")
    assert variants(cpu, ClaimsSettings(), CPU_MODEL)[1].name == "two_stage_d128"
    paper_d = replace(cpu, flow=replace(cpu.flow, semantic_dim=128))
    assert variants(paper_d, ClaimsSettings(), CPU_MODEL)[1].name == "two_stage_d32"
    assert variants(paper_d, ClaimsSettings(other_dim=64), CPU_MODEL)[1].name == "two_stage_d64"


def test_settings_refuse_empty_counts():
    with pytest.raises(ValueError, match="prompts must be >= 1, got 0"):
        ClaimsSettings(prompts=0)


def test_edit_cases_swap_one_class_and_keep_the_rest(tiny_corpus):
    from semanticaudio.engine.corpus import read_timelines, timelines_path
    from semanticaudio.engine.corpus.captions import classes_in_caption

    records = read_timelines(timelines_path(tiny_corpus, "train"))
    cases = edit_cases(records, 16, seed=5)
    assert cases == edit_cases(records, 16, seed=5)
    for record, case in zip(records, cases, strict=True):
        source = set(classes_in_caption(record.caption))
        target = set(classes_in_caption(case.target_caption))
        assert len(source - target) == 1 and len(target - source) == 1
        assert set(case.kept) == source & target
        assert case.source_caption == record.caption and case.audio_path == record.audio_path


@pytest.mark.slow
def test_the_benchmark_trains_the_variants_and_scores_them(tmp_path):
    from semanticaudio.engine.corpus import read_timelines, timelines_path
    from semanticaudio.engine.recipes.build import BuildRequest, build_default

    build = tmp_path / "build"
    build_default(BuildRequest(build, "tiny", device="cpu", progress=False))
    settings = ClaimsSettings(other_dim=4, prompts=2, edits=2)
    record = run_claims(build, tmp_path / "claims", settings, "cpu", progress=False)
    assert list(record["generation"]) == ["two_stage_d8", "two_stage_d4", "base"]
    assert list(record["editing"]) == ["untouched_source", "semantic_flowedit",
                                       "acoustic_flowedit"]
    assert record["editing"]["untouched_source"]["similarity_gain"] == 0.0
    models = record["models"]
    assert models["two_stage_d4"]["semantic_dim"] == 4
    flow = get_profile("tiny").flow
    assert models["two_stage_d4"]["steps_per_stage"] == {"stage1": flow.stage1_steps,
                                                         "stage2": flow.stage2_steps}
    two_stage, base = models["two_stage_d8"]["dit_parameters"], models["base"]["dit_parameters"]
    assert abs(base - two_stage) / two_stage < 0.1  # same total size (tiny: one layer is 12 %)
    heldout = len(read_timelines(timelines_path(build / "corpus", "heldout")))
    for scores in record["generation"].values():
        assert scores["all"]["num_clips"] == min(2, heldout)
        assert 0.0 <= scores["all"]["event_f1"] <= 1.0
    assert json.loads((tmp_path / "claims" / "claims.json").read_text()) == record
    table = markdown_tables(record)
    assert "| base |" in table and "| acoustic_flowedit |" in table
    runs = tmp_path / "claims" / "runs"
    stamps = {p: p.stat().st_mtime_ns for p in runs.rglob("*.safetensors")}
    again = run_claims(build, tmp_path / "claims", replace(settings, prompts=1), "cpu", False)
    assert {p: p.stat().st_mtime_ns for p in runs.rglob("*.safetensors")} == stamps
    assert again["generation"]["base"]["all"]["num_clips"] == 1


def _canned_record() -> dict:
    scores = {"event_f1": 0.5, "order_accuracy": None, "similarity": 0.25}
    edit = {"target_similarity": 0.3, "similarity_gain": 0.1, "target_event_f1": 0.4,
            "kept_recall": None}
    return {"format_version": 1, "profile": "cpu", "models": {"base": {"dit_parameters": 10}},
            "generation": {"base": {"all": scores, "single_event": None,
                                    "frechet_distance": 1.5}},
            "editing": {"untouched_source": edit}}


def test_bench_claims_never_leaves_a_truncated_result(tmp_path, monkeypatch):
    import runpy
    from pathlib import Path

    from semanticaudio.engine.recipes import claims

    bench = runpy.run_path(str(Path(__file__).parents[3] / "bench" / "bench_claims.py"))
    monkeypatch.setattr(claims, "run_claims", lambda *args, **kwargs: _canned_record())
    argv = ["--build", str(tmp_path / "build"), "--results", str(tmp_path / "results")]
    assert bench["main"](argv) == 0
    written = tmp_path / "results" / "claims-cpu.json"
    before = written.read_text()
    assert json.loads(before)["command"].startswith("python bench/bench_claims.py --build")
    assert "| base | 0.500 |" in (tmp_path / "results" / "claims-cpu.md").read_text()

    def disk_full(self, text, *args, **kwargs):  # writes half, then fails
        with self.open("w", encoding="utf-8") as handle:
            handle.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        bench["main"](argv)
    monkeypatch.undo()
    assert written.read_text() == before  # the previous result is whole
    assert sorted(p.name for p in written.parent.iterdir()) == ["claims-cpu.json",
                                                                "claims-cpu.md"]
