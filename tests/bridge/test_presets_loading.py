"""Reading preset files: a file that is not UTF-8 text is reported by name and skipped, never
breaking the other presets; [generation] accepts exactly what the pipeline can run."""

from __future__ import annotations

from pathlib import Path

import pytest
from semanticaudio.bridge.presets import PresetLibrary, builtin_dir, validate_file
from semanticaudio.bridge.presets_cli import main
from semanticaudio.engine.pipeline import Pipeline

NOT_UTF8 = b'name = "\xff\xfe"\n'
GENERATE_PRESET = """schema_version = 1
name = "takes"
description = "generation limits"
kind = "generate"

[generation]
{line}

[output]
match_loudness = false
"""


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "broken.toml").write_bytes(NOT_UTF8)
    return folder


def test_a_file_that_is_not_utf8_is_one_problem_naming_it(user_dir: Path) -> None:
    (problem,) = validate_file(user_dir / "broken.toml")
    assert problem.file == user_dir / "broken.toml"
    assert "not UTF-8 text: byte 0xff at offset 8" in problem.message


def test_the_library_skips_it_and_keeps_every_other_preset(user_dir: Path) -> None:
    library = PresetLibrary.load(user_dir)
    assert "broken" in library.broken
    assert "weather-change" in library.names() and "telephone" in library.names()
    assert [str(problem.file) for problem in library.problems] == [str(user_dir / "broken.toml")]


def test_presets_list_reports_it_on_stderr(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--user-dir", str(user_dir), "list"]) == 0
    captured = capsys.readouterr()
    assert "weather-change" in captured.out
    assert f"{user_dir / 'broken.toml'}: not UTF-8 text" in captured.err


def test_presets_check_reports_a_binary_file_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = tmp_path / "some.wav"
    wav.write_bytes(b"RIFF\xa4\x00\x00\x00WAVEfmt " + bytes(range(256)))
    shipped = len(list(builtin_dir().rglob("*.toml")))
    assert main(["check", str(wav), str(builtin_dir())]) == 1
    captured = capsys.readouterr()
    assert f"{wav}: not UTF-8 text" in captured.err
    assert f"checked {shipped + 1} file(s): {shipped} valid, 1 with 1 problem(s)" in captured.out


@pytest.mark.parametrize(
    ("line", "accepted"),
    [
        (f"duration_s = {Pipeline.min_duration_s}", True),
        (f"duration_s = {Pipeline.max_duration_s}", True),
        (f"duration_s = {Pipeline.min_duration_s - 0.1}", False),
        (f"duration_s = {Pipeline.max_duration_s + 1}", False),
        (f"variations = {Pipeline.max_variations}", True),
        (f"variations = {Pipeline.max_variations + 1}", False),
    ],
)
def test_generation_accepts_what_the_pipeline_runs(tmp_path: Path, line: str, accepted: bool):
    path = tmp_path / "takes.toml"
    path.write_text(GENERATE_PRESET.format(line=line), encoding="utf-8")
    problems = validate_file(path)
    assert (problems == []) == accepted
    if not accepted:
        key = line.split(" = ")[0]
        assert [p.key for p in problems] == [f"generation.{key}"]
        assert "out of range" in problems[0].message
