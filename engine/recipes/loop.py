"""One optimisation loop shared by the component recipes (AdamW, warm-up, cosine decay)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from semanticaudio.engine.recipes.resume import ProgressCheckpoint
from tqdm import tqdm

LossFn = Callable[[int], dict[str, torch.Tensor]]  # step → {"loss": total, other terms…}
ADAMW_BETAS = (0.9, 0.999)  # PyTorch's defaults


@dataclass(frozen=True)
class OptimizerSettings:
    """How long and how fast one component trains."""

    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int = 50
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    final_lr_fraction: float = 0.1  # cosine decay ends at this share of the peak rate
    checkpoint_every: int = 100  # steps between mid-run checkpoints (when a folder is given)

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(
                f"steps and batch_size must be >= 1, got {self.steps} and {self.batch_size}"
            )
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    def learning_rate_at(self, step: int) -> float:
        """Linear warm-up, then cosine decay to ``final_lr_fraction`` of the peak."""
        if step < self.warmup_steps:
            return self.learning_rate * (step + 1) / self.warmup_steps
        span = max(self.steps - self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / span, 1.0)
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        floor = self.final_lr_fraction
        return self.learning_rate * (floor + (1.0 - floor) * cosine)


@dataclass(frozen=True)
class TrainingLog:
    """losses: the total loss of every step; terms: each term's mean over the last tenth."""

    losses: tuple[float, ...]
    terms: dict[str, float]
    seconds: float

    def window_mean(self, first: bool) -> float:
        """Mean loss over the first (or last) tenth of the steps, at least one step."""
        size = max(len(self.losses) // 10, 1)
        window = self.losses[:size] if first else self.losses[-size:]
        return sum(window) / len(window)

    def to_json(self) -> dict:
        return {"steps": len(self.losses), "seconds": round(self.seconds, 2),
                "first_loss": self.window_mean(True), "last_loss": self.window_mean(False),
                "last_terms": self.terms}


def fit(
    parameters: Iterable[torch.nn.Parameter],
    loss_fn: LossFn,
    settings: OptimizerSettings,
    description: str,
    progress: bool = True,
    checkpoint: ProgressCheckpoint | None = None,
    betas: tuple[float, float] = ADAMW_BETAS,
) -> TrainingLog:
    """Run ``settings.steps`` AdamW steps (with ``betas``) on ``loss_fn(step)["loss"]``.
    ``parameters``: tensors, or groups of them with a learning-rate scale (``_trainable_groups``).
    → the loss history.

    With ``checkpoint``, the run saves its state every ``checkpoint.every`` steps and first
    continues from a saved state if there is one.
    """
    groups = _trainable_groups(parameters)
    parameters = [p for group in groups for p in group["params"]]
    optimizer = torch.optim.AdamW(groups, lr=settings.learning_rate, betas=betas,
                                  weight_decay=settings.weight_decay)
    saved = checkpoint.load(optimizer) if checkpoint is not None else None
    history = saved or {"step": 0, "losses": [], "recent": [], "seconds": 0.0}
    window = max(settings.steps // 10, 1)
    start = time.perf_counter() - history["seconds"]
    with tqdm(range(history["step"], settings.steps), desc=description, unit="step",
              initial=history["step"], total=settings.steps, disable=not progress) as bar:
        for step in bar:
            terms = _step(parameters, optimizer, loss_fn, settings, step, description)
            history["losses"].append(terms["loss"])
            history["recent"] = [*history["recent"], terms][-window:]
            history["step"] = step + 1
            if checkpoint is not None and checkpoint.due(step + 1, settings.steps):
                checkpoint.save(optimizer, {**history, "seconds": time.perf_counter() - start})
            bar.set_postfix(loss=f"{terms['loss']:.4f}", refresh=False)
    recent = history["recent"]
    averaged = {key: sum(r[key] for r in recent) / len(recent) for key in recent[-1]}
    return TrainingLog(tuple(history["losses"]), averaged, time.perf_counter() - start)


def _trainable_groups(parameters) -> list[dict]:
    """Parameters, or parameter groups ``{"params": …, "lr_scale": s}`` (a group learns at s
    times the scheduled rate), → AdamW's groups of the ones that require gradients."""
    items = list(parameters)
    groups = items if items and isinstance(items[0], dict) else [{"params": items}]
    return [{"params": [p for p in group["params"] if p.requires_grad],
             "lr_scale": group.get("lr_scale", 1.0)} for group in groups]


def _step(parameters, optimizer, loss_fn: LossFn, settings: OptimizerSettings, step: int,
          description: str) -> dict[str, float]:
    """One optimisation step. → its loss terms as numbers."""
    terms = loss_fn(step)
    _check_finite(terms["loss"], step, description)
    update(optimizer, parameters, terms["loss"], settings, step)
    return {key: value.item() for key, value in terms.items()}


def update(optimizer: torch.optim.Optimizer, parameters, loss: torch.Tensor,
           settings: OptimizerSettings, step: int) -> None:
    """One update of ``parameters`` down ``loss``: the learning rate of ``step`` on the
    settings' schedule (times a group's ``lr_scale``), gradients clipped at
    ``settings.grad_clip``."""
    for group in optimizer.param_groups:
        group["lr"] = settings.learning_rate_at(step) * group.get("lr_scale", 1.0)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, settings.grad_clip)
    optimizer.step()


def _check_finite(loss: torch.Tensor, step: int, description: str) -> None:
    loss = loss.detach()
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"{description}: the loss became {loss.item()} at step {step}; lower the learning "
            "rate in the profile or check the corpus audio for NaN samples"
        )
