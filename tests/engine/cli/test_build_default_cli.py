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


def _build_with_one_step(monkeypatch, tmp_path, argv):
    """``sa build-default`` whose only step runs ``sa ARGV`` as the flow steps do."""
    from semanticaudio.engine.cli import main
    from semanticaudio.engine.recipes import build, steps

    def step(profile, layout, device, progress):
        steps._sa(argv)
        return {}

    monkeypatch.setattr(build, "STEPS", (("corpus", step),))
    return main(["build-default", "--out", str(tmp_path / "build"), "--profile", "tiny",
                 "--device", "cpu", "--until", "corpus"])


def test_a_failed_step_command_is_one_line_naming_it(monkeypatch, tmp_path, capsys):
    missing = tmp_path / "no-cache"
    status = _build_with_one_step(monkeypatch, tmp_path, [
        "train", "stage1", "--config", "tiny", "--data", str(missing), "--out",
        str(tmp_path / "run"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"sa train: error: {missing} is not a feature cache" in err
    assert "sa build-default: error: `sa train stage1" in err and "to resume" in err
    assert "Traceback" not in err


def test_an_interrupted_step_command_interrupts_the_build(monkeypatch, tmp_path, capsys):
    from semanticaudio.engine.cli import train

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    status = _build_with_one_step(monkeypatch, tmp_path, [
        "train", "stage1", "--data", str(tmp_path), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 130
    assert "sa train: interrupted" in err and "sa build-default: interrupted" in err
