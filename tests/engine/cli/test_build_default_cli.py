import pytest
from semanticaudio.engine.cli import COMMANDS, build_parser
from semanticaudio.engine.cli.build_default import PROFILE_CHOICES, STEP_CHOICES
from semanticaudio.engine.recipes.build import STEP_NAMES
from semanticaudio.engine.recipes.profiles import PROFILES


def test_build_default_is_a_command_whose_choices_match_the_recipes():
    assert "build-default" in COMMANDS
    assert set(PROFILE_CHOICES) == set(PROFILES)
    assert STEP_CHOICES == STEP_NAMES


def test_build_default_parses_its_options():
    argv = ["build-default", "--out", "x", "--profile", "tiny", "--until", "codec"]
    args = build_parser(argv).parse_args(argv)
    assert (args.out, args.profile, args.until, args.device) == ("x", "tiny", "codec", "auto")
    bad = ["build-default", "--out", "x", "--profile", "huge"]
    with pytest.raises(SystemExit):
        build_parser(bad).parse_args(bad)
