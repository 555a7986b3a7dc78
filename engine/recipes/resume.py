"""Mid-run checkpoints for the component trainers, so a multi-hour CPU build can be stopped and
resumed inside a step, continuing exactly (weights, AdamW moments, the batch generator's state).

Files: ``state.safetensors`` (tensors) and ``progress.json`` (step, losses), written through a
temporary file and a rename. Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

STATE_FILE = "state.safetensors"
PROGRESS_FILE = "progress.json"


@dataclass(frozen=True)
class ProgressCheckpoint:
    """Save every ``every`` steps into ``folder``: the ``modules``' weights, the optimizer's
    moments and the ``generator`` that draws batches. ``companions``: optimizers that the loss
    steps itself (a discriminator's), saved and restored alongside by name."""

    folder: Path
    every: int
    modules: dict[str, nn.Module]
    generator: torch.Generator
    companions: dict[str, torch.optim.Optimizer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"checkpoints need every >= 1 steps, got {self.every}")

    def due(self, steps_done: int, total_steps: int) -> bool:
        return steps_done % self.every == 0 and steps_done < total_steps

    def save(self, optimizer: torch.optim.Optimizer, progress: dict) -> None:
        """Write the state after ``progress["step"]`` steps."""
        from semanticaudio.engine.features.files import save_safetensors_atomic, write_json_atomic

        # Cloned: tied weights (T5's shared embedding) would otherwise share memory, which
        # safetensors refuses; loading writes both names into the one tensor again.
        tensors = {f"module.{name}.{key}": value.detach().clone()
                   for name, module in self.modules.items()
                   for key, value in module.state_dict().items()}
        for prefix, each in self._optimizers(optimizer).items():
            for index, slots in each.state_dict()["state"].items():
                tensors.update({f"{prefix}.{index}.{key}": torch.as_tensor(value)
                                for key, value in slots.items()})
        tensors["generator"] = self.generator.get_state()
        self.folder.mkdir(parents=True, exist_ok=True)
        save_safetensors_atomic(self.folder / STATE_FILE, tensors)
        write_json_atomic(self.folder / PROGRESS_FILE, progress)

    def load(self, optimizer: torch.optim.Optimizer) -> dict | None:
        """Restore the saved state into the modules, ``optimizer`` and generator. → the saved
        progress, or None when there is nothing to resume."""
        if not (self.folder / PROGRESS_FILE).is_file():
            return None
        from semanticaudio.engine.features.files import load_safetensors

        tensors = load_safetensors(self.folder / STATE_FILE)
        for name, module in self.modules.items():
            prefix = f"module.{name}."
            module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items()
                                    if k.startswith(prefix)}, strict=True)
        for prefix, each in self._optimizers(optimizer).items():
            state: dict[int, dict] = {}
            for key, value in tensors.items():
                if key.startswith(f"{prefix}."):
                    index, slot = key[len(prefix) + 1:].split(".", 1)
                    state.setdefault(int(index), {})[slot] = value
            each.load_state_dict({"state": state,
                                  "param_groups": each.state_dict()["param_groups"]})
        self.generator.set_state(tensors["generator"])
        return json.loads((self.folder / PROGRESS_FILE).read_text(encoding="utf-8"))

    def _optimizers(self, optimizer: torch.optim.Optimizer) -> dict[str, torch.optim.Optimizer]:
        """Tensor-name prefix → optimizer: the trained one, then the companions."""
        return {"optimizer": optimizer,
                **{f"companion_{name}": each for name, each in self.companions.items()}}
