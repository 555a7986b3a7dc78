import json
import runpy
from pathlib import Path

import pytest
import torch
from semanticaudio.engine.recipes.codec_probe import TONES_HZ, spectral_peaks

BENCH = runpy.run_path(str(Path(__file__).parents[3] / "bench" / "codec_tone_arms.py"))


def test_the_tone_bank_holds_steady_tones_at_corpus_levels():
    bank = BENCH["tone_bank"](6, seed=0)
    assert bank.pcm.shape == (6, 16_000) and len(bank) == 6
    waves = bank.waveforms(torch.arange(6))
    rms = waves.pow(2).mean(dim=1).sqrt()
    assert ((rms > 0.019) & (rms < 0.101)).all()
    for wave in waves.numpy():  # 1-3 lines each, all within 150-3000 Hz
        peaks = spectral_peaks(wave, 16_000, count=5, floor=0.2)
        assert 1 <= len(peaks) <= 3 and all(140 < p < 3100 for p in peaks)
    again = BENCH["tone_bank"](6, seed=0)
    assert (again.pcm == bank.pcm).all()


def test_each_arm_changes_only_what_it_names():
    from semanticaudio.engine.recipes.profiles import get_profile

    base = get_profile("mixed").codec
    mel, gan, stft = (BENCH["arm_recipe"](base, arm, 100, 8) for arm in ("mel", "gan", "stft"))
    assert (mel.optimizer.steps, mel.optimizer.batch_size, mel.crop_s) == (100, 8, 0.48)
    assert mel.reconstruction == base.reconstruction and mel.adversarial is None
    assert gan.adversarial is not None and gan.adversarial.periods == ()
    assert gan.reconstruction == mel.reconstruction
    assert stft.reconstruction == "stft+mel" and stft.adversarial is None


def test_the_bench_command_trains_every_arm_and_reads_its_tones(tmp_path):
    out = tmp_path / "arms.json"
    assert BENCH["main"](["--arms", "mel", "gan", "--steps", "2", "--clips", "4", "--profile",
                          "tiny", "--batch", "2", "--threads", "1", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert [arm["arm"] for arm in record["arms"]] == ["mel", "gan"]
    assert record["arms"][0]["adversarial"] is None
    assert record["arms"][1]["adversarial"]["periods"] == []
    assert "discriminator" in record["arms"][1]["last_terms"]
    assert all(len(arm["tones"]) == len(TONES_HZ) for arm in record["arms"])
    assert record["command"].endswith("--out " + str(out))
    with pytest.raises(SystemExit):
        BENCH["main"](["--steps", "0"])


def test_a_line_is_off_grid_only_beyond_the_peak_finders_resolution():
    off_grid = BENCH["off_grid"]
    assert not off_grid((399.9, 200.0)) and not off_grid((600.1,)) and not off_grid(())
    assert off_grid((437.0, 1000.0)) and off_grid((1234.2,))
