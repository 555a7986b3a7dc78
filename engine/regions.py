"""Region edits, which the paper does not offer: edit only a time range of the given audio.

The delta velocity acts on the semantic frames of the range through a soft frame mask; the
rendered audio is spliced into the untouched source with a short linear crossfade that straddles
each border, so outside [start − CROSSFADE_S/2, end + CROSSFADE_S/2] the output is the input. A
range that starts at the clip's start or ends at its end has no border there (``open_ends``):
nothing is faded on that side, and a range over the whole clip is the whole-clip edit.
"""

from __future__ import annotations

import math

import torch
from semanticaudio.engine.errors import EngineError

CROSSFADE_S = 0.02  # 20 ms: well under the 50 ms allowed, long enough to avoid clicks
MASK_RAMP_S = 0.08  # two frames at 25 frames/s: the edit fades in and out across frames


def check_range(range_s: tuple[float, float], duration_s: float) -> tuple[float, float]:
    """(start, end) seconds inside [0, duration_s] with start < end."""
    try:
        start_s, end_s = (float(v) for v in range_s)
    except (TypeError, ValueError):
        raise EngineError(
            f"range must be two numbers (start, end) in seconds, got {range_s!r}"
        ) from None
    if (
        not (math.isfinite(start_s) and math.isfinite(end_s))
        or not 0 <= start_s < end_s <= duration_s
    ):
        raise EngineError(
            f"range ({start_s}, {end_s}) must satisfy 0 ≤ start < end ≤ {duration_s:.3f} s "
            "(the length of the given audio)"
        )
    return start_s, end_s


def open_ends(
    span: tuple[float, float], duration_s: float, sample_rate_hz: int
) -> tuple[float, float]:
    """``span`` (from ``check_range``) with a side at the clip's own start or end (within half a
    sample) moved to −inf or +inf, so ``frame_mask`` and ``sample_weights`` fade only across
    borders with untouched audio."""
    start_s, end_s = span
    half_sample_s = 0.5 / sample_rate_hz
    return (
        -math.inf if start_s <= half_sample_s else start_s,
        math.inf if end_s >= duration_s - half_sample_s else end_s,
    )


def frame_mask(span: tuple[float, float], num_frames: int, frame_rate_hz: float) -> torch.Tensor:
    """(num_frames,) in [0, 1]: 1 for frames whose centre lies well inside the span."""
    start_s, end_s = span
    centres = (torch.arange(num_frames, dtype=torch.float32) + 0.5) / frame_rate_hz
    inside = torch.minimum(centres - start_s, end_s - centres)  # > 0 inside, < 0 outside
    return (inside / MASK_RAMP_S + 0.5).clamp(0.0, 1.0)


def sample_weights(
    span: tuple[float, float], num_samples: int, sample_rate_hz: int
) -> torch.Tensor:
    """(num_samples,) weights of the edited audio: 0 outside, 1 inside, linear at the borders."""
    start_s, end_s = span
    times = torch.arange(num_samples, dtype=torch.float64) / sample_rate_hz
    inside = torch.minimum(times - start_s, end_s - times)
    return (inside / CROSSFADE_S + 0.5).clamp(0.0, 1.0).float()


def splice(
    source: torch.Tensor, edited: torch.Tensor, span: tuple[float, float], sample_rate_hz: int
) -> torch.Tensor:
    """source (S,), edited (V, S) → (V, S): the edit inside the span, the source outside."""
    weights = sample_weights(span, source.shape[-1], sample_rate_hz)
    return weights * edited + (1 - weights) * source[None]
