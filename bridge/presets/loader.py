"""The one place that turns a preset TOML file into a Preset, checking every key on the way."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from semanticaudio.bridge.presets import templates
from semanticaudio.bridge.presets.chain import MAX_FREQUENCY_SHARE, frequency_settings
from semanticaudio.bridge.presets.plugins import check_builtin, resolve_path, suggest
from semanticaudio.bridge.presets.preset import Preset
from semanticaudio.bridge.presets.reader import Reader
from semanticaudio.bridge.presets.schema import (
    PAPER_NUM_STEPS,
    PAPER_PLANNER_GUIDANCE,
    SCHEMA_VERSION,
    EffectSpec,
    FlowEditSettings,
    GenerationSettings,
    OutputSettings,
    PresetError,
    Problem,
    PromptTemplates,
)
from semanticaudio.engine.limits import (
    MAX_DURATION_S,
    MAX_N_AVG,
    MAX_STEPS,
    MAX_VARIATIONS,
    MIN_DURATION_S,
)

TOP_KEYS = (
    "schema_version",
    "name",
    "description",
    "kind",
    "category",
    "prompts",
    "flowedit",
    "generation",
    "output",
    "effects",
)
PROMPT_KEYS = ("source", "target", "defaults", "help")
FLOWEDIT_KEYS = (
    "num_steps",
    "n_max",
    "n_min",
    "n_avg",
    "source_guidance",
    "target_guidance",
    "null_source",
)
GENERATION_KEYS = ("duration_s", "num_steps", "guidance", "variations")
OUTPUT_KEYS = ("match_loudness", "sample_rate_hz", "bit_depth")
EFFECT_KEYS = ("plugin", "path", "plugin_name", "params")
SAMPLE_RATES_HZ = (
    8000,
    11025,
    16000,
    22050,
    24000,
    32000,
    44100,
    48000,
    88200,
    96000,
    176400,
    192000,
)
BIT_DEPTHS = (16, 24, 32)
PLUGIN_SUFFIXES = (".vst3", ".component")  # VST3 bundles and macOS Audio Units
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_GUIDANCE = 30.0  # well above any useful CFG scale; catches a slipped digit (50 for 5.0)


def validate_file(path: Path | str) -> list[Problem]:
    """Every problem in one preset file, at once; an empty list means the file is valid."""
    return _parse(Path(path))[1]


def load_preset(path: Path | str) -> Preset:
    """The Preset in one file; PresetError carries every problem when it is not valid."""
    preset, problems = _parse(Path(path))
    if problems or preset is None:
        raise PresetError(f"invalid preset file {path}", problems)
    return preset


def rate_notes(preset: Preset) -> list[str]:
    """Notes, not problems: where the effect chain depends on the sample rate it runs at (the
    output's). A frequency above MAX_FREQUENCY_SHARE of that rate is tuned down to it (chain.py);
    the first line says from which rate the chain runs as written. Empty when it always does."""
    lowest_hz = SAMPLE_RATES_HZ[0]  # no audio is read or written slower
    settings = [s for s in frequency_settings(preset.effects) if s.lowest_rate_hz > lowest_hz]
    if not settings:
        return []
    from_hz = max(s.lowest_rate_hz for s in settings)
    notes = [
        f"{preset.source}: note: the effect chain runs as written at sample rates from "
        f"{from_hz} Hz; at a lower rate, a frequency above {float(MAX_FREQUENCY_SHARE):g} × "
        "the rate (just under half) is tuned down to it:"
    ]
    written_hz = preset.output.sample_rate_hz
    for setting in settings:
        note = (
            f"  {setting.key} ({setting.plugin}) {setting.frequency_hz:g} Hz: as written from "
            f"{setting.lowest_rate_hz} Hz; {setting.at_rate(lowest_hz):g} Hz at {lowest_hz} Hz"
        )
        if written_hz is not None and written_hz < setting.lowest_rate_hz:
            note += f", {setting.at_rate(written_hz):g} Hz at this preset's {written_hz} Hz output"
        notes.append(note)
    return notes


def _parse(path: Path) -> tuple[Preset | None, list[Problem]]:
    reader = Reader(path)
    data = _read_toml(path, reader)
    if data is None or not _version_ok(data, reader):
        return None, reader.problems
    preset = _preset(data, path, reader)
    return (None if reader.problems else preset), reader.problems


def _read_toml(path: Path, reader: Reader) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        reader.add("", f"cannot read the file: {error.strerror or error}")
    except tomllib.TOMLDecodeError as error:
        reader.add("", f"not valid TOML: {error}")
    except UnicodeDecodeError as error:  # TOML is UTF-8 text; neither of the errors above
        reader.add(
            "",
            f"not UTF-8 text: byte {error.object[error.start]:#04x} at offset {error.start} "
            "cannot be decoded; a preset is a TOML file saved as UTF-8",
        )
    return None


def _version_ok(data: dict[str, Any], reader: Reader) -> bool:
    """False stops the reading: keys of an unknown schema version mean something else."""
    if "schema_version" not in data:
        reader.add("schema_version", f"missing; add schema_version = {SCHEMA_VERSION} at the top")
        return True
    version = data["schema_version"]
    if version == SCHEMA_VERSION and type(version) is int:
        return True
    reader.add(
        "schema_version",
        f"unsupported schema version {version!r}; this semanticaudio "
        f"reads schema_version = {SCHEMA_VERSION} (a newer file needs a newer release)",
    )
    return False


def _preset(data: dict[str, Any], path: Path, reader: Reader) -> Preset:
    reader.unknown_keys(data, TOP_KEYS, "")
    kind = reader.choice(data, "kind", "", ("edit", "generate"))
    prompts = _prompts(reader.table(data, "prompts", "") or {}, kind, reader)
    flowedit = _section(data, "flowedit", kind, "edit", reader)
    generation = _section(data, "generation", kind, "generate", reader)
    # An unknown kind still checks both settings tables, so their problems show up now too.
    return Preset(
        name=_name(data, path, reader),
        description=reader.text(data, "description", "", required=True) or "",
        kind=kind or "edit",
        source=path,
        prompts=prompts,
        flowedit=_flowedit(flowedit, reader) if kind != "generate" else None,
        generation=_generation(generation, reader) if kind != "edit" else None,
        output=_output(reader.table(data, "output", "") or {}, kind, reader),
        effects=_effects(data.get("effects", []), path.parent, reader),
        category=reader.text(data, "category", "", required=False),
    )


def _name(data: dict[str, Any], path: Path, reader: Reader) -> str:
    name = reader.text(data, "name", "", required=True)
    if name is None:
        return path.stem
    if not NAME_PATTERN.match(name):
        reader.add("name", f"{name!r} must be lowercase letters, digits and hyphens (at most 64)")
    elif name != path.stem:
        reader.add(
            "name",
            f"{name!r} differs from the file name {path.name!r}; the name is the "
            f"file's stem, so rename the file to {name}.toml or set name = {path.stem!r}",
        )
    return name


def _section(
    data: dict[str, Any], key: str, kind: str | None, owner: str, reader: Reader
) -> dict[str, Any]:
    """A settings table that belongs to one kind; present under the other kind is a problem."""
    table = reader.table(data, key, "") or {}
    if key in data and kind is not None and kind != owner:
        reader.add(
            key,
            f"[{key}] is only read for kind = {owner!r}; this preset is kind = "
            f"{kind!r}, so remove the table or change the kind",
        )
    return table


def _prompts(table: dict[str, Any], kind: str | None, reader: Reader) -> PromptTemplates:
    reader.unknown_keys(table, PROMPT_KEYS, "prompts")
    if kind == "generate" and "source" in table:
        reader.add("prompts.source", "a generate preset has no source audio; remove the key")
    source = reader.text(table, "source", "prompts", required=False) or "{source}"
    target = reader.text(table, "target", "prompts", required=False) or "{target}"
    used = _template_fields("prompts.target", target, reader)
    if kind == "edit":
        used += _template_fields("prompts.source", source, reader)
    elif "source" in used:
        reader.add(
            "prompts.target",
            "{source} is the source audio's caption; a generate preset "
            "has none (use {target}, the prompt)",
        )
    # {target} may have a default (the DAW's target box left empty); {source} is the recording.
    defaults = _string_table(table, "defaults", sorted(set(used) - {"source"}), reader)
    help_texts = _string_table(table, "help", sorted(set(used)), reader)
    return PromptTemplates(source if kind == "edit" else None, target, defaults, help_texts)


def _template_fields(key: str, template: str, reader: Reader) -> list[str]:
    try:
        return templates.placeholders(template)
    except ValueError as error:
        reader.add(key, f"bad template {template!r}: {error} (write {{{{ and }}}} for braces)")
        return []


def _string_table(
    table: dict[str, Any], key: str, fields: list[str], reader: Reader
) -> MappingProxyType[str, str]:
    """prompts.defaults / prompts.help: text values keyed by a placeholder the templates use."""
    values = reader.table(table, key, "prompts") or {}
    for name, value in values.items():
        if key == "defaults" and name == "source":
            reader.add(
                "prompts.defaults.source",
                "{source} is the source audio's caption and cannot have a default",
            )
        elif name not in fields:
            reader.add(
                f"prompts.{key}.{name}",
                f"no template uses {{{name}}}; template fields: {', '.join(fields) or 'none'}",
                suggest(name, fields),
            )
        elif not isinstance(value, str):
            reader.add(f"prompts.{key}.{name}", f"expected a string, got {value!r}")
    return MappingProxyType({k: v for k, v in values.items() if isinstance(v, str)})


def _flowedit(table: dict[str, Any], reader: Reader) -> FlowEditSettings:
    # A key left out is None: the loaded model's own (FlowEditSettings). What the named keys
    # make together with the model's is checked when a request merges them (merged()).
    reader.unknown_keys(table, FLOWEDIT_KEYS, "flowedit")
    p = "flowedit"

    def integer(key: str, low: int, high: int) -> int | None:
        return reader.integer(table, key, p, low, low, high) if key in table else None

    def number(key: str) -> float | None:
        return reader.number(table, key, p, 1.0, 0.0, MAX_GUIDANCE) if key in table else None

    num_steps = integer("num_steps", 1, MAX_STEPS)
    n_max = integer("n_max", 1, num_steps or MAX_STEPS)
    n_min = integer("n_min", 0, num_steps or MAX_STEPS)
    if n_max is not None and n_min is not None and n_min >= n_max:
        reader.add(
            "flowedit.n_min",
            f"n_min ({n_min}) must be below n_max ({n_max}): FlowEdit "
            "runs the steps from n_max down to n_min",
        )
    return FlowEditSettings(
        num_steps=num_steps, n_max=n_max, n_min=n_min, n_avg=integer("n_avg", 1, MAX_N_AVG),
        source_guidance=number("source_guidance"), target_guidance=number("target_guidance"),
        null_source=reader.boolean(table, "null_source", p, False),
    )


def _generation(table: dict[str, Any], reader: Reader) -> GenerationSettings:
    # The engine's own limits, so a preset that checks out can run.
    reader.unknown_keys(table, GENERATION_KEYS, "generation")
    base, p = GenerationSettings(), "generation"
    return GenerationSettings(
        duration_s=reader.number(
            table, "duration_s", p, base.duration_s, MIN_DURATION_S, MAX_DURATION_S,
        ),
        # absent: the model's own (GenerationSettings)
        num_steps=reader.integer(table, "num_steps", p, PAPER_NUM_STEPS, 1, MAX_STEPS)
        if "num_steps" in table else base.num_steps,
        guidance=reader.number(table, "guidance", p, PAPER_PLANNER_GUIDANCE, 0.0, MAX_GUIDANCE)
        if "guidance" in table else base.guidance,
        variations=reader.integer(
            table, "variations", p, base.variations, 1, MAX_VARIATIONS
        ),
    )


def _output(table: dict[str, Any], kind: str | None, reader: Reader) -> OutputSettings:
    reader.unknown_keys(table, OUTPUT_KEYS, "output")
    match = reader.boolean(table, "match_loudness", "output", kind == "edit")
    if match and kind == "generate":
        reader.add(
            "output.match_loudness",
            "a generate preset has no source to match; set it to false or remove it",
        )
    rate = table.get("sample_rate_hz")
    if rate is not None and (type(rate) is not int or rate not in SAMPLE_RATES_HZ):
        reader.add(
            "output.sample_rate_hz",
            f"expected one of {SAMPLE_RATES_HZ} (omit the key "
            f"to keep the source's or the model's rate), got {rate!r}",
        )
        rate = None
    depth = table.get("bit_depth", 24)
    if type(depth) is not int or depth not in BIT_DEPTHS:
        reader.add("output.bit_depth", f"expected 16, 24 or 32 (32-bit float), got {depth!r}")
        depth = 24
    return OutputSettings(match_loudness=match, sample_rate_hz=rate, bit_depth=depth)


def _effects(value: Any, base: Path, reader: Reader) -> tuple[EffectSpec, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        reader.add("effects", "expected an array of tables, one [[effects]] block per plug-in")
        return ()
    return tuple(_effect(item, f"effects[{i}]", base, reader) for i, item in enumerate(value))


def _effect(table: dict[str, Any], key: str, base: Path, reader: Reader) -> EffectSpec:
    reader.unknown_keys(table, EFFECT_KEYS, key)
    params = reader.table(table, "params", key) or {}
    plugin = reader.text(table, "plugin", key, required=False)
    path_text = reader.text(table, "path", key, required=False)
    if ("plugin" in table) == ("path" in table):
        reader.add(
            key, "give exactly one of `plugin` (a pedalboard built-in) or `path` (a VST3/AU file)"
        )
    if plugin is not None:
        reader.problems.extend(check_builtin(plugin, params, reader.file, key))
        if "plugin_name" in table:
            reader.add(f"{key}.plugin_name", "only used with `path`; remove it")
        return EffectSpec(plugin=plugin, params=MappingProxyType(dict(params)))
    path = resolve_path(path_text, base) if path_text else None
    if path is not None:
        _check_external(path, params, key, reader)
    plugin_name = reader.text(table, "plugin_name", key, required=False)
    return EffectSpec(path=path, plugin_name=plugin_name, params=MappingProxyType(dict(params)))


def _check_external(path: Path, params: dict[str, Any], key: str, reader: Reader) -> None:
    if path.suffix.lower() not in PLUGIN_SUFFIXES:
        reader.add(
            f"{key}.path",
            f"{str(path)!r} is not a plug-in; expected a file ending in "
            f"{' or '.join(PLUGIN_SUFFIXES)}",
        )
    elif not path.exists():
        reader.add(f"{key}.path", f"plug-in {path.stem!r} not found at {path}")
    for name, value in params.items():
        if not isinstance(value, bool | int | float | str):
            reader.add(
                f"{key}.params.{name}", f"expected a number, boolean or string, got {value!r}"
            )
