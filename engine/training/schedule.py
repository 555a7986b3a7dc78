"""The learning-rate schedule: linear warm-up, then step decay (paper, appendix A.2).

A pure function of the step, so that a resumed run needs no scheduler state to continue
exactly where it stopped.
"""

from __future__ import annotations

from semanticaudio.engine.training.config import ScheduleConfig


def learning_rate_factor(step: int, schedule: ScheduleConfig) -> float:
    """Multiplier of the base rate for optimizer step ``step`` (0-based).

    Warm-up: (step + 1) / warmup_steps for the first ``warmup_steps`` steps, then 1; times
    ``decay_factor`` for every decay step already reached.
    """
    warmup = schedule.warmup_steps
    warm = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    decays = sum(step >= boundary for boundary in schedule.decay_steps)
    return warm * schedule.decay_factor**decays
