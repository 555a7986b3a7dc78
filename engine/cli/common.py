"""Options and helpers shared by the ``sa`` commands (kept free of heavy imports)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", metavar="DIR", help="checkpoint folder (default: the shipped model)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--fast", action="store_true",
                        help="on CUDA: bf16, CUDA graphs and torch.compile (docs/speed.md)")


def add_render_options(parser: argparse.ArgumentParser, run: Callable) -> None:
    """Options every rendering command shares (synthesizer steps, seeds, model, preset)."""
    from semanticaudio.engine.cli import preset_options

    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--synth-steps", type=int, help="synthesizer Euler steps (paper: 25)")
    add_seed_options(parser)
    add_model_options(parser)
    preset_options.add_preset_option(parser)
    parser.set_defaults(run=run)


def add_seed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="random seed (same seed, same audio on the CPU)")
    parser.add_argument("--variations", type=int, help="how many versions to render (default 1)")


def load(args: argparse.Namespace):
    if args.fast:
        from semanticaudio.engine.accel import load_fast_pipeline

        return load_fast_pipeline(args.model, device=args.device, dtype=args.dtype)
    from semanticaudio.engine.pipeline import load_pipeline

    return load_pipeline(args.model, device=args.device, dtype=args.dtype)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callable[[float, str], None]]:
    """A tqdm bar on stderr driven by the pipeline's (fraction, stage) callback."""
    from tqdm import tqdm

    with tqdm(
        total=100,
        desc=description,
        unit="%",
        file=sys.stderr,
        bar_format="{desc} {bar} {n:.0f}% [{elapsed}<{remaining}] {postfix}",
    ) as bar:

        def update(fraction: float, stage: str) -> None:
            bar.n = round(fraction * 100, 1)
            bar.set_postfix_str(stage, refresh=False)
            bar.refresh()

        yield update


def output_paths(path: str, count: int) -> list[Path]:
    """out.wav for one result; out_v1.wav, out_v2.wav … for several."""
    target = Path(path)
    if target.suffix.lower() != ".wav":
        raise ValueError(f"the output must be a .wav file, got {path!r}")
    if count == 1:
        return [target]
    return [target.with_name(f"{target.stem}_v{i}{target.suffix}") for i in range(1, count + 1)]


def write_wav(path: Path, waveform, sample_rate_hz: int, overwrite: bool) -> None:
    """Write mono float audio as 24-bit WAV through a temporary file and a rename."""
    import soundfile

    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name or pass --overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".wav", prefix=f".{path.stem}.", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        soundfile.write(temporary, waveform.numpy(), sample_rate_hz, subtype="PCM_24")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_results(args: argparse.Namespace, waveforms, sample_rate_hz: int) -> None:
    paths = output_paths(args.output, waveforms.shape[0])
    for path in paths:
        if path.exists() and not args.overwrite:
            raise FileExistsError(f"{path} exists; choose another name or pass --overwrite")
    for path, waveform in zip(paths, waveforms, strict=True):
        write_wav(path, waveform, sample_rate_hz, args.overwrite)
        print(path)
