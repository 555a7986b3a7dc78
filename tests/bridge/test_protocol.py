"""Protocol v1: decoding, validation and the options string (pure functions)."""

from __future__ import annotations

import math

import pytest
from pythonosc.osc_message import OscMessage
from semanticaudio.bridge import protocol, replies
from semanticaudio.bridge.protocol import (
    EditRequest,
    ErrorCode,
    GenerateRequest,
    JobOptions,
    ProtocolError,
    decode_request,
    format_options,
    parse_options,
)

EDIT_ARGS = ["j1", 9001, "/in.wav", 1.0, 2.0, "", "a cat meows", "/out", ""]


def refused(address: str, args: list) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        decode_request(address, args)
    return caught.value


def test_generate_decodes_into_a_typed_request() -> None:
    request = decode_request("/sa/generate", ["abc", 9001, "rain", 2, "/out", "seed=3;steps=4"])
    assert isinstance(request, GenerateRequest)
    assert request.duration_s == 2.0
    assert isinstance(request.duration_s, float)
    assert request.options == JobOptions(seed=3, num_steps=4)


def test_edit_decodes_with_range_relative_to_start() -> None:
    args = [*EDIT_ARGS[:-1], "range=0.5:1.5;match_loudness=0;n_max=4;n_min=1"]
    request = decode_request("/sa/edit", args)
    assert isinstance(request, EditRequest)
    assert request.options.range_s == (0.5, 1.5)
    assert request.options.match_loudness is False
    assert (request.options.n_max, request.options.n_min) == (4, 1)


def test_unknown_address_lists_accepted_ones() -> None:
    error = refused("/sa/fly", [1])
    assert error.code is ErrorCode.BAD_REQUEST
    assert "/sa/fly" in error.message
    assert "/sa/generate" in error.message


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["j", 9001, "rain", 1.0, "/out"], "expected 6 arguments, got 5"),
        (["j", "9001", "rain", 1.0, "/out", ""], "reply_port must be int, got str"),
        (["j", 9001, "rain", "long", "/out", ""], "duration_s must be float, got str"),
        (["j", 9001, "rain", True, "/out", ""], "duration_s must be float, got bool"),
        (["j", 9001, "rain", math.nan, "/out", ""], "finite"),
        (["j", 9001, "rain", math.inf, "/out", ""], "finite"),
        (["j", 70000, "rain", 1.0, "/out", ""], "reply_port must be in 1..65535"),
        (["../x", 9001, "rain", 1.0, "/out", ""], "job_id must be"),
        (["j", 9001, "   ", 1.0, "/out", ""], "prompt is empty"),
        (["j", 9001, "rain", 0.0, "/out", ""], "duration_s must be > 0"),
        (["j", 9001, "x" * 5000, 1.0, "/out", ""], "at most 4096"),
    ],
)
def test_bad_generate_arguments_are_named(args: list, words: str) -> None:
    error = refused("/sa/generate", args)
    assert error.code is ErrorCode.BAD_REQUEST
    assert words in error.message


def test_a_mistyped_argument_is_answered_with_the_whole_signature() -> None:
    error = refused("/sa/generate", ["j", 9001, "rain", "soon", "/out", ""])
    signature = "/sa/generate job_id:str reply_port:int prompt:str duration_s:float out_dir:str"
    assert f"expected: {signature} options:str" in error.message


@pytest.mark.parametrize(
    ("index", "value", "code"),
    [(4, 0.0, ErrorCode.BAD_REGION), (4, -1.0, ErrorCode.BAD_REGION),
     (3, -0.5, ErrorCode.BAD_REGION), (6, "", ErrorCode.BAD_REQUEST)],
)
def test_bad_edit_regions_and_prompts(index: int, value: object, code: ErrorCode) -> None:
    args = list(EDIT_ARGS)
    args[index] = value
    error = refused("/sa/edit", args)
    assert error.code is code
    assert error.job_id == "j1"  # the error still names the job


def test_range_must_fit_in_the_region() -> None:
    for options in ("range=1:3", "range=1:2.01", "range=2:2.00001"):
        error = refused("/sa/edit", [*EDIT_ARGS[:-1], options])
        assert error.code is ErrorCode.BAD_REGION
        assert "length_s=2.0" in error.message and "0 <= A < B <= length_s" in error.message


def test_a_range_ending_at_the_region_end_survives_float32_and_printing() -> None:
    """A DAW selection clipped to its item: the range ends exactly at length_s, but length_s
    arrives as a float32 (2.3456789 -> 2.34567880...) and the range as printed text."""
    length = 2.3456789
    message = OscMessage(protocol.encode_message("/sa/edit", [*EDIT_ARGS[:4], length,
                                                              *EDIT_ARGS[5:]]))
    length_f32 = message.params[4]
    assert length_f32 < length
    for printed in (repr(length), f"{length:g}"):
        args = [*EDIT_ARGS[:4], length_f32, *EDIT_ARGS[5:-1], f"range=1:{printed}"]
        assert decode_request("/sa/edit", args).options.range_s == (1.0, length_f32)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("foo=1", "generate", "'foo' is unknown; accepted keys: seed, steps"),
        ("n_max=3", "generate", "not valid for /sa/generate"),
        ("range=0:1", "generate", "not valid for /sa/generate"),
        ("seed=abc", "edit", "int in 0.."),
        ("steps=0", "edit", "int in 1..1000"),
        ("variations=9", "edit", "int in 1..8"),
        ("cfg=nan", "edit", "float in 0..50"),
        ("bit_depth=20", "edit", "16 or 24 or 32"),
        ("match_loudness=yes", "edit", "0 or 1"),
        ("range=2:1", "edit", "A:B with 0 <= A < B"),
        ("range=1", "edit", "A:B"),
        ("preset=a;b", "edit", "has no '='"),
        ("preset=../../etc passwd", "edit", "A-Z a-z 0-9"),
        ("seed=1;seed=2", "edit", "given twice"),
        ("n_max=2;n_min=2", "edit", "n_min (2) must be smaller than n_max (2)"),
    ],
)
def test_bad_options_say_what_is_accepted(text: str, kind: str, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_options(text, kind)
    assert caught.value.code is ErrorCode.BAD_OPTION
    assert words in caught.value.message


def test_options_ignore_blanks_and_round_trip() -> None:
    options = parse_options(" seed = 7 ;; cfg=3.5; range=0.25:1;bit_depth=32;", "edit")
    assert options == JobOptions(seed=7, guidance=3.5, range_s=(0.25, 1.0), bit_depth=32)
    assert parse_options(format_options(options), "edit") == options
    assert parse_options("", "generate") == JobOptions()


def test_every_option_field_exists_on_job_options() -> None:
    fields = set(JobOptions.__dataclass_fields__)
    assert {spec.field for spec in protocol.OPTIONS} == fields


def test_errors_of_broken_requests_salvage_job_id_and_port() -> None:
    args = ["job-7", 9005, "rain", "soon", "/out", ""]
    assert protocol.salvage_job_id("/sa/generate", args) == "job-7"
    assert protocol.salvage_reply_port("/sa/generate", args) == 9005
    assert protocol.salvage_reply_port("/sa/generate", ["j", "port"]) is None
    assert protocol.salvage_reply_port("/sa/generate", ["j", True]) is None
    assert protocol.salvage_job_id("/sa/nope", ["x"]) == ""


def test_replies_encode_to_osc_with_their_types() -> None:
    cases = [
        (replies.pong("tiny", "cpu"), ["1", "tiny", "cpu"]),
        (replies.accepted("j", 3), ["j", 3]),
        (replies.done("j", ["/a.wav", "/b.wav"]), ["j", "/a.wav", "/b.wav"]),
        (replies.error("", "bad_request", "why"), ["", "bad_request", "why"]),
        (replies.status(["a", "b"], "r", 0.5, "plan"), [2, "r", 0.5, "plan", "a", "b"]),
        (replies.presets([("p", "edit", "d")]), ["p", "edit", "d"]),
    ]
    for reply, params in cases:
        message = OscMessage(reply.encode())
        assert message.address == reply.address
        assert list(message.params) == params


def test_progress_is_clamped_and_long_messages_are_cut() -> None:
    assert replies.progress("j", 1.5, "decode").args[1] == 1.0
    long = replies.error("j", ErrorCode.ENGINE_ERROR, "x" * 5000)
    assert len(long.args[2]) == protocol.MAX_MESSAGE_CHARS
    with pytest.raises(ValueError, match="not a reply address"):
        replies.Reply("/sa/nonsense", ())


def test_a_range_shorter_than_the_minimum_is_bad_region() -> None:
    """A nearly empty range used to run the whole model for an edit nobody hears."""
    for options in ("range=0.2:0.2000001", "range=1.95:2", "range=0:0.079"):
        error = refused("/sa/edit", [*EDIT_ARGS[:-1], options])
        assert error.code is ErrorCode.BAD_REGION
        assert f"at least {protocol.MIN_RANGE_S:g} s" in error.message
    request = decode_request("/sa/edit", [*EDIT_ARGS[:-1], "range=1.92:2.00001"])
    assert request.options.range_s == (1.92, 2.0)


def test_the_minimum_range_is_the_engines_mask_ramp() -> None:
    """protocol.py cannot import engine.regions (torch); this keeps the copy honest."""
    from semanticaudio.engine import regions

    assert protocol.MIN_RANGE_S == regions.MASK_RAMP_S
