"""Training settings as frozen dataclasses, read from a TOML file.

``engine/configs/paper.toml`` is the paper's recipe (its comments say where each number comes
from, and why where the paper's text lost it); ``engine/configs/tiny.toml`` trains the tiny
test model in seconds on a CPU. ``config.from_dict`` is the one place that builds them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from semanticaudio.engine.config import BACKBONE_SIZES, BackboneSize, HeadKind, from_dict

Stage = Literal["stage1", "stage2", "base"]
STAGES: tuple[str, ...] = ("stage1", "stage2", "base")
CONFIGS_DIR = Path(__file__).resolve().parent.parent / "configs"
PRECISIONS = ("auto", "bf16", "fp32")


def _set(instance: Any, name: str, value: Any) -> None:
    object.__setattr__(instance, name, value)  # normalising a field of a frozen dataclass


@dataclass(frozen=True)
class ArchitectureConfig:
    """The trained part of the model; input sizes come from the feature cache."""

    backbone: BackboneSize | str = "paper"
    semantic_dim: int = 128
    head: HeadKind = "mlp"
    head_hidden_dim: int = 512
    synthesizer_uses_text: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.backbone, dict):  # a table in TOML, or a stored run's config
            _set(self, "backbone", from_dict(BackboneSize, self.backbone))
        if isinstance(self.backbone, str):
            if self.backbone not in BACKBONE_SIZES:
                raise ValueError(
                    f"backbone {self.backbone!r} is not a known size; use one of "
                    f"{sorted(BACKBONE_SIZES)} or a table {{depth, width, num_heads}}"
                )
            _set(self, "backbone", BACKBONE_SIZES[self.backbone])


@dataclass(frozen=True)
class OptimizerConfig:
    learning_rate: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    eps: float = 1e-8
    grad_clip_norm: float = 1.0  # 0 turns clipping off

    def __post_init__(self) -> None:
        _set(self, "betas", tuple(float(b) for b in self.betas))
        if self.learning_rate <= 0 or len(self.betas) != 2 or not all(
            0 <= b < 1 for b in self.betas
        ):
            raise ValueError(
                f"learning_rate must be > 0 and betas two numbers in [0, 1), got "
                f"{self.learning_rate} and {self.betas}"
            )
        if self.weight_decay < 0 or self.grad_clip_norm < 0:
            raise ValueError("weight_decay and grad_clip_norm must be ≥ 0")


@dataclass(frozen=True)
class ScheduleConfig:
    """Linear warm-up, then the learning rate times ``decay_factor`` at each decay step."""

    total_steps: int = 500_000
    warmup_steps: int = 1_000
    decay_steps: tuple[int, ...] = (200_000, 400_000)
    decay_factor: float = 0.5

    def __post_init__(self) -> None:
        _set(self, "decay_steps", tuple(int(s) for s in self.decay_steps))
        if self.total_steps < 1 or self.warmup_steps < 0:
            raise ValueError(
                f"total_steps must be ≥ 1 and warmup_steps ≥ 0, got {self.total_steps} and "
                f"{self.warmup_steps}"
            )
        if list(self.decay_steps) != sorted(self.decay_steps) or not 0 < self.decay_factor <= 1:
            raise ValueError(
                f"decay_steps must be increasing and decay_factor in (0, 1], got "
                f"{list(self.decay_steps)} and {self.decay_factor}"
            )


@dataclass(frozen=True)
class BatchConfig:
    batch_size: int = 256  # global: split evenly over the DDP processes
    micro_batch_size: int = 0  # 0: one pass per process; else gradient accumulation
    num_workers: int = 4  # data loader processes per training process

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.micro_batch_size < 0 or self.num_workers < 0:
            raise ValueError(
                f"batch_size must be ≥ 1, micro_batch_size and num_workers ≥ 0; got "
                f"{self.batch_size}, {self.micro_batch_size}, {self.num_workers}"
            )


@dataclass(frozen=True)
class LoopConfig:
    seed: int = 0
    precision: str = "auto"  # auto: bf16 autocast on a GPU, fp32 on the CPU
    cfg_dropout: float = 0.1
    ema_decay: float = 0.0  # 0 turns EMA off
    checkpoint_every: int = 5_000
    keep_checkpoints: int = 3
    log_every: int = 100
    tensorboard: bool = False
    norm_max_clips: int = 4_096  # clips used to measure latent statistics

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not 0 <= self.cfg_dropout <= 1 or not 0 <= self.ema_decay < 1:
            raise ValueError(
                f"cfg_dropout must be in [0, 1] and ema_decay in [0, 1), got "
                f"{self.cfg_dropout} and {self.ema_decay}"
            )
        if min(self.checkpoint_every, self.keep_checkpoints, self.log_every,
               self.norm_max_clips) < 1:
            raise ValueError(
                "checkpoint_every, keep_checkpoints, log_every and norm_max_clips must be ≥ 1"
            )


@dataclass(frozen=True)
class Stage2Config:
    head_from: str = ""  # the stage-1 run folder (or pass --head-from)


@dataclass(frozen=True)
class TrainConfig:
    model: ArchitectureConfig = field(default_factory=ArchitectureConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)
    training: LoopConfig = field(default_factory=LoopConfig)
    stage2: Stage2Config = field(default_factory=Stage2Config)


# Settings that may change when a run is resumed: they do not change what a step computes.
RESUMABLE_CHANGES = {
    ("schedule", "total_steps"),
    ("training", "checkpoint_every"),
    ("training", "keep_checkpoints"),
    ("training", "log_every"),
    ("training", "tensorboard"),
    ("batch", "num_workers"),
}
# Settings a stage's model does not use: the Base model has no projection head.
UNUSED_BY_STAGE = {
    "base": {("model", "semantic_dim"), ("model", "head"), ("model", "head_hidden_dim")},
}


def load_train_config(source: str | Path) -> TrainConfig:
    """A TOML file, or the name of a shipped config ("paper", "tiny")."""
    path = Path(source)
    if not path.is_file() and (CONFIGS_DIR / f"{source}.toml").is_file():
        path = CONFIGS_DIR / f"{source}.toml"
    if not path.is_file():
        shipped = sorted(p.stem for p in CONFIGS_DIR.glob("*.toml"))
        raise FileNotFoundError(
            f"training config {source!r} is neither a file nor a shipped config {shipped}"
        )
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None
    try:
        return from_dict(TrainConfig, table)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None
