"""File-system and limit checks of requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from semanticaudio.bridge import validation
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request

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
