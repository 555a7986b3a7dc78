"""Job settings: options over presets over defaults, and the prompt limit of the engine."""

from __future__ import annotations

import pytest
from semanticaudio.bridge.job_settings import resolve_edit, resolve_generate
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request
from semanticaudio.engine.limits import MAX_PROMPT_CHARS


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PresetLibrary:
    return PresetLibrary.load(tmp_path_factory.mktemp("no-user-presets"))


def generate(prompt: str, options: str = ""):
    return decode_request("/sa/generate", ["g1", 9000, prompt, 1.0, "/out", options])


def edit(source: str, target: str, options: str = ""):
    return decode_request("/sa/edit", ["e1", 9000, "/in.wav", 0.0, 1.0, source, target, "/out",
                                       options])


def refusal(call, *args) -> str:
    with pytest.raises(ProtocolError) as caught:
        call(*args)
    assert caught.value.code is ErrorCode.BAD_REQUEST
    return caught.value.message


def test_prompts_longer_than_the_engine_takes_are_refused_before_the_job(
    library: PresetLibrary,
) -> None:
    """The protocol allows 4096 characters; the engine fails a job over MAX_PROMPT_CHARS."""
    longest, too_long = "a" * MAX_PROMPT_CHARS, "a" * (MAX_PROMPT_CHARS + 1)
    assert resolve_generate(generate(longest), library).target_prompt == longest
    assert resolve_edit(edit("", longest), library).target_prompt == longest
    words = f"has {MAX_PROMPT_CHARS + 1} characters; the model takes at most {MAX_PROMPT_CHARS}"
    assert words in refusal(resolve_generate, generate(too_long), library)
    assert words in refusal(resolve_edit, edit("", too_long), library)


def test_a_prompt_that_a_preset_makes_too_long_is_refused(library: PresetLibrary) -> None:
    half = "b" * (MAX_PROMPT_CHARS // 2)
    request = edit(half, half, "preset=weather-change")  # target = "{source} in {target}"
    assert "built by preset 'weather-change'" in refusal(resolve_edit, request, library)



def test_a_presets_schedule_follows_steps_by_the_engines_one_rule(library: PresetLibrary) -> None:
    """subject-replace edits steps 36 … 10 of 50. `steps` alone moves both in proportion; with
    `n_max` given too, n_min follows and stays at most n_max (the old daemon rule gave n_min 4
    above n_max 2, an edit that could not run), exactly as `sa edit --preset` does."""
    preset = library.get("subject-replace")
    alone = resolve_edit(edit("a dog barks", "a cat meows", "preset=subject-replace;steps=20"),
                         library).sampler
    assert (alone["num_steps"], alone["n_max"], alone["n_min"]) == (20, 14, 4)
    both = resolve_edit(edit("a dog barks", "a cat meows",
                             "preset=subject-replace;steps=20;n_max=2"), library).sampler
    assert (both["n_max"], both["n_min"]) == (2, 2)
    assert both["n_min"] == preset.flowedit.merged(num_steps=20, n_max=2).n_min
    with pytest.raises(ProtocolError) as caught:
        resolve_edit(edit("a dog barks", "a cat meows", "preset=subject-replace;n_min=40"),
                     library)
    assert caught.value.code is ErrorCode.BAD_OPTION
    assert "preset 'subject-replace' cannot run with these options" in caught.value.message


def test_a_generate_preset_leaves_the_models_own_steps_and_guidance_unless_it_names_them(
    library: PresetLibrary, tmp_path
) -> None:
    """A checkpoint's guidance is chosen for it (the default model's is 2): a preset that does
    not name steps or guidance must not replace them with the paper's 50 and 4.5."""
    for preset in (library.get(n) for n in library.names() if library.get(n).kind == "generate"):
        sampler = resolve_generate(generate("rain", f"preset={preset.name}"), library).sampler
        assert (sampler["num_steps"], sampler["guidance"]) == (None, None), preset.name
    (tmp_path / "strong.toml").write_text(
        'schema_version = 1\nname = "strong"\ndescription = "x"\nkind = "generate"\n'
        '[prompts]\ntarget = "{target}"\n[generation]\nguidance = 6.0\n', encoding="utf-8")
    named = resolve_generate(generate("rain", "preset=strong"), PresetLibrary.load(tmp_path))
    assert (named.sampler["num_steps"], named.sampler["guidance"]) == (None, 6.0)
    told = resolve_generate(generate("rain", "preset=strong;cfg=3"),
                            PresetLibrary.load(tmp_path))
    assert told.sampler["guidance"] == 3.0  # the request's option still wins


def test_an_edit_template_that_leaves_its_schedule_out_edits_as_no_preset_would(
    tmp_path,
) -> None:
    """Keys a template's [flowedit] leaves out are the engine's FlowEdit defaults, so an empty
    table runs the same schedule as a request without a preset."""
    from semanticaudio.engine.config import FlowEditConfig

    (tmp_path / "plain.toml").write_text(
        'schema_version = 1\nname = "plain"\ndescription = "x"\nkind = "edit"\n'
        '[prompts]\ntarget = "{target}"\n[flowedit]\n', encoding="utf-8")
    preset = PresetLibrary.load(tmp_path).get("plain")
    assert preset.flowedit.merged() == FlowEditConfig()


def test_a_templates_left_out_flowedit_keys_are_the_loaded_models(tmp_path) -> None:
    """A template that names only its target guidance runs the loaded model's own schedule
    (here a 6-step tiny model's), not a 50-step one the model was never set up for."""
    from semanticaudio.engine.config import FlowEditConfig

    (tmp_path / "strong.toml").write_text(
        'schema_version = 1\nname = "strong"\ndescription = "x"\nkind = "edit"\n'
        '[prompts]\ntarget = "{target}"\n[flowedit]\ntarget_guidance = 7.0\n', encoding="utf-8")
    tiny = FlowEditConfig(num_steps=6, n_max=4, n_min=1, n_avg=1)
    sampler = resolve_edit(edit("a dog", "a cat", "preset=strong"), PresetLibrary.load(tmp_path),
                           tiny).sampler
    assert (sampler["num_steps"], sampler["n_max"], sampler["n_min"], sampler["n_avg"]) == (
        6, 4, 1, 1)
    assert sampler["target_guidance"] == 7.0
