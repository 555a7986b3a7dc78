"""``sa edit`` keeps the recording: never overwritten, its channels and rate kept, its own
samples outside --range, turned down rather than clipped; --start and --length edit a region of
a recording of any length, reading only that region, and write the region as sa-engine does."""

import numpy as np
import pytest
import soundfile
from semanticaudio.bridge.audio_io import PEAK_CEILING
from semanticaudio.engine.cli import main

from tests.engine.cli.helpers import QUICK, daemon_edit, write_tones


def test_variations_never_overwrite_the_input(tmp_path, model, capsys):
    take = tmp_path / "take_v1.wav"
    write_tones(take, (0.3,))
    before = take.read_bytes()
    code = main(["edit", str(take), "--target", "rain", "--variations", "2",
                 "-o", str(tmp_path / "take.wav"), "--overwrite", *QUICK, *model])
    assert code == 1 and take.read_bytes() == before
    assert not (tmp_path / "take_v2.wav").exists()
    err = capsys.readouterr().err
    assert "is the input file" in err and "not even with --overwrite" in err


@pytest.mark.parametrize("link", ["hard", "symbolic"])
def test_a_link_to_the_input_is_the_input(tmp_path, model, no_model_load, capsys, link):
    take = tmp_path / "take.wav"
    write_tones(take, (0.3,))
    other = tmp_path / "other.wav"
    if link == "hard":
        other.hardlink_to(take)
    else:
        other.symlink_to(take)
    assert main(["edit", str(take), "--target", "rain", "-o", str(other), "--overwrite",
                 *model]) == 1
    assert "is the input file" in capsys.readouterr().err


def test_a_stereo_region_edit_keeps_both_channels_untouched_outside_the_range(tmp_path, model,
                                                                              capsys):
    source = tmp_path / "stereo.wav"
    rate = 22050
    original = write_tones(source, (0.3, 0.2), sample_rate_hz=rate)  # (frames, 2), L != R
    out = tmp_path / "edited.wav"
    assert main(["edit", str(source), "--target", "rain", "--range", "0.25", "0.75",
                 "-o", str(out), *QUICK, *model]) == 0
    info = soundfile.info(str(out))
    assert (info.channels, info.samplerate, info.frames) == (2, rate, len(original))
    edited = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    start, end = round(0.25 * rate), round(0.75 * rate)
    assert np.array_equal(edited[:start], original[:start])
    assert np.array_equal(edited[end:], original[end:])
    assert not np.array_equal(edited[start:end], original[start:end])


def test_a_whole_file_edit_puts_the_edit_in_every_channel(tmp_path, model, capsys):
    source = tmp_path / "stereo.wav"
    original = write_tones(source, (0.3, 0.2))
    out = tmp_path / "edited.wav"
    assert main(["edit", str(source), "--target", "rain", "-o", str(out), *QUICK, *model]) == 0
    edited = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    assert edited.shape == original.shape
    assert np.array_equal(edited[:, 0], edited[:, 1])


def test_float_input_over_full_scale_is_turned_down_not_clipped(tmp_path, model, capsys):
    source = tmp_path / "loud.wav"
    original = write_tones(source, (1.2,), subtype="FLOAT")[:, 0]  # peaks at +1.6 dBFS
    out = tmp_path / "edited.wav"
    assert main(["edit", str(source), "--target", "rain", "--range", "0.25", "0.75",
                 "-o", str(out), *QUICK, *model]) == 0
    edited = soundfile.read(str(out), dtype="float32")[0]
    outside = np.r_[0:4000, 12000:16000]
    peak = outside[np.argmax(np.abs(original[outside]))]
    gain = edited[peak] / original[peak]  # one gain for the whole file, as the daemon applies
    assert gain < 1.0 and np.abs(edited).max() <= PEAK_CEILING + 1e-6
    np.testing.assert_allclose(edited[outside], original[outside] * gain, atol=1e-6)


@pytest.fixture
def frames_read(monkeypatch):
    """How many frames each soundfile read returned (the reads themselves are the real ones)."""
    counts = []
    real_read = soundfile.SoundFile.read

    def read(self, *args, **kwargs):
        data = real_read(self, *args, **kwargs)
        counts.append(len(data))
        return data

    monkeypatch.setattr(soundfile.SoundFile, "read", read)
    return counts


def test_a_recording_too_long_to_edit_is_refused_without_reading_it_whole(
        tmp_path, model, no_model_load, frames_read, capsys):
    source = tmp_path / "long.wav"
    rate = 8000
    write_tones(source, (0.3,), sample_rate_hz=rate, duration_s=40.0)
    frames_read.clear()  # write_tones read the file back
    assert main(["edit", str(source), "--target", "rain", "-o", str(tmp_path / "e.wav"),
                 *model]) == 1
    err = capsys.readouterr().err
    assert "long.wav: the audio lasts 40.000 s; edits take 0.5 to 30.0 s" in err
    assert "give --start S and --length L" in err  # what to do about it
    assert max(frames_read, default=0) <= 30 * rate + 1  # a two-hour take would not fill memory


def test_a_region_of_a_long_recording_is_edited_reading_only_the_region(
        tmp_path, model, frames_read, capsys):
    """--start 31 --length 2 of a 40 s stereo take: the output is those 2 s, in the take's rate
    and channels, its own samples outside --range, which counts from --start."""
    source = tmp_path / "long.wav"
    rate = 8000
    original = write_tones(source, (0.3, 0.2), sample_rate_hz=rate, duration_s=40.0)
    frames_read.clear()  # write_tones read the file back
    out = tmp_path / "region.wav"
    assert main(["edit", str(source), "--target", "rain", "--start", "31", "--length", "2",
                 "--range", "0.5", "1.5", "-o", str(out), *QUICK, *model]) == 0
    assert sum(frames_read) <= 2 * rate  # only the region, never the 40 s
    info = soundfile.info(str(out))
    assert (info.channels, info.samplerate, info.frames) == (2, rate, 2 * rate)
    edited = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    region = original[31 * rate:33 * rate]
    start, end = round(0.5 * rate), round(1.5 * rate)
    assert np.array_equal(edited[:start], region[:start])
    assert np.array_equal(edited[end:], region[end:])
    assert not np.allclose(edited[start:end], region[start:end], atol=1e-3)


def test_without_length_the_region_runs_to_the_end_of_the_file(tmp_path, model, capsys):
    source = tmp_path / "long.wav"
    write_tones(source, (0.3,), sample_rate_hz=8000, duration_s=40.0)
    out = tmp_path / "tail.wav"
    assert main(["edit", str(source), "--target", "rain", "--start", "37.5", "-o", str(out),
                 *QUICK, *model]) == 0
    assert soundfile.info(str(out)).frames == 2.5 * 8000


@pytest.mark.parametrize(("subtype", "amplitudes"), [("PCM_24", (0.03, 0.02)),
                                                     ("PCM_16", (0.3, 0.2))])
def test_a_region_edit_gives_the_daemons_file(tiny_checkpoint_dir, tiny_pipeline, tmp_path,
                                              capsys, subtype, amplitudes):
    """The same region and range from `sa edit` and from sa-engine (what `sa-client edit
    --start 31.25 --length 2 --range 0.5 1.5` sends): the same samples. A 16-bit take too,
    which the daemon read 1/32767 louder than sa (pedalboard's scale, not soundfile's)."""
    source = tmp_path / "long.wav"
    write_tones(source, amplitudes, sample_rate_hz=44100, duration_s=34.0, subtype=subtype)
    out = tmp_path / "cli.wav"
    assert main(["edit", str(source), "--source", "a tone", "--target", "rain falls",
                 "--start", "31.25", "--length", "2", "--range", "0.5", "1.5", "--seed", "1",
                 "--synth-steps", "2", "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    daemon = daemon_edit(tiny_pipeline, source, tmp_path / "daemon", 31.25, 2.0,
                         "seed=1;synth_steps=2;range=0.5:1.5")
    cli = soundfile.read(str(out))[0]
    assert cli.shape == daemon.shape == (88200, 2)
    np.testing.assert_allclose(cli, daemon, atol=2e-7)  # one 24-bit step
