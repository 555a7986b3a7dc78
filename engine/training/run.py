"""A training run's folder: what was trained, on which cache, and its checkpoints.

Layout::

    run.json                          stage, training config, model config, cache, processes
    log.csv                           step, loss, learning rate, gradient norm, throughput
    tensorboard/                      the same scalars, when enabled
    checkpoints/step_000005000/       model, optimizer, EMA, RNG per process, state.json

Everything is JSON or safetensors; nothing is pickled.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from semanticaudio.engine.config import ModelConfig, from_dict, to_dict
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.features.files import load_safetensors, write_json_atomic
from semanticaudio.engine.training.config import TrainConfig

RUN_FORMAT_VERSION = 1
RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
MODEL_FILE = "model.safetensors"
EMA_FILE = "ema.safetensors"
_STEP_DIR = re.compile(r"^step_(\d+)$")


class RunError(EngineError):
    """A run folder that is missing, unfinished or does not fit the request."""


@dataclass(frozen=True)
class CacheRef:
    """The feature cache a run trained on (its components become the checkpoint's)."""

    path: str
    key: str
    components: dict[str, dict[str, Any]]
    dims: dict[str, int]
    component_digests: dict[str, str] = field(default_factory=dict)  # see features/components


@dataclass(frozen=True)
class RunInfo:
    stage: str
    config: TrainConfig
    model: ModelConfig
    cache: CacheRef
    world_size: int
    head_from: str | None = None  # stage 2: the stage-1 run its head and synthesizer came from


def write_run_info(folder: Path, info: RunInfo) -> None:
    document = {"format_version": RUN_FORMAT_VERSION, **asdict(info)}
    document["config"] = to_dict(info.config)
    document["model"] = to_dict(info.model)
    write_json_atomic(folder / RUN_FILE, document)


def read_run_info(folder: str | Path) -> RunInfo:
    path = Path(folder) / RUN_FILE
    if not path.is_file():
        raise RunError(f"{folder} is not a training run ({RUN_FILE} is missing)")
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.pop("format_version", None) != RUN_FORMAT_VERSION:
        raise RunError(f"{path} is not a run description of version {RUN_FORMAT_VERSION}")
    return RunInfo(
        stage=document["stage"],
        config=from_dict(TrainConfig, document["config"]),
        model=from_dict(ModelConfig, document["model"]),
        cache=from_dict(CacheRef, document["cache"]),
        world_size=int(document["world_size"]),
        head_from=document.get("head_from"),
    )


def checkpoint_dir(run_dir: Path, step: int) -> Path:
    return run_dir / CHECKPOINTS / f"step_{step:09d}"


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, folder) of every finished checkpoint, oldest first."""
    folder = run_dir / CHECKPOINTS
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_DIR.match(p.name))]
    return sorted(found)


def latest_checkpoint(run_dir: Path) -> Path:
    checkpoints = list_checkpoints(run_dir)
    if not checkpoints:
        raise RunError(f"the run in {run_dir} has no finished checkpoint yet")
    return checkpoints[-1][1]


def final_weights(run_dir: str | Path, use_ema: bool = True) -> tuple[dict[str, torch.Tensor], int]:
    """The latest checkpoint's model tensors, with EMA averages in place when kept and wanted.

    → (state dict, step).
    """
    folder = latest_checkpoint(Path(run_dir))
    weights = load_safetensors(folder / MODEL_FILE)
    if use_ema and (folder / EMA_FILE).is_file():
        averaged = load_safetensors(folder / EMA_FILE)
        weights.update({name: averaged[name].to(weights[name].dtype) for name in averaged})
    return weights, int(_STEP_DIR.match(folder.name).group(1))
