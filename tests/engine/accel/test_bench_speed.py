"""The speed benchmark end to end on the CPU, tiny size: every phase that runs there reports
figures, not errors, and the codec phase says whether its decodes repeat."""

import json
import runpy
from pathlib import Path

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
    assert {"fp32", "bf16", "bf16_deterministic", "bf16_cudnn_benchmark"} <= set(codec)
    assert all(isinstance(codec[name]["repeatable"], bool) for name in ("fp32", "bf16"))
    assert codec["fp32"]["relative_error_vs_fp32"] == 0
    assert 0 < codec["bf16"]["relative_error_vs_fp32"] < 0.05
    assert set(phases["ablations"]) == {"plain_bf16_autocast", "fast_no_graphs_no_compile"}
    assert phases["profile"]["seconds"] > 0 and isinstance(phases["profile"]["top"], list)
