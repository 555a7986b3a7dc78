"""The presets shipped in presets/: valid, complete, and their chains sound like their names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from semanticaudio.bridge.presets import (
    BUILTIN_PLUGINS,
    Preset,
    PresetError,
    PresetLibrary,
    builtin_dir,
    load_preset,
    loader,
    validate_file,
)
from semanticaudio.bridge.presets.render import to_toml
from semanticaudio.bridge.presets.templates import placeholders

SAMPLE_RATE_HZ = 48_000
SHIPPED = sorted(builtin_dir().glob("*/*.toml"))
EDIT_FILES = [p for p in SHIPPED if p.parent.name == "edit"]
CHAIN_FILES = [p for p in SHIPPED if p.parent.name == "chains"]
PAPER_CATEGORIES = {  # SemanticAudio appendix B, table 6
    "sound removal",
    "subject replace",
    "other replace",
    "action replace",
    "weather change",
    "event replace",
    "sound addition",
    "intensity change",
    "material change",
    "spatial change",
    "vehicle replace",
    "atmosphere change",
    "environment add",
    "temporal change",
}


def _noise(channels: int) -> np.ndarray:
    """One second of white noise at -20 dBFS RMS: (channels, 48000) float32."""
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((channels, SAMPLE_RATE_HZ))).astype(np.float32)


def _band_energy(audio: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Energy of channel 0 between low_hz and high_hz."""
    spectrum = np.abs(np.fft.rfft(audio[0])) ** 2
    freqs = np.fft.rfftfreq(audio.shape[-1], 1.0 / SAMPLE_RATE_HZ)
    return float(spectrum[(freqs >= low_hz) & (freqs < high_hz)].sum())


def _attenuation_db(
    dry: np.ndarray, wet: np.ndarray, band: tuple[float, float], passband: tuple[float, float]
) -> float:
    """How much more the chain turns `band` down than `passband`, in dB."""
    gain_band = _band_energy(wet, *band) / _band_energy(dry, *band)
    gain_pass = _band_energy(wet, *passband) / _band_energy(dry, *passband)
    return 10.0 * float(np.log10(gain_pass / gain_band))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_preset_validates(path: Path) -> None:
    assert validate_file(path) == []


def test_one_edit_template_per_paper_category() -> None:
    categories = [load_preset(p).category for p in EDIT_FILES]
    assert sorted(categories) == sorted(PAPER_CATEGORIES)


def test_at_least_six_production_chains() -> None:
    names = {p.stem for p in CHAIN_FILES}
    assert {
        "telephone",
        "radio",
        "distant-outdoor",
        "big-hall",
        "lo-fi",
        "cinematic-impact",
    } <= names
    assert all(len(load_preset(p).effects) >= 2 for p in CHAIN_FILES)


@pytest.mark.parametrize("path", EDIT_FILES, ids=lambda p: p.stem)
def test_edit_settings_follow_the_paper(path: Path) -> None:
    flowedit = load_preset(path).flowedit
    assert flowedit is not None
    assert (flowedit.num_steps, flowedit.n_min, flowedit.source_guidance) == (50, 10, 1.0)
    assert 5.0 <= flowedit.target_guidance <= 7.0
    assert flowedit.n_min < flowedit.n_max <= flowedit.num_steps


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("channels", [1, 2])
def test_chain_processes_one_second(path: Path, channels: int) -> None:
    preset = load_preset(path)
    dry = _noise(channels)
    wet = preset.build_chain()(dry, SAMPLE_RATE_HZ)
    assert wet.shape == dry.shape
    assert np.isfinite(wet).all()
    if preset.effects:
        assert 1e-4 < float(np.sqrt((wet**2).mean())) < 1.0
        assert not np.allclose(wet, dry, atol=1e-3)
    else:
        np.testing.assert_array_equal(wet, dry)


@pytest.mark.parametrize(
    ("name", "band", "passband", "at_least_db"),
    [
        ("telephone", (5000, 20000), (500, 3000), 30.0),  # nothing above the 3.4 kHz band
        ("telephone", (20, 100), (500, 3000), 15.0),  # 12 dB/oct below the 300 Hz edge
        ("radio", (20, 80), (500, 3000), 15.0),
        ("megaphone", (20, 200), (1000, 3000), 15.0),
        ("underwater", (3000, 20000), (20, 300), 25.0),
        ("distant-outdoor", (8000, 20000), (200, 1000), 15.0),  # air absorption
    ],
)
def test_chain_band_limits(
    name: str, band: tuple[float, float], passband: tuple[float, float], at_least_db: float
) -> None:
    dry = _noise(1)
    board = load_preset(builtin_dir() / "chains" / f"{name}.toml").build_chain()
    assert _attenuation_db(dry, board(dry, SAMPLE_RATE_HZ), band, passband) >= at_least_db


def test_big_hall_has_a_long_tail() -> None:
    click = np.zeros((2, 2 * SAMPLE_RATE_HZ), dtype=np.float32)
    click[:, 0] = 1.0
    wet = load_preset(builtin_dir() / "chains" / "big-hall.toml").build_chain()(
        click, SAMPLE_RATE_HZ
    )
    late = np.abs(wet[:, SAMPLE_RATE_HZ : SAMPLE_RATE_HZ + SAMPLE_RATE_HZ // 2]).max()
    assert late > 1e-3  # still ringing one second after the click


def _sample_fields(preset: Preset) -> dict[str, str]:
    """A value for every field that has no default (the help text shows the form)."""
    return {f: "a phone rings" for f in preset.fields() if f not in preset.prompts.defaults}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_templates_fill(path: Path) -> None:
    preset = load_preset(path)
    source, target = preset.fill_prompts("A dog barks. ", "a cat meows", **_sample_fields(preset))
    null_source = preset.kind == "generate" or preset.flowedit.null_source
    assert (source is None) == null_source
    for text in (target, source or "x"):
        assert text
        assert "{" not in text
        assert "}" not in text
        assert ".." not in text
    uses_source = "{source}" in preset.prompts.target
    assert ("A dog barks" in target) == uses_source
    assert ("a cat meows" in target) == ("{target}" in preset.prompts.target)


@pytest.mark.parametrize("path", EDIT_FILES, ids=lambda p: p.stem)
def test_edit_placeholders_tell_the_user_what_to_type(path: Path) -> None:
    preset = load_preset(path)
    for name in placeholders(preset.prompts.target):
        assert name == "source" or name in preset.prompts.help, name
    assert ("default" in preset.description) == ("target" in preset.prompts.defaults)


@pytest.mark.parametrize("path", EDIT_FILES, ids=lambda p: p.stem)
def test_empty_target_box_uses_the_default_or_says_what_to_type(path: Path) -> None:
    preset = load_preset(path)
    if "target" in preset.prompts.defaults:
        _, target = preset.fill_prompts("a car passes by", "")
        assert target.startswith("a car passes by")
        assert preset.prompts.defaults["target"] in target
    else:
        with pytest.raises(PresetError, match="target_prompt") as caught:
            preset.fill_prompts("a car passes by", "")
        assert preset.prompts.help["target"] in str(caught.value)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shown_toml_loads_back_to_the_same_preset(path: Path, tmp_path: Path) -> None:
    preset = load_preset(path)
    copy = tmp_path / path.name
    copy.write_text(to_toml(preset), encoding="utf-8")
    assert dataclasses.replace(load_preset(copy), source=path) == preset


def test_library_serves_every_shipped_file(tmp_path: Path) -> None:
    library = PresetLibrary.load(tmp_path)
    assert library.names() == sorted(p.stem for p in SHIPPED)
    assert library.problems == ()


def test_docs_name_every_key_and_plugin() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "presets.md").read_text(encoding="utf-8")
    keys = (
        loader.TOP_KEYS
        + loader.PROMPT_KEYS
        + loader.FLOWEDIT_KEYS
        + loader.GENERATION_KEYS
        + loader.OUTPUT_KEYS
        + loader.EFFECT_KEYS
    )
    for key in keys:
        assert f"| `{key}` |" in docs, key
    for plugin, params in BUILTIN_PLUGINS.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{plugin}` |"))
        assert all(f"`{param}`" in row for param in params), plugin
    for path in SHIPPED:
        assert f"| `{path.stem}` |" in docs, path.stem
