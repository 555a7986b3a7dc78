"""Does the codec's latent hold the spectrum, or does its decoder lose it? (issue 4)

    python bench/codec_latent_probe.py --codec build/default/components/codec \
        --corpus build/default/corpus --out bench/results/codec-probe.json

Fits a small probe that reads each latent frame as the log-mel spectrum under it (on
``--train-clips`` training clips), then scores the probe's reading and the codec's own round
trip on ``--test-clips`` held-out clips: log-mel L1 and the share of the spectra's fine
structure (harmonic lines, narrow bands) that each recovers. A latent that holds the pitch
gives the probe a high share; a decoder that renders it gives the round trip one.
See ``semanticaudio.engine.recipes.codec_probe``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", required=True, type=Path, help="a saved DAC-VAE folder")
    parser.add_argument("--corpus", required=True, type=Path, help="a `sa corpus` folder")
    parser.add_argument("--train-clips", type=int, default=400)
    parser.add_argument("--test-clips", type=int, default=120)
    parser.add_argument("--steps", type=int, default=3000, help="probe training steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.corpus import read_timelines, timelines_path
    from semanticaudio.engine.recipes.codec_probe import probe_codec
    from semanticaudio.engine.recipes.quality import corpus_audio

    codec = DacVae.from_pretrained(str(args.codec))
    train = corpus_audio(read_timelines(timelines_path(args.corpus, "train"))[: args.train_clips])
    test = corpus_audio(read_timelines(timelines_path(args.corpus, "heldout"))[: args.test_clips])
    report = probe_codec(codec, train, test, steps=args.steps, seed=args.seed)
    record = {"codec": str(args.codec), "corpus": str(args.corpus),
              "train_clips": len(train), "test_clips": len(test), "probe_steps": args.steps,
              "seed": args.seed, **report.to_json()}
    text = json.dumps(record, indent=2)
    if args.out is not None:
        from semanticaudio.engine.features.files import write_json_atomic

        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(args.out, record)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
