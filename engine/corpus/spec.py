"""Explicit descriptions of events and clips: what ``render_clip`` renders and captions describe.

Attributes are quantised levels so that captions can name them; the first level of each tuple
below is the neutral one, which captions leave unsaid. Rendering turns a level into a number
(``*_VALUES``) with a small per-event jitter so that two "high bells" are not identical.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from semanticaudio.engine.corpus.classes import event_class

PITCH_LEVELS = ("medium", "low", "high")
LOUDNESS_LEVELS = ("medium", "soft", "loud")
SPEED_LEVELS = ("normal", "slow", "fast")
DISTANCE_LEVELS = ("near", "far")

ATTRIBUTE_LEVELS: dict[str, tuple[str, ...]] = {
    "pitch": PITCH_LEVELS,
    "loudness": LOUDNESS_LEVELS,
    "speed": SPEED_LEVELS,
    "distance": DISTANCE_LEVELS,
}

# A fifth down / up (×2/3, ×3/2): far enough apart to hear at once, close enough that each class
# keeps its identity.
PITCH_VALUES = {"medium": 1.0, "low": 2.0 / 3.0, "high": 1.5}
# Event level in dBFS (RMS while it sounds, see dsp.active_rms) before distance; 8 dB steps are
# clearly audible.
LOUDNESS_DBFS = {"medium": -24.0, "soft": -32.0, "loud": -16.0}
SPEED_VALUES = {"normal": 1.0, "slow": 0.6, "fast": 1.65}


@dataclass(frozen=True)
class EventAttributes:
    """Quantised attributes of one event; each must be one of its ``ATTRIBUTE_LEVELS``."""

    pitch: str = "medium"
    loudness: str = "medium"
    speed: str = "normal"
    distance: str = "near"

    def __post_init__(self) -> None:
        for name, levels in ATTRIBUTE_LEVELS.items():
            value = getattr(self, name)
            if value not in levels:
                raise ValueError(f"{name} must be one of {levels}, got {value!r}")

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventAttributes:
        unknown = set(data) - set(ATTRIBUTE_LEVELS)
        if unknown:
            raise ValueError(
                f"unknown attributes {sorted(unknown)}; known: {sorted(ATTRIBUTE_LEVELS)}"
            )
        return cls(**data)


@dataclass(frozen=True)
class EventSpec:
    """One event on a clip's timeline.

    label: a class name from ``classes.CLASS_NAMES``; onset_s / duration_s: where it sounds;
    seed: the event's own random seed, so an event renders identically whatever else the clip
    holds (swap one event's class and the others stay bit-identical).
    """

    label: str
    onset_s: float
    duration_s: float
    attributes: EventAttributes = field(default_factory=EventAttributes)
    seed: int = 0

    def __post_init__(self) -> None:
        event_class(self.label)
        if self.onset_s < 0.0 or self.duration_s <= 0.0:
            raise ValueError(
                f"event {self.label!r} needs onset_s >= 0 and duration_s > 0, "
                f"got onset_s={self.onset_s}, duration_s={self.duration_s}"
            )
        if self.seed < 0:
            raise ValueError(f"event seed must be a non-negative integer, got {self.seed}")

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "onset_s": self.onset_s,
            "offset_s": round(self.offset_s, 6),
            "attributes": self.attributes.to_json(),
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventSpec:
        onset_s = float(data["onset_s"])
        return cls(
            label=data["label"],
            onset_s=onset_s,
            duration_s=round(float(data["offset_s"]) - onset_s, 6),  # as written by to_json
            attributes=EventAttributes.from_json(data.get("attributes", {})),
            seed=int(data.get("seed", 0)),
        )


@dataclass(frozen=True)
class ClipSpec:
    """A whole clip: its events (sorted by onset) and its length in seconds."""

    events: tuple[EventSpec, ...]
    duration_s: float

    def __post_init__(self) -> None:
        if self.duration_s <= 0.0:
            raise ValueError(f"clip duration_s must be > 0, got {self.duration_s}")
        for event in self.events:
            if event.offset_s > self.duration_s + 1e-6:
                raise ValueError(
                    f"event {event.label!r} ends at {event.offset_s:.3f} s, after the clip's "
                    f"end at {self.duration_s:.3f} s"
                )
        onsets = [event.onset_s for event in self.events]
        if onsets != sorted(onsets):
            raise ValueError(f"events must be sorted by onset_s, got onsets {onsets}")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(event.label for event in self.events)
