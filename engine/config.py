"""Hyperparameters as small frozen dataclasses, and the one place that turns dicts into them.

Models take plain typed arguments; checkpoints and training configs store these dataclasses as
JSON or TOML, read back only through ``from_dict`` here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from semanticaudio.engine.limits import MAX_N_AVG

ModelType = Literal["semanticaudio", "base"]
HeadKind = Literal["mlp", "linear", "none"]


@dataclass(frozen=True)
class BackboneSize:
    """Size of one DiT. The paper: 28 layers, width 1152, 16 heads (about 610M parameters)."""

    depth: int
    width: int
    num_heads: int
    mlp_ratio: float = 4.0

    def __post_init__(self) -> None:
        if self.width % self.num_heads or (self.width // self.num_heads) % 2:
            raise ValueError(
                f"width {self.width} must split into {self.num_heads} heads of an even size "
                "(rotary embeddings rotate pairs of channels)"
            )


BACKBONE_SIZES: dict[str, BackboneSize] = {
    "paper": BackboneSize(depth=28, width=1152, num_heads=16),  # paper, appendix A.1
    "small": BackboneSize(depth=6, width=256, num_heads=4),
    "tiny": BackboneSize(depth=2, width=64, num_heads=4),
}


@dataclass(frozen=True)
class ModelConfig:
    """What a SemanticAudio (two-stage) or Base (single-stage) model is made of."""

    model_type: ModelType = "semanticaudio"
    backbone: BackboneSize = BACKBONE_SIZES["paper"]
    acoustic_dim: int = 128  # DAC-VAE latent channels (paper)
    semantic_embed_dim: int = 1024  # PE-A-Frame-Large frame embedding size (paper)
    semantic_dim: int = 128  # d, the paper's best setting; also 32, 64 or 1024
    head: HeadKind = "mlp"  # mlp: 1024 → 512 → d (GELU); linear: "DDT"; none: raw PE
    head_hidden_dim: int = 512
    global_dim: int = 1024  # CLAP text vector (paper)
    token_dim: int = 1024  # Flan-T5-Large token embeddings (paper)
    synthesizer_uses_text: bool = True  # same conditioning encoders as the Base model (paper)

    def __post_init__(self) -> None:
        if self.model_type not in ("semanticaudio", "base"):
            raise ValueError(
                f"model_type must be 'semanticaudio' or 'base', got {self.model_type!r}"
            )
        if self.head not in ("mlp", "linear", "none"):
            raise ValueError(f"head must be 'mlp', 'linear' or 'none', got {self.head!r}")
        if self.head == "none" and self.semantic_dim != self.semantic_embed_dim:
            raise ValueError(
                f"head 'none' (raw PE) keeps the encoder's {self.semantic_embed_dim} channels; "
                f"semantic_dim must equal it, got {self.semantic_dim}"
            )


@dataclass(frozen=True)
class SamplingConfig:
    """Default sampling settings (paper, section 4.2 and appendix A.3)."""

    planner_steps: int = 50
    planner_guidance: float = 4.5
    synth_steps: int = 25
    synth_guidance: float = 1.0  # the synthesizer samples unguided
    base_steps: int = 50
    base_guidance: float = 4.5

    @staticmethod
    def guidance_field(two_stage: bool) -> str:
        """The field holding the text guidance of the model's text-to-latent stage: the
        planner's (two-stage) or the Base model's."""
        return "planner_guidance" if two_stage else "base_guidance"

    def text_guidance(self, two_stage: bool) -> float:
        """The default text guidance of a two-stage or a Base model."""
        return getattr(self, self.guidance_field(two_stage))


@dataclass(frozen=True)
class FlowEditConfig:
    """FlowEdit settings. The paper: 50 Euler steps, n_min = 10, target guidance 5 to 7, source
    guidance 1 (or a null source). Its text lost n_max and n_avg; we use n_max = 35 (a little above
    FlowEdit's published 33 of 50, which keeps most of the source's layout) and n_avg = 2."""

    num_steps: int = 50
    n_max: int = 35
    n_min: int = 10
    n_avg: int = 2
    source_guidance: float = 1.0
    target_guidance: float = 5.0  # appendix A.3

    def __post_init__(self) -> None:
        if not 0 <= self.n_min <= self.n_max <= self.num_steps:
            raise ValueError(
                "FlowEdit needs 0 ≤ n_min ≤ n_max ≤ num_steps, got "
                f"n_min={self.n_min}, n_max={self.n_max}, num_steps={self.num_steps}"
            )
        if not 1 <= self.n_avg <= MAX_N_AVG:
            raise ValueError(f"n_avg must be from 1 to {MAX_N_AVG}, got {self.n_avg}")

    def with_overrides(self, **overrides: Any) -> FlowEditConfig:
        """These settings with a request's overrides (None keeps the setting). When the step
        count changes, n_max and n_min that are not given keep their share of the steps (the
        paper's 35 and 10 of 50 become 7 and 2 of 10), n_min at most n_max, so a short edit
        still has edited steps. Raises ValueError when the result breaks the rules above."""
        chosen = {key: value for key, value in overrides.items() if value is not None}
        if "num_steps" in chosen:
            share = chosen["num_steps"] / self.num_steps
            chosen.setdefault("n_max", round(self.n_max * share))
            chosen.setdefault("n_min", min(round(self.n_min * share), chosen["n_max"]))
        return dataclasses.replace(self, **chosen)


@dataclass(frozen=True)
class CheckpointConfig:
    """Everything in a checkpoint's config.json besides the format version."""

    model: ModelConfig = field(default_factory=ModelConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    flowedit: FlowEditConfig = field(default_factory=FlowEditConfig)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: str = "semanticaudio"


T = TypeVar("T")


def to_dict(config: Any) -> dict[str, Any]:
    """A frozen config → plain JSON-able dict (nested dataclasses become dicts)."""
    return dataclasses.asdict(config)


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build ``cls`` from a dict, recursing into nested dataclass fields.

    Unknown keys are an error that names them and lists the accepted ones, so that a misspelt
    setting never passes silently.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} expects a table of settings, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} setting(s) {unknown}; accepted: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        is_nested = dataclasses.is_dataclass(hint) and isinstance(value, dict)
        if is_nested:
            kwargs[name] = from_dict(hint, value)
            continue
        try:
            kwargs[name] = _typed(value, hint)
        except _WrongTypeError:
            raise ValueError(
                f"{cls.__name__} setting {name!r} must be {_describe(hint)}, got {value!r}"
            ) from None
    return cls(**kwargs)


class _WrongTypeError(Exception):
    """A value that does not fit its setting's type (turned into a ValueError that names it)."""


def _typed(value: Any, hint: Any) -> Any:
    """``value`` checked against ``hint`` (bool, int, float, str, Literal, tuple, unions);
    an integral float becomes an int and a list a tuple where the hint asks. Raises _WrongTypeError.

    TOML and JSON make ``"false"`` a string and ``1e5`` a float: taken as they are, the first is
    true and the second breaks a step counter far from the file that said it.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        if value not in args:
            raise _WrongTypeError
        return value
    if origin in (typing.Union, types.UnionType):
        for member in args:
            try:
                return _typed(value, member)
            except _WrongTypeError:
                continue
        raise _WrongTypeError
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _WrongTypeError
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(item, args[0]) for item in value)
        if args and len(args) != len(value):
            raise _WrongTypeError
        return tuple(_typed(item, member) for item, member in zip(value, args, strict=False))
    if hint is bool or hint is str:
        if not isinstance(value, hint):
            raise _WrongTypeError
        return value
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _WrongTypeError
        return value
    if hint is float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _WrongTypeError
        return float(value)
    if hint is type(None):
        if value is not None:
            raise _WrongTypeError
        return value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint | dict):
            raise _WrongTypeError
        return from_dict(hint, value) if isinstance(value, dict) else value
    if origin in (dict, list) and not isinstance(value, origin):
        raise _WrongTypeError
    return value


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0])}"
        return f"a list of {len(args)} ({', '.join(_describe(a) for a in args)})"
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text",
             type(None): "none"}
    if hint in names:
        return names[hint]
    if dataclasses.is_dataclass(hint):
        return f"a table of {hint.__name__} settings"
    return getattr(hint, "__name__", str(hint))
