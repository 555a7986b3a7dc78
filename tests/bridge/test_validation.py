"""File-system and limit checks of requests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from semanticaudio.bridge import validation
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.errors import EngineError

from tests.bridge.helpers import tone, write_audio

LIMITS = validation.Limits(min_duration_s=0.5, max_duration_s=30.0)


def code_of(call, *args) -> ErrorCode:
    with pytest.raises(ProtocolError) as caught:
        call(*args)
    return caught.value.code


def test_out_dir_must_be_an_existing_absolute_directory(tmp_path: Path) -> None:
    assert validation.check_out_dir(str(tmp_path)) == tmp_path
    (tmp_path / "file").write_text("x")
    for bad in ("relative/dir", str(tmp_path / "missing"), str(tmp_path / "file")):
        assert code_of(validation.check_out_dir, bad) is ErrorCode.BAD_PATH


def test_in_path_must_be_a_readable_audio_file(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", tone(1.0, 8000), 8000)
    assert validation.check_audio_file(str(wav)).num_frames == 8000
    (tmp_path / "text.wav").write_text("not audio")
    assert code_of(validation.check_audio_file, str(tmp_path)) is ErrorCode.BAD_PATH  # folder
    assert code_of(validation.check_audio_file, str(tmp_path / "no.wav")) is ErrorCode.BAD_PATH
    assert code_of(validation.check_audio_file, "a.wav") is ErrorCode.BAD_PATH
    assert code_of(validation.check_audio_file, str(tmp_path / "text.wav")) is ErrorCode.BAD_AUDIO


@pytest.mark.parametrize(
    ("start_s", "length_s", "code"),
    [(0.0, 2.0, None), (1.5, 0.5, None), (1.5, 0.6, ErrorCode.BAD_REGION),
     (2.0, 0.5, ErrorCode.BAD_REGION), (0.0, 0.2, ErrorCode.BAD_REGION),
     (0.0, 31.0, ErrorCode.TOO_LONG)],
)
def test_region_must_lie_inside_the_file(
    tmp_path: Path, start_s: float, length_s: float, code: ErrorCode | None
) -> None:
    wav = write_audio(tmp_path / "a.wav", tone(2.0, 8000), 8000)
    request = decode_request(
        "/sa/edit", ["j", 9000, str(wav), start_s, length_s, "", "x", str(tmp_path), ""])
    if code is None:
        validation.check_edit(request, LIMITS)
    else:
        assert code_of(validation.check_edit, request, LIMITS) is code


def test_generate_duration_is_bounded(tmp_path: Path) -> None:
    def request(duration_s: float):
        return decode_request("/sa/generate", ["j", 9000, "x", duration_s, str(tmp_path), ""])

    validation.check_generate(request(30.0), LIMITS)
    assert code_of(validation.check_generate, request(1e9), LIMITS) is ErrorCode.TOO_LONG
    assert code_of(validation.check_generate, request(0.1), LIMITS) is ErrorCode.BAD_REQUEST


def message_of(call, *args) -> str:
    with pytest.raises(ProtocolError) as caught:
        call(*args)
    assert caught.value.code is ErrorCode.BAD_PATH
    return caught.value.message


def test_a_name_too_long_for_the_file_system_is_bad_path_not_a_crash() -> None:
    """Path.is_dir()/is_file() raise ENAMETOOLONG instead of answering False."""
    overlong = "/" + "a" * 300
    for check in (validation.check_out_dir, validation.check_audio_file):
        assert "too long for the file system" in message_of(check, overlong)
        assert "300 bytes" in message_of(check, overlong + "/x.wav")


def test_in_path_that_is_not_a_regular_file_says_what_it_is(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", tone(1.0, 8000), 8000)
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.wav"
    loop.symlink_to(loop)
    dangling = tmp_path / "dangling.wav"
    dangling.symlink_to(tmp_path / "gone.wav")
    expected = {
        "/dev/null": "is a device file",
        str(fifo): "is a named pipe (FIFO)",
        str(loop): "symbolic link that leads back to itself",
        str(dangling): "symbolic link to",
        f"{wav}/": "ends with '/', so it names a directory",
        f"{wav}/.": "should be a directory is a file",
    }
    for path, words in expected.items():
        assert words in message_of(validation.check_audio_file, path), path


def test_out_dir_must_take_new_files(tmp_path: Path) -> None:
    """os.access says yes to root for /proc; only creating a file there tells."""
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    assert "does not accept new files" in message_of(validation.check_out_dir, "/proc")
    assert "is a file, not a directory" in message_of(validation.check_out_dir, "/proc/version")
    validation.check_out_dir(str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # the trial file is gone again


def test_a_job_output_above_the_limit_is_too_long_and_says_its_size() -> None:
    validation.check_output_size(30.0, 96000, 2, 8)  # 46 M samples
    with pytest.raises(ProtocolError) as caught:
        validation.check_output_size(5.0, 192000, 32, 8)
    assert caught.value.code is ErrorCode.TOO_LONG
    assert "245,760,000 samples" in caught.value.message
    assert f"{validation.MAX_OUTPUT_SAMPLES:,}" in caught.value.message


FLOWEDIT_CASES = [
    {}, {"n_max": 0}, {"n_max": 3}, {"n_min": 5}, {"n_min": 6}, {"n_max": 7},
    {"num_steps": 2}, {"num_steps": 1}, {"num_steps": 2, "n_max": 1},
    {"num_steps": 2, "n_max": 0}, {"num_steps": 20, "n_min": 4}, {"num_steps": 3, "n_min": 3},
    {"num_steps": 4, "n_max": 5, "n_min": 0}, {"n_max": 2, "n_min": 0},
]


@pytest.mark.parametrize("chosen", FLOWEDIT_CASES)
def test_flowedit_check_refuses_exactly_what_the_engine_refuses(
    tiny_pipeline: Any, chosen: dict[str, int]
) -> None:
    defaults = tiny_pipeline.checkpoint.config.flowedit  # 6 steps, n_max 5, n_min 1
    sampler = {key: chosen.get(key) for key in validation.FLOWEDIT_KEYS}
    try:
        tiny_pipeline._flowedit_settings(*sampler.values())
    except EngineError:
        engine_refuses = True
    else:
        engine_refuses = False
    if not engine_refuses:
        validation.check_flowedit(sampler, defaults)
        return
    with pytest.raises(ProtocolError) as caught:
        validation.check_flowedit(sampler, defaults)
    assert caught.value.code is ErrorCode.BAD_OPTION
    assert "0 <= n_min <= n_max <= steps" in caught.value.message


def test_flowedit_refusal_names_the_values_and_what_the_edit_set() -> None:
    sampler = dict.fromkeys(validation.FLOWEDIT_KEYS)
    with pytest.raises(ProtocolError) as caught:
        validation.check_flowedit({**sampler, "n_max": 5}, FlowEditConfig())  # 50, 35, 10
    message = caught.value.message
    assert "got n_min=10, n_max=5, num_steps=50" in message  # what would run
    assert "this edit sets n_max=5" in message and "the model's defaults: num_steps=50" in message
