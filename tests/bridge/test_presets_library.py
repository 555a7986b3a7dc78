"""PresetLibrary: built-ins, user presets from the config folder, overrides and lookups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from semanticaudio.bridge.presets import (
    PresetError,
    PresetLibrary,
    builtin_dir,
    default_user_dir,
)

BUILTIN_NAMES = sorted(p.stem for p in builtin_dir().glob("*/*.toml"))


def _user_copy(user_dir: Path, name: str, old: str, new: str, folder: str = "edit") -> Path:
    """A user preset made from a built-in with one line changed."""
    text = (builtin_dir() / folder / f"{name}.toml").read_text(encoding="utf-8")
    assert old in text
    path = user_dir / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_empty_user_folder_gives_the_builtins(tmp_path: Path) -> None:
    library = PresetLibrary.load(tmp_path / "absent")
    assert library.names() == BUILTIN_NAMES
    assert library.overridden == {}
    name, kind, description = library.summaries()[0]
    assert name == BUILTIN_NAMES[0]
    assert kind in ("edit", "generate")
    assert description


def test_user_preset_overrides_the_builtin(tmp_path: Path) -> None:
    path = _user_copy(tmp_path, "weather-change", "target_guidance = 6.5", "target_guidance = 7.0")
    library = PresetLibrary.load(tmp_path)
    preset = library.get("weather-change")
    assert preset.source == path
    assert preset.flowedit is not None
    assert preset.flowedit.target_guidance == 7.0
    assert library.overridden["weather-change"] == builtin_dir() / "edit" / "weather-change.toml"
    assert library.names() == BUILTIN_NAMES


def test_new_user_preset_in_a_subfolder_is_added(tmp_path: Path) -> None:
    text = (builtin_dir() / "chains" / "telephone.toml").read_text(encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "old-phone.toml").write_text(
        text.replace('name = "telephone"', 'name = "old-phone"'), encoding="utf-8"
    )
    library = PresetLibrary.load(tmp_path)
    assert library.names() == sorted([*BUILTIN_NAMES, "old-phone"])
    assert library.get("old-phone").kind == "generate"


def test_broken_user_file_is_reported_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "junk.toml").write_text("schema_version = 1\nkind = 'edti'\n", encoding="utf-8")
    library = PresetLibrary.load(tmp_path)
    assert library.names() == BUILTIN_NAMES
    assert {p.file for p in library.problems} == {tmp_path / "junk.toml"}
    with pytest.raises(PresetError, match="preset 'junk' is invalid") as caught:
        library.get("junk")
    assert any(p.suggestion == "edit" for p in caught.value.problems)


def test_broken_override_hides_the_builtin(tmp_path: Path) -> None:
    _user_copy(tmp_path, "weather-change", "n_max = 38", "n_max = 80")
    library = PresetLibrary.load(tmp_path)
    assert "weather-change" not in library.names()
    with pytest.raises(PresetError, match="n_max: 80 is out of range"):
        library.get("weather-change")


def test_duplicate_user_names_keep_the_first(tmp_path: Path) -> None:
    first = _user_copy(
        tmp_path / "a", "lo-fi", "bit_depth = 10.0", "bit_depth = 8.0", folder="chains"
    )
    _user_copy(tmp_path / "b", "lo-fi", "bit_depth = 10.0", "bit_depth = 12.0", folder="chains")
    library = PresetLibrary.load(tmp_path)
    assert library.get("lo-fi").source == first
    assert any("also defined in" in p.message for p in library.problems)


def test_unknown_name_suggests_the_closest(tmp_path: Path) -> None:
    library = PresetLibrary.load(tmp_path)
    with pytest.raises(PresetError, match=r"unknown preset 'telefone' \(did you mean 'telephone'"):
        library.get("telefone")
    with pytest.raises(PresetError, match="available: action-replace"):
        library.get("zzzzzz")


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CONFIG_HOME is the Linux convention")
def test_default_user_folder_follows_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_user_dir() == tmp_path / "semanticaudio" / "presets"
    _user_copy(default_user_dir(), "radio", "drive_db = 12.0", "drive_db = 3.0", folder="chains")
    assert PresetLibrary.load().get("radio").source.is_relative_to(tmp_path)
