"""The effect chain as it runs: a Pedalboard that keeps every filter below half its sample rate.

A filter is designed for the rate it runs at. Tuned at or above half that rate (the Nyquist
frequency), pedalboard's first-order low- and high-pass filters give NaN, infinities or silence,
and the shelves and peaks fold over to some other frequency; nothing above half the rate can be
heard at that rate anyway. So on every call the chain tunes such a frequency down to
MAX_FREQUENCY_SHARE of the rate: a low-pass then lets through all that the rate can carry, a
high-pass keeps only the very top, a shelf or peak acts on the top of the band. A preset that
`sa presets check` accepts thus runs at every rate, the same way in `sa` and in `sa-engine`;
the check says from which rate a chain runs as written (loader.rate_notes).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
from semanticaudio.bridge.presets.plugins import BUILTIN_PLUGINS, build_effect
from semanticaudio.bridge.presets.schema import EffectSpec

# The highest frequency a filter is tuned to, as a share of the rate it runs at: just under a
# half. pedalboard's filters stay finite and within their gain there (checked from 8 to 192 kHz
# at the extremes of q and gain_db), and it is 7840 Hz at the default model's 16 kHz.
MAX_FREQUENCY_SHARE = Fraction(49, 100)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrequencySetting:
    """One frequency parameter (Hz) that a preset sets on a built-in effect of its chain."""

    index: int  # the effect's place in the chain: effects[index]
    plugin: str
    param: str
    frequency_hz: float

    @property
    def key(self) -> str:
        """The dotted key in the preset file, e.g. effects[3].params.cutoff_frequency_hz."""
        return f"effects[{self.index}].params.{self.param}"

    @property
    def lowest_rate_hz(self) -> int:
        """The lowest whole sample rate (Hz) at which the effect runs at `frequency_hz`."""
        return math.ceil(Fraction(self.frequency_hz) / MAX_FREQUENCY_SHARE)

    def at_rate(self, sample_rate_hz: float) -> float:
        """The frequency (Hz) the effect is tuned to when the chain runs at `sample_rate_hz`."""
        highest_hz = float(MAX_FREQUENCY_SHARE * Fraction(sample_rate_hz))
        return min(self.frequency_hz, highest_hz)

    def describe(self, sample_rate_hz: float) -> str:
        """What happens to this setting at `sample_rate_hz`, for a note to the user."""
        return (
            f"{self.key} ({self.plugin}) {self.frequency_hz:g} Hz is above "
            f"{float(MAX_FREQUENCY_SHARE):g} × the {sample_rate_hz:g} Hz rate the chain runs at "
            f"(just under half); it runs at {self.at_rate(sample_rate_hz):g} Hz"
        )


def frequency_settings(effects: tuple[EffectSpec, ...]) -> tuple[FrequencySetting, ...]:
    """Every frequency parameter the chain's built-in effects set, in chain order."""
    found = []
    for index, spec in enumerate(effects):
        table = BUILTIN_PLUGINS.get(spec.plugin or "", {})
        for param, value in spec.params.items():
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if param in table and table[param].frequency and is_number:
                found.append(FrequencySetting(index, str(spec.plugin), param, float(value)))
    return tuple(found)


class EffectChain(pedalboard.Pedalboard):
    """A pedalboard.Pedalboard that, on every call, tunes its effects' frequency parameters to
    at most MAX_FREQUENCY_SHARE of the rate it is called with (the preset's values where they
    fit). Called like any Pedalboard: `chain(audio, sample_rate)`, audio (channels, frames)."""

    def __init__(
        self, plugins: list[pedalboard.Plugin], settings: tuple[FrequencySetting, ...]
    ) -> None:
        super().__init__(plugins)
        self.frequency_settings = settings
        # The plug-in objects themselves, so that a caller who reorders the board moves nothing.
        self._tuned = tuple((plugins[setting.index], setting) for setting in settings)

    def lowered(self, sample_rate_hz: float) -> list[FrequencySetting]:
        """The settings that run below the preset's value at `sample_rate_hz`."""
        return [s for s in self.frequency_settings if s.at_rate(sample_rate_hz) < s.frequency_hz]

    def process(
        self, input_array: np.ndarray, sample_rate: float, *args: Any, **kwargs: Any
    ) -> np.ndarray:
        """pedalboard's `process`, with every frequency first tuned for `sample_rate`."""
        for plugin, setting in self._tuned:
            setattr(plugin, setting.param, setting.at_rate(sample_rate))
        for setting in self.lowered(sample_rate):
            log.info("effect chain: %s", setting.describe(sample_rate))
        return super().process(input_array, sample_rate, *args, **kwargs)

    __call__ = process


def build_board(effects: tuple[EffectSpec, ...], base: Path | None) -> EffectChain:
    """The effects in order as an EffectChain (an empty chain passes audio through)."""
    plugins = [build_effect(spec, base) for spec in effects]
    return EffectChain(plugins, frequency_settings(effects))
