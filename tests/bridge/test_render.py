"""The renderer on the real tiny pipeline: files, rates, channels, regions, presets, effects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from semanticaudio.bridge import audio_io
from semanticaudio.bridge.jobs import JobHooks
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request
from semanticaudio.bridge.render import Renderer
from semanticaudio.engine.errors import Cancelled

from tests.bridge.helpers import FAKE_PLUGIN_PRESET, tone, write_audio

FAST = "steps=2;synth_steps=2"
HOT_PRESET = """schema_version = 1
name = "hot"
description = "+24 dB twice: would clip without the guard"
kind = "generate"

[prompts]
target = "{target}"

[output]
match_loudness = false

[[effects]]
plugin = "Gain"
params = { gain_db = 24.0 }

[[effects]]
plugin = "Gain"
params = { gain_db = 24.0 }
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PresetLibrary:
    folder = tmp_path_factory.mktemp("presets")
    (folder / "broken-plugin.toml").write_text(FAKE_PLUGIN_PRESET)
    (folder / "fake.vst3").write_text("not a plug-in")
    (folder / "hot.toml").write_text(HOT_PRESET)
    return PresetLibrary.load(folder)


@pytest.fixture
def renderer(tiny_pipeline: Any, library: PresetLibrary) -> Renderer:
    return Renderer(tiny_pipeline, library)


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.calls: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def progress(self, fraction: float, stage: str) -> None:
        self.calls.append((fraction, stage))

    def should_cancel(self) -> bool:
        return self.cancel_after is not None and len(self.calls) >= self.cancel_after

    def hooks(self) -> JobHooks:
        return JobHooks(self.progress, self.should_cancel)


def generate(out_dir: Path, options: str, prompt: str = "rain on a roof", duration_s=0.5):
    return decode_request("/sa/generate", ["g1", 9000, prompt, duration_s, str(out_dir), options])


def edit(in_path: Path, out_dir: Path, options: str, start_s=0.25, length_s=1.0):
    return decode_request("/sa/edit", ["e1", 9000, str(in_path), start_s, length_s, "rain",
                                       "heavy rain", str(out_dir), options])


def read(path: Path) -> tuple[np.ndarray, soundfile._SoundFileInfo]:
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    return data.T, soundfile.info(str(path))


def test_generate_writes_one_mono_take_at_the_model_rate(renderer: Renderer, tmp_path: Path):
    recorder = Recorder()
    result = renderer.render(generate(tmp_path, FAST), recorder.hooks())
    (path,) = result.paths
    assert path.name == "sa_gen_rain-on-a-roof_g1_v1.wav"
    samples, info = read(path)
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (
        16000, 1, 8000, "PCM_24")
    assert np.all(np.isfinite(samples))
    assert np.max(np.abs(samples)) > 1e-4  # not silence
    assert recorder.calls[-1][0] == 1.0
    assert result.timings.seconds["model"] > 0
    assert result.timings.bridge_s > 0


def test_variations_rate_channels_and_bit_depth(renderer: Renderer, tmp_path: Path) -> None:
    options = f"{FAST};variations=3;sample_rate=44100;channels=2;bit_depth=32;seed=5"
    paths = renderer.render(generate(tmp_path, options), Recorder().hooks()).paths
    assert [p.name[-7:] for p in paths] == ["_v1.wav", "_v2.wav", "_v3.wav"]
    takes = []
    for path in paths:
        samples, info = read(path)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (
            44100, 2, 22050, "FLOAT")
        assert np.array_equal(samples[0], samples[1])  # mono model output in both channels
        takes.append(samples[0])
    assert not np.allclose(takes[0], takes[1])  # each variation is its own draw


def test_edit_keeps_the_source_format_and_length(renderer: Renderer, tmp_path: Path) -> None:
    source = write_audio(tmp_path / "src.flac", tone(2.0, 44100, channels=2), 44100)
    (path,) = renderer.render(edit(source, tmp_path, FAST), Recorder().hooks()).paths
    assert path.name == "sa_edit_heavy-rain_e1_v1.wav"
    samples, info = read(path)
    assert (info.samplerate, info.channels, info.frames) == (44100, 2, 44100)
    assert np.max(np.abs(samples)) <= 1.0


def test_region_edit_keeps_source_samples_outside_the_range(
    renderer: Renderer, tmp_path: Path
) -> None:
    source_audio = tone(2.0, 48000, channels=2)
    source = write_audio(tmp_path / "src.wav", source_audio, 48000)
    options = f"{FAST};range=0.25:0.75;bit_depth=32"
    (path,) = renderer.render(edit(source, tmp_path, options), Recorder().hooks()).paths
    out, _ = read(path)
    # start_s 0.25, length 1.0, read as the bridge reads it (pedalboard scales int16 by 1/32767)
    region = audio_io.read_region(audio_io.probe(source), 0.25, 1.0).samples
    assert np.array_equal(out[:, :12000], region[:, :12000])  # before 0.25 s into the region
    assert np.array_equal(out[:, 36000:], region[:, 36000:])  # after 0.75 s
    assert not np.allclose(out[:, 14000:34000], region[:, 14000:34000], atol=1e-3)


def test_match_loudness_levels_the_edit_to_the_source(renderer: Renderer, tmp_path: Path) -> None:
    source = write_audio(tmp_path / "src.wav", tone(2.0, 16000, channels=1) * 0.5, 16000)
    reference = audio_io.read_region(audio_io.probe(source), 0.25, 1.0).samples
    levels = {}
    for flag in ("0", "1"):
        options = f"{FAST};seed=1;bit_depth=32;match_loudness={flag}"
        (path,) = renderer.render(edit(source, tmp_path, options), Recorder().hooks()).paths
        out, _ = read(path)
        levels[flag] = float(np.sqrt(np.mean(out**2)))
    target = float(np.sqrt(np.mean(reference**2)))
    assert 0.1 < levels["0"] / target < 10  # inside the ±20 dB the match may apply
    assert levels["1"] == pytest.approx(target, rel=1e-3)
    assert levels["0"] != pytest.approx(target, rel=0.05)


def high_band_share(samples: np.ndarray, rate: int, above_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples[0])) ** 2
    freqs = np.fft.rfftfreq(samples.shape[1], 1 / rate)
    return float(spectrum[freqs > above_hz].sum() / spectrum.sum())


def test_a_preset_effect_chain_runs_after_rendering(renderer: Renderer, tmp_path: Path) -> None:
    plain = renderer.render(generate(tmp_path, f"{FAST};seed=3;variations=1", duration_s=2.0),
                            Recorder().hooks())
    phone = renderer.render(
        generate(tmp_path, f"{FAST};seed=3;variations=1;preset=telephone", duration_s=2.0),
        Recorder().hooks())
    raw, _ = read(plain.paths[0])
    filtered, _ = read(phone.paths[0])
    assert raw.shape == filtered.shape  # effects keep the length
    assert high_band_share(filtered, 16000, 4500) < 0.5 * high_band_share(raw, 16000, 4500)
    assert phone.timings.seconds["effects"] > 0


def test_effects_that_would_clip_are_scaled_to_the_ceiling(renderer: Renderer, tmp_path: Path):
    (path,) = renderer.render(generate(tmp_path, f"{FAST};preset=hot;bit_depth=32"),
                              Recorder().hooks()).paths
    samples, _ = read(path)
    assert np.max(np.abs(samples)) == pytest.approx(10 ** (-0.1 / 20), rel=1e-5)


def test_a_plugin_that_fails_to_load_is_an_error_before_the_model_runs(
    renderer: Renderer, tmp_path: Path
) -> None:
    recorder = Recorder()
    with pytest.raises(ProtocolError) as caught:
        renderer.render(generate(tmp_path, f"{FAST};preset=broken-plugin"), recorder.hooks())
    assert caught.value.code is ErrorCode.PLUGIN_ERROR
    assert "fake.vst3" in caught.value.message
    assert recorder.calls == []
    assert list(tmp_path.iterdir()) == []


def test_preset_of_the_wrong_kind_is_a_bad_option(renderer: Renderer, tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        renderer.render(generate(tmp_path, "preset=weather-change"), Recorder().hooks())
    assert caught.value.code is ErrorCode.BAD_OPTION
    assert "edit preset" in caught.value.message


def test_cancel_stops_within_one_step_and_writes_nothing(
    renderer: Renderer, tmp_path: Path
) -> None:
    recorder = Recorder(cancel_after=2)
    request = generate(tmp_path, "steps=50;synth_steps=50", duration_s=2.0)
    with pytest.raises(Cancelled):
        renderer.render(request, recorder.hooks())
    assert len(recorder.calls) <= 3  # the step in flight may still report
    assert list(tmp_path.iterdir()) == []
