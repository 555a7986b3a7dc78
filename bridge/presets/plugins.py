"""Effect plug-ins: the pedalboard built-ins a preset may name, their parameters, chain building.

The table lists every accepted parameter with its type and range, so a preset is checked without
running any audio code; pedalboard's own constructor check runs as well, as a backstop.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pedalboard
from semanticaudio.bridge.presets.schema import EffectSpec, ParamValue, PresetError, Problem


@dataclass(frozen=True)
class Param:
    """One accepted parameter: kind is "float", "bool", "path" or an enum class name.

    `frequency` marks a frequency in Hz that the plug-in designs its filter for at the rate it
    runs at; the chain keeps it below half that rate (chain.py). `required` marks a parameter
    pedalboard cannot build the plug-in without.
    """

    kind: str
    low: float = -math.inf
    high: float = math.inf
    frequency: bool = False
    required: bool = False


def _f(low: float, high: float) -> Param:
    return Param("float", low, high)


_FREQ = Param("float", 20.0, 20_000.0, frequency=True)  # audible band, Hz
_MIX = _f(0.0, 1.0)
_Q = _f(0.1, 18.0)
_SHELF = {"cutoff_frequency_hz": _FREQ, "gain_db": _f(-24.0, 24.0), "q": _Q}

# pedalboard class name → {parameter: Param}; ranges are pedalboard's own or a musical bound.
BUILTIN_PLUGINS: dict[str, dict[str, Param]] = {
    "Bitcrush": {"bit_depth": _f(1.0, 32.0)},
    "BrickwallLimiter": {
        "ceiling_db": _f(-60.0, 0.0),
        "release_ms": _f(1.0, 5000.0),
        "lookahead_ms": _f(0.0, 100.0),
        "true_peak": Param("bool"),
    },
    "Chorus": {
        "rate_hz": _f(0.0, 99.0),
        "depth": _f(0.0, 1.0),
        "centre_delay_ms": _f(0.0, 100.0),
        "feedback": _f(-0.95, 0.95),
        "mix": _MIX,
    },
    "Clipping": {"threshold_db": _f(-60.0, 0.0)},
    "Compressor": {
        "threshold_db": _f(-60.0, 0.0),
        "ratio": _f(1.0, 100.0),
        "attack_ms": _f(0.01, 1000.0),
        "release_ms": _f(1.0, 5000.0),
    },
    "Convolution": {
        "impulse_response_filename": Param("path", required=True),
        "mix": _MIX,
        "sample_rate": _f(8000.0, 192_000.0),
    },
    "Delay": {"delay_seconds": _f(0.0, 30.0), "feedback": _f(0.0, 0.99), "mix": _MIX},
    "Distortion": {"drive_db": _f(0.0, 60.0)},
    "GSMFullRateCompressor": {"quality": Param("Quality")},
    "Gain": {"gain_db": _f(-60.0, 24.0)},
    "HighShelfFilter": dict(_SHELF),
    "HighpassFilter": {"cutoff_frequency_hz": _FREQ},
    "Invert": {},
    "LadderFilter": {
        "mode": Param("Mode"),
        "cutoff_hz": _FREQ,
        "resonance": _f(0.0, 1.0),
        "drive": _f(1.0, 100.0),
    },
    "Limiter": {"threshold_db": _f(-60.0, 0.0), "release_ms": _f(1.0, 5000.0)},
    "LowShelfFilter": dict(_SHELF),
    "LowpassFilter": {"cutoff_frequency_hz": _FREQ},
    "MP3Compressor": {"vbr_quality": _f(0.0, 9.99)},
    "NoiseGate": {
        "threshold_db": _f(-100.0, 0.0),
        "ratio": _f(1.0, 100.0),
        "attack_ms": _f(0.01, 1000.0),
        "release_ms": _f(1.0, 5000.0),
    },
    "PeakFilter": dict(_SHELF),
    "Phaser": {
        "rate_hz": _f(0.0, 99.0),
        "depth": _f(0.0, 1.0),
        "centre_frequency_hz": _FREQ,
        "feedback": _f(-0.99, 0.99),
        "mix": _MIX,
    },
    "PitchShift": {"semitones": _f(-72.0, 72.0)},
    "Resample": {"target_sample_rate": _f(1000.0, 192_000.0), "quality": Param("Quality")},
    "Reverb": {
        "room_size": _MIX,
        "damping": _MIX,
        "wet_level": _MIX,
        "dry_level": _MIX,
        "width": _MIX,
        "freeze_mode": _MIX,
    },
}


def _enum_members(kind: str) -> dict[str, object]:
    """The members of a pedalboard enum by name: Resample.Quality or LadderFilter.Mode."""
    owner = pedalboard.Resample if kind == "Quality" else pedalboard.LadderFilter
    return dict(getattr(owner, kind).__members__)


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest choice to a misspelt word, or None (difflib, case-insensitive)."""
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def check_builtin(name: str, params: Mapping[str, object], file: Path, key: str) -> list[Problem]:
    """Every problem with one built-in effect: unknown class, unknown or bad parameters."""
    if name not in BUILTIN_PLUGINS:
        return [_unknown_plugin(name, file, key)]
    if not hasattr(pedalboard, name):
        msg = f"{name!r} is not in the installed pedalboard {pedalboard.__version__}; upgrade it"
        return [Problem(file, f"{key}.plugin", msg)]
    table = BUILTIN_PLUGINS[name]
    problems = [_missing(name, param, file, key) for param, spec in table.items()
                if spec.required and param not in params]
    for param, value in params.items():
        where = f"{key}.params.{param}"
        if param not in table:
            accepted = ", ".join(sorted(table)) or "none"
            msg = f"{name} has no parameter {param!r}; accepted: {accepted}"
            problems.append(Problem(file, where, msg, suggest(param, list(table))))
        else:
            problems.extend(_check_value(table[param], value, file, where))
    return problems or _backstop(name, params, file, key)


def _missing(name: str, param: str, file: Path, key: str) -> Problem:
    """A required parameter left out (only Convolution's impulse response file is required)."""
    msg = (f"{name} needs `{param}`: an audio file (WAV, AIFF or FLAC), absolute or relative "
           "to the preset's folder")
    return Problem(file, f"{key}.params.{param}", msg)


def _unknown_plugin(name: str, file: Path, key: str) -> Problem:
    msg = (
        f"unknown built-in plug-in {name!r}; accepted: {', '.join(sorted(BUILTIN_PLUGINS))} "
        "(or give `path` to a VST3/AU file)"
    )
    return Problem(file, f"{key}.plugin", msg, suggest(name, list(BUILTIN_PLUGINS)))


def _check_value(spec: Param, value: object, file: Path, where: str) -> list[Problem]:
    """Type and range of one parameter value."""
    if spec.kind == "bool":
        ok = isinstance(value, bool)
        return [] if ok else [Problem(file, where, f"expected true or false, got {value!r}")]
    if spec.kind == "path":
        if not isinstance(value, str) or value == "":
            return [Problem(file, where, f"expected a file path string, got {value!r}")]
        path = resolve_path(value, file.parent)
        if not path.is_file():
            msg = (f"impulse response file not found at {path} (a relative path is taken from "
                   "the preset's folder)")
            return [Problem(file, where, msg)]
        return []
    if spec.kind == "float":
        return _check_number(spec, value, file, where)
    members = list(_enum_members(spec.kind))
    if isinstance(value, str) and value in members:
        return []
    msg = f"expected one of {', '.join(members)}, got {value!r}"
    return [Problem(file, where, msg, suggest(str(value), members))]


def _check_number(spec: Param, value: object, file: Path, where: str) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [Problem(file, where, f"expected a number, got {type(value).__name__} {value!r}")]
    if not spec.low <= value <= spec.high:
        msg = f"{value!r} is out of range; accepted: {spec.low:g} to {spec.high:g}"
        return [Problem(file, where, msg)]
    return []


def _backstop(name: str, params: Mapping[str, object], file: Path, key: str) -> list[Problem]:
    """Let pedalboard itself reject values the table lets through (skips file-reading ones)."""
    if "impulse_response_filename" in BUILTIN_PLUGINS[name]:
        return []
    try:
        _make_builtin(name, params, None)
    except (ValueError, TypeError, RuntimeError) as error:
        return [Problem(file, f"{key}.params", f"pedalboard rejected {name}: {error}")]
    return []


def _make_builtin(name: str, params: Mapping[str, object], base: Path | None) -> pedalboard.Plugin:
    """Construct one built-in, turning enum names into members and paths into absolute ones."""
    table = BUILTIN_PLUGINS[name]
    kwargs: dict[str, object] = {}
    for param, value in params.items():
        kind = table[param].kind
        if kind in ("Quality", "Mode"):
            kwargs[param] = _enum_members(kind)[str(value)]
        elif kind == "path":
            kwargs[param] = str(resolve_path(str(value), base))
        else:
            kwargs[param] = value
    return getattr(pedalboard, name)(**kwargs)


def resolve_path(text: str, base: Path | None) -> Path:
    """A plug-in or file path from a preset: `~` expanded, relative to the preset's folder."""
    path = Path(text).expanduser()
    return path if path.is_absolute() or base is None else base / path


def build_effect(spec: EffectSpec, base: Path | None) -> pedalboard.Plugin:
    """One pedalboard plug-in from its spec; an external one loads through load_plugin."""
    if spec.plugin is not None:
        try:
            return _make_builtin(spec.plugin, spec.params, base)
        except (ValueError, TypeError, RuntimeError) as error:
            raise PresetError(f"could not build {spec.plugin}: {error}") from error
    if spec.path is None:
        raise PresetError("an effect needs `plugin` (a pedalboard built-in) or `path` (VST3/AU)")
    return _load_external(spec.path, spec.plugin_name, spec.params)


def _load_external(
    path: Path, plugin_name: str | None, params: Mapping[str, ParamValue]
) -> pedalboard.Plugin:
    """A VST3/AU plug-in with its parameters; any failure names the plug-in and its path."""
    label = plugin_name or path.stem
    if not path.exists():
        raise PresetError(f"plug-in {label!r} not found at {path}; install it or fix `path`")
    try:
        return pedalboard.load_plugin(
            str(path), parameter_values=dict(params), plugin_name=plugin_name
        )
    except Exception as error:  # pedalboard raises ImportError, ValueError or RuntimeError
        raise PresetError(f"could not load plug-in {label!r} from {path}: {error}") from error
