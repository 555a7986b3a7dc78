"""The Preset: validated settings plus the two things a caller does with them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from semanticaudio.bridge.presets import templates
from semanticaudio.bridge.presets.chain import EffectChain, build_board
from semanticaudio.bridge.presets.plugins import suggest
from semanticaudio.bridge.presets.schema import (
    EffectSpec,
    FlowEditSettings,
    GenerationSettings,
    Kind,
    OutputSettings,
    PresetError,
    Problem,
    PromptTemplates,
)


@dataclass(frozen=True)
class Preset:
    """One named preset. `flowedit` is set for kind "edit", `generation` for kind "generate"."""

    name: str
    description: str
    kind: Kind
    source: Path
    prompts: PromptTemplates
    flowedit: FlowEditSettings | None
    generation: GenerationSettings | None
    output: OutputSettings
    effects: tuple[EffectSpec, ...] = ()
    category: str | None = None

    def fields(self) -> list[str]:
        """Placeholder names other than {source} / {target}, in template order, no repeats."""
        found = templates.placeholders(self.prompts.target)
        if self.prompts.source is not None:
            found = templates.placeholders(self.prompts.source) + found
        return [
            n for i, n in enumerate(found) if n not in found[:i] + list(templates.CALLER_FIELDS)
        ]

    def fill_prompts(
        self, source_prompt: str | None = None, target_prompt: str | None = None, **fields: str
    ) -> tuple[str | None, str]:
        """(source, target) prompts for this preset; source None means null conditioning.

        source_prompt is the source audio's caption, target_prompt the caller's target text (for
        a generate preset, the prompt); other fields fill named placeholders such as {mic}.
        """
        values = self._values(source_prompt, target_prompt, fields)
        target = self._fill("target", self.prompts.target, values)
        use_source = self.prompts.source is not None and not (
            self.flowedit is not None and self.flowedit.null_source
        )
        source = self._fill("source", self.prompts.source, values) if use_source else None
        return source, target

    def _values(
        self, source_prompt: str | None, target_prompt: str | None, fields: dict[str, str]
    ) -> dict[str, str]:
        """Defaults, then caller fields, then the two prompts; unknown field names are errors."""
        known = self.fields()
        for name, value in fields.items():
            if name in templates.CALLER_FIELDS:
                raise PresetError(f"pass the {name} prompt as {name}_prompt=..., not {name}=...")
            if name not in known:
                msg = f"preset {self.name!r} has no field {name!r}; its fields: "
                hint = suggest(name, known)
                raise PresetError(msg + (", ".join(known) or "none") + _did_you_mean(hint))
            if not isinstance(value, str):
                raise PresetError(f"field {name!r} must be text, got {type(value).__name__}")
        values = dict(self.prompts.defaults) | {k: templates.clean(v) for k, v in fields.items()}
        for name, prompt in (("source", source_prompt), ("target", target_prompt)):
            if prompt is not None and templates.clean(prompt):
                values[name] = templates.clean(prompt)
        return values

    def _fill(self, which: str, template: str, values: dict[str, str]) -> str:
        try:
            return templates.fill(template, values)
        except KeyError as error:
            raise PresetError(self._missing_message(which, template, error.args[0])) from None

    def _missing_message(self, which: str, template: str, name: str) -> str:
        how = f"{name}_prompt=..." if name in templates.CALLER_FIELDS else f"{name}=..."
        help_text = self.prompts.help.get(name)
        return (
            f"preset {self.name!r} needs {name!r} for its {which} template {template!r}: "
            f"pass {how}" + (f" ({help_text})" if help_text else "")
        )

    def build_chain(self) -> EffectChain:
        """The effect chain, a pedalboard.Pedalboard that keeps its filters below half the rate
        it is called with (chain.py); PresetError names a plug-in that fails to load."""
        try:
            return build_board(self.effects, self.source.parent)
        except PresetError as error:
            problem = Problem(self.source, "effects", str(error))
            raise PresetError(f"preset {self.name!r}: effect chain failed", [problem]) from error


def _did_you_mean(hint: str | None) -> str:
    return f" (did you mean {hint!r}?)" if hint else ""
