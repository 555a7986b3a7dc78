"""Times the bridge: OSC round trips, and the bridge's own share of a job's wall time.

    python bench/bench_bridge.py                         # tiny random model on the CPU
    python bench/bench_bridge.py --model DIR --device cuda --duration 10

1. Ping round trip: a real sa-engine subprocess on loopback, `--pings` sequential /sa/ping.
2. Job latency over OSC: /sa/generate and /sa/edit sent to that engine, timed to /sa/done.
3. Where a job's time goes: the Renderer in this process (the code the worker runs), split into
   the model and the bridge's stages (read, resample, effects, level, write); with and without a
   preset's effect chain. Each figure is the median of `--repeats` runs after one warm-up run.
4. Resampling alone: 10 s of mono between common rates (the fastest of `--repeats` runs).
Results go to bench/results/bridge-<model>-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pythonosc.osc_message import OscMessage
from semanticaudio.bridge.jobs import JobHooks
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.protocol import decode_request, encode_message
from semanticaudio.bridge.render import Renderer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="checkpoint folder (default: tiny random)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per job")
    parser.add_argument("--source-rate", type=int, default=44100, help="edit source rate, Hz")
    parser.add_argument("--pings", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", default="big-hall", help="generate preset with effects")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads here (the engine subprocess runs with one)")
    return parser.parse_args()


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1e3, 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1e3, 3),
        "max_ms": round(ordered[-1] * 1e3, 3),
        "count": len(ordered),
    }


class Wire:
    """One UDP socket on loopback that sends requests and receives their replies."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(600)
        self.engine = ("127.0.0.1", port)
        self.port = self.sock.getsockname()[1]

    def ask(self, address: str, args: list[Any], until: tuple[str, ...]) -> list[Any]:
        self.sock.sendto(encode_message(address, args), self.engine)
        while True:
            reply = OscMessage(self.sock.recv(65536))
            if reply.address in until:
                return list(reply.params)


def time_osc(engine_port: int, args: argparse.Namespace, source: Path, out: Path) -> dict:
    """Ping round trips and whole-job latencies through a running sa-engine."""
    wire = Wire(engine_port)
    for _ in range(20):
        wire.ask("/sa/ping", [wire.port], ("/sa/pong",))
    pings = []
    for _ in range(args.pings):
        start = time.perf_counter()
        wire.ask("/sa/ping", [wire.port], ("/sa/pong",))
        pings.append(time.perf_counter() - start)
    jobs: dict[str, list[float]] = {"generate": [], "edit": []}
    for index in range(args.repeats + 1):
        for kind in jobs:
            job_id = f"{kind}{index}"
            request = (
                [job_id, wire.port, "rain on a tin roof", args.duration, str(out), ""]
                if kind == "generate"
                else [job_id, wire.port, str(source), 0.0, args.duration, "rain", "heavy rain",
                      str(out), ""]
            )
            start = time.perf_counter()
            final = wire.ask(f"/sa/{kind}", request, ("/sa/done", "/sa/error"))
            if len(final) < 2 or final[1] in ("bad_request", "engine_error", "internal_error"):
                raise RuntimeError(f"{kind} failed: {final}")
            if index:  # the first run is the warm-up
                jobs[kind].append(time.perf_counter() - start)
    return {"ping": summary(pings), **{f"{k}_over_osc": summary(v) for k, v in jobs.items()}}


def time_stages(renderer: Renderer, request: Any, repeats: int) -> dict[str, Any]:
    """Median seconds per stage of the renderer, and the bridge's share of the wall time."""
    hooks = JobHooks(lambda fraction, stage: None, lambda: False)
    runs = []
    for index in range(repeats + 1):
        start = time.perf_counter()
        result = renderer.render(request, hooks)
        wall_s = time.perf_counter() - start
        for path in result.paths:
            path.unlink()
        if index:
            runs.append((wall_s, result.timings))
    stages = sorted({name for _, timings in runs for name in timings.seconds})
    wall_s = statistics.median(w for w, _ in runs)
    bridge_s = statistics.median(t.bridge_s for _, t in runs)
    return {
        "wall_s": round(wall_s, 4),
        "stages_s": {s: round(statistics.median(t.seconds.get(s, 0.0) for _, t in runs), 4)
                     for s in stages},
        "bridge_s": round(bridge_s, 4),
        "bridge_share": round(bridge_s / wall_s, 4),
    }


RESAMPLE_PAIRS_HZ = ((44100, 48000), (48000, 44100), (44100, 16000), (16000, 44100),
                     (96000, 48000))


def time_resampling(repeats: int) -> dict[str, float]:
    """Milliseconds to resample 10 s of mono with audio_io.resample (pedalboard, sinc32)."""
    from semanticaudio.bridge.audio_io import resample

    timings = {}
    for from_hz, to_hz in RESAMPLE_PAIRS_HZ:
        mono = np.random.default_rng(0).standard_normal((1, 10 * from_hz)).astype(np.float32)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            resample(mono, from_hz, to_hz)
            runs.append(time.perf_counter() - start)
        timings[f"{from_hz}->{to_hz}"] = round(min(runs) * 1e3, 1)
    return timings


def time_renderer(pipeline: Any, args: argparse.Namespace, source: Path, out: Path) -> dict:
    renderer = Renderer(pipeline, PresetLibrary.load())

    def generate(options: str) -> Any:
        return decode_request(
            "/sa/generate", ["b", 9, "rain on a tin roof", args.duration, str(out), options])

    edit = decode_request("/sa/edit", ["b", 9, str(source), 0.0, args.duration, "rain",
                                       "heavy rain", str(out), ""])
    return {
        "generate": time_stages(renderer, generate(""), args.repeats),
        f"generate_preset_{args.preset}": time_stages(
            renderer, generate(f"preset={args.preset};variations=1"), args.repeats),
        "edit_stereo": time_stages(renderer, edit, args.repeats),
    }


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    sys.path.insert(0, str(ROOT))  # the engine launcher the socket tests use
    from tests.bridge.helpers import start_engine, write_audio

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        model = args.model or write_tiny_checkpoint(work / "tiny")
        t = np.arange(round(args.duration * args.source_rate)) / args.source_rate
        stereo = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)])
        source = write_audio(work / "source.wav", stereo.astype(np.float32), args.source_rate)
        out = work / "out"
        out.mkdir()
        pipeline = load_pipeline(model, device=args.device)
        pipeline.warmup()
        renderer_results = time_renderer(pipeline, args, source, out)
        engine = start_engine(model, work / "engine", "--device", args.device, "--no-preview")
        try:
            osc_results = time_osc(engine.port, args, source, engine.out_dir)
        finally:
            engine.stop()
    report = {
        "benchmark": "bridge",
        "model": pipeline.model_name,
        "model_rate_hz": pipeline.sample_rate_hz,
        "device": f"{pipeline.device} ({platform.machine()}, {torch.get_num_threads()} threads)",
        "duration_s": args.duration,
        "edit_source": f"{args.source_rate} Hz stereo WAV",
        "osc": osc_results,
        "renderer": renderer_results,
        "resample_10s_mono_ms": time_resampling(args.repeats),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bridge-{pipeline.model_name}-{pipeline.device.type}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
