import json

import numpy as np
import pytest
import soundfile
import torch
from semanticaudio.engine.data import ClipSettings, SkipLog, load_clip, read_clips, read_manifest
from semanticaudio.engine.data.manifest import ManifestEntry

from tests.engine.training.helpers import tone

SETTINGS = ClipSettings(clip_seconds=1.0, sample_rate_hz=16_000)


def entry(path, **fields):
    return ManifestEntry(path.name, path, "caption", 1, **fields)


def test_long_clips_are_cut_and_short_ones_padded_with_silence(tmp_path):
    soundfile.write(tmp_path / "long.wav", tone(440, 2.5), 16_000)
    soundfile.write(tmp_path / "short.wav", tone(440, 0.25), 16_000)
    long_clip = load_clip(entry(tmp_path / "long.wav"), SETTINGS)
    short_clip = load_clip(entry(tmp_path / "short.wav"), SETTINGS)
    assert long_clip.waveform.shape == short_clip.waveform.shape == (16_000,)
    assert long_clip.num_valid_samples == 16_000
    assert short_clip.num_valid_samples == 4_000
    assert torch.all(short_clip.waveform[4_000:] == 0)
    assert torch.allclose(short_clip.waveform[:4_000], torch.from_numpy(tone(440, 0.25)),
                          atol=1e-4)


def test_offset_and_duration_select_the_span(tmp_path):
    # 0.5 s of silence, then 0.5 s of a constant level, then silence again
    signal = np.zeros(24_000, dtype=np.float32)
    signal[8_000:16_000] = 0.5
    soundfile.write(tmp_path / "steps.wav", signal, 16_000, subtype="FLOAT")
    clip = load_clip(entry(tmp_path / "steps.wav", offset_s=0.5, duration_s=0.5), SETTINGS)
    assert clip.num_valid_samples == 8_000
    assert torch.allclose(clip.waveform[:8_000], torch.tensor(0.5))
    assert torch.all(clip.waveform[8_000:] == 0)


def test_stereo_is_mixed_down_and_other_rates_resampled(tmp_path):
    left, right = tone(300, 1.0, 8_000), np.zeros(8_000, dtype=np.float32)
    soundfile.write(tmp_path / "stereo8k.wav", np.stack([left, right], axis=1), 8_000)
    clip = load_clip(entry(tmp_path / "stereo8k.wav"), SETTINGS)
    assert clip.num_valid_samples == 16_000
    # half the left channel's amplitude (0.4 / 2), now at 16 kHz
    assert clip.waveform.abs().max() == pytest.approx(0.2, abs=0.01)


def test_unreadable_files_are_skipped_and_counted(tmp_path):
    soundfile.write(tmp_path / "good.wav", tone(440, 1.0), 16_000)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF not really a wave file")
    soundfile.write(tmp_path / "nan.wav", np.full(100, np.nan, dtype=np.float32), 16_000,
                    subtype="FLOAT")
    lines = [
        {"audio": "good.wav", "caption": "a"},
        {"audio": "missing.wav", "caption": "b"},
        {"audio": "corrupt.wav", "caption": "c"},
        {"audio": "good.wav", "caption": "d", "offset_s": 5.0},
        {"audio": "nan.wav", "caption": "e"},
        {"audio": "good.wav", "caption": "f"},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    skips = SkipLog(report=False)
    clips = list(read_clips(read_manifest(manifest), SETTINGS, skips))
    assert [e.caption for e, _ in clips] == ["a", "f"]
    assert skips.count == 4
    reasons = {item.line_number: item.reason for item in skips.skipped}
    assert "no such file" in reasons[2]
    assert "cannot decode" in reasons[3]
    assert "past the end" in reasons[4]
    assert "NaN" in reasons[5]


def test_clip_settings_reject_nonsense():
    with pytest.raises(ValueError, match="clip_seconds"):
        ClipSettings(clip_seconds=0)
    assert ClipSettings().num_samples == 480_000  # the paper's 10 s at 48 kHz
