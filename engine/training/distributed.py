"""Distributed data parallel set-up, for the same command under ``torchrun``.

``torchrun --nproc_per_node 8 -m semanticaudio.engine.cli train stage1 ...`` (or
``torchrun ... $(which sa) train ...``) sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; the process group starts from those (``env://``), NCCL on GPUs and gloo on CPUs.
Several machines: run torchrun on each with ``--nnodes``, ``--node_rank`` and a rendezvous
address, and keep the run folder on a file system all of them see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistributedContext:
    """Join the process group when launched by torchrun; otherwise a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    torch_device = _device(device, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if torch_device.type == "cuda" else "gloo"
        if torch_device.type == "cuda":
            torch.cuda.set_device(torch_device)
        dist.init_process_group(backend=backend, init_method="env://")
    return DistributedContext(rank, world_size, local_rank, torch_device)


def shutdown_distributed(context: DistributedContext) -> None:
    if context.is_distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(context: DistributedContext) -> None:
    if context.is_distributed:
        dist.barrier()


def all_reduce_mean(value: float, context: DistributedContext) -> float:
    """The mean of ``value`` over all processes."""
    if not context.is_distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_comm_device(context))
    dist.all_reduce(tensor)
    return float(tensor.item()) / context.world_size


def gather_digests(digest: bytes, context: DistributedContext) -> list[str]:
    """Every process's ``digest`` (fixed length), as hex strings in rank order."""
    if not context.is_distributed:
        return [digest.hex()]
    local = torch.frombuffer(bytearray(digest), dtype=torch.uint8).to(_comm_device(context))
    gathered = [torch.empty_like(local) for _ in range(context.world_size)]
    dist.all_gather(gathered, local)
    return [bytes(t.cpu().tolist()).hex() for t in gathered]


def _comm_device(context: DistributedContext) -> torch.device:
    return context.device if context.device.type == "cuda" else torch.device("cpu")


def _device(device: str, local_rank: int) -> torch.device:
    """auto → this process's GPU (cuda:LOCAL_RANK) when there is one, else the CPU."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device("cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for, but no CUDA device is available")
    if device != "cpu" and not device.startswith("cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    if device == "cuda":
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(device)
