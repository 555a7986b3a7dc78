"""validate_file / load_preset: every problem at once, each with key, reason and suggestion."""

from __future__ import annotations

import re
from pathlib import Path

import pedalboard
import pytest
from semanticaudio.bridge.presets import (
    BUILTIN_PLUGINS,
    PresetError,
    Problem,
    load_preset,
    validate_file,
)

VALID_EDIT = """\
schema_version = 1
name = "my-edit"
description = "A test edit"
kind = "edit"

[prompts]
target = "{source} in {weather}"

[prompts.defaults]
weather = "rain"

[flowedit]
n_max = 30
target_guidance = 6.0
"""


def _write(tmp_path: Path, text: str, name: str = "my-edit") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str, name: str = "my-edit") -> dict[str, Problem]:
    """Problems by key (each test below triggers at most one problem per key)."""
    return {p.key: p for p in validate_file(_write(tmp_path, text, name))}


def test_valid_file_loads_with_defaults_filled(tmp_path: Path) -> None:
    from semanticaudio.engine.config import FlowEditConfig

    preset = load_preset(_write(tmp_path, VALID_EDIT))
    assert preset.flowedit is not None
    # keys left out are the model's: None here, filled in when a request merges them
    assert (preset.flowedit.num_steps, preset.flowedit.n_max, preset.flowedit.n_min) == (
        None, 30, None)
    assert preset.flowedit.target_guidance == 6.0
    assert preset.flowedit.merged() == FlowEditConfig(n_max=30, target_guidance=6.0)
    small = FlowEditConfig(num_steps=40, n_max=28, n_min=8, n_avg=1)
    assert preset.flowedit.merged(small) == FlowEditConfig(num_steps=40, n_max=30, n_min=8,
                                                           n_avg=1, target_guidance=6.0)
    assert preset.prompts.source == "{source}"
    assert preset.output.match_loudness is True
    assert preset.output.bit_depth == 24
    assert preset.generation is None
    assert preset.effects == ()


def test_unknown_schema_version_stops_with_one_clear_problem(tmp_path: Path) -> None:
    text = VALID_EDIT.replace("schema_version = 1", "schema_version = 2") + "bogus = 1\n"
    problems = validate_file(_write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].key == "schema_version"
    assert "unsupported schema version 2" in problems[0].message
    assert "schema_version = 1" in problems[0].message


@pytest.mark.parametrize("line", ['schema_version = "1"', "schema_version = 1.0"])
def test_version_must_be_the_integer_one(tmp_path: Path, line: str) -> None:
    problems = _problems(tmp_path, VALID_EDIT.replace("schema_version = 1", line))
    assert "unsupported schema version" in problems["schema_version"].message


def test_missing_version_is_reported_with_the_fix(tmp_path: Path) -> None:
    problems = _problems(tmp_path, VALID_EDIT.replace("schema_version = 1\n", ""))
    assert "add schema_version = 1" in problems["schema_version"].message


@pytest.mark.parametrize(
    ("old", "new", "key", "suggestion"),
    [
        ("description =", "descripton =", "descripton", "description"),
        ("[flowedit]", "[flowedti]", "flowedti", "flowedit"),
        ("target_guidance", "target_guidence", "flowedit.target_guidence", "target_guidance"),
        ("[prompts.defaults]", "[prompts.default]", "prompts.default", "defaults"),
        ('weather = "rain"', 'wether = "rain"', "prompts.defaults.wether", "weather"),
        ('kind = "edit"', 'kind = "edti"', "kind", "edit"),
    ],
)
def test_misspelt_key_gets_a_suggestion(
    tmp_path: Path, old: str, new: str, key: str, suggestion: str
) -> None:
    problem = _problems(tmp_path, VALID_EDIT.replace(old, new))[key]
    assert problem.suggestion == suggestion
    assert f"did you mean '{suggestion}'?" in str(problem)
    assert str(problem).startswith(str(tmp_path / "my-edit.toml"))


@pytest.mark.parametrize(
    ("effect", "key", "suggestion"),
    [
        ('plugin = "Reverbb"', "effects[0].plugin", "Reverb"),
        ('plugin = "highpassfilter"', "effects[0].plugin", "HighpassFilter"),
        (
            'plugin = "Reverb"\nparams = { room_sise = 0.5 }',
            "effects[0].params.room_sise",
            "room_size",
        ),
        (
            'plugin = "Resample"\nparams = { quality = "WindowedSync32" }',
            "effects[0].params.quality",
            "WindowedSinc32",
        ),
        ('plugin = "Reverb"\nplugn_name = "x"', "effects[0].plugn_name", "plugin_name"),
    ],
)
def test_misspelt_plugin_or_parameter_gets_a_suggestion(
    tmp_path: Path, effect: str, key: str, suggestion: str
) -> None:
    problem = _problems(tmp_path, VALID_EDIT + f"\n[[effects]]\n{effect}\n")[key]
    assert problem.suggestion == suggestion


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        ("n_max = 30", 'n_max = "30"', "flowedit.n_max", "expected a whole number, got string"),
        ("n_max = 30", "n_max = 30.5", "flowedit.n_max", "expected a whole number, got float"),
        (
            "target_guidance = 6.0",
            "target_guidance = true",
            "flowedit.target_guidance",
            "expected a number, got boolean",
        ),
        (
            "n_max = 30",
            "n_max = 30\nnull_source = 1",
            "flowedit.null_source",
            "expected true or false, got integer 1",
        ),
        (
            'description = "A test edit"',
            "description = 3",
            "description",
            "expected a non-empty string",
        ),
        ('kind = "edit"', 'kind = "edit"\noutput = 3', "output", "expected a table [output]"),
    ],
)
def test_wrong_type_is_named(tmp_path: Path, old: str, new: str, key: str, expected: str) -> None:
    assert expected in _problems(tmp_path, VALID_EDIT.replace(old, new))[key].message


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        (
            "target_guidance = 6.0",
            "target_guidance = 50",
            "flowedit.target_guidance",
            "50 is out of range; accepted: 0 to 30",
        ),
        (
            "target_guidance = 6.0",
            "target_guidance = nan",
            "flowedit.target_guidance",
            "nan is out of range",
        ),
        ("n_max = 30", "num_steps = 50\nn_max = 60", "flowedit.n_max",
         "60 is out of range; accepted: 1 to 50"),
        (
            "n_max = 30",
            "n_max = 30\nn_min = 30",
            "flowedit.n_min",
            "n_min (30) must be below n_max (30)",
        ),
        (
            "n_max = 30",
            "num_steps = 20\nn_max = 30",
            "flowedit.n_max",
            "30 is out of range; accepted: 1 to 20",
        ),
        ("n_max = 30", "n_max = 30\nn_avg = 0", "flowedit.n_avg", "0 is out of range"),
    ],
)
def test_out_of_range_value_says_what_is_accepted(
    tmp_path: Path, old: str, new: str, key: str, expected: str
) -> None:
    assert expected in _problems(tmp_path, VALID_EDIT.replace(old, new))[key].message


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        ("[output]\nbit_depth = 20\n", "output.bit_depth", "expected 16, 24 or 32"),
        ("[output]\nsample_rate_hz = 44000\n", "output.sample_rate_hz", "got 44000"),
        (
            '[[effects]]\nplugin = "Reverb"\nparams = { wet_level = 2.0 }\n',
            "effects[0].params.wet_level",
            "2.0 is out of range; accepted: 0 to 1",
        ),
        (
            '[[effects]]\nplugin = "Compressor"\nparams = { ratio = "4" }\n',
            "effects[0].params.ratio",
            "expected a number, got str '4'",
        ),
        (
            '[[effects]]\nplugin = "BrickwallLimiter"\nparams = { true_peak = 1 }\n',
            "effects[0].params.true_peak",
            "expected true or false",
        ),
    ],
)
def test_output_and_effect_values_are_checked(
    tmp_path: Path, extra: str, key: str, expected: str
) -> None:
    assert expected in _problems(tmp_path, VALID_EDIT + "\n" + extra)[key].message


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = (
        VALID_EDIT.replace("description =", "descripton =")
        .replace("n_max = 30", "num_steps = 50\nn_max = 99")
        .replace("[flowedit]", "[generation]\nduration_s = 5.0\n\n[flowedit]")
        + '\n[[effects]]\nplugin = "Reverbb"\n\n[[effects]]\nplugin = "Gain"\n'
        + "params = { gain_db = 100 }\n"
    )
    path = _write(tmp_path, text)
    keys = {p.key for p in validate_file(path)}
    assert keys == {
        "descripton",
        "description",
        "flowedit.n_max",
        "generation",
        "effects[0].plugin",
        "effects[1].params.gain_db",
    }
    with pytest.raises(PresetError) as caught:
        load_preset(path)
    assert {p.key for p in caught.value.problems} == keys
    assert str(caught.value).count("\n  - ") == len(keys)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    text = VALID_EDIT.replace("[prompts]", "oops = = 1\n[prompts]")
    problems = validate_file(_write(tmp_path, text))
    assert len(problems) == 1
    assert "not valid TOML" in problems[0].message
    assert re.search(r"line \d+", problems[0].message)


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    problems = validate_file(tmp_path / "absent.toml")
    assert len(problems) == 1
    assert "cannot read the file" in problems[0].message


def test_name_must_match_the_file_name(tmp_path: Path) -> None:
    problem = _problems(tmp_path, VALID_EDIT, name="other")["name"]
    assert "rename the file to my-edit.toml" in problem.message
    bad = _problems(tmp_path, VALID_EDIT.replace('"my-edit"', '"My Edit"'))["name"]
    assert "lowercase letters, digits and hyphens" in bad.message


def test_tables_of_the_other_kind_are_problems(tmp_path: Path) -> None:
    text = VALID_EDIT + "\n[generation]\nduration_s = 4.0\n"
    assert "only read for kind = 'generate'" in _problems(tmp_path, text)["generation"].message
    generate = (
        'schema_version = 1\nname = "gen"\ndescription = "d"\nkind = "generate"\n'
        '[prompts]\nsource = "{source}"\ntarget = "{source}, loud"\n'
        "[flowedit]\nn_max = 30\n[output]\nmatch_loudness = true\n"
    )
    problems = _problems(tmp_path, generate, name="gen")
    assert set(problems) == {
        "prompts.source",
        "prompts.target",
        "flowedit",
        "output.match_loudness",
    }


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{source} in {weather", "expected '}' before end of string"),
        ("{source.__class__}", "must be a plain name"),
        ("{0} rain", "must be a plain name"),
        ("{weather!r}", "may not carry a format spec or conversion"),
    ],
)
def test_bad_templates_are_problems(tmp_path: Path, target: str, expected: str) -> None:
    text = VALID_EDIT.replace('"{source} in {weather}"', repr(target))
    assert expected in _problems(tmp_path, text)["prompts.target"].message


def test_default_for_the_source_caption_is_refused(tmp_path: Path) -> None:
    text = VALID_EDIT.replace('weather = "rain"', 'weather = "rain"\nsource = "x"')
    assert "cannot have a default" in _problems(tmp_path, text)["prompts.defaults.source"].message


@pytest.mark.parametrize(
    ("effect", "key", "expected"),
    [
        ('plugin = "Gain"\npath = "x.vst3"', "effects[0]", "exactly one of"),
        ("params = {}", "effects[0]", "exactly one of"),
        ('path = "notes.txt"', "effects[0].path", "expected a file ending in .vst3 or .component"),
        ('path = "Missing.vst3"', "effects[0].path", "plug-in 'Missing' not found at"),
        ('plugin = "Gain"\nplugin_name = "x"', "effects[0].plugin_name", "only used with `path`"),
    ],
)
def test_effect_shape_problems(tmp_path: Path, effect: str, key: str, expected: str) -> None:
    problem = _problems(tmp_path, VALID_EDIT + f"\n[[effects]]\n{effect}\n")[key]
    assert expected in problem.message
    if "not found" in expected:
        assert str(tmp_path / "Missing.vst3") in problem.message


def test_effects_must_be_an_array_of_tables(tmp_path: Path) -> None:
    text = VALID_EDIT.replace("schema_version = 1", 'schema_version = 1\neffects = "Reverb"')
    assert "one [[effects]] block per plug-in" in _problems(tmp_path, text)["effects"].message


def _signature_params(name: str) -> set[str]:
    """Keyword names in pedalboard's own constructor signature (pybind11 docstring)."""
    doc = getattr(pedalboard, name).__init__.__doc__ or ""
    return set(re.findall(r", (\w+): ", doc.splitlines()[0]))


@pytest.mark.parametrize("name", sorted(BUILTIN_PLUGINS))
def test_plugin_table_matches_pedalboard(name: str) -> None:
    assert set(BUILTIN_PLUGINS[name]) == _signature_params(name)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("{ mix = 0.5 }", "Convolution needs `impulse_response_filename`"),
        (
            '{ impulse_response_filename = "irs/missing.wav" }',
            "impulse response file not found at",
        ),
    ],
)
def test_convolution_without_its_impulse_response_is_a_problem(
    tmp_path: Path, params: str, expected: str
) -> None:
    """Caught by `sa presets check`, as a missing VST3 is, not when the daemon builds the chain."""
    effect = f'\n[[effects]]\nplugin = "Convolution"\nparams = {params}\n'
    problems = _problems(tmp_path, VALID_EDIT + effect)
    assert expected in problems["effects[0].params.impulse_response_filename"].message
    if "missing" in params:
        assert str(tmp_path / "irs" / "missing.wav") in str(problems.values())
