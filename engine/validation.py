"""Request checks shared by the pipelines; each error says what was wrong and what is accepted."""

from __future__ import annotations

import math

import torch
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.limits import MAX_GUIDANCE, MAX_PROMPT_CHARS, MAX_STEPS


def check_prompt(prompt: object, name: str = "prompt") -> str:
    """Non-empty text of at most MAX_PROMPT_CHARS characters, stripped; ``name`` says which
    prompt in the error ("prompt", "source prompt")."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise EngineError(f"the {name} must be non-empty text, got {prompt!r}")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise EngineError(f"the {name} has {len(prompt)} characters; at most {MAX_PROMPT_CHARS}")
    return prompt.strip()


def check_duration(duration_s: object, minimum_s: float, maximum_s: float) -> float:
    if not _is_number(duration_s) or not minimum_s <= float(duration_s) <= maximum_s:
        raise EngineError(
            f"duration must be from {minimum_s} to {maximum_s} seconds, got {duration_s!r}"
        )
    return float(duration_s)


def check_steps(num_steps: object) -> int:
    if (
        not isinstance(num_steps, int)
        or isinstance(num_steps, bool)
        or not 1 <= num_steps <= MAX_STEPS
    ):
        raise EngineError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {num_steps!r}")
    return num_steps


def check_whole_number(name: str, value: object, minimum: int, maximum: int) -> int:
    """An int (not a bool) from ``minimum`` to ``maximum``; the error names the setting."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise EngineError(
            f"{name} must be a whole number from {minimum} to {maximum}, got {value!r}"
        )
    return value


def check_guidance(scale: object) -> float:
    if not _is_number(scale) or not 0.0 <= float(scale) <= MAX_GUIDANCE:
        raise EngineError(f"guidance must be a number from 0 to {MAX_GUIDANCE}, got {scale!r}")
    return float(scale)


def check_variations(variations: object, maximum: int) -> int:
    if (
        not isinstance(variations, int)
        or isinstance(variations, bool)
        or not 1 <= variations <= maximum
    ):
        raise EngineError(
            f"variations must be a whole number from 1 to {maximum}, got {variations!r}"
        )
    return variations


def check_waveform(
    waveform: object, sample_rate_hz: object, minimum_s: float, maximum_s: float
) -> torch.Tensor:
    """A finite mono float waveform (num_samples,) of an accepted length. → float32 on the CPU."""
    if not isinstance(sample_rate_hz, int) or not 8000 <= sample_rate_hz <= 384000:
        raise EngineError(
            f"sample rate must be a whole number of Hz from 8000 to 384000, got {sample_rate_hz!r}"
        )
    if not isinstance(waveform, torch.Tensor) or waveform.dim() != 1:
        shape = tuple(waveform.shape) if isinstance(waveform, torch.Tensor) else type(waveform)
        raise EngineError(f"the audio must be a mono waveform of shape (num_samples,), got {shape}")
    if not waveform.is_floating_point():  # int16 samples taken as floats would be 32767 loud
        raise EngineError(
            f"the audio must hold floating-point samples (full scale ±1), got {waveform.dtype}"
        )
    duration_s = waveform.shape[0] / sample_rate_hz
    if not minimum_s <= duration_s <= maximum_s:
        raise EngineError(
            f"the audio lasts {duration_s:.3f} s; edits take {minimum_s} to {maximum_s} s"
        )
    waveform = waveform.detach().float().cpu()
    if not torch.isfinite(waveform).all():
        raise EngineError("the audio contains NaN or infinite samples")
    return waveform


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
