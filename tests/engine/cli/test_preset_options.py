"""`sa generate/edit --preset`: the preset's [output] settings and FlowEdit schedule are used as
the daemon uses them, so one preset gives the same files from `sa` and from `sa-engine`."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import soundfile
from semanticaudio.bridge.jobs import JobHooks
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.protocol import decode_request
from semanticaudio.bridge.render import Renderer
from semanticaudio.engine.cli import main
from semanticaudio.engine.cli.preset_options import EDIT_FIELDS, apply_preset
from semanticaudio.engine.config import FlowEditConfig

from tests.engine.cli.helpers import daemon_edit

SAMPLE_RATE_HZ = 16_000  # the tiny model's
WIDE_PRESET = """schema_version = 1
name = "wide"
description = "48 kHz 16-bit files"
kind = "generate"

[generation]
duration_s = 1.0
num_steps = 2

[output]
match_loudness = false
sample_rate_hz = 48000
bit_depth = 16
"""
LOWPASS_PRESET = """schema_version = 1
name = "lowpass"
description = "a 10 kHz low-pass, above half the tiny model's 16 kHz"
kind = "generate"

[generation]
duration_s = 1.0
num_steps = 2

[output]
match_loudness = false

[[effects]]
plugin = "LowpassFilter"
params = { cutoff_frequency_hz = 10000.0 }
"""
EDIT_PRESET = """schema_version = 1
name = "{name}"
description = "a short edit"
kind = "edit"

[flowedit]
num_steps = 4
n_max = 3
n_min = 1

[output]
match_loudness = {match}
{rate}
"""


@pytest.fixture
def user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user preset folder that `sa` reads (platformdirs follows XDG_CONFIG_HOME)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "semanticaudio" / "presets"
    folder.mkdir(parents=True)
    (folder / "wide.toml").write_text(WIDE_PRESET, encoding="utf-8")
    (folder / "lowpass.toml").write_text(LOWPASS_PRESET, encoding="utf-8")
    for name, match, rate in (("matched", "true", ""), ("unmatched", "false", ""),
                              ("float22k", "false", "sample_rate_hz = 22050\nbit_depth = 32")):
        text = EDIT_PRESET.format(name=name, match=match, rate=rate)
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def _quiet_source(path: Path, channels: int = 1, rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """One second of a quiet tone (−33 dBFS RMS) in each channel, `(frames, channels)` as read
    back; the tiny model's edits are about 6 dB louder, within loudness matching's ±20 dB."""
    times = np.arange(rate) / rate
    data = np.stack([0.032 * np.sin(2 * np.pi * (220 + 110 * c) * times) for c in range(channels)],
                    axis=1)
    soundfile.write(str(path), data.astype(np.float32), rate, subtype="PCM_24")
    return soundfile.read(str(path), dtype="float32", always_2d=True)[0]


def _sa_edit(source: Path, preset: str, out: Path, model: Path, *options: str) -> int:
    """`sa edit` of `source` ("a tone") toward "rain falls" with `preset`, seed 1."""
    return main(["edit", str(source), "--source", "a tone", "--target", "rain falls", "--preset",
                 preset, "--seed", "1", "--synth-steps", "2", "-o", str(out), "--model", str(model),
                 *options])


def _level_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


def test_generate_writes_the_presets_rate_and_bit_depth(tiny_checkpoint_dir, user_presets,
                                                        tmp_path):
    out = tmp_path / "wide.wav"
    assert main(["generate", "rain", "--preset", "wide", "--seed", "3", "--synth-steps", "2",
                 "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    info = soundfile.info(str(out))
    assert (info.samplerate, info.subtype, info.channels, info.frames) == (48000, "PCM_16", 1,
                                                                           48000)


def test_generate_gives_the_daemons_file(tiny_checkpoint_dir, tiny_pipeline, user_presets,
                                         tmp_path):
    out = tmp_path / "cli.wav"
    assert main(["generate", "rain", "--preset", "wide", "--seed", "3", "--synth-steps", "2",
                 "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    daemon_dir = tmp_path / "daemon"
    daemon_dir.mkdir()
    request = decode_request("/sa/generate", ["g1", 9000, "rain", 1.0, str(daemon_dir),
                                              "preset=wide;seed=3;synth_steps=2"])
    hooks = JobHooks(lambda fraction, stage: None, lambda: False)
    (path,) = Renderer(tiny_pipeline, PresetLibrary.load(user_presets)).render(request, hooks).paths
    assert soundfile.info(str(path)).subtype == soundfile.info(str(out)).subtype
    np.testing.assert_array_equal(soundfile.read(str(out))[0], soundfile.read(str(path))[0])


def test_a_filter_above_half_the_models_rate_runs_just_under_it(tiny_checkpoint_dir,
                                                                 user_presets, tmp_path, capsys):
    out = tmp_path / "lowpass.wav"
    assert main(["generate", "rain", "--preset", "lowpass", "--seed", "3", "--synth-steps", "2",
                 "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    data, rate = soundfile.read(str(out))
    assert rate == SAMPLE_RATE_HZ and np.isfinite(data).all() and np.abs(data).max() > 0
    note = capsys.readouterr().err
    assert "effects[0].params.cutoff_frequency_hz (LowpassFilter) 10000 Hz" in note
    assert "it runs at 7840 Hz" in note


def test_edit_matches_the_sources_loudness_when_the_preset_asks(tiny_checkpoint_dir,
                                                                user_presets, tmp_path):
    source = _quiet_source(tmp_path / "quiet.wav")
    levels = {}
    for name in ("matched", "unmatched"):
        out = tmp_path / f"{name}.wav"
        assert _sa_edit(tmp_path / "quiet.wav", name, out, tiny_checkpoint_dir) == 0
        levels[name] = _level_db(soundfile.read(str(out), dtype="float32")[0])
    assert abs(levels["unmatched"] - _level_db(source)) > 1.0  # the model's own level differs
    assert levels["matched"] == pytest.approx(_level_db(source), abs=0.1)


def test_edit_gives_the_daemons_file(tiny_checkpoint_dir, tiny_pipeline, user_presets, tmp_path):
    _quiet_source(tmp_path / "quiet.wav")
    out = tmp_path / "cli.wav"
    assert _sa_edit(tmp_path / "quiet.wav", "matched", out, tiny_checkpoint_dir) == 0
    daemon = daemon_edit(tiny_pipeline, tmp_path / "quiet.wav", tmp_path / "daemon", 0.0, 1.0,
                         "preset=matched;seed=1;synth_steps=2", PresetLibrary.load(user_presets))
    cli = soundfile.read(str(out))[0]
    np.testing.assert_allclose(cli, daemon, atol=2e-7)  # one 24-bit step


def test_edit_writes_the_presets_rate_and_float_samples_in_the_sources_channels(
    tiny_checkpoint_dir, user_presets, tmp_path
):
    _quiet_source(tmp_path / "stereo.wav", channels=2, rate=44100)
    out = tmp_path / "float.wav"
    assert _sa_edit(tmp_path / "stereo.wav", "float22k", out, tiny_checkpoint_dir,
                    "--range", "0.2", "0.8") == 0
    info = soundfile.info(str(out))
    assert (info.samplerate, info.subtype, info.channels, info.frames) == (22050, "FLOAT", 2,
                                                                           22050)


def _edit_args(**options: int | None) -> argparse.Namespace:
    unset = dict.fromkeys(("steps", "n_max", "n_min", "n_avg", "source_cfg", "target_cfg"))
    return argparse.Namespace(preset="subject-replace", source="a beep", target="rain falls",
                              **(unset | options))


@pytest.mark.parametrize(
    "options",
    [{"steps": 6}, {"steps": 120}, {"steps": 20, "n_max": 2}, {"steps": 8, "n_min": 0},
     {"n_avg": 3}, {}],
)
def test_a_presets_schedule_follows_the_engines_one_rule(user_presets, options):
    """Options given on the command line override the preset's settings exactly as the engine's
    FlowEditConfig.with_overrides overrides a checkpoint's (n_max 2 of 20 caps n_min at 2)."""
    args = _edit_args(**options)
    preset = apply_preset(args, "edit")
    settings = preset.flowedit
    expected = FlowEditConfig(
        num_steps=settings.num_steps, n_max=settings.n_max, n_min=settings.n_min,
        n_avg=settings.n_avg, source_guidance=settings.source_guidance,
        target_guidance=settings.target_guidance,
    ).with_overrides(**{EDIT_FIELDS[option]: value for option, value in options.items()})
    assert (args.steps, args.n_max, args.n_min, args.n_avg, args.source_cfg, args.target_cfg) == (
        expected.num_steps, expected.n_max, expected.n_min, expected.n_avg,
        expected.source_guidance, expected.target_guidance)


def test_options_given_win_over_the_preset(user_presets):
    args = _edit_args(steps=6, n_max=5, n_min=2, target_cfg=3.0)
    apply_preset(args, "edit")
    assert (args.steps, args.n_max, args.n_min, args.target_cfg) == (6, 5, 2, 3.0)


def test_an_impossible_schedule_is_refused_naming_the_preset(user_presets):
    with pytest.raises(ValueError, match=r"preset 'subject-replace'.*cannot run"):
        apply_preset(_edit_args(n_max=60), "edit")


def test_without_a_preset_an_edit_sits_at_its_sources_level_as_the_daemons_do(
    tiny_checkpoint_dir, tmp_path
):
    """sa-engine matches an edit's loudness unless told not to (match_loudness=0); so does
    `sa edit`, and --match-loudness 0 keeps the model's own level."""
    source = _quiet_source(tmp_path / "quiet.wav")
    levels = {}
    for setting in ("default", "0"):
        out = tmp_path / f"{setting}.wav"
        flag = [] if setting == "default" else ["--match-loudness", setting]
        assert main(["edit", str(tmp_path / "quiet.wav"), "--source", "a tone", "--target",
                     "rain falls", "--seed", "1", "--synth-steps", "2", "-o", str(out),
                     "--model", str(tiny_checkpoint_dir), *flag]) == 0
        levels[setting] = _level_db(soundfile.read(str(out), dtype="float32")[0])
    assert levels["default"] == pytest.approx(_level_db(source), abs=0.1)
    assert abs(levels["0"] - _level_db(source)) > 1.0


def test_an_edit_of_a_44k_stereo_recording_gives_the_daemons_file(
    tiny_checkpoint_dir, tiny_pipeline, tmp_path
):
    """No preset, a region: `sa edit` hands the model the recording at the model's rate as
    sa-engine does, so the two front doors write the same samples."""
    _quiet_source(tmp_path / "stereo.wav", channels=2, rate=44100)
    out = tmp_path / "cli.wav"
    assert main(["edit", str(tmp_path / "stereo.wav"), "--source", "a tone", "--target",
                 "rain falls", "--seed", "1", "--synth-steps", "2", "--range", "0.2", "0.8",
                 "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    daemon = daemon_edit(tiny_pipeline, tmp_path / "stereo.wav", tmp_path / "daemon", 0.0, 1.0,
                         "seed=1;synth_steps=2;range=0.2:0.8")
    cli = soundfile.read(str(out))[0]
    assert cli.shape == daemon.shape == (44100, 2)
    np.testing.assert_allclose(cli, daemon, atol=2e-7)  # one 24-bit step


def test_a_templates_left_out_keys_come_from_the_model_sa_loads(user_presets,
                                                                 tiny_checkpoint_dir):
    """A user template naming only its target guidance runs the --model's own FlowEdit schedule
    (the tiny checkpoint's few steps), as sa-engine does with the model it has loaded."""
    from semanticaudio.engine.checkpoint import read_config

    (user_presets / "strong.toml").write_text(
        'schema_version = 1\nname = "strong"\ndescription = "x"\nkind = "edit"\n'
        '[prompts]\ntarget = "{target}"\n[flowedit]\ntarget_guidance = 7.0\n', encoding="utf-8")
    args = _edit_args()
    args.preset, args.model = "strong", str(tiny_checkpoint_dir)
    apply_preset(args, "edit")
    model = read_config(tiny_checkpoint_dir).flowedit
    assert (args.steps, args.n_max, args.n_min, args.n_avg, args.target_cfg) == (
        model.num_steps, model.n_max, model.n_min, model.n_avg, 7.0)
    assert model.num_steps != 50  # the test would not tell the engine's defaults apart
