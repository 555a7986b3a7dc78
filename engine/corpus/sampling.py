"""Random clip specs, their captions, and the train / validation / held-out split.

Clip ``index`` of corpus ``seed`` draws from its own generator ``default_rng([seed, index])``, so
a clip does not depend on how many clips are made or in which order.

Held-out membership is a function of the caption's content only, never of the seed: every corpus
(the default model's training data, the evaluator's, the benchmark's prompts) agrees on which
captions are held out, so a model trained on any corpus's train split never sees a held-out
caption. The content key is, for one group, its class, count and all four attributes (unseen
attribute combinations of seen classes); for several groups, the ordered sequence of
(class, count) (unseen combinations and orders of seen classes, whatever their attributes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from semanticaudio.engine.corpus.captions import EventGroup, caption_for, group_events
from semanticaudio.engine.corpus.classes import CLASS_NAMES, event_class
from semanticaudio.engine.corpus.spec import ATTRIBUTE_LEVELS, ClipSpec, EventAttributes, EventSpec

SPLITS = ("train", "validation", "heldout")
# One held-out bucket in ten. A constant, not a setting: changing it would change which captions
# are held out and break the guarantee across corpora.
HELDOUT_PER_MILLE = 100
_SPLIT_SALT = b"semanticaudio-corpus-split-v1"

# Group layouts (counts of consecutive same-class events) for one, two and three events.
_LAYOUTS = {
    1: (((1,),), (1.0,)),
    2: (((2,), (1, 1)), (0.25, 0.75)),
    3: (((3,), (2, 1), (1, 2), (1, 1, 1)), (0.1, 0.15, 0.15, 0.6)),
}
_EVENT_COUNT_PROBS = (0.4, 0.35, 0.25)  # P(1), P(2), P(3) events
# Probabilities of each attribute level, neutral level first (as in spec.ATTRIBUTE_LEVELS).
_LEVEL_PROBS = {
    "pitch": (0.5, 0.25, 0.25),
    "loudness": (0.5, 0.25, 0.25),
    "speed": (0.5, 0.25, 0.25),
    "distance": (0.7, 0.3),
}
_OVERLAP_PROB = 0.3
_END_MARGIN_S = 0.05


@dataclass(frozen=True)
class SampledClip:
    """One drawn clip: its index in the corpus, spec, caption and split name."""

    index: int
    spec: ClipSpec
    caption: str
    split: str


def content_key(groups: tuple[EventGroup, ...]) -> tuple:
    """What a caption says, as a hashable key (see the module docstring)."""
    if len(groups) == 1:
        group = groups[0]
        attributes = group.attributes
        return (
            "single",
            group.label,
            group.count,
            attributes.pitch,
            attributes.loudness,
            attributes.speed,
            attributes.distance,
        )
    return ("multi", *((group.label, group.count) for group in groups))


def is_heldout(spec: ClipSpec) -> bool:
    """Whether captions of ``spec``'s content belong to the held-out split (seed-independent)."""
    key = repr(content_key(group_events(spec.events))).encode()
    digest = hashlib.blake2b(key, digest_size=8, key=_SPLIT_SALT).digest()
    return int.from_bytes(digest, "big") % 1000 < HELDOUT_PER_MILLE


def _sample_attributes(rng: np.random.Generator) -> EventAttributes:
    levels = {
        name: str(options[rng.choice(len(options), p=_LEVEL_PROBS[name])])
        for name, options in ATTRIBUTE_LEVELS.items()
    }
    return EventAttributes(**levels)


def _sample_groups(rng: np.random.Generator) -> list[tuple[str, int, EventAttributes]]:
    """(label, count, attributes) per group; labels differ between groups."""
    num_events = int(rng.choice(3, p=_EVENT_COUNT_PROBS)) + 1
    layouts, probs = _LAYOUTS[num_events]
    counts = layouts[int(rng.choice(len(layouts), p=probs))]
    labels = rng.choice(len(CLASS_NAMES), size=len(counts), replace=False)
    return [
        (CLASS_NAMES[int(label)], count, _sample_attributes(rng))
        for label, count in zip(labels, counts, strict=True)
    ]


def _layout_times(rng: np.random.Generator, labels: list[str], new_group: list[bool]):
    """Onsets and durations in seconds (before fitting into the clip)."""
    onsets, durations = [], []
    for label, starts_group in zip(labels, new_group, strict=True):
        duration = rng.uniform(*event_class(label).duration_range_s)
        if not onsets:
            onset = rng.uniform(0.05, 0.4)
        elif starts_group and rng.random() < _OVERLAP_PROB:
            onset = onsets[-1] + rng.uniform(0.35, 0.7) * durations[-1]  # starts mid-event
        else:
            gap = rng.uniform(0.1, 0.6) if starts_group else rng.uniform(0.2, 0.5)
            onset = onsets[-1] + durations[-1] + gap
        onsets.append(onset)
        durations.append(duration)
    return np.array(onsets), np.array(durations)


def _ms(time_s: float) -> float:
    """A time rounded to the millisecond, as a plain float (clean JSON, exact sample spans)."""
    return round(float(time_s), 3)


def sample_clip_spec(rng: np.random.Generator, clip_duration_s: float) -> ClipSpec:
    """Draw one to three events with attributes, onsets and durations that fit the clip."""
    groups = _sample_groups(rng)
    labels = [label for label, count, _ in groups for _ in range(count)]
    attributes = [attrs for _, count, attrs in groups for _ in range(count)]
    new_group = [k == 0 for _, count, _ in groups for k in range(count)]
    onsets, durations = _layout_times(rng, labels, new_group)
    end_s = float(np.max(onsets + durations))
    scale = min(1.0, (clip_duration_s - _END_MARGIN_S) / end_s)  # squeeze a long timeline in
    seeds = rng.integers(0, 2**31 - 1, size=len(labels))
    events = tuple(
        EventSpec(label, _ms(onset * scale), _ms(duration * scale), attrs, int(seed))
        for label, onset, duration, attrs, seed in zip(
            labels, onsets, durations, attributes, seeds, strict=True
        )
    )
    return ClipSpec(events, clip_duration_s)


def sample_clip(
    seed: int, index: int, clip_duration_s: float, validation_fraction: float = 0.1
) -> SampledClip:
    """Clip ``index`` of the corpus with ``seed``: spec, caption and split."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative, got seed={seed}, index={index}")
    if clip_duration_s < 1.0:
        raise ValueError(f"clip_duration_s must be at least 1.0 s, got {clip_duration_s}")
    rng = np.random.default_rng([seed, index])
    spec = sample_clip_spec(rng, clip_duration_s)
    caption = caption_for(spec.events, rng)
    in_validation = rng.random() < validation_fraction
    split = "heldout" if is_heldout(spec) else "validation" if in_validation else "train"
    return SampledClip(index, spec, caption, split)
