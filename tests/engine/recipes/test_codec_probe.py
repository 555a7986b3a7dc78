import math
from pathlib import Path

import numpy as np
import pytest
import torch
from semanticaudio.engine.recipes.codec import CodecRecipe, build_codec
from semanticaudio.engine.recipes.codec_probe import (
    TONES_HZ,
    FrameSpectra,
    fine_structure,
    fit_probe,
    probe_codec,
    score,
    spectral_peaks,
    tone_round_trip,
)

HOP = 640


def _tones(pitches_hz: list[float], frames: int = 25) -> torch.Tensor:
    """One clip per pitch: a sine at that pitch, then silence for the last fifth."""
    t = torch.arange(frames * HOP) / 16_000
    clips = torch.stack([0.05 * torch.sin(2 * math.pi * f * t) for f in pitches_hz])
    clips[:, -(frames // 5) * HOP:] = 0
    return clips


def test_fine_structure_is_the_lines_not_the_outline():
    smooth = torch.linspace(-3, 1, 64).expand(2, 64)
    spiked = smooth.clone()
    spiked[:, 30] += 4
    assert fine_structure(smooth)[:, 4:-4].abs().max() < 1e-5  # the ends average fewer bands
    assert fine_structure(spiked)[:, 30].min() > 3


def test_a_reading_without_lines_recovers_none_of_the_fine_structure():
    spectra, sounding = FrameSpectra(16_000, HOP)(_tones([300, 1200, 3000]), 25)
    truth = spectra[sounding]
    assert sounding.sum() == 3 * 20  # the silent fifth is left out
    flat = truth.mean(dim=1, keepdim=True).expand_as(truth)  # right loudness, no lines
    perfect, outline = score(truth, truth), score(flat, truth)
    assert perfect.fine_recovered == pytest.approx(1.0) and perfect.l1 == 0
    assert outline.fine_recovered == pytest.approx(0.0, abs=1e-5)


def test_the_probe_reads_pitch_only_from_an_input_that_holds_it():
    spectra, sounding = FrameSpectra(16_000, HOP)(_tones([200 + 150 * k for k in range(24)]), 25)
    truth = spectra[sounding]
    train, test = torch.arange(len(truth)) % 4 != 0, torch.arange(len(truth)) % 4 == 0
    loudness = torch.full((len(truth), 1), 0.05)  # every tone is as loud: no pitch in it
    for inputs, expect_pitch in ((truth, True), (loudness, False)):
        probe = fit_probe(inputs[train], truth[train], steps=800, seed=0)
        with torch.no_grad():
            recovered = score(probe(inputs[test]), truth[test]).fine_recovered
        assert (recovered > 0.5) if expect_pitch else (recovered < 0.2), recovered


def test_probe_codec_scores_the_probe_and_the_round_trip():
    recipe = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96)
    codec = build_codec(recipe, 16_000, seed=0)
    waves = _tones([220, 440, 660, 880, 1100, 1320, 1540, 1760], frames=10)
    report = probe_codec(codec, waves[:6], waves[6:], steps=20)
    assert report.train_frames > report.test_frames > 0
    assert report.probe.l1 > 0 and report.decoder.l1 > 0
    assert set(report.to_json()) == {"probe", "decoder", "train_frames", "test_frames"}
    with pytest.raises(ValueError, match="silent"):
        probe_codec(codec, torch.zeros(2, 16_000), torch.zeros(1, 16_000), steps=1)


class _StandInCodec:
    """The two calls ``codec_round_trip`` makes (DacVae's ``encode``/``decode`` on (B, S)
    waveforms): the latent is the waveform itself; ``decode`` plays it back ``speed`` times
    faster (pitch × speed) and ``gain`` times louder."""

    sample_rate_hz = 16_000

    def __init__(self, speed: float = 1.0, gain: float = 1.0) -> None:
        self.speed, self.gain = speed, gain

    def encode(self, waveforms: torch.Tensor) -> torch.Tensor:
        return waveforms

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        length = latent.shape[-1]
        where = (torch.arange(length) * self.speed) % length
        lower = where.floor().long()
        frac = where - lower
        upper = (lower + 1) % length
        return self.gain * (latent[..., lower] * (1 - frac) + latent[..., upper] * frac)


def test_spectral_peaks_find_the_lines_strongest_first():
    t = torch.arange(16_000).numpy() / 16_000
    wave = 0.2 * np.sin(2 * np.pi * 437.0 * t) + np.sin(2 * np.pi * 1234.0 * t)
    peaks = spectral_peaks(wave, 16_000)
    assert abs(peaks[0] - 1234.0) < 0.5 and abs(peaks[1] - 437.0) < 0.5
    assert spectral_peaks(np.sin(2 * np.pi * 437.0 * t), 16_000, floor=0.5)[:1] == (437.0,)


def test_a_codec_that_renders_pitch_keeps_every_tone_and_a_shifted_one_none():
    kept = tone_round_trip(_StandInCodec())
    assert [r.frequency_hz for r in kept] == list(TONES_HZ)
    assert all(r.pitch_kept and abs(r.level_kept - 1) < 0.02 for r in kept)
    shifted = tone_round_trip(_StandInCodec(speed=1.25, gain=0.5))
    assert not any(r.pitch_kept for r in shifted)
    assert all(abs(r.peaks_hz[0] - 1.25 * r.frequency_hz) < 0.02 * r.frequency_hz
               for r in shifted if 1.25 * r.frequency_hz < 8000)
    assert all(abs(r.level_kept - 0.5) < 0.05 for r in shifted)


@pytest.fixture
def small_corpus(tmp_path):
    from semanticaudio.engine.corpus import generate_corpus

    for split, clips in (("train", 4), ("heldout", 6)):
        generate_corpus(tmp_path / "corpus", clips, seed=5, clip_duration_s=1.0, split=split,
                        progress=False)
    return tmp_path / "corpus"


def _bench_main():
    import runpy

    return runpy.run_path(str(Path(__file__).parents[3] / "bench" / "codec_latent_probe.py"))[
        "main"]


def _single_event_clips(corpus: Path) -> int:
    from semanticaudio.engine.corpus import read_timelines, timelines_path

    return sum(len(r.spec.events) == 1 for r in read_timelines(timelines_path(corpus, "heldout")))


def test_the_bench_command_writes_its_record(tmp_path, small_corpus):
    import json

    recipe = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96)
    build_codec(recipe, 16_000, seed=0).save_pretrained(tmp_path / "codec")
    out = tmp_path / "results" / "probe.json"
    assert _bench_main()(["--codec", str(tmp_path / "codec"), "--corpus", str(small_corpus),
                          "--steps", "2", "--threads", "1", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert (record["train_clips"], record["test_clips"], record["probe_steps"]) == (4, 6, 2)
    assert record["test_frames"] > 0 and -1 < record["probe"]["fine_recovered"] < 1
    assert "training" not in record
    assert [tone["frequency_hz"] for tone in record["tones"]] == list(TONES_HZ)
    singles = _single_event_clips(small_corpus)
    assert singles > 0  # the seed gives some, so the evaluator's score below is real
    assert 0 <= record["round_trip_single_event"]["event_f1"] <= 1


def test_the_bench_command_trains_a_fresh_codec_first_and_saves_it(tmp_path, small_corpus):
    import json

    from semanticaudio.engine.components.dacvae import DacVae

    out = tmp_path / "probe.json"
    assert _bench_main()(["--train-steps", "2", "--profile", "tiny", "--batch", "2",
                          "--device", "cpu", "--save", str(tmp_path / "fresh"), "--corpus",
                          str(small_corpus), "--steps", "2", "--threads", "1",
                          "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    training = record["training"]
    assert (training["profile"], training["steps"], training["batch_size"]) == ("tiny", 2, 2)
    assert training["seconds_per_step"] > 0 and training["device"].startswith("cpu")
    saved = DacVae.from_pretrained(str(tmp_path / "fresh"))
    assert sum(p.numel() for p in saved.parameters()) == training["parameters"]
    assert "event_f1" in record["round_trip_single_event"]
    assert training["adversarial"] is None  # the tiny recipe has no discriminators


def test_the_bench_command_trains_with_the_discriminators_it_is_asked_for(tmp_path,
                                                                         small_corpus):
    import json

    out = tmp_path / "gan.json"
    assert _bench_main()(["--train-steps", "2", "--profile", "tiny", "--batch", "2",
                          "--device", "cpu", "--adversarial", "mrd", "--corpus",
                          str(small_corpus), "--tones-only", "--threads", "1",
                          "--out", str(out)]) == 0
    adversarial = json.loads(out.read_text())["training"]["adversarial"]
    assert adversarial["periods"] == [] and adversarial["fft_sizes"] == [2048, 1024, 512]
    with pytest.raises(SystemExit):  # a saved codec is read, not trained: nothing to add to
        _bench_main()(["--codec", str(tmp_path), "--adversarial", "dac", "--tones-only"])


def test_the_bench_command_reads_tones_only_without_a_corpus(tmp_path):
    import json

    recipe = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96)
    build_codec(recipe, 16_000, seed=0).save_pretrained(tmp_path / "codec")
    out = tmp_path / "tones.json"
    assert _bench_main()(["--codec", str(tmp_path / "codec"), "--tones-only", "--threads", "1",
                          "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert len(record["tones"]) == len(TONES_HZ) and "probe" not in record
    assert all(tone["level_kept"] >= 0 for tone in record["tones"])
    with pytest.raises(SystemExit):  # without --codec, a codec must be trained on a corpus
        _bench_main()(["--train-steps", "2", "--tones-only", "--out", str(out)])
