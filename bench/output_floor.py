"""How quiet a model's quiet parts are: DC offset and floor of generated clips, before and after
the pipeline's DC filter.

    python bench/output_floor.py --out bench/results/output-floor-default-cpu.json

Each prompt is generated once (seed 0). For the pipeline's output and for the codec's raw decode
of the same latent (no DC filter), it reports the peak, the clip's mean (its DC offset) and the
RMS of the quietest fifth of its 50 ms windows (the floor a listener hears in the gaps), in dBFS.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

PROMPTS = (
    "a dog barks twice", "a bell rings twice", "a door knocks three times", "rain falls steadily",
    "a man speaking", "a car horn honks", "birds chirp", "a clock ticks",
)
WINDOW_S = 0.05
QUIET_SHARE = 0.2


def dbfs(value: float) -> float:
    return round(20 * math.log10(max(abs(value), 1e-10)), 1)


def levels(waveform: torch.Tensor, sample_rate_hz: int) -> dict:
    """Peak, mean and floor of one clip (num_samples,), in dBFS; the mean's sign kept apart."""
    x = waveform.double()
    window = round(WINDOW_S * sample_rate_hz)
    windows = x[: len(x) // window * window].reshape(-1, window)
    rms = windows.pow(2).mean(1).sqrt().sort().values
    quiet = rms[: max(1, round(QUIET_SHARE * len(rms)))]
    return {"peak_dbfs": dbfs(x.abs().max()), "mean": float(x.mean()),
            "mean_dbfs": dbfs(x.mean()), "floor_dbfs": dbfs(quiet.pow(2).mean().sqrt())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from semanticaudio.engine.features.files import write_json_atomic
    from semanticaudio.engine.pipeline import load_pipeline

    pipeline = load_pipeline(args.model, device="cpu")
    rate = pipeline.sample_rate_hz
    clips = []
    for prompt in PROMPTS:
        result = pipeline.generate(prompt, args.duration, seed=0)
        with torch.no_grad():
            raw = pipeline.codec.decode(result.acoustic_latents)[0, : result.waveforms.shape[-1]]
        clips.append({"prompt": prompt, "output": levels(result.waveforms[0], rate),
                      "codec_raw": levels(raw, rate)})
        print(f"{prompt:28s} floor {clips[-1]['codec_raw']['floor_dbfs']:7.1f} → "
              f"{clips[-1]['output']['floor_dbfs']:7.1f} dBFS, mean "
              f"{clips[-1]['codec_raw']['mean']:+.5f} → {clips[-1]['output']['mean']:+.5f}")
    write_json_atomic(args.out, {
        "benchmark": "output_floor", "model": pipeline.model_name, "duration_s": args.duration,
        "seed": 0, "window_s": WINDOW_S, "quiet_share": QUIET_SHARE, "clips": clips,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
