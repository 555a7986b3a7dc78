"""Training checkpoints for exact resumption, in safetensors and JSON only (never pickle).

A checkpoint folder holds:

    model.safetensors       the whole model's state dict (every stage, norms)
    optimizer.safetensors   AdamW's per-parameter tensors, flattened as ``state.<i>.<name>``
    ema.safetensors         the EMA of the trained parameters (when EMA is on)
    rng_rank<r>.safetensors each process's RNG states (torch CPU / CUDA, the loss generator);
                            Python's ``random`` state rides in its metadata as JSON
    state.json              step, data position, optimizer scalars and groups, replica digests

The learning rate is a function of the step and the data order a function of (seed, step,
rank), so these are all a run needs to continue bit for bit.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import torch
from semanticaudio.engine.features.files import (
    load_safetensors,
    save_safetensors_atomic,
    write_json_atomic,
)

OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"


def rng_file(rank: int) -> str:
    return f"rng_rank{rank}.safetensors"


def flatten_optimizer_state(
    state_dict: dict[str, Any],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """optimizer.state_dict() → (tensors for safetensors, JSON-able rest)."""
    tensors, scalars = {}, {}
    for index, per_parameter in state_dict["state"].items():
        for name, value in per_parameter.items():
            if torch.is_tensor(value):
                tensors[f"state.{index}.{name}"] = value
            else:
                scalars[f"{index}.{name}"] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def unflatten_optimizer_state(
    tensors: dict[str, torch.Tensor], document: dict[str, Any]
) -> dict[str, Any]:
    """The inverse of ``flatten_optimizer_state`` (tuples restored where JSON made lists)."""
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = tensor
    for key, value in document["scalars"].items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in group.items()}
        for group in document["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def save_optimizer(folder: Path, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Write the optimizer's tensors; → the JSON part, for state.json."""
    tensors, document = flatten_optimizer_state(optimizer.state_dict())
    save_safetensors_atomic(folder / OPTIMIZER_FILE, tensors)
    return document


def load_optimizer(folder: Path, optimizer: torch.optim.Optimizer, document: dict) -> None:
    tensors = load_safetensors(folder / OPTIMIZER_FILE)
    optimizer.load_state_dict(unflatten_optimizer_state(tensors, document))


def save_rng(folder: Path, rank: int, generator: torch.Generator) -> None:
    """This process's RNG states: torch CPU, CUDA (current device), the loss generator."""
    tensors = {"torch_cpu": torch.get_rng_state(), "loss_generator": generator.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["torch_cuda"] = torch.cuda.get_rng_state()
    metadata = {"python_random": json.dumps(random.getstate())}
    save_safetensors_atomic(folder / rng_file(rank), tensors, metadata)


def load_rng(folder: Path, rank: int, generator: torch.Generator) -> None:
    from safetensors import safe_open

    path = folder / rng_file(rank)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: resume with as many processes as the checkpoint was written by"
        )
    tensors = load_safetensors(path)
    torch.set_rng_state(tensors["torch_cpu"])
    generator.set_state(tensors["loss_generator"])
    if "torch_cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["torch_cuda"])
    with safe_open(str(path), framework="pt") as handle:
        version, internal, gauss = json.loads(handle.metadata()["python_random"])
    random.setstate((version, tuple(internal), gauss))


def write_state(folder: Path, document: dict[str, Any]) -> None:
    write_json_atomic(folder / STATE_FILE, document)


def read_state(folder: Path) -> dict[str, Any]:
    return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
