"""How results name the device they were measured or trained on."""

from __future__ import annotations

import platform

import torch


def describe_device(device: str | torch.device) -> str:
    """A GPU's product name ('NVIDIA H100 80GB HBM3'), or 'cpu (PROCESSOR, N threads)'."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
