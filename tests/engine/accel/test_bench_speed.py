"""The speed benchmark end to end on the CPU, tiny size: every phase that runs there reports
figures, not errors, and the codec phase says whether its decodes repeat; a Base model and a
failed build still leave a report."""

import json
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[3] / "bench" / "bench_speed.py"


def test_the_speed_benchmark_runs_its_cpu_phases_and_writes_json(tmp_path):
    script = runpy.run_path(str(BENCH))
    out = tmp_path / "results" / "speed.json"
    script["main"](["--size", "tiny", "--device", "cpu", "--threads", "1", "--duration", "2",
                    "--repeats", "1", "--plain-repeats", "1", "--cache-dir",
                    str(tmp_path / "cache"), "--phases", "plain", "fast", "ablations", "codec",
                    "profile", "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["complete"] and report["device"].startswith("cpu")
    phases = report["phases"]
    assert not [name for name, phase in phases.items() if "error" in phase]
    for case in ("generate", "generate_x4", "edit"):
        assert phases["fast"]["cases"][case]["seconds_median"] > 0
    # on the CPU the fast path runs in float32 and matches the plain path closely
    assert phases["fast"]["match_vs_plain_fp32"]["generate"]["waveforms"] < 1e-3
    codec = phases["codec"]
    assert {"fp32", "bf16", "bf16_deterministic", "bf16_cudnn_benchmark",
            "bf16_lstm_fp16_layered"} <= set(codec)
    assert all(isinstance(codec[name]["repeatable"], bool) for name in ("fp32", "bf16"))
    assert codec["fp32"]["relative_error_vs_fp32"] == 0
    assert 0 < codec["bf16"]["relative_error_vs_fp32"] < 0.05
    assert set(phases["ablations"]) == {"plain_bf16_autocast", "fast_no_graphs_no_compile"}
    assert phases["profile"]["seconds"] > 0 and isinstance(phases["profile"]["top"], list)


def test_a_base_model_keeps_its_fast_figures_and_gets_a_stage_breakdown(
        tmp_path, tiny_base_checkpoint_dir):
    out = tmp_path / "speed.json"
    runpy.run_path(str(BENCH))["main"]([
        "--model", str(tiny_base_checkpoint_dir), "--device", "cpu", "--threads", "1",
        "--duration", "1", "--repeats", "1", "--plain-repeats", "1", "--phases", "plain", "fast",
        "--cache-dir", str(tmp_path / "cache"), "--out", str(out)])
    fast = json.loads(out.read_text())["phases"]["fast"]
    assert "error" not in fast, fast.get("traceback")
    assert fast["cases"]["edit"]["seconds_median"] > 0
    assert set(fast["breakdown_s"]) == {"plan", "decode"}


def test_the_stage_breakdown_replays_generates_loops(tmp_path):
    """Its parts use generate's settings (here a synthesizer trained without text), so on a GPU
    they replay generate's graphs instead of capturing and compiling others."""
    from dataclasses import replace

    import torch
    from semanticaudio.engine.accel import FastPipeline
    from semanticaudio.engine.pipeline import Pipeline
    from semanticaudio.engine.tiny import build_tiny_checkpoint

    script = runpy.run_path(str(BENCH))
    args = script["parse_args"](["--device", "cpu", "--duration", "1",
                                 "--cache-dir", str(tmp_path)])
    checkpoint = build_tiny_checkpoint(seed=0)
    checkpoint.model.config = replace(checkpoint.model.config, synthesizer_uses_text=False)
    plain = Pipeline(checkpoint, torch.device("cpu"), torch.float32, "tiny")
    fast = FastPipeline.from_pipeline(plain, script["fast_config"](args, False))
    plans = []
    sample_inputs = fast.accelerator.sample_inputs

    def recording(*arguments, **options):
        plan, inputs = sample_inputs(*arguments, **options)
        plans.append((plan, inputs.noise.shape))
        return plan, inputs

    fast.accelerator.sample_inputs = recording
    fast.generate("a dog barks twice", 1.0, seed=0)
    generated = set(plans)
    plans.clear()
    breakdown = script["stage_breakdown"](fast, args, torch.device("cpu"))
    assert set(breakdown) == {"plan", "synthesize", "decode"}
    assert set(plans) <= generated, set(plans) - generated


def test_a_failed_build_still_writes_the_json_and_exits_with_an_error(tmp_path):
    out = tmp_path / "speed.json"
    with pytest.raises(SystemExit, match="could not build the pipeline"):
        runpy.run_path(str(BENCH))["main"](["--model", str(tmp_path / "missing"), "--device",
                                            "cpu", "--phases", "plain", "--out", str(out)])
    report = json.loads(out.read_text())
    assert "config.json is missing" in report["build_error"]["error"]
    assert not report.get("complete") and report["phases"] == {}


def test_a_run_cut_off_in_its_first_phase_has_already_written_its_json(tmp_path, monkeypatch):
    """gpu_check.sh's outer timeout ends the benchmark wherever it is; what it ran on and how
    long the build took must be on disk by then."""
    import importlib

    monkeypatch.syspath_prepend(str(BENCH.parent))
    bench = importlib.import_module("bench_speed")

    def cut_off(*_):
        raise KeyboardInterrupt  # stands for the timeout's signal: nothing after it runs

    monkeypatch.setattr(bench, "phase_plain", cut_off)
    out = tmp_path / "speed.json"
    with pytest.raises(KeyboardInterrupt):
        bench.main(["--size", "tiny", "--device", "cpu", "--threads", "1", "--phases", "plain",
                    "--cache-dir", str(tmp_path / "cache"), "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["build_s"] > 0 and report["phases"] == {} and not report.get("complete")


def test_gpu_targets_are_judged_only_for_the_issues_request_shape():
    import argparse

    import torch

    script = runpy.run_path(str(BENCH))
    fast = {"cases": {name: {"seconds_median": 0.01, "first_call_s": 1.0}
                      for name in ("generate", "generate_x4", "edit")}}
    report = {"phases": {"fast": fast, "cached": {"first_call_s": {"generate_x1": 1.0}}}}
    issue_shape = {"size": "paper", "model": None, "duration": 10.0, "variations": 4}
    cuda = torch.device("cuda")
    checks = script["targets"](report, argparse.Namespace(**issue_shape), cuda)
    assert checks["generate"]["met"] and checks["generate_x4"]["met"]
    for other in ({"duration": 5.0}, {"variations": 2}, {"model": "some/dir"}, {"size": "small"}):
        checks = script["targets"](report, argparse.Namespace(**(issue_shape | other)), cuda)
        assert set(checks) == {"note"}, other  # a 5 s clip at 0.01 s is no 10 s target met
