"""OSC protocol v1: the single source of truth for addresses, arguments, options and replies.

Everything here is pure: decoding turns an address and its arguments into a small frozen request
dataclass or raises `ProtocolError(code, message)`; encoding turns a reply into OSC bytes.
Replies are built from the REPLIES table by `replies.py`. `docs/protocol.md` documents these
tables; `tests/bridge/test_protocol_doc.py` keeps the document in step with them.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder
from semanticaudio.engine.limits import MAX_GUIDANCE, MAX_N_AVG, MAX_STEPS, MAX_VARIATIONS

PROTOCOL_VERSION = "1"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9000
PREVIEW_JOB_ID = "preview"  # job id of /sa/preview replies (the request carries none)

MAX_STRING_CHARS = 4096  # prompts, paths and option strings; keeps datagrams far below 64 KB
MAX_MESSAGE_CHARS = 1000  # error messages are cut here so a reply always fits one datagram
JOB_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # it becomes part of file names


class ErrorCode(enum.StrEnum):
    """The `code` argument of `/sa/error`."""

    BAD_REQUEST = "bad_request"  # unknown address, missing or mistyped argument, bad value
    BAD_OPTION = "bad_option"  # unknown options key, bad value, or key not valid for the request
    BAD_PATH = "bad_path"  # out_dir/in_path missing, relative, wrong kind, unreadable/unwritable
    BAD_AUDIO = "bad_audio"  # in_path cannot be decoded as audio
    BAD_REGION = "bad_region"  # start_s/length_s/range outside the file, empty or too short
    TOO_LONG = "too_long"  # duration or region longer than the model accepts, output too big
    UNKNOWN_JOB = "unknown_job"  # cancel of a job that is neither queued nor running
    DUPLICATE_JOB = "duplicate_job"  # a job with this id is already queued or running
    CANCELLED = "cancelled"  # the job was cancelled (by request or at shutdown)
    QUEUE_FULL = "queue_full"  # too many jobs waiting
    BUSY = "busy"  # the engine is shutting down and accepts no new work
    ENGINE_ERROR = "engine_error"  # the pipeline rejected or failed the job
    PLUGIN_ERROR = "plugin_error"  # a preset's effect chain or plug-in failed to load or run
    NO_AUDIO_DEVICE = "no_audio_device"  # preview without PortAudio or an output device
    INTERNAL_ERROR = "internal_error"  # a bug in the bridge; the daemon keeps running


class ProtocolError(Exception):
    """A request the bridge refuses; `message` says what was wrong and what is accepted."""

    def __init__(self, code: ErrorCode, message: str, job_id: str = "") -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.job_id = job_id


@dataclass(frozen=True)
class Arg:
    """One positional OSC argument: its name and Python type (int, float or str)."""

    name: str
    kind: type


REQUESTS: dict[str, tuple[Arg, ...]] = {
    "/sa/ping": (Arg("reply_port", int),),
    "/sa/generate": (
        Arg("job_id", str), Arg("reply_port", int), Arg("prompt", str),
        Arg("duration_s", float), Arg("out_dir", str), Arg("options", str),
    ),
    "/sa/edit": (
        Arg("job_id", str), Arg("reply_port", int), Arg("in_path", str), Arg("start_s", float),
        Arg("length_s", float), Arg("source_prompt", str), Arg("target_prompt", str),
        Arg("out_dir", str), Arg("options", str),
    ),
    "/sa/cancel": (Arg("job_id", str), Arg("reply_port", int)),
    "/sa/status": (Arg("reply_port", int),),
    "/sa/presets": (Arg("reply_port", int),),
    "/sa/preview": (Arg("reply_port", int), Arg("path", str)),
}

# Reply address → its fixed leading arguments; a trailing "..." means more may follow.
REPLIES: dict[str, tuple[str, ...]] = {
    "/sa/pong": ("version:str", "model:str", "device:str"),
    "/sa/accepted": ("job_id:str", "position:int"),
    "/sa/progress": ("job_id:str", "fraction:float", "stage:str"),
    "/sa/done": ("job_id:str", "path:str", "..."),
    "/sa/error": ("job_id:str", "code:str", "message:str"),
    "/sa/status": (
        "queued:int", "running_job_id:str", "fraction:float", "stage:str", "queued_job_id:str",
        "...",
    ),
    "/sa/presets": ("name:str", "kind:str", "description:str", "..."),
}


# ----------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class OptionSpec:
    """One key of the options string: its type, bounds and which requests accept it."""

    key: str
    kind: str  # "int", "float", "str", "flag" (0|1), "choice" (one of `choices`), "range" (A:B)
    field: str  # the JobOptions attribute it fills
    low: float | None = None
    high: float | None = None
    choices: tuple[int, ...] = ()
    applies_to: tuple[str, ...] = ("generate", "edit")
    help: str = ""


_EDIT = ("edit",)
OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("seed", "int", "seed", 0, 2**63 - 1, help="random seed; same seed, same audio"),
    OptionSpec("steps", "int", "num_steps", 1, MAX_STEPS, help="planner sampling steps"),
    OptionSpec("cfg", "float", "guidance", 0.0, MAX_GUIDANCE,
               help="classifier-free guidance (edit: the target prompt's guidance)"),
    OptionSpec("synth_steps", "int", "synth_steps", 1, MAX_STEPS,
               help="synthesizer sampling steps"),
    OptionSpec("variations", "int", "variations", 1, MAX_VARIATIONS,
               help="files to render, each its own seed"),
    OptionSpec("preset", "str", "preset", help="a preset name from /sa/presets"),
    OptionSpec("sample_rate", "int", "sample_rate_hz", 8000, 192000,
               help="output rate in Hz (default: the source's rate; generate: the model's)"),
    OptionSpec("bit_depth", "choice", "bit_depth", choices=(16, 24, 32),
               help="WAV sample format: 16/24-bit integer or 32-bit float (default 24)"),
    OptionSpec("n_max", "int", "n_max", 0, MAX_STEPS, applies_to=_EDIT,
               help="FlowEdit: first step edited (larger = stronger edit)"),
    OptionSpec("n_min", "int", "n_min", 0, MAX_STEPS, applies_to=_EDIT,
               help="FlowEdit: last step edited"),
    OptionSpec("n_avg", "int", "n_avg", 1, MAX_N_AVG, applies_to=_EDIT,
               help="FlowEdit: noise draws averaged per step"),
    OptionSpec("source_cfg", "float", "source_guidance", 0.0, MAX_GUIDANCE, applies_to=_EDIT,
               help="FlowEdit: guidance of the source prompt"),
    OptionSpec("range", "range", "range_s", applies_to=_EDIT,
               help="A:B seconds relative to start_s; only this part is edited"),
    OptionSpec("match_loudness", "flag", "match_loudness", applies_to=_EDIT,
               help="1: scale the edit to the source region's RMS loudness"),
    OptionSpec("channels", "int", "channels", 1, 32,
               help="output channels (default: the source's; generate: 1)"),
)
OPTION_BY_KEY = {spec.key: spec for spec in OPTIONS}
PRESET_NAME_PATTERN = re.compile(r"[A-Za-z0-9_./-]{1,100}")


@dataclass(frozen=True)
class JobOptions:
    """Parsed options; None means "not given" (a preset or the pipeline's default applies)."""

    seed: int | None = None
    num_steps: int | None = None
    guidance: float | None = None
    synth_steps: int | None = None
    variations: int | None = None
    preset: str | None = None
    sample_rate_hz: int | None = None
    bit_depth: int | None = None
    n_max: int | None = None
    n_min: int | None = None
    n_avg: int | None = None
    source_guidance: float | None = None
    range_s: tuple[float, float] | None = None
    match_loudness: bool | None = None
    channels: int | None = None


def _bad_option(spec: OptionSpec, raw: str, accepted_text: str) -> ProtocolError:
    return ProtocolError(
        ErrorCode.BAD_OPTION, f"option {spec.key}={raw!r:.60} is invalid; accepted: {accepted_text}"
    )


def _number(spec: OptionSpec, raw: str, kind: type) -> float | int:
    bounds = f"{kind.__name__} in {spec.low:g}..{spec.high:g}"
    try:
        value = kind(raw)
    except ValueError:
        raise _bad_option(spec, raw, bounds) from None
    if not math.isfinite(value) or not spec.low <= value <= spec.high:
        raise _bad_option(spec, raw, bounds)
    return value


# How far past the region a range's end may reach and still mean the region's end (less than
# five samples at 48 kHz): float32 lengths and printed ranges round.
RANGE_ROUNDING_S = 1e-4
# The shortest range an edit accepts: the engine fades its edit in and out over
# engine.regions.MASK_RAMP_S (80 ms, two latent frames), so a shorter range is never edited at
# full strength. A copy, not an import (engine.regions imports torch; sa-client imports this
# module); tests/bridge/test_protocol.py keeps the two equal.
MIN_RANGE_S = 0.08


def _range(spec: OptionSpec, raw: str) -> tuple[float, float]:
    accepted_text = "A:B with 0 <= A < B, seconds relative to start_s (e.g. range=0.5:2)"
    parts = raw.split(":")
    try:
        start_s, end_s = (float(p) for p in parts)
    except ValueError:
        raise _bad_option(spec, raw, accepted_text) from None
    if not (math.isfinite(start_s) and math.isfinite(end_s) and 0 <= start_s < end_s):
        raise _bad_option(spec, raw, accepted_text)
    return (start_s, end_s)


def _option_value(spec: OptionSpec, raw: str) -> Any:
    if spec.kind == "int":
        return _number(spec, raw, int)
    if spec.kind == "float":
        return _number(spec, raw, float)
    if spec.kind == "flag":
        if raw not in ("0", "1"):
            raise _bad_option(spec, raw, "0 or 1")
        return raw == "1"
    if spec.kind == "choice":
        if raw not in {str(c) for c in spec.choices}:
            raise _bad_option(spec, raw, " or ".join(str(c) for c in spec.choices))
        return int(raw)
    if spec.kind == "range":
        return _range(spec, raw)
    if not PRESET_NAME_PATTERN.fullmatch(raw):
        raise _bad_option(spec, raw, "1..100 characters of A-Z a-z 0-9 _ . / -")
    return raw


def _split_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(";"):
        if not item.strip():
            continue  # "" and a trailing ";" mean nothing
        key, sep, raw = item.partition("=")
        if not sep:
            raise ProtocolError(
                ErrorCode.BAD_OPTION, f"option {item.strip()!r:.60} has no '='; write key=value"
            )
        pairs.append((key.strip(), raw.strip()))
    return pairs


def parse_options(text: str, request_kind: str) -> JobOptions:
    """Parse `key=value;key=value` for a "generate" or "edit" request. Raises ProtocolError."""
    values: dict[str, Any] = {}
    for key, raw in _split_pairs(text):
        spec = OPTION_BY_KEY.get(key)
        if spec is None or request_kind not in spec.applies_to:
            keys = ", ".join(s.key for s in OPTIONS if request_kind in s.applies_to)
            where = "unknown" if spec is None else f"not valid for /sa/{request_kind}"
            raise ProtocolError(
                ErrorCode.BAD_OPTION, f"option {key!r:.40} is {where}; accepted keys: {keys}"
            )
        if spec.field in values:
            raise ProtocolError(ErrorCode.BAD_OPTION, f"option {key!r} is given twice")
        values[spec.field] = _option_value(spec, raw)
    n_max, n_min = values.get("n_max"), values.get("n_min")
    if n_max is not None and n_min is not None and n_min >= n_max:
        raise ProtocolError(
            ErrorCode.BAD_OPTION, f"n_min ({n_min}) must be smaller than n_max ({n_max})"
        )
    return JobOptions(**values)


def format_options(options: JobOptions) -> str:
    """The inverse of parse_options: `key=value;...` for every option that is set."""
    by_field = {spec.field: spec for spec in OPTIONS}
    parts = []
    for item in fields(options):
        value = getattr(options, item.name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, tuple):
            value = f"{value[0]:g}:{value[1]:g}"
        parts.append(f"{by_field[item.name].key}={value}")
    return ";".join(parts)


# ---------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class PingRequest:
    reply_port: int


@dataclass(frozen=True)
class StatusRequest:
    reply_port: int


@dataclass(frozen=True)
class PresetsRequest:
    reply_port: int


@dataclass(frozen=True)
class PreviewRequest:
    reply_port: int
    path: str


@dataclass(frozen=True)
class CancelRequest:
    job_id: str
    reply_port: int


@dataclass(frozen=True)
class GenerateRequest:
    """Text → new audio of `duration_s` seconds, written into `out_dir`."""

    job_id: str
    reply_port: int
    prompt: str
    duration_s: float
    out_dir: str
    options: JobOptions


@dataclass(frozen=True)
class EditRequest:
    """Edit the region [start_s, start_s + length_s) of `in_path` towards `target_prompt`."""

    job_id: str
    reply_port: int
    in_path: str
    start_s: float
    length_s: float
    source_prompt: str  # "" → the null (unconditional) source condition
    target_prompt: str
    out_dir: str
    options: JobOptions


Request = (
    PingRequest | StatusRequest | PresetsRequest | PreviewRequest | CancelRequest
    | GenerateRequest | EditRequest
)
JobRequest = GenerateRequest | EditRequest


def _describe(address: str) -> str:
    args = " ".join(f"{a.name}:{a.kind.__name__}" for a in REQUESTS[address])
    return f"{address} {args}"


def _coerce(address: str, spec: Arg, value: Any) -> Any:
    """Check one argument's OSC type; ints are accepted where a float is expected."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if spec.kind is float and (is_int or isinstance(value, float)):
        value = float(value)
        if not math.isfinite(value):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"{address}: {spec.name} must be a finite number, got {value}",
            )
        return value
    if (spec.kind is int and is_int) or (spec.kind is str and isinstance(value, str)):
        return value
    raise ProtocolError(
        ErrorCode.BAD_REQUEST,
        f"{address}: {spec.name} must be {spec.kind.__name__}, got {type(value).__name__} "
        f"{value!r:.60}; expected: {_describe(address)}",
    )


def decode_arguments(address: str, args: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
    """Check the address, argument count and types; return {name: value}. Raises ProtocolError."""
    if address not in REQUESTS:
        accepted = ", ".join(REQUESTS)
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"unknown address {address!r:.80}; accepted: {accepted}"
        )
    specs = REQUESTS[address]
    if len(args) != len(specs):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"{address}: expected {len(specs)} arguments, got {len(args)}; "
            f"expected: {_describe(address)}",
        )
    pairs = zip(specs, args, strict=True)
    return {spec.name: _coerce(address, spec, value) for spec, value in pairs}


def _check_common(address: str, values: dict[str, Any]) -> None:
    port = values.get("reply_port")
    if port is not None and not 1 <= port <= 65535:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"{address}: reply_port must be in 1..65535, got {port}"
        )
    job_id = values.get("job_id")
    if job_id is not None and not JOB_ID_PATTERN.fullmatch(job_id):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"{address}: job_id must be 1..64 characters of A-Z a-z 0-9 _ -, got {job_id!r:.80}",
        )
    for name, value in values.items():
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"{address}: {name} has {len(value)} characters; at most {MAX_STRING_CHARS}",
                job_id or "",
            )


def decode_request(address: str, args: list[Any] | tuple[Any, ...]) -> Request:
    """Turn one OSC message into a request dataclass; raise ProtocolError on anything wrong."""
    values = decode_arguments(address, args)
    _check_common(address, values)
    job_id = values.get("job_id", "")
    try:
        if address == "/sa/generate":
            return _decode_generate(values)
        if address == "/sa/edit":
            return _decode_edit(values)
    except ProtocolError as error:
        error.job_id = job_id
        raise
    simple = {
        "/sa/ping": PingRequest, "/sa/status": StatusRequest, "/sa/presets": PresetsRequest,
        "/sa/preview": PreviewRequest, "/sa/cancel": CancelRequest,
    }
    return simple[address](**values)


def _decode_generate(values: dict[str, Any]) -> GenerateRequest:
    if not values["prompt"].strip():
        raise ProtocolError(ErrorCode.BAD_REQUEST, "/sa/generate: prompt is empty")
    if values["duration_s"] <= 0:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"/sa/generate: duration_s must be > 0 seconds, got {values['duration_s']}",
        )
    options = parse_options(values["options"], request_kind="generate")
    return GenerateRequest(**{**values, "options": options})


def _decode_edit(values: dict[str, Any]) -> EditRequest:
    start_s, length_s = values["start_s"], values["length_s"]
    if start_s < 0:
        raise ProtocolError(ErrorCode.BAD_REGION, f"/sa/edit: start_s must be >= 0, got {start_s}")
    if length_s <= 0:
        raise ProtocolError(
            ErrorCode.BAD_REGION, f"/sa/edit: length_s must be > 0 seconds, got {length_s}"
        )
    options = parse_options(values["options"], request_kind="edit")
    if not values["target_prompt"].strip() and options.preset is None:
        # with a preset, its template may build the target (or say what to type)
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, "/sa/edit: target_prompt is empty (give one, or a preset)"
        )
    if options.range_s is not None:
        options = replace(options, range_s=_range_in_region(options.range_s, length_s))
    return EditRequest(**{**values, "options": options})


def _range_in_region(range_s: tuple[float, float], length_s: float) -> tuple[float, float]:
    """The range, its end moved back onto the region's end when it passes it by rounding only.

    length_s travels as a float32 and the range as text, so a range that ends where the region
    ends (a DAW selection clipped to its item) can pass length_s by a few parts in 10^8, or more
    when a sender prints fewer digits. A range shorter than MIN_RANGE_S is refused."""
    start, end = range_s
    if end > length_s + RANGE_ROUNDING_S or start >= length_s:
        raise ProtocolError(
            ErrorCode.BAD_REGION,
            f"/sa/edit: range={start}:{end} does not fit in the region (length_s={length_s}); "
            f"range is in seconds relative to start_s, with 0 <= A < B <= length_s",
        )
    end = min(end, length_s)
    if end - start < MIN_RANGE_S:
        raise ProtocolError(
            ErrorCode.BAD_REGION,
            f"/sa/edit: range={start}:{end} lasts {end - start:.6g} s; a range must last at "
            f"least {MIN_RANGE_S:g} s (the edit fades in and out over that much)",
        )
    return (start, end)


def _arg_at(address: str, args: list[Any] | tuple[Any, ...], name: str) -> Any:
    names = [spec.name for spec in REQUESTS.get(address, ())]
    index = names.index(name) if name in names else -1
    return args[index] if 0 <= index < len(args) else None


def salvage_reply_port(address: str, args: list[Any] | tuple[Any, ...]) -> int | None:
    """The reply_port of a request that failed to decode, if it can still be read; else None
    (the error then goes back to the sender's own port)."""
    port = _arg_at(address, args, "reply_port")
    ok = isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535
    return port if ok else None


def salvage_job_id(address: str, args: list[Any] | tuple[Any, ...]) -> str:
    """The job_id of a request that failed to decode, if it is a valid id; else ""."""
    job_id = _arg_at(address, args, "job_id")
    return job_id if isinstance(job_id, str) and JOB_ID_PATTERN.fullmatch(job_id) else ""


def encode_message(address: str, args: list[Any] | tuple[Any, ...]) -> bytes:
    """One OSC datagram: floats as float32, ints as int32, anything else as a string."""
    builder = OscMessageBuilder(address=address)
    for value in args:
        if isinstance(value, float):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        elif isinstance(value, int):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_INT)
        else:
            builder.add_arg(str(value), OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram
