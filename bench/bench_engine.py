"""Times generation and editing, and writes JSON to bench/results/.

    python bench/bench_engine.py --size tiny                      # CPU, the tiny random model
    python bench/bench_engine.py --size paper --device cuda --dtype bfloat16 --duration 10
    python bench/bench_engine.py --model DIR --duration 5         # a real checkpoint

Random weights are fine for timing. ``paper`` builds two 28 × 1152 DiTs and the published
DAC-VAE architecture (48 kHz, hop 1920); its text encoders are tiny, since a prompt is encoded once
per request. Each figure is the median of ``--repeats`` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from semanticaudio.engine.devices import describe_device

RESULTS = Path(__file__).resolve().parent / "results"


def build_pipeline(args: argparse.Namespace):
    from semanticaudio.engine.pipeline import DTYPES, Pipeline, load_pipeline, resolve_device

    if args.model:
        return load_pipeline(args.model, device=args.device, dtype=args.dtype)
    device = resolve_device(args.device)
    checkpoint = _random_checkpoint(args.size)
    checkpoint.model.to(device).eval()
    checkpoint.components.to(device)
    return Pipeline(checkpoint, device, DTYPES[args.dtype], f"random-{args.size}")


def _random_checkpoint(size: str):
    from semanticaudio.engine.tiny import build_tiny_checkpoint

    checkpoint = build_tiny_checkpoint(seed=0)
    if size == "tiny":
        return checkpoint
    return _resize(checkpoint, size)


def _resize(checkpoint, size: str):
    """Swap in a larger backbone (and, for ``paper``, the published codec and a 48 kHz encoder)."""
    from dataclasses import replace

    from semanticaudio.engine.checkpoint import Checkpoint
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.components.pe_frame import PeAudioFrameEncoder
    from semanticaudio.engine.config import BACKBONE_SIZES, SamplingConfig
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

    components = checkpoint.components
    model_config = replace(checkpoint.config.model, backbone=BACKBONE_SIZES[size])
    if size == "paper":
        components.codec = DacVae().eval()  # published configuration, random weights
        components.semantic_encoder = PeAudioFrameEncoder.build_tiny(
            sample_rate_hz=48_000, downsampling_ratios=(2, 8, 10, 12), embed_dim=1024
        )
        model_config = replace(model_config, acoustic_dim=128, semantic_embed_dim=1024,
                               semantic_dim=128, head_hidden_dim=512)
    config = replace(checkpoint.config, model=model_config, sampling=SamplingConfig())
    return Checkpoint(config, SemanticAudioModel(model_config).eval(), components)


def _time(fn, repeats: int, device: torch.device) -> list[float]:
    fn()  # warm-up
    seconds = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return seconds


def run(args: argparse.Namespace) -> dict:
    pipeline = build_pipeline(args)
    device, duration = pipeline.device, args.duration
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    source = 0.1 * torch.randn(round(duration * pipeline.sample_rate_hz),
                               generator=torch.Generator().manual_seed(0))
    cases = {
        "generate": lambda: pipeline.generate("a dog barks twice", duration, seed=0),
        f"generate_x{args.variations}": lambda: pipeline.generate(
            "a dog barks twice", duration, seed=0, variations=args.variations),
        "edit": lambda: pipeline.edit(source, pipeline.sample_rate_hz, "a cat meows",
                                      "a dog barks", seed=0),
    }
    results = {}
    for name, fn in cases.items():
        seconds = _time(fn, args.repeats, device)
        median = statistics.median(seconds)
        results[name] = {"seconds_median": round(median, 4),
                         "seconds_all": [round(s, 4) for s in seconds],
                         "real_time_factor": round(duration / median, 2)}
        print(f"{name:>14}: {median:.3f} s for {duration} s of audio "
              f"(real-time factor {duration / median:.1f})")
    return {"benchmark": "engine", "model": pipeline.model_name, "size": args.size,
            "device": describe_device(device), "dtype": args.dtype, "duration_s": duration,
            "threads": torch.get_num_threads(), "sampling": _sampling(pipeline),
            "peak_memory_gb": _peak_memory(device), "results": results,
            "torch": torch.__version__, "python": platform.python_version()}


def _sampling(pipeline) -> dict:
    from semanticaudio.engine.config import to_dict

    config = pipeline.checkpoint.config
    return {"sampling": to_dict(config.sampling), "flowedit": to_dict(config.flowedit)}


def _peak_memory(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated() / 1e9, 2) if device.type == "cuda" else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="tiny", choices=["tiny", "small", "paper"])
    parser.add_argument("--model", help="a checkpoint folder instead of random weights")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--variations", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, help="JSON path (default: bench/results/…)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    report = run(args)
    name = f"engine-{args.size if not args.model else Path(args.model).name}-{report['dtype']}"
    out = args.out or RESULTS / f"{name}-{'cuda' if 'cpu' not in report['device'] else 'cpu'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
