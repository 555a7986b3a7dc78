"""The renderer on the real tiny pipeline: files, rates, channels, regions, presets, effects."""

from __future__ import annotations

import sys
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

from tests.bridge.helpers import FAKE_PLUGIN_PRESET, file_size_limit, tone, write_audio

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


HALL_EDIT_PRESET = """schema_version = 1
name = "hall-edit"
description = "an edit template with a long reverb"
kind = "edit"

[prompts]
target = "{target}"

[[effects]]
plugin = "Reverb"
params = { room_size = 0.95, wet_level = 0.5, dry_level = 0.5 }
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PresetLibrary:
    folder = tmp_path_factory.mktemp("presets")
    (folder / "hall-edit.toml").write_text(HALL_EDIT_PRESET)
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
    # start_s 0.25, length 1.0, read as the bridge reads it
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
    # the filters, the compressor and the codec ring on briefly after the take: that is kept
    assert raw.shape[0] == filtered.shape[0] and 0 <= filtered.shape[1] - raw.shape[1] < 8000
    assert high_band_share(filtered[:, :raw.shape[1]], 16000, 4500) < 0.5 * high_band_share(
        raw, 16000, 4500)
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


def test_the_minimum_length_works_at_odd_sample_rates(renderer: Renderer, tmp_path: Path):
    """0.5 s of 11025 Hz is 5512 frames (5512.5 rounds to even), 7999 at the model's 16 kHz:
    the engine used to refuse it as shorter than its 0.5 s minimum."""
    source = write_audio(tmp_path / "odd.wav", tone(2.0, 11025, channels=1), 11025)
    request = edit(source, tmp_path, f"{FAST};n_max=1;n_min=0", start_s=0.0, length_s=0.5)
    (path,) = renderer.render(request, Recorder().hooks()).paths
    _, info = read(path)
    assert (info.samplerate, info.frames) == (11025, 5512)  # the region's own length


def test_a_range_ending_at_the_region_end_is_edited(renderer: Renderer, tmp_path: Path) -> None:
    """length_s 1.00003 s is 44101 frames at 44.1 kHz but 16000 samples (1.0 s) at the model's
    rate; the range ending at length_s used to pass the engine's end and fail there."""
    source = write_audio(tmp_path / "src.wav", tone(3.0, 44100, channels=2), 44100)
    length_s = float(np.float32(1.00003))
    request = edit(source, tmp_path, f"{FAST};bit_depth=32;range=0.5:{length_s!r}", start_s=0.0,
                   length_s=length_s)
    assert request.options.range_s == (0.5, length_s)
    (path,) = renderer.render(request, Recorder().hooks()).paths
    out, info = read(path)
    assert info.frames == 44101
    region = audio_io.read_region(audio_io.probe(source), 0.0, length_s).samples
    assert np.array_equal(out[:, :22050], region[:, :22050])  # before the range: the source


@pytest.mark.parametrize("options", ["n_max=0", "n_min=6", "n_max=7", "steps=3;n_min=3"])
def test_flowedit_settings_the_engine_refuses_are_a_bad_option_before_the_model(
    renderer: Renderer, tmp_path: Path, options: str
) -> None:
    """The tiny checkpoint's defaults are 6 steps, n_max 5, n_min 1."""
    source = write_audio(tmp_path / "src.wav", tone(2.0, 16000, channels=1), 16000)
    request = edit(source, tmp_path, options)
    recorder = Recorder()
    for attempt in (renderer.check, lambda r: renderer.render(r, recorder.hooks())):
        with pytest.raises(ProtocolError) as caught:
            attempt(request)
        assert caught.value.code is ErrorCode.BAD_OPTION
        assert "0 <= n_min <= n_max <= steps" in caught.value.message
    assert recorder.calls == []
    assert list(tmp_path.iterdir()) == [source]


def test_an_output_above_the_limit_is_too_long_before_the_model(
    renderer: Renderer, tmp_path: Path
) -> None:
    """The protocol's maxima on 5 s: 8 × 32 × 960000 samples, 1.9 GB more daemon memory."""
    request = generate(tmp_path, "variations=8;channels=32;sample_rate=192000;bit_depth=32",
                       duration_s=5.0)
    recorder = Recorder()
    for attempt in (renderer.check, lambda r: renderer.render(r, recorder.hooks())):
        with pytest.raises(ProtocolError) as caught:
            attempt(request)
        assert caught.value.code is ErrorCode.TOO_LONG
        assert "245,760,000 samples (8 variations × 32 channels × 960,000 frames" in (
            caught.value.message)
    assert recorder.calls == []
    source = write_audio(tmp_path / "wide.wav", tone(2.0, 48000, channels=32), 48000)
    with pytest.raises(ProtocolError, match="32 channels"):  # an edit keeps the source's
        renderer.check(edit(source, tmp_path, "variations=8;sample_rate=192000", 0.0, 2.0))
    renderer.check(edit(source, tmp_path, "variations=8;channels=2;sample_rate=192000", 0.0, 2.0))


def test_an_out_dir_gone_while_queued_is_bad_path_before_the_model(
    renderer: Renderer, tmp_path: Path
) -> None:
    out_dir = tmp_path / "renders"
    out_dir.mkdir()
    request = generate(out_dir, FAST)
    out_dir.rmdir()
    recorder = Recorder()
    with pytest.raises(ProtocolError) as caught:
        renderer.render(request, recorder.hooks())
    assert caught.value.code is ErrorCode.BAD_PATH
    assert "does not exist" in caught.value.message
    assert recorder.calls == []


def test_an_out_dir_gone_while_the_model_runs_is_bad_path_and_keeps_nothing(
    renderer: Renderer, tmp_path: Path
) -> None:
    out_dir = tmp_path / "renders"
    out_dir.mkdir()

    def remove_the_folder(fraction: float, stage: str) -> None:
        if out_dir.exists():
            out_dir.rmdir()

    hooks = JobHooks(remove_the_folder, lambda: False)
    with pytest.raises(ProtocolError) as caught:
        renderer.render(generate(out_dir, f"{FAST};variations=2"), hooks)
    assert caught.value.code is ErrorCode.BAD_PATH
    assert f"could not be written into out_dir '{out_dir}'" in caught.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")
def test_a_write_that_fails_on_a_full_disk_is_bad_path_and_keeps_nothing(
    renderer: Renderer, tmp_path: Path
) -> None:
    """The file size limit fails pedalboard's write as a full disk does; it used to end the
    job as an internal_error ("a bug in sa-engine") instead of naming the folder."""
    request = generate(tmp_path, f"{FAST};sample_rate=48000;channels=2;variations=2",
                       duration_s=1.0)  # 288 KB a file
    with file_size_limit(64_000), pytest.raises(ProtocolError) as caught:
        renderer.render(request, Recorder().hooks())
    assert caught.value.code is ErrorCode.BAD_PATH
    assert f"could not be written into out_dir '{tmp_path}'" in caught.value.message
    assert "no file was kept" in caught.value.message
    assert list(tmp_path.iterdir()) == []  # no temporary file either


def test_a_generated_take_keeps_its_reverb_tail_and_an_edit_its_length(
    renderer: Renderer, tmp_path: Path
) -> None:
    """A sound designer prints a reverb with its tail: a generated take rings on after its
    duration until the tail has decayed 60 dB below the take's peak. An edit must line up with
    its source, so there the tail is cut."""
    request = generate(tmp_path, f"{FAST};seed=1;preset=big-hall;bit_depth=32", duration_s=1.0)
    (path,) = renderer.render(request, Recorder().hooks()).paths
    samples, info = read(path)
    take_frames = 16000  # 1 s at the model's rate
    assert info.frames > take_frames + 16000  # big-hall rings for seconds after the take
    tail = samples[:, take_frames:]
    assert np.abs(tail[:, :1600]).max() > 10 ** (-40 / 20)  # right after the take: loud
    peak = np.abs(samples[:, :take_frames]).max()
    assert np.abs(tail[:, -160:]).max() <= peak * 10 ** (-60 / 20) * 1.5  # 60 dB down: the end
    assert info.frames <= take_frames + 8 * 16000  # at most MAX_TAIL_S
    source = write_audio(tmp_path / "src.wav", tone(1.0, 16000, channels=1), 16000)
    (edited,) = renderer.render(edit(source, tmp_path, f"{FAST};preset=hall-edit", 0.0, 1.0),
                                Recorder().hooks()).paths
    assert read(edited)[1].frames == 16000  # the region's length, tail cut


def test_a_region_edit_that_would_clip_keeps_the_source_samples_around_it(
    renderer: Renderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit that peaks above full scale (here levelled 34 dB up): the guard turns the edited
    range down alone, so a DAW can splice the file in without a level step around it."""
    monkeypatch.setattr(audio_io, "loudness_gain", lambda *_: 50.0)
    source_audio = 0.98 * tone(1.0, 48000, channels=1) / 0.3  # a sine just under full scale
    source = write_audio(tmp_path / "loud.wav", source_audio, 48000)
    options = f"{FAST};seed=2;range=0.25:0.75;bit_depth=32"
    (path,) = renderer.render(edit(source, tmp_path, options, 0.0, 1.0), Recorder().hooks()).paths
    out, _ = read(path)
    region = audio_io.read_region(audio_io.probe(source), 0.0, 1.0).samples
    peak = float(np.max(np.abs(out[:, 12000:36000])))  # the range
    assert 0.5 < peak <= audio_io.PEAK_CEILING + 1e-6  # loud, turned down under full scale
    assert np.array_equal(out[:, :12000], region[:, :12000])
    assert np.array_equal(out[:, 36000:], region[:, 36000:])


def test_an_edit_templates_effects_colour_the_edited_range_alone(
    renderer: Renderer, tmp_path: Path
) -> None:
    """The chain runs on the edit before it is spliced in: around the range the file is the
    source's own samples, inside it the reverb is heard."""
    source = write_audio(tmp_path / "src.wav", tone(1.0, 48000, channels=2), 48000)
    options = f"{FAST};seed=2;range=0.25:0.75;bit_depth=32;preset=hall-edit"
    (path,) = renderer.render(edit(source, tmp_path, options, 0.0, 1.0), Recorder().hooks()).paths
    out, _ = read(path)
    region = audio_io.read_region(audio_io.probe(source), 0.0, 1.0).samples
    assert np.array_equal(out[:, :12000], region[:, :12000])
    assert np.array_equal(out[:, 36000:], region[:, 36000:])
    plain = renderer.render(edit(source, tmp_path, f"{FAST};seed=2;range=0.25:0.75;bit_depth=32",
                                 0.0, 1.0), Recorder().hooks()).paths[0]
    assert not np.allclose(out[:, 13000:35000], read(plain)[0][:, 13000:35000], atol=1e-3)


def test_a_region_edit_that_comes_out_nan_is_an_engine_error(
    renderer: Renderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_io, "loudness_gain", lambda *_: float("nan"))
    source = write_audio(tmp_path / "src.wav", tone(1.0, 48000, channels=1), 48000)
    with pytest.raises(ProtocolError) as caught:
        renderer.render(edit(source, tmp_path, f"{FAST};range=0.25:0.75", 0.0, 1.0),
                        Recorder().hooks())
    assert caught.value.code is ErrorCode.ENGINE_ERROR and "NaN" in caught.value.message
    assert [p.name for p in tmp_path.iterdir()] == ["src.wav"]


def test_a_16_bit_recording_at_full_scale_keeps_its_samples_around_the_range(
    renderer: Renderer, tmp_path: Path
) -> None:
    """A 16-bit take with a sample at -32768 (clipped, or normalised to 0 dBFS): around the
    range the file holds the take's own samples as a DAW reads them. pedalboard read -32768 as
    -1.00003, and the clipping guard turned the whole file down 0.1 dB: a level step at the
    split points."""
    take = (0.5 * tone(1.0, 48000, channels=1) / 0.3).astype(np.float32)
    take[0, 100] = -1.0
    source = tmp_path / "take16.wav"
    soundfile.write(str(source), take[0], 48000, subtype="PCM_16")
    options = f"{FAST};seed=2;range=0.25:0.75;bit_depth=32"
    (path,) = renderer.render(edit(source, tmp_path, options, 0.0, 1.0), Recorder().hooks()).paths
    out, _ = read(path)
    original = soundfile.read(str(source), dtype="float32", always_2d=True)[0].T
    assert np.array_equal(out[:, :12000], original[:, :12000])
    assert np.array_equal(out[:, 36000:], original[:, 36000:])


def test_a_generated_takes_effect_tail_counts_toward_the_output_limit(renderer: Renderer,
                                                                     tmp_path: Path) -> None:
    """30 s of 8 stereo takes at 96 kHz is 46 M samples; with big-hall's chain each take may
    ring on for up to 8 s more (58 M), past the 50 M a job may write. Without a chain it fits."""
    options = "variations=8;channels=2;sample_rate=96000"
    renderer.check(generate(tmp_path, options, duration_s=30.0))
    with pytest.raises(ProtocolError) as caught:
        renderer.check(generate(tmp_path, f"{options};preset=big-hall", duration_s=30.0))
    assert caught.value.code is ErrorCode.TOO_LONG
    assert "30 s and up to 8 s of the effects' tail" in caught.value.message


def test_a_quiet_take_keeps_as_long_a_tail_as_a_loud_one() -> None:
    """The tail ends 60 dB below the take's own peak (as RT60 measures a reverb), not at a
    fixed level: a quiet take is not cut off earlier than a loud one."""
    import pedalboard
    from semanticaudio.bridge.render import apply_chain

    hall = pedalboard.Pedalboard([pedalboard.Reverb(room_size=0.9, wet_level=0.5)])
    click = np.zeros((1, 16000), np.float32)
    click[0, 100:110] = 1.0
    loud = apply_chain(hall, click, 16000, tail_s=8.0)
    quiet = apply_chain(hall, 0.1 * click, 16000, tail_s=8.0)  # 20 dB quieter
    assert loud.shape[1] > 16000 + 8000
    assert abs(quiet.shape[1] - loud.shape[1]) < 0.05 * loud.shape[1]
