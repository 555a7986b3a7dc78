"""Options the engine would refuse are refused by ``sa`` in its own words (the option's name,
the value, what is accepted), before the model loads where the model is not needed."""

import pytest
from semanticaudio.engine.cli import main
from semanticaudio.engine.pipeline import Pipeline

from tests.engine.cli.helpers import QUICK, write_tones


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "car.wav"
    write_tones(path, (0.3,))
    return path


@pytest.mark.parametrize("count", ["0", "-1", "9"])
@pytest.mark.parametrize("command", ["generate", "edit"])
def test_variations_outside_one_to_the_pipelines_maximum_are_refused(
        tmp_path, source, model, no_model_load, capsys, count, command):
    head = ["generate", "rain"] if command == "generate" else ["edit", str(source), "--target",
                                                               "rain"]
    assert main([*head, "--variations", count, "-o", str(tmp_path / "o.wav"), *model]) == 1
    assert Pipeline.max_variations == 8
    assert (f"--variations must be a whole number from 1 to 8, got {count}"
            in capsys.readouterr().err)
    assert not list(tmp_path.glob("o*.wav"))


@pytest.mark.parametrize(
    ("command", "option", "value", "message"),
    [
        ("generate", "--synth-steps", "0", "--synth-steps must be a whole number from 1 to 1000"),
        ("generate", "--steps", "0", "--steps must be a whole number from 1 to 1000, got 0"),
        ("generate", "--cfg", "-1", "--cfg must be a number from 0.0 to 50.0, got -1"),
        ("generate", "--duration", "99", "--duration must be from 0.5 to 30.0 seconds, got 99"),
        ("edit", "--synth-steps", "0", "--synth-steps must be a whole number from 1 to 1000"),
        ("edit", "--n-avg", "65", "--n-avg must be a whole number from 1 to 64, got 65"),
        ("edit", "--target-cfg", "nan", "--target-cfg must be a number from 0.0 to 50.0"),
    ],
)
def test_bad_numbers_name_their_option(tmp_path, source, model, no_model_load, capsys, command,
                                       option, value, message):
    head = ["generate", "rain"] if command == "generate" else ["edit", str(source), "--target",
                                                               "rain"]
    assert main([*head, option, value, "-o", str(tmp_path / "o.wav"), *model]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_flowedit_settings_that_cannot_run_name_sa_options(tmp_path, source, model, capsys):
    assert main(["edit", str(source), "--target", "rain", "--steps", "4", "--n-max", "3",
                 "--n-min", "4", "-o", str(tmp_path / "o.wav"), *model]) == 1
    err = capsys.readouterr().err
    assert "0 ≤ --n-min ≤ --n-max ≤ --steps" in err and not (tmp_path / "o.wav").exists()


def test_a_preset_asks_for_the_missing_caption_by_its_option(tmp_path, source, model,
                                                             no_model_load, capsys):
    out = ["-o", str(tmp_path / "o.wav"), *QUICK, *model]
    assert main(["edit", str(source), "--preset", "weather-change", *out]) == 1
    err = capsys.readouterr().err
    assert "preset 'weather-change' needs --source" in err and "source_prompt" not in err

    assert main(["edit", str(source), "--source", "a car passes by", "--preset",
                 "sound-addition", *out]) == 1
    err = capsys.readouterr().err
    assert "preset 'sound-addition' needs --target" in err and "target_prompt" not in err
    assert "the sound to add" in err  # the preset's own help for the field


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        ("generate", ["--seed", "-1"], "--seed must be a whole number from 0 to 2**63 - 1, got -1"),
        ("edit", ["--seed", str(2**63)],
         f"--seed must be a whole number from 0 to 2**63 - 1, got {2**63}"),
        ("edit", ["--source", "x" * 1001], "--source has 1001 characters; the model takes at most"),
        ("edit", ["--target", "x" * 1001], "--target has 1001 characters; the model takes at most"),
        ("edit", ["--target", "   "], "give --target (what the edited sound should be)"),
    ],
)
def test_seeds_and_captions_the_engine_refuses_are_refused_first(
        tmp_path, source, model, no_model_load, capsys, command, options, message):
    head = ["generate", "rain"] if command == "generate" else ["edit", str(source), "--target",
                                                               "rain"]
    assert main([*head, *options, "-o", str(tmp_path / "o.wav"), *model]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("prompt", "message"), [
    ("   ", "the prompt (the first argument) is empty; say what the sound should be"),
    ("x" * 1001, "the prompt (the first argument) has 1001 characters; the model takes at most"),
])
def test_a_prompt_the_engine_refuses_is_refused_first(tmp_path, model, no_model_load, capsys,
                                                      prompt, message):
    assert main(["generate", prompt, "-o", str(tmp_path / "o.wav"), *model]) == 1
    assert message in capsys.readouterr().err


def test_init_tiny_refuses_a_seed_torch_cannot_take_naming_it(tmp_path, capsys):
    folder = tmp_path / "tiny"
    assert main(["init-tiny", str(folder), "--seed", str(2**64)]) == 1
    err = capsys.readouterr().err
    assert f"--seed must be a whole number from 0 to 2**63 - 1, got {2**64}" in err
    assert not folder.exists()


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (["--start", "-1"], "--start must be from 0 to 39.500 seconds (the file lasts 40.000 s, "
                            "an edit at least 0.5 s), got -1"),
        (["--start", "40"], "--start must be from 0 to 39.500 seconds"),
        (["--start", "39.8"], "--start must be from 0 to 39.500 seconds"),
        (["--start", "nan", "--length", "2"], "--start must be from 0 to 39.500 seconds"),
        (["--start", "1e308"], "--start must be from 0 to 39.500 seconds"),  # inf frames
        (["--start", "5"], "from --start 5 to the end of the file is 35.000 s; edits take 0.5 to "
                           "30.0 s: give --length (at most 30)"),
        (["--length", "0.2"], "--length must be from 0.5 to 30.0 seconds, got 0.2"),
        (["--start", "5", "--length", "31"], "--length must be from 0.5 to 30.0 seconds, got 31"),
        (["--start", "20", "--length", "25"],
         "--start 20 --length 25 ends at 45.000 s, past the end of the file, which lasts 40.000 s;"
         " from --start 20, --length may be at most 20.000 seconds"),
        (["--start", "10", "--length", "5", "--range", "4", "6"],
         "--range 4 6 is not inside the audio edited; --range takes START END with 0 ≤ START < "
         "END ≤ 5.000 (seconds from --start, inside the 5.000 s region)"),
        (["--length", "5", "--range", "-1", "2"], "--range -1 2 is not inside the audio edited"),
        (["--start", "10", "--length", "5", "--range", "1", "1.05"],
         "--range 1 1.05 lasts 0.05 s; a range must last at least 0.08 s"),
    ],
)
def test_a_region_the_engine_or_the_file_cannot_take_is_refused_naming_its_flag(
        tmp_path, model, no_model_load, capsys, region, message):
    source = tmp_path / "long.wav"
    write_tones(source, (0.3,), sample_rate_hz=8000, duration_s=40.0)
    assert main(["edit", str(source), "--target", "rain", *region,
                 "-o", str(tmp_path / "o.wav"), *model]) == 1
    err = capsys.readouterr().err.replace(str(source), "the file")
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o.wav").exists()
