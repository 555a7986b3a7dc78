"""One sound per class, to check by ear and by eye that a model tells the classes apart.

    python bench/class_sheet.py --corpus build/default/corpus --out build/default/sheet

For each of the corpus's 16 classes it takes the first single-event clip of that class in the
chosen split and writes three WAV files, ``<class>_1_corpus.wav`` (the recording),
``<class>_2_codec.wav`` (its round trip through the model's codec) and
``<class>_3_generated.wav`` (the model's clip for the same caption, seed 0), and one image,
``classes.png``: their log-mel spectrograms side by side, one row per class, with what the
independent evaluator detects in each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--split", default="heldout")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = render_rows(args.corpus, args.split, args.model, args.out)
    plot(rows, args.out / "classes.png")
    for row in rows:
        print(f"{row['label']:10s} {row['caption']!r}: detected " + ", ".join(
            f"{kind} {list(row['detected'][kind])}" for kind in row["detected"]))
    return 0


def render_rows(corpus: Path, split: str, model: Path | None, out: Path) -> list[dict]:
    import soundfile
    from semanticaudio.engine.corpus import CLASS_NAMES, single_event_records
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.recipes.quality import corpus_audio, round_trip

    records = single_event_records(corpus, split)
    first = {label: next((r for r in records if r.spec.events[0].label == label), None)
             for label in CLASS_NAMES}
    chosen = [record for record in first.values() if record is not None]
    pipeline, detector = load_pipeline(model, device="cpu"), load_detector(default_detector_dir())
    recordings = corpus_audio(chosen)
    kinds = {"corpus": recordings, "codec": round_trip(pipeline, recordings),
             "generated": torch.stack([pipeline.generate(r.caption, r.spec.duration_s,
                                                         seed=0).waveforms[0] for r in chosen])}
    captions = [record.caption for record in chosen]
    found = {kind: evaluate_audio(detector, audio, pipeline.sample_rate_hz, captions).clips
             for kind, audio in kinds.items()}
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, record in enumerate(chosen):
        label = record.spec.events[0].label
        for number, (kind, audio) in enumerate(kinds.items(), start=1):
            soundfile.write(out / f"{label}_{number}_{kind}.wav", audio[k].numpy(),
                            pipeline.sample_rate_hz)
        rows.append({"label": label, "caption": record.caption,
                     "audio": {kind: audio[k] for kind, audio in kinds.items()},
                     "detected": {kind: found[kind][k].detected for kind in kinds}})
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(16_000, n_fft=1024, hop_length=160, n_mels=64)
    kinds = list(rows[0]["audio"])
    figure, axes = plt.subplots(len(rows), len(kinds), figsize=(4 * len(kinds), 1.3 * len(rows)),
                                squeeze=False)
    for r, row in enumerate(rows):
        for c, kind in enumerate(kinds):
            image = torch.log10(mel(row["audio"][kind]) + 1e-6).numpy()
            axis = axes[r][c]
            axis.imshow(image, origin="lower", aspect="auto", vmin=-6, vmax=2, cmap="magma")
            axis.set_xticks([])
            axis.set_yticks([])
            detected = ", ".join(row["detected"][kind]) or "nothing"
            axis.set_title(f"{row['label']} · {kind} → {detected}", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=80)


if __name__ == "__main__":
    raise SystemExit(main())
