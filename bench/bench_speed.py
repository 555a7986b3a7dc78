"""Speed of the plain and the optimised path, measured in one run on one machine → JSON.

    python bench/bench_speed.py --size paper                 # one GPU: the issue-8 figures
    python bench/bench_speed.py --size tiny --device cpu     # CPU smoke run, under a minute
    python bench/bench_speed.py --size small --device cpu --duration 5 --phases plain

Random weights (their adaLN and output layers randomised so that the flows move). ``paper``: two
28 × 1152 DiTs and the published DAC-VAE architecture (bench_engine.py builds them); its text and
semantic encoders are tiny. Phases, in order, each skipped once ``--budget-s`` would be exceeded:
plain (fp32, the reference), training (paper-size samples/s), fast (bf16, buckets, CUDA graphs,
compiled block; the decoder compiled only with --compile-codec), cached (a second process reusing
the compile cache), ablations (plain bf16 autocast; fast without compile; fast without graphs; fast
in fp32), codec (the decoder alone: fp32 and bf16 variants), profile (the fast path's kernels by
device time). The JSON is rewritten after every phase. Cases: generate, generate_x{V} (V variations
in one call) and a semantic FlowEdit with the paper's settings, each the median of --repeats runs
after one first call (whose time, for the fast path, includes compiling and capturing).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import torch
from semanticaudio.engine.accel.config import COMPILE_MODES
from semanticaudio.engine.devices import describe_device

RESULTS = Path(__file__).resolve().parent / "results"
PHASES = ("plain", "training", "fast", "cached", "ablations", "codec", "profile")
# rough shortest time of each phase at paper size on one GPU: a phase starts only if it fits
PHASE_MIN_S = {"plain": 20, "training": 30, "fast": 60, "cached": 60, "ablations": 20,
               "codec": 30, "profile": 40}
PROMPT, EDIT_TARGET, EDIT_SOURCE = "a dog barks twice", "a cat meows", "a dog barks"
TARGETS_S = {"generate": 0.15, "generate_x4": 0.35, "edit": 0.25}  # issue 8, one H100, 10 s
COMPILE_TARGET_S, CACHED_TARGET_S = 60.0, 10.0
CPU_TARGET_S = 2.0  # issue 8: the default small model, 5 s of audio, two CPU cores


# ------------------------------------------------------------------------ building
def build_pipeline(size: str, device: torch.device, model_dir: str | None = None):
    """A random-weight Pipeline of ``size`` on ``device`` whose DiTs predict non-zero flows,
    or the checkpoint in ``model_dir``."""
    from semanticaudio.engine.pipeline import Pipeline, load_pipeline

    if model_dir:
        return load_pipeline(model_dir, device=str(device))

    from bench_engine import _random_checkpoint

    checkpoint = _random_checkpoint(size)
    if size != "tiny":  # tiny's outputs are randomised already; adaLN-zero elsewhere
        randomize_outputs(checkpoint.model, seed=0)
    checkpoint.model.to(device).eval()
    checkpoint.components.to(device)
    return Pipeline(checkpoint, device, torch.float32, f"random-{size}")


@torch.no_grad()
def randomize_outputs(model: torch.nn.Module, seed: int, gain: float = 0.5) -> None:
    """adaLN and output layers ~ N(0, gain² / fan_in): outputs about ``gain`` × input RMS."""
    generator = torch.Generator().manual_seed(seed)
    for name, parameter in model.named_parameters():
        if ("adaln" in name or "out_proj" in name) and parameter.dim() == 2:
            std = gain / parameter.shape[1] ** 0.5
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)


def fast_config(args: argparse.Namespace, compile_: bool, graphs: bool = True, warmup=(),
                compile_codec: bool = False, dtype: str | None = None):
    from semanticaudio.engine.accel import FastConfig

    if dtype is None:  # the CPU has no fast bf16 here
        dtype = "float32" if args.device == "cpu" else "bfloat16"
    return FastConfig(dtype=dtype, codec_dtype=dtype, compile=compile_,
                      compile_mode=args.compile_mode, codec_lstm_dtype=args.codec_lstm_dtype,
                      compile_codec=compile_codec, cuda_graphs=graphs, allow_cpu=True,
                      cache_dir=Path(args.cache_dir), warmup=tuple(warmup))


def cases(pipeline, args: argparse.Namespace) -> dict[str, Callable[[], object]]:
    """name → a call of the pipeline (the same seed every time)."""
    duration, variations = args.duration, args.variations
    rate = pipeline.sample_rate_hz
    source = 0.1 * torch.randn(round(duration * rate), generator=torch.Generator().manual_seed(0))
    return {
        "generate": lambda: pipeline.generate(PROMPT, duration, seed=0),
        f"generate_x{variations}": lambda: pipeline.generate(
            PROMPT, duration, seed=0, variations=variations),
        "edit": lambda: pipeline.edit(source, rate, EDIT_TARGET, EDIT_SOURCE, seed=0),
    }


# ------------------------------------------------------------------------- timing
def timed(fn: Callable[[], object], device: torch.device) -> tuple[float, object]:
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return time.perf_counter() - start, out


def measure(fn: Callable[[], object], args: argparse.Namespace, device: torch.device,
            repeats: int | None = None) -> dict:
    """First call (for the fast path: compile + capture + run), then the median of repeats."""
    first, out = timed(fn, device)
    seconds = [timed(fn, device)[0] for _ in range(repeats or args.repeats)]
    median = statistics.median(seconds)
    return {"first_call_s": round(first, 4), "seconds_median": round(median, 4),
            "seconds_all": [round(s, 4) for s in seconds],
            "real_time_factor": round(args.duration / median, 2), "_output": out}


def run_cases(pipeline, args, device, budget, names=None, repeats=None) -> dict:
    results = {}
    for name, fn in cases(pipeline, args).items():
        if names is not None and name not in names:
            continue
        if not budget.allows(0):
            results[name] = {"skipped": "time budget spent"}
            continue
        results[name] = measure(fn, args, device, repeats)
        print(f"  {name:>12}: first {results[name]['first_call_s']:.3f} s, "
              f"median {results[name]['seconds_median']:.4f} s", flush=True)
    return results


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gb(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 1e9, 2)


# --------------------------------------------------------------------- comparison
def relative_error(a: torch.Tensor | None, b: torch.Tensor | None) -> float | None:
    """‖a − b‖ / ‖b‖ (None when either is None)."""
    if a is None or b is None:
        return None
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-12))


def output_match(fast: dict, plain: dict) -> dict:
    """Per case: relative L2 error of the fast outputs against the plain fp32 outputs, and the
    waveforms' difference as an RMS fraction of full scale (the tests' bound for waveforms)."""
    match = {}
    for name, result in fast.items():
        reference = plain.get(name, {}).get("_output")
        if "_output" not in result or reference is None:
            continue
        out = result["_output"]
        match[name] = {field: relative_error(getattr(out, field), getattr(reference, field))
                       for field in ("waveforms", "acoustic_latents", "semantic_latents")}
        difference = out.waveforms.float() - reference.waveforms.float()
        match[name]["waveforms_rms_of_full_scale"] = float(difference.pow(2).mean().sqrt())
    return match


# ------------------------------------------------------------------------- phases
def phase_plain(state: dict, args, device, budget) -> dict:
    _reset_peak(device)
    results = run_cases(state["plain"], args, device, budget, repeats=args.plain_repeats)
    state["plain_results"] = results
    return {"dtype": "float32", "cases": results, "peak_memory_gb": _peak_gb(device)}


def phase_fast(state: dict, args, device, budget) -> dict:
    from semanticaudio.engine.accel import FastPipeline

    _reset_peak(device)
    config = fast_config(args, args.compile, compile_codec=args.compile_codec)
    fast = FastPipeline.from_pipeline(state["plain"], config)
    results = run_cases(fast, args, device, budget)
    report = {"config": _config_dict(fast.fast_config), "cases": results,
              "match_vs_plain_fp32": output_match(results, state.get("plain_results", {})),
              "peak_memory_gb": _peak_gb(device), "graphs": fast.accelerator.runner.num_graphs}
    if budget.allows(0):
        try:  # the cases above cost device time: a failing breakdown must not lose them
            report["breakdown_s"] = stage_breakdown(fast, args, device)
        except Exception as error:
            report["breakdown_s"] = {"error": repr(error),
                                     "traceback": traceback.format_exc()[-2000:]}
    return report


def stage_breakdown(fast, args, device) -> dict:
    """generate's parts on their own: plan (the Base model's sampling for a Base model),
    synthesize and decode, each with generate's settings, so that they replay the graphs of the
    fast cases before them and nothing compiles here."""
    accel, model = fast.accelerator, fast.model
    text = fast.components.encode_text([PROMPT]).to(device, torch.float32)
    frames = math.ceil(args.duration * fast.frame_rate_hz)  # as generate counts them
    sampling, two_stage = fast.checkpoint.config.sampling, model.is_two_stage
    role, dim = ("planner", model.config.semantic_dim) if two_stage else (
        "base", model.config.acoustic_dim)
    steps = sampling.planner_steps if two_stage else sampling.base_steps
    noise = torch.randn(1, frames, dim)
    parts = {"plan": lambda: accel.sample(role, text, noise, steps,
                                          sampling.text_guidance(two_stage))}
    if two_stage:
        semantic = parts["plan"]()
        acoustic = torch.randn(1, frames, model.config.acoustic_dim)
        null_text = not model.config.synthesizer_uses_text  # as FastPipeline._synthesize
        parts["synthesize"] = lambda: accel.sample("synthesizer", text, acoustic,
                                                   sampling.synth_steps, sampling.synth_guidance,
                                                   semantic, null_text)
    latent = torch.randn(1, frames, model.config.acoustic_dim, device=device)
    parts["decode"] = lambda: accel.codec.decode(latent)
    return {name: round(statistics.median(timed(fn, device)[0] for _ in range(3)), 4)
            for name, fn in parts.items()}


def phase_cached(state: dict, args, device, budget) -> dict:
    """A second process compiles the same shapes from the on-disk cache (a daemon restart)."""
    if not args.compile:
        return {"skipped": "compile is off"}
    result_file = Path(args.cache_dir) / "cached-result.json"
    model = ["--model", args.model] if args.model else []
    command = [sys.executable, str(Path(__file__).resolve()), "--phase-child",
               "--size", args.size, *model, "--device", str(device),
               "--duration", str(args.duration),
               "--variations", str(args.variations), "--cache-dir", args.cache_dir,
               "--compile-mode", args.compile_mode, "--out", str(result_file)]
    if args.compile_codec:
        command.append("--compile-codec")
    if args.codec_lstm_dtype:
        command += ["--codec-lstm-dtype", args.codec_lstm_dtype]
    command += ["--compile-mode", args.compile_mode]
    timeout = max(budget.remaining(), 30.0)
    completed = subprocess.run(command, timeout=timeout, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"error": completed.stderr[-2000:]}
    return json.loads(result_file.read_text())


def child_warmup(args: argparse.Namespace) -> None:
    """The cached phase's second process: build, then time the warm-up of the same shapes."""
    from semanticaudio.engine.accel import FastPipeline, WarmupRequest

    device = torch.device(args.device)
    start = time.perf_counter()
    plain = build_pipeline(args.size, device, args.model)
    built = time.perf_counter() - start
    requests = (WarmupRequest("generate", args.duration, 1),
                WarmupRequest("generate", args.duration, args.variations),
                WarmupRequest("edit", args.duration, 1))
    config = fast_config(args, True, warmup=requests, compile_codec=args.compile_codec)
    fast = FastPipeline.from_pipeline(plain, config)
    timings = fast.warmup()
    report = {"build_s": round(built, 2), "first_call_s": {
        f"{t.request.kind}_x{t.request.variations}": round(t.seconds, 3) for t in timings}}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


def phase_training(state: dict, args, device, budget) -> dict:
    """Training throughput of one DiT of ``--size`` (speed_training.py)."""
    from speed_training import measure_training

    _reset_peak(device)
    return measure_training(args.size, args.duration, device)


def phase_ablations(state: dict, args, device, budget) -> dict:
    """Each optimisation's share: generate only, one configuration at a time (on CUDA also
    the whole fast path in float32, which is what bf16 buys there)."""
    from semanticaudio.engine.accel import FastPipeline
    from semanticaudio.engine.pipeline import Pipeline

    plain = state.get("plain") or build_pipeline(args.size, device, args.model)
    configs = {
        "plain_bf16_autocast": lambda: Pipeline(plain.checkpoint, device, torch.bfloat16, "bf16"),
        "fast_no_graphs_no_compile": lambda: FastPipeline.from_pipeline(
            plain, fast_config(args, False, graphs=False)),
        "fast_graphs_no_compile": lambda: FastPipeline.from_pipeline(
            plain, fast_config(args, False)),
        "fast_float32": lambda: FastPipeline.from_pipeline(
            plain, fast_config(args, args.compile, dtype="float32")),
    }
    report = {}
    for name, make in configs.items():
        if device.type != "cuda" and name in ("fast_graphs_no_compile", "fast_float32"):
            continue
        print(f"  {name}", flush=True)
        results = run_cases(make(), args, device, budget, names={"generate"})
        report[name] = _strip(results)
    return report


def phase_codec(state: dict, args, device, budget) -> dict:
    """The decoder alone on a 10 s latent: fp32 as shipped; the fast path's bf16 copy, also
    with cuDNN restricted to deterministic algorithms, with cuDNN timing its algorithms,
    without the published watermark branch (what it costs), and with the watermark's LSTMs in
    float16 one layer per call, the batch padded to 8 (cuDNN's persistent kernel; compiled
    .LayeredLSTM); compiled only with
    --compile-codec (first call = compile time). Each against the fp32 waveform, and whether
    two decodes of the same latent are equal."""
    from semanticaudio.engine.accel.compiled import FastDecodeCodec

    codec = state["plain"].codec
    frames = round(args.duration * codec.frame_rate_hz)
    latent = torch.randn(1, frames, codec.latent_dim, device=device)

    def bf16(**options):
        return lambda: FastDecodeCodec(codec, torch.bfloat16, **options).decode

    def bf16_without_watermark():
        fast = FastDecodeCodec(codec, torch.bfloat16, compile=False)
        decoder = getattr(fast.fast, "decoder", None)
        if not hasattr(decoder, "watermark_enabled"):
            return None
        decoder.watermark_enabled = False  # the published decoder adds a watermark: its cost
        return fast.decode

    decoders = {"fp32": lambda: codec.decode,
                "bf16": bf16(compile=False),
                "bf16_deterministic": bf16(compile=False, deterministic=True),
                "bf16_cudnn_benchmark": bf16(compile=False, cudnn_benchmark=True),
                "bf16_without_watermark": bf16_without_watermark,
                "bf16_lstm_fp16_layered": bf16(compile=False, lstm_dtype=torch.float16)}
    if args.compile_codec:
        decoders["bf16_compiled"] = bf16(compile=True)
    report, reference = {}, None
    for name, make in decoders.items():
        if not budget.allows(0):
            report[name] = {"skipped": "time budget spent"}
            continue
        decode = make()
        if decode is None:
            report[name] = {"skipped": "this codec has no watermark branch"}
            continue
        with torch.no_grad():
            result = measure(lambda decode=decode: decode(latent), args, device)
            again = decode(latent)
        reference = result["_output"] if reference is None else reference
        report[name] = _strip(result) | {
            "relative_error_vs_fp32": relative_error(result["_output"], reference),
            "repeatable": bool(torch.equal(result["_output"], again))}
        print(f"  {name:>22}: median {report[name]['seconds_median']:.4f} s, "
              f"repeatable {report[name]['repeatable']}", flush=True)
    return report


def phase_profile(state: dict, args, device, budget) -> dict:
    """Where a fast generate spends its device time: one call of the fast path without CUDA
    graphs (the graphs replay the same kernels) under torch.profiler, after a call that
    compiles. The kernels with the most device time, and the sum over all kernels (operator
    rows are left out: their device time is their kernels', counted once)."""
    from semanticaudio.engine.accel import FastPipeline
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    fast = FastPipeline.from_pipeline(state["plain"], fast_config(args, args.compile, graphs=False))
    generate = cases(fast, args)["generate"]
    first, _ = timed(generate, device)
    wall, _ = timed(generate, device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda"
                                           else [])
    with profile(activities=activities) as prof:
        generate()
        _sync(device)
    rows = [row for row in prof.key_averages()
            if row.device_type != DeviceType.CPU and row.self_device_time_total > 0]
    rows.sort(key=lambda row: row.self_device_time_total, reverse=True)
    total_us = sum(row.self_device_time_total for row in rows)
    return {"first_call_s": round(first, 3), "seconds": round(wall, 4),
            "device_time_s": round(total_us / 1e6, 4),
            "top": [{"name": row.key[:120], "calls": row.count,
                     "device_s": round(row.self_device_time_total / 1e6, 4),
                     "share": round(row.self_device_time_total / total_us, 3)}
                    for row in rows[:args.profile_top]]}


# ---------------------------------------------------------------------- reporting
class Budget:
    """Seconds left of ``total_s`` since construction."""

    def __init__(self, total_s: float) -> None:
        self.total_s, self.start = total_s, time.perf_counter()

    def remaining(self) -> float:
        return self.total_s - (time.perf_counter() - self.start)

    def allows(self, estimate_s: float) -> bool:
        return self.remaining() > estimate_s


def _strip(value):
    """Drop the kept outputs (``_output``) before writing JSON."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "_output"}
    return value


def _config_dict(config) -> dict:
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(config), default=str))


def targets(report: dict, args, device: torch.device) -> dict:
    """The issue's targets: the fast path at paper size on CUDA; the plain path of a small model
    on the CPU (5 s in at most 2 s on two cores). Other runs have none."""
    phases = report["phases"]
    if device.type == "cpu":
        if (args.size == "tiny" and not args.model) or args.duration != 5.0:
            return {"note": "CPU targets are for --size small (or --model) with --duration 5"}
        seconds = phases.get("plain", {}).get("cases", {}).get("generate", {}).get(
            "seconds_median")
        return {"cpu_generate_5s": _check(seconds, CPU_TARGET_S)}
    if args.size != "paper" or args.model or args.duration != 10.0 or args.variations != 4:
        return {"note": "GPU targets are for --size paper with --duration 10 --variations 4"}
    fast = phases.get("fast", {}).get("cases", {})
    cached = phases.get("cached", {}).get("first_call_s", {})
    checks = {name: _check(fast.get(name, {}).get("seconds_median"), limit)
              for name, limit in TARGETS_S.items()}
    checks["first_compile_generate"] = _check(fast.get("generate", {}).get("first_call_s"),
                                              COMPILE_TARGET_S)
    checks["cached_generate"] = _check(cached.get("generate_x1"), CACHED_TARGET_S)
    return checks


def _check(seconds: float | None, limit_s: float) -> dict:
    return {"seconds": seconds, "limit_s": limit_s,
            "met": None if seconds is None else seconds <= limit_s}


def _slug(text: str) -> str:
    """'NVIDIA H100 80GB HBM3' → 'nvidia-h100-80gb-hbm3'; a CPU is just 'cpu'."""
    if text.startswith("cpu"):
        return "cpu"
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def write(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_strip(report), indent=2) + "\n")


def run(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    budget = Budget(args.budget_s)
    report = {"benchmark": "speed", "size": None if args.model else args.size,
              "model": args.model, "device": describe_device(device),
              "duration_s": args.duration, "variations": args.variations,
              "repeats": args.repeats, "torch": torch.__version__,
              "python": platform.python_version(), "compile": args.compile,
              "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "phases": {}}
    start = time.perf_counter()
    try:
        state = {"plain": build_pipeline(args.size, device, args.model)}
    except Exception as error:  # still leave a report: it may be all a device run brings back
        report["build_error"] = {"error": repr(error),
                                 "traceback": traceback.format_exc()[-3000:]}
        write(report, args.out)
        raise SystemExit(f"could not build the pipeline: {error!r} (see {args.out})") from error
    report["build_s"] = round(time.perf_counter() - start, 2)
    write(report, args.out)  # a run cut off in its first phase still says what it ran on
    phases = {"plain": phase_plain, "training": phase_training, "fast": phase_fast,
              "cached": phase_cached, "ablations": phase_ablations, "codec": phase_codec,
              "profile": phase_profile}
    for name in args.phases:
        print(f"[{budget.total_s - budget.remaining():6.1f} s] {name}", flush=True)
        if not budget.allows(PHASE_MIN_S[name] if device.type == "cuda" else 1):
            report["phases"][name] = {"skipped": "time budget spent"}
            continue
        try:
            report["phases"][name] = phases[name](state, args, device, budget)
        except Exception as error:  # keep the other phases' figures: device time is scarce
            report["phases"][name] = {"error": repr(error),
                                      "traceback": traceback.format_exc()[-3000:]}
            print(report["phases"][name]["traceback"], flush=True)
        report["targets"] = targets(report, args, device)
        write(report, args.out)
    report["complete"] = True
    report["total_s"] = round(time.perf_counter() - start, 1)
    write(report, args.out)
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="tiny", choices=["tiny", "small", "paper"])
    parser.add_argument("--model", help="a checkpoint folder instead of random weights")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--variations", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plain-repeats", type=int, default=2,
                        help="repeats of the slow plain path (seconds per call at paper size)")
    parser.add_argument("--budget-s", type=float, default=420.0,
                        help="phases that would start after this many seconds are skipped")
    parser.add_argument("--compile", choices=["auto", "on", "off"], default="auto",
                        help="torch.compile in the fast path (auto: on for CUDA only)")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--profile-top", type=int, default=20,
                        help="kernels listed by the profile phase")
    parser.add_argument("--cache-dir", help="compile cache (default: a fresh one, so cold)")
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, help="JSON path (default: bench/results/…)")
    parser.add_argument("--phase-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compile-mode", choices=COMPILE_MODES, default="default",
                        help="torch.compile mode of the DiT block (FastConfig.compile_mode)")
    parser.add_argument("--codec-lstm-dtype", choices=["float16", "bfloat16", "float32"],
                        help="the fast path's decoder runs its LSTMs one layer per call in this "
                             "dtype (FastConfig.codec_lstm_dtype; default: as the decoder)")
    parser.add_argument("--compile-codec", action="store_true",
                        help="compile the codec decoder in the fast path (the codec phase "
                             "measures it on its own either way)")
    args = parser.parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    args.compile = args.compile == "on" or (args.compile == "auto" and args.device != "cpu")
    args.cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="sa-compile-")
    name = Path(args.model).name if args.model else args.size
    slug = _slug(describe_device(torch.device(args.device)))
    args.out = args.out or RESULTS / f"speed-{name}-{slug}.json"
    return args


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_engine, speed_training
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.phase_child:
        child_warmup(args)
        return
    report = run(args)
    print(json.dumps(report.get("targets", {}), indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
