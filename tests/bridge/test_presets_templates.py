"""Preset.fill_prompts: placeholders, defaults, null source and errors that say what to pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from semanticaudio.bridge.presets import PresetError, load_preset
from semanticaudio.bridge.presets.templates import placeholders

EDIT = """\
schema_version = 1
name = "t"
description = "template test"
kind = "edit"

[prompts]
target = "{source} {where}, with {sound}"

[prompts.defaults]
where = "far away"

[prompts.help]
sound = "the sound to add, e.g. 'a dog barks'"

[flowedit]
null_source = {null}
"""


def _preset(tmp_path: Path, text: str = EDIT, null: str = "false"):
    path = tmp_path / "t.toml"
    path.write_text(text.replace("{null}", null), encoding="utf-8")
    return load_preset(path)


def test_placeholders_in_order() -> None:
    assert placeholders("{source}, {a} and {b} {{literal}}") == ["source", "a", "b"]


def test_fill_uses_defaults_and_fields_and_cleans_the_caption(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    assert preset.fields() == ["where", "sound"]
    source, target = preset.fill_prompts("  A car   passes by. ", sound="a horn honks")
    assert source == "A car passes by"
    assert target == "A car passes by far away, with a horn honks"
    _, target = preset.fill_prompts("a car", where="nearby", sound="rain")
    assert target == "a car nearby, with rain"


def test_null_source_gives_none(tmp_path: Path) -> None:
    source, target = _preset(tmp_path, null="true").fill_prompts("a car", sound="rain")
    assert source is None
    assert target.startswith("a car")  # the caption still builds the target text


def test_missing_field_names_it_and_shows_the_help(tmp_path: Path) -> None:
    with pytest.raises(PresetError) as caught:
        _preset(tmp_path).fill_prompts("a car")
    message = str(caught.value)
    assert "needs 'sound'" in message
    assert "pass sound=..." in message
    assert "the sound to add, e.g. 'a dog barks'" in message


def test_missing_caller_prompt_says_which_argument(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match=r"needs 'source'.*pass source_prompt=\.\.\."):
        _preset(tmp_path).fill_prompts(None, sound="rain")
    with pytest.raises(PresetError, match="needs 'source'"):
        _preset(tmp_path).fill_prompts("  .  ", sound="rain")  # blank after cleaning


def test_unknown_field_gets_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match=r"no field 'snd'.*where, sound.*did you mean 'sound'"):
        _preset(tmp_path).fill_prompts("a car", snd="rain")


def test_caller_prompt_passed_as_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="pass the source prompt as source_prompt="):
        _preset(tmp_path).fill_prompts(source="a car", sound="rain")


def test_non_text_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="field 'sound' must be text, got int"):
        _preset(tmp_path).fill_prompts("a car", sound=3)


def test_generate_preset_fills_the_target_only(tmp_path: Path) -> None:
    text = (
        'schema_version = 1\nname = "t"\ndescription = "d"\nkind = "generate"\n'
        '[prompts]\ntarget = "{target}, recorded {mic}"\n[prompts.defaults]\nmic = "close"\n'
    )
    preset = _preset(tmp_path, text)
    assert preset.fill_prompts(target_prompt="Thunder rolls.") == (
        None,
        "Thunder rolls, recorded close",
    )
    with pytest.raises(PresetError, match=r"pass target_prompt=\.\.\."):
        preset.fill_prompts()


def test_braces_in_a_callers_prompt_are_kept_literally(tmp_path: Path) -> None:
    _, target = _preset(tmp_path).fill_prompts("a {loud} car", sound="{where}")
    assert target == "a {loud} car far away, with {where}"


def test_target_default_fills_an_empty_target_box(tmp_path: Path) -> None:
    text = (
        EDIT.replace('"{source} {where}, with {sound}"', '"{source} in {target}"')
        .replace('where = "far away"', 'target = "heavy rain"')
        .replace("sound = ", "target = ")
    )
    preset = _preset(tmp_path, text)
    assert preset.fill_prompts("a car")[1] == "a car in heavy rain"
    assert preset.fill_prompts("a car", "  ")[1] == "a car in heavy rain"
    assert preset.fill_prompts("a car", "snow.")[1] == "a car in snow"
