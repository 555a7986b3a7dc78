"""Does the codec's latent hold the spectrum, or does its decoder lose it? (issue 4)

    python bench/codec_latent_probe.py --codec build/default/components/codec \
        --corpus build/default/corpus --out bench/results/codec-probe.json
    python bench/codec_latent_probe.py --train-steps 6000 --profile gpu --device cuda \
        --corpus build/default/corpus --save runs/codec --out codec-scale.json

Fits a small probe that reads each latent frame as the log-mel spectrum under it (on
``--train-clips`` training clips), then scores the probe's reading and the codec's own round
trip on ``--test-clips`` held-out clips: log-mel L1 and the share of the spectra's fine
structure (harmonic lines, narrow bands) that each recovers. A latent that holds the pitch
gives the probe a high share; a decoder that renders it gives the round trip one. The round
trip of the held-out single-event clips is also scored by the shipped evaluator (event F1, the
ceiling of issue 4's quality bar for any model on this codec).

With ``--train-steps`` the codec is not read but trained first, from scratch, with the codec
recipe of ``--profile`` for that many steps (``--batch`` overrides its batch size), on
``--device``: how a recipe's codec does at a given budget, before anything is trained on it.
``--adversarial dac`` adds DAC's discriminators and terms to that recipe (``mrd``: the STFT
discriminators alone, about a fifth of their cost on a CPU).
Every run also round-trips steady sines (``tones``: where the output's strongest lines fall and
how loud it comes back); ``--tones-only`` does just that, in seconds.
See ``semanticaudio.engine.recipes.codec_probe``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

ROUND_TRIP_CLIPS = None  # held-out single-event clips scored (None: all, as the mixed build)
ADVERSARIAL = {"dac": {}, "mrd": {"periods": ()}}  # AdversarialRecipe settings per choice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--codec", type=Path, help="a saved DAC-VAE folder")
    source.add_argument("--train-steps", type=int,
                        help="train a fresh codec of --profile's recipe for this many steps")
    parser.add_argument("--corpus", type=Path,
                        help="a `sa corpus` folder (not needed for --tones-only with --codec)")
    parser.add_argument("--profile", default="cpu", help="build profile whose codec recipe trains")
    parser.add_argument("--batch", type=int, help="training batch size (default: the recipe's)")
    parser.add_argument("--adversarial", choices=sorted(ADVERSARIAL),
                        help="train with DAC's discriminators: dac (MPD + MRD) or mrd (MRD only)")
    parser.add_argument("--device", default="auto", help="where the codec trains: auto, cpu, cuda")
    parser.add_argument("--save", type=Path, help="save the trained codec here")
    parser.add_argument("--train-clips", type=int, default=400)
    parser.add_argument("--test-clips", type=int, default=120)
    parser.add_argument("--steps", type=int, default=3000, help="probe training steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--tones-only", action="store_true",
                        help="only the steady-tone round trips (no probe, no corpus clips)")
    args = parser.parse_args(argv)
    if args.corpus is None and not (args.tones_only and args.codec is not None):
        parser.error("--corpus is needed to train a codec or to probe one")
    if args.adversarial is not None and args.train_steps is None:
        parser.error("--adversarial applies to a codec trained here (--train-steps)")
    torch.set_num_threads(args.threads)

    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.corpus import read_timelines, timelines_path
    from semanticaudio.engine.recipes.codec_probe import probe_codec, tone_round_trip
    from semanticaudio.engine.recipes.quality import corpus_audio

    record: dict = {"corpus": str(args.corpus) if args.corpus else None}
    if args.codec is not None:
        codec = DacVae.from_pretrained(str(args.codec))
        record["codec"] = str(args.codec)
    else:
        codec, record["training"] = train_fresh(args)
    record["tones"] = [asdict(reading) for reading in tone_round_trip(codec)]
    if not args.tones_only:
        heldout = read_timelines(timelines_path(args.corpus, "heldout"))
        train = corpus_audio(
            read_timelines(timelines_path(args.corpus, "train"))[: args.train_clips])
        test = corpus_audio(heldout[: args.test_clips])
        report = probe_codec(codec, train, test, steps=args.steps, seed=args.seed)
        record |= {"train_clips": len(train), "test_clips": len(test),
                   "probe_steps": args.steps, "seed": args.seed, **report.to_json(),
                   "round_trip_single_event": score_round_trip(codec, heldout)}
    text = json.dumps(record, indent=2)
    if args.out is not None:
        from semanticaudio.engine.features.files import write_json_atomic

        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(args.out, record)
    print(text)
    return 0


def train_fresh(args: argparse.Namespace):
    """A codec of ``args.profile``'s recipe trained for ``args.train_steps`` → (codec, facts)."""
    from semanticaudio.engine.corpus import timelines_path
    from semanticaudio.engine.devices import describe_device
    from semanticaudio.engine.recipes.adversarial import AdversarialRecipe
    from semanticaudio.engine.recipes.clips import load_clip_bank
    from semanticaudio.engine.recipes.codec import build_codec, train_codec
    from semanticaudio.engine.recipes.profiles import get_profile

    base = get_profile(args.profile).codec
    optimizer = replace(base.optimizer, steps=args.train_steps,
                        batch_size=args.batch or base.optimizer.batch_size)
    adversarial = (base.adversarial if args.adversarial is None
                   else AdversarialRecipe(**ADVERSARIAL[args.adversarial]))
    recipe = replace(base, optimizer=optimizer, adversarial=adversarial)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    bank = load_clip_bank(timelines_path(args.corpus, "train"))
    codec = build_codec(recipe, bank.sample_rate_hz, seed=args.seed)
    start = time.perf_counter()
    log = train_codec(codec, bank, recipe, seed=args.seed, device=device)
    seconds = time.perf_counter() - start
    codec.cpu().eval()
    if args.save is not None:
        codec.save_pretrained(args.save)
    return codec, {"profile": args.profile, "steps": args.train_steps,
                   "adversarial": None if adversarial is None else asdict(adversarial),
                   "batch_size": optimizer.batch_size, "device": describe_device(device),
                   "seconds": round(seconds, 1),
                   "seconds_per_step": round(seconds / max(args.train_steps, 1), 4),
                   "parameters": sum(p.numel() for p in codec.parameters()),
                   "last_loss": log.to_json()["last_loss"]}


def score_round_trip(codec, heldout) -> dict:
    """The evaluator's scores of the codec's round trip of held-out single-event clips."""
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.recipes.quality import codec_round_trip, corpus_audio

    if not (default_detector_dir() / "config.json").is_file():
        return {"skipped": f"no evaluator in {default_detector_dir()}"}
    records = [r for r in heldout if len(r.spec.events) == 1][:ROUND_TRIP_CLIPS]
    if not records:
        return {"skipped": "the held-out split has no single-event clips"}
    decoded = codec_round_trip(codec, corpus_audio(records))
    detector = load_detector(default_detector_dir())
    captions = [record.caption for record in records]
    return evaluate_audio(detector, decoded, codec.sample_rate_hz, captions).to_json()


if __name__ == "__main__":
    sys.exit(main())
