"""Which clips each process sees at each step: a pure function of (seed, step, rank).

Every epoch is a fresh permutation of the cache (seeded by the run's seed and the epoch); it is
padded by wrapping to a multiple of the number of processes and dealt out round-robin, as
``DistributedSampler`` does; each process cuts its share into batches (the last partial batch
of an epoch is dropped). A resumed run therefore continues with exactly the batches it would
have seen, from the step number alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.utils.data import Sampler

EPOCH_SEED_STRIDE = 1_000_003  # seeds of successive epochs and runs never collide in practice


@dataclass(frozen=True)
class DataOrder:
    num_clips: int
    batch_per_process: int
    rank: int = 0
    world_size: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"the cache holds {self.num_clips} clips, fewer than one batch of "
                f"{self.batch_per_process} per process × {self.world_size} processes; lower "
                "batch_size or cache more clips"
            )

    @property
    def clips_per_process(self) -> int:
        return -(-self.num_clips // self.world_size)

    @property
    def steps_per_epoch(self) -> int:
        return self.clips_per_process // self.batch_per_process

    def position(self, step: int) -> tuple[int, int]:
        """(epoch, batch within the epoch) of ``step``."""
        return divmod(step, self.steps_per_epoch)

    def batch_indices(self, step: int) -> list[int]:
        """The cache indices this process trains on at ``step``."""
        epoch, batch = self.position(step)
        share = self.epoch_share(epoch)
        start = batch * self.batch_per_process
        return share[start : start + self.batch_per_process]

    def epoch_share(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * EPOCH_SEED_STRIDE + epoch)
        order = torch.randperm(self.num_clips, generator=generator).tolist()
        total = self.clips_per_process * self.world_size
        padded = (order * (-(-total // self.num_clips)))[:total]  # wrap to a multiple
        return padded[self.rank :: self.world_size]


class StepBatchSampler(Sampler[list[int]]):
    """Batches for steps ``start`` … ``stop − 1`` (one permutation per epoch, computed once)."""

    def __init__(self, order: DataOrder, start: int, stop: int) -> None:
        self.order, self.start, self.stop = order, start, stop
        self._epoch: int | None = None
        self._share: list[int] = []

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __iter__(self) -> Iterator[list[int]]:
        size = self.order.batch_per_process
        for step in range(self.start, self.stop):
            epoch, batch = self.order.position(step)
            if epoch != self._epoch:
                self._epoch, self._share = epoch, self.order.epoch_share(epoch)
            yield self._share[batch * size : (batch + 1) * size]
