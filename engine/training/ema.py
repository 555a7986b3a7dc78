"""An exponential moving average of the trained parameters (kept in float32)."""

from __future__ import annotations

import torch
from torch import nn


class ExponentialMovingAverage:
    """shadow ← decay · shadow + (1 − decay) · parameter, after every optimizer step."""

    def __init__(self, parameters: dict[str, nn.Parameter], decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.parameters = parameters
        self.shadow = {name: p.detach().float().clone() for name, p in parameters.items()}

    @torch.no_grad()
    def update(self) -> None:
        for name, parameter in self.parameters.items():
            self.shadow[name].lerp_(parameter.detach().float(), 1.0 - self.decay)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """name → averaged tensor (names as in the model's state dict), on the CPU."""
        return {name: tensor.cpu() for name, tensor in self.shadow.items()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        missing = sorted(set(self.shadow) - set(tensors))
        if missing:
            raise ValueError(f"the stored EMA lacks {len(missing)} tensors, e.g. {missing[:3]}")
        for name, shadow in self.shadow.items():
            shadow.copy_(tensors[name])
