"""Preset.build_chain: built-ins with parameters, files relative to the preset, plug-in failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest
from pedalboard.io import AudioFile
from semanticaudio.bridge.presets import PresetError, load_preset

SAMPLE_RATE_HZ = 48_000
HEAD = 'schema_version = 1\nname = "c"\ndescription = "chain test"\nkind = "generate"\n'


def _preset(tmp_path: Path, effects: str):
    path = tmp_path / "c.toml"
    path.write_text(HEAD + effects, encoding="utf-8")
    return load_preset(path)


def test_parameters_reach_the_plugins(tmp_path: Path) -> None:
    board = _preset(
        tmp_path,
        '[[effects]]\nplugin = "Gain"\nparams = { gain_db = -6.0 }\n'
        '[[effects]]\nplugin = "LadderFilter"\nparams = { mode = "HPF24", cutoff_hz = 900.0 }\n',
    ).build_chain()
    assert isinstance(board, pedalboard.Pedalboard)
    assert len(board) == 2
    assert board[0].gain_db == pytest.approx(-6.0)
    assert board[1].mode == pedalboard.LadderFilter.Mode.HPF24
    assert board[1].cutoff_hz == pytest.approx(900.0)


def test_gain_chain_scales_audio(tmp_path: Path) -> None:
    board = _preset(tmp_path, '[[effects]]\nplugin = "Gain"\nparams = { gain_db = -20.0 }\n')
    audio = np.full((1, SAMPLE_RATE_HZ), 0.5, dtype=np.float32)
    out = board.build_chain()(audio, SAMPLE_RATE_HZ)
    assert out.shape == audio.shape
    np.testing.assert_allclose(out, 0.05, rtol=1e-3)


def test_convolution_reads_its_impulse_next_to_the_preset(tmp_path: Path) -> None:
    impulse = np.zeros((1, 4800), dtype=np.float32)
    impulse[0, 0], impulse[0, 2400] = 1.0, 0.5  # direct sound plus one echo 50 ms later
    (tmp_path / "irs").mkdir()
    with AudioFile(str(tmp_path / "irs" / "room.wav"), "w", SAMPLE_RATE_HZ, 1) as handle:
        handle.write(impulse)
    preset = _preset(
        tmp_path,
        '[[effects]]\nplugin = "Convolution"\n'
        'params = { impulse_response_filename = "irs/room.wav", mix = 1.0 }\n',
    )
    click = np.zeros((1, SAMPLE_RATE_HZ), dtype=np.float32)
    click[0, 1000] = 1.0
    out = preset.build_chain()(click, SAMPLE_RATE_HZ)
    assert np.isfinite(out).all()
    # JUCE normalises the impulse's energy, so compare the echo with the direct sound.
    direct, echo = abs(out[0, 1000]), np.abs(out[0, 1001:]).max()
    assert int(np.abs(out[0, 1001:]).argmax()) + 1001 == 1000 + 2400
    assert echo / direct == pytest.approx(0.5, rel=1e-3)


def test_a_file_that_is_no_plugin_fails_with_its_name_and_path(tmp_path: Path) -> None:
    fake = tmp_path / "FakeVerb.vst3"
    fake.write_text("not a plug-in", encoding="utf-8")
    preset = _preset(tmp_path, '[[effects]]\npath = "FakeVerb.vst3"\nparams = { mix = 0.5 }\n')
    assert preset.effects[0].path == fake
    with pytest.raises(PresetError) as caught:
        preset.build_chain()
    message = str(caught.value)
    assert "could not load plug-in 'FakeVerb'" in message
    assert str(fake) in message
    assert "preset 'c'" in message


def test_a_plugin_removed_after_loading_fails_cleanly(tmp_path: Path) -> None:
    plugin = tmp_path / "Gone.vst3"
    plugin.mkdir()
    preset = _preset(tmp_path, f'[[effects]]\npath = "{plugin}"\nplugin_name = "Gone Delay"\n')
    plugin.rmdir()
    with pytest.raises(PresetError, match=r"plug-in 'Gone Delay' not found at .*Gone\.vst3"):
        preset.build_chain()


def test_no_effects_is_an_empty_pass_through_board(tmp_path: Path) -> None:
    board = _preset(tmp_path, "").build_chain()
    audio = np.linspace(-1, 1, 960, dtype=np.float32)[None, :]
    assert len(board) == 0
    np.testing.assert_array_equal(board(audio, SAMPLE_RATE_HZ), audio)
