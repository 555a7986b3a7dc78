"""Audio in and out with real pedalboard I/O: formats, regions, resampling, levels, WAV writing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from semanticaudio.bridge import audio_io
from semanticaudio.bridge.audio_io import Audio, AudioError

from tests.bridge.helpers import file_size_limit, tone, write_audio


def dominant_hz(mono: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3", ".aiff"])
def test_every_input_format_reads_the_asked_region(tmp_path: Path, suffix: str) -> None:
    path = write_audio(tmp_path / f"in{suffix}", tone(2.0, 44100), 44100)
    info = audio_io.probe(path)
    assert (info.sample_rate_hz, info.num_channels) == (44100, 2)
    assert info.duration_s >= 1.99  # MP3 adds encoder padding, never removes audio
    region = audio_io.read_region(info, 0.5, 1.0)
    assert region.samples.shape == (2, 44100)
    assert region.samples.dtype == np.float32
    assert dominant_hz(region.samples[0], 44100) == pytest.approx(440, abs=3)
    assert audio_io.rms(region.samples[1]) < audio_io.rms(region.samples[0])  # channels kept


def test_region_offset_is_exact_for_pcm(tmp_path: Path) -> None:
    ramp = np.arange(48000, dtype=np.float32)[None] / 48000  # value = time in seconds
    info = audio_io.probe(write_audio(tmp_path / "ramp.wav", ramp * 0.5, 48000))
    region = audio_io.read_region(info, 0.25, 0.5)
    assert region.num_frames == 24000
    assert region.samples[0, 0] == pytest.approx(0.125, abs=1e-4)
    assert region.samples[0, -1] == pytest.approx(0.5 * (0.75 - 1 / 48000), abs=1e-4)


@pytest.mark.parametrize(("suffix", "subtype", "full_scale"), [
    (".wav", "PCM_16", 2**15), (".flac", "PCM_24", 2**23), (".aiff", "PCM_16", 2**15),
    (".wav", "PCM_U8", 2**7)])
def test_integer_samples_read_as_a_daw_reads_them(
    tmp_path: Path, suffix: str, subtype: str, full_scale: int
) -> None:
    """Integer sample k is k / 2**(bits - 1), as soundfile and the DAWs read it: pedalboard's
    k / (2**(bits - 1) - 1) made a 16-bit recording 0.0003 dB louder, bit for bit nowhere, and
    its negative full scale -32768 a peak above 1.0 that turned a whole region edit down."""
    steps = np.array([-full_scale, -full_scale + 1, -3, -1, 0, 1, 5, full_scale - 1])
    path = tmp_path / f"int{suffix}"
    soundfile.write(str(path), np.tile(steps / full_scale, 4), 8000, subtype=subtype)
    expected = soundfile.read(str(path), dtype="float32")[0]
    region = audio_io.read_region(audio_io.probe(path), 0.0, 32 / 8000).samples
    assert np.array_equal(region[0], expected)
    assert region[0, 0] == -1.0 and float(np.abs(region).max()) == 1.0


def test_not_audio_is_an_audio_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("hello")
    with pytest.raises(AudioError, match="cannot be read as audio") as caught:
        audio_io.probe(path)
    assert caught.value.kind == "audio"


@pytest.mark.parametrize(("from_hz", "to_hz"), [(44100, 16000), (16000, 48000), (22050, 22050)])
def test_resampling_keeps_pitch_and_gives_exact_lengths(from_hz: int, to_hz: int) -> None:
    samples = tone(1.0, from_hz, channels=2).astype(np.float32)
    out = audio_io.resample(samples, from_hz, to_hz)
    assert out.shape == (2, to_hz)
    assert dominant_hz(out[0], to_hz) == pytest.approx(440, abs=2)
    assert audio_io.rms(out[0]) == pytest.approx(audio_io.rms(samples[0]), rel=0.02)


def test_resampling_is_aligned_in_time() -> None:
    """A click stays where it was: pedalboard's resampler delay is compensated."""
    click = np.zeros((1, 44100), np.float32)
    click[0, 22050] = 1.0
    out = audio_io.resample(click, 44100, 16000)
    assert abs(int(np.argmax(np.abs(out[0]))) - 8000) <= 1


def test_mixdown_and_channels() -> None:
    stereo = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    assert audio_io.mixdown(stereo).tolist() == [0.5, 0.5]
    assert audio_io.to_channels(np.array([1.0, 2.0]), 3).shape == (3, 2)


def test_splice_keeps_the_source_outside_the_range_exactly() -> None:
    source = np.ones((2, 1000), np.float32)
    edited = np.full((2, 1000), -1.0, np.float32)
    out = audio_io.splice(source, edited, 300, 700, fade=50)
    assert np.array_equal(out[:, :300], source[:, :300])
    assert np.array_equal(out[:, 700:], source[:, 700:])
    assert np.array_equal(out[:, 350:650], edited[:, 350:650])
    assert np.all(np.diff(out[0, 300:350]) < 0)  # a ramp, not a step


def test_loudness_gain_matches_rms_within_limits() -> None:
    reference = tone(1.0, 8000, channels=1) * 0.5
    quiet = reference * 0.1
    gain = audio_io.loudness_gain(quiet, reference)
    assert audio_io.rms(quiet * gain) == pytest.approx(audio_io.rms(reference), rel=1e-6)
    assert audio_io.loudness_gain(reference * 1e-4, reference) == pytest.approx(10.0)  # +20 dB cap
    assert audio_io.loudness_gain(np.zeros((1, 100)), reference) == 1.0


def test_prevent_clipping_only_acts_when_needed() -> None:
    fine = np.array([[0.5, -0.99]], np.float32)
    same, gain = audio_io.prevent_clipping(fine)
    assert same is fine
    assert gain == 1.0
    loud = np.array([[2.0, -4.0]], np.float32)
    scaled, gain = audio_io.prevent_clipping(loud)
    assert np.max(np.abs(scaled)) == pytest.approx(audio_io.PEAK_CEILING)
    assert scaled[0, 0] / scaled[0, 1] == pytest.approx(-0.5)  # one gain for the whole take
    with pytest.raises(AudioError, match="NaN"):
        audio_io.prevent_clipping(np.array([[np.nan]], np.float32))


@pytest.mark.parametrize(("bit_depth", "subtype"), [(16, "PCM_16"), (24, "PCM_24"), (32, "FLOAT")])
def test_write_wav_formats(tmp_path: Path, bit_depth: int, subtype: str) -> None:
    path = tmp_path / "out.wav"
    audio_io.write_wav(path, Audio(tone(0.5, 22050).astype(np.float32), 22050), bit_depth)
    info = soundfile.info(str(path))
    assert (info.subtype, info.samplerate, info.channels, info.frames) == (
        subtype, 22050, 2, 11025)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")
def test_a_write_that_fails_is_an_os_error_naming_the_file(tmp_path: Path) -> None:
    """pedalboard reports a failed write (full disk, file size limit) as a bare RuntimeError;
    write_wav raises it as the OSError that callers handle as a file-system failure."""
    path = tmp_path / "big.wav"
    with file_size_limit(20_000), pytest.raises(OSError, match="Unable to write") as caught:
        audio_io.write_wav(path, Audio(np.zeros((2, 48000), np.float32), 48000), 24)
    assert caught.value.filename == str(path)


def test_an_mp3_region_is_where_a_daw_hears_it(tmp_path: Path) -> None:
    """pedalboard reads an MP3 with the encoder's delay left in (25 ms late at 44.1 kHz); the
    engine must hear the region the DAW shows, as `sa edit` (soundfile) does."""
    import soundfile

    rate = 44100
    t = np.arange(2 * rate) / rate
    burst = (0.5 * np.sin(2 * np.pi * 440 * t) * ((t > 0.5) & (t < 0.6))).astype(np.float32)
    path = tmp_path / "burst.mp3"
    soundfile.write(str(path), burst, rate, format="MP3")
    info = audio_io.probe(path)
    assert (info.sample_rate_hz, info.num_channels, info.num_frames) == (rate, 1, 2 * rate)
    region = audio_io.read_region(info, 0.4, 0.3).samples
    onset = int(np.argmax(np.abs(region[0]) > 0.1))
    assert abs(onset - round(0.1 * rate)) <= 10  # 0.1 s into the region, within a few samples
