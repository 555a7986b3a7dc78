"""`sa presets list|show|check` through presets_cli.main and add_presets_parser."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest
from semanticaudio.bridge.presets import builtin_dir
from semanticaudio.bridge.presets_cli import add_presets_parser, main, register, run_presets

BROKEN = """\
schema_version = 1
name = "broken"
descripton = "typo"
kind = "edit"

[flowedit]
num_steps = 50
n_max = 99

[[effects]]
plugin = "Reverbb"
"""


def test_list_shows_every_preset_and_marks_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (builtin_dir() / "chains" / "radio.toml").read_text(encoding="utf-8")
    (tmp_path / "radio.toml").write_text(text, encoding="utf-8")
    assert main(["--user-dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "weather-change" in out
    assert "cinematic-impact" in out
    radio = next(line for line in out.splitlines() if line.startswith("radio "))
    assert " * generate " in radio
    assert "user preset replacing the built-in" in out


def test_list_warns_about_broken_user_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    assert main(["--user-dir", str(tmp_path), "list"]) == 0
    captured = capsys.readouterr()
    assert "broken" not in captured.out
    assert "did you mean 'Reverb'?" in captured.err


def test_show_prints_toml_with_every_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--user-dir", str(tmp_path), "show", "intensity-change"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# {builtin_dir() / 'edit' / 'intensity-change.toml'}")
    data = tomllib.loads(out)
    assert data["flowedit"]["null_source"] is True
    assert data["output"]["match_loudness"] is False


def test_show_unknown_name_fails_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--user-dir", str(tmp_path), "show", "big-hal"]) == 1
    assert "did you mean 'big-hall'?" in capsys.readouterr().err


def test_check_passes_the_shipped_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(builtin_dir())]) == 0
    assert "0 with 0 problem(s)" in capsys.readouterr().out


def test_check_prints_every_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text(BROKEN, encoding="utf-8")
    good = builtin_dir() / "edit" / "sound-removal.toml"
    assert main(["check", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 4
    assert all(line.startswith(str(bad)) for line in lines)
    for expected in (
        "did you mean 'description'?",
        "description: missing",
        "flowedit.n_max: 99 is out of range",
        "did you mean 'Reverb'?",
    ):
        assert expected in captured.err
    assert "checked 2 file(s): 1 valid, 1 with 4 problem(s)" in captured.out


def test_check_missing_path_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.toml")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_wires_into_a_parent_parser(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="sa")
    add_presets_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["presets", "--user-dir", str(tmp_path), "show", "telephone"])
    assert args.func is run_presets
    assert args.func(args) == 0
    assert 'plugin = "GSMFullRateCompressor"' in capsys.readouterr().out


def test_registers_in_the_sa_commands_table(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="sa")
    register(parser.add_subparsers(dest="command").add_parser("presets"))
    args = parser.parse_args(["presets", "check", str(builtin_dir() / "chains")])
    assert args.run(args) == 0
    count = len(list((builtin_dir() / "chains").glob("*.toml")))
    assert f"checked {count} file(s): {count} valid" in capsys.readouterr().out
