"""Captions from timelines: identity, attributes, count and order, from varied templates.

Events are grouped: consecutive events (by onset) of the same class and attributes form one
group, said once with a count ("a bell rings twice"). Groups are said in the order they start;
"then"-like connectors join a group that starts after the previous one ends, "while"-like ones a
group that starts while the previous one still sounds. Neutral attribute levels are left unsaid,
every other level is always said, so a caption determines its groups' classes, counts and (for a
single group) attributes; ``sampling.py`` relies on that to keep held-out captions unseen.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from semanticaudio.engine.corpus.classes import EVENT_CLASSES, EventClass, event_class
from semanticaudio.engine.corpus.spec import EventAttributes, EventSpec

PITCH_WORDS = {"low": ("low", "deep", "low-pitched"), "high": ("high", "high-pitched", "shrill")}
LOUDNESS_ADJECTIVES = {"soft": ("soft", "quiet", "faint"), "loud": ("loud",)}
LOUDNESS_ADVERBS = {"soft": ("softly", "quietly", "faintly"), "loud": ("loudly",)}
SPEED_ADVERBS = {"slow": ("slowly",), "fast": ("quickly", "rapidly", "fast")}
DISTANCE_ADJECTIVES = {"far": ("distant",)}
DISTANCE_PHRASES = {"far": ("in the distance", "far away", "from afar")}
COUNT_WORDS = {2: ("twice", "two times"), 3: ("three times",)}

# "{f}" is a finite clause ("a bell rings"), "{n}" a nominal one ("a bell ringing").
SINGLE_TEMPLATES = ("{f}", "the sound of {n}", "you can hear {n}", "we hear {n}")
OPENING_TEMPLATES = ("{f}", "first, {f}", "the sound of {n}")
SEQUENTIAL_CONNECTORS = (", then {f}", ", followed by {n}", ", and then {f}", ", after which {f}")
OVERLAP_CONNECTORS = (" while {f}", ", and meanwhile {f}", " as {f}")

_WORD_PATTERN = re.compile(r"[a-z]+(?:-[a-z]+)*|,")


@dataclass(frozen=True)
class EventGroup:
    """Consecutive events of one class with the same attributes, said once with a count."""

    label: str
    attributes: EventAttributes
    count: int
    onset_s: float  # of the group's first event
    offset_s: float  # latest offset of its events


def group_events(events: Sequence[EventSpec]) -> tuple[EventGroup, ...]:
    """Group ``events`` (any order) as captions say them, in order of onset."""
    groups: list[EventGroup] = []
    for event in sorted(events, key=lambda e: e.onset_s):
        last = groups[-1] if groups else None
        if last and last.label == event.label and last.attributes == event.attributes:
            groups[-1] = EventGroup(
                last.label,
                last.attributes,
                last.count + 1,
                last.onset_s,
                max(last.offset_s, event.offset_s),
            )
        else:
            groups.append(
                EventGroup(event.label, event.attributes, 1, event.onset_s, event.offset_s)
            )
    return tuple(groups)


class _Chooser:
    """Picks among phrasings: at random with an RNG, else always the first (canonical)."""

    def __init__(self, rng: np.random.Generator | None) -> None:
        self.rng = rng

    def pick(self, options: Sequence[str]) -> str:
        if self.rng is None:
            return options[0]
        return options[int(self.rng.integers(len(options)))]

    def coin(self) -> bool:
        return False if self.rng is None else bool(self.rng.integers(2))


def _noun_phrase(group: EventGroup, words: EventClass, choose: _Chooser) -> tuple[str, list[str]]:
    """'a loud distant high bell' and the modifiers left for after the verb ('slowly')."""
    attributes = group.attributes
    adjectives, adverbs, place = [], [], []
    if attributes.speed in SPEED_ADVERBS:
        adverbs.append(choose.pick(SPEED_ADVERBS[attributes.speed]))
    if attributes.loudness in LOUDNESS_ADJECTIVES and choose.coin():
        adjectives.append(choose.pick(LOUDNESS_ADJECTIVES[attributes.loudness]))
    elif attributes.loudness in LOUDNESS_ADVERBS:
        adverbs.append(choose.pick(LOUDNESS_ADVERBS[attributes.loudness]))
    if attributes.distance in DISTANCE_ADJECTIVES and choose.coin():
        adjectives.append(choose.pick(DISTANCE_ADJECTIVES[attributes.distance]))
    elif attributes.distance in DISTANCE_PHRASES:
        place.append(choose.pick(DISTANCE_PHRASES[attributes.distance]))
    if attributes.pitch in PITCH_WORDS:
        adjectives.append(choose.pick(PITCH_WORDS[attributes.pitch]))
    phrase = " ".join([*adjectives, choose.pick(words.nouns)])
    if words.countable:
        phrase = ("an " if phrase[0] in "aeiou" else "a ") + phrase
    manner = [" and ".join(adverbs)] if adverbs else []
    return phrase, [*manner, *place]


def _clauses(group: EventGroup, choose: _Chooser) -> dict[str, str]:
    """The group as a finite clause ('f') and a nominal one ('n')."""
    words = event_class(group.label)
    noun_phrase, modifiers = _noun_phrase(group, words, choose)
    if group.count > 1:
        if group.count not in COUNT_WORDS:
            raise ValueError(f"captions say counts 1 to 3, got a group of {group.count}")
        modifiers.insert(0, choose.pick(COUNT_WORDS[group.count]))
    verb_index = 0 if choose.rng is None else int(choose.rng.integers(len(words.verbs)))
    tail = " ".join(modifiers)
    finite = f"{noun_phrase} {words.verbs[verb_index]} {tail}".strip()
    nominal = f"{noun_phrase} {words.gerunds[verb_index % len(words.gerunds)]} {tail}".strip()
    return {"f": finite, "n": nominal}


def caption_for(events: Sequence[EventSpec], rng: np.random.Generator | None = None) -> str:
    """A caption for ``events``: lower case, comma-separated clauses, in order of onset.

    Without ``rng`` the phrasing is canonical (always the first template and synonym).
    """
    groups = group_events(events)
    if not groups:
        raise ValueError("caption_for needs at least one event, got none")
    choose = _Chooser(rng)
    if len(groups) == 1:
        return choose.pick(SINGLE_TEMPLATES).format(**_clauses(groups[0], choose))
    parts = [choose.pick(OPENING_TEMPLATES).format(**_clauses(groups[0], choose))]
    for previous, group in itertools.pairwise(groups):
        overlaps = group.onset_s < previous.offset_s
        connector = choose.pick(OVERLAP_CONNECTORS if overlaps else SEQUENTIAL_CONNECTORS)
        parts.append(connector.format(**_clauses(group, choose)))
    return "".join(parts)


def caption_words(caption: str) -> list[str]:
    """Words (hyphenated ones kept whole) and commas of a caption, lower-cased."""
    return _WORD_PATTERN.findall(caption.lower())


def classes_in_caption(caption: str) -> tuple[str, ...]:
    """The classes a caption names, each once, in order of first mention."""
    found: list[str] = []
    for word in caption_words(caption):
        for words in EVENT_CLASSES:
            if word in words.keywords and words.name not in found:
                found.append(words.name)
    return tuple(found)


def _phrase_tables() -> list[str]:
    """Every string a caption can be assembled from (for the vocabulary)."""
    tables: list[str] = []
    for mapping in (
        PITCH_WORDS,
        LOUDNESS_ADJECTIVES,
        LOUDNESS_ADVERBS,
        SPEED_ADVERBS,
        DISTANCE_ADJECTIVES,
        DISTANCE_PHRASES,
        COUNT_WORDS,
    ):
        for options in mapping.values():
            tables.extend(options)
    for template in (
        *SINGLE_TEMPLATES,
        *OPENING_TEMPLATES,
        *SEQUENTIAL_CONNECTORS,
        *OVERLAP_CONNECTORS,
    ):
        tables.append(template.replace("{f}", " ").replace("{n}", " "))
    for words in EVENT_CLASSES:
        tables.extend([*words.nouns, *words.verbs, *words.gerunds])
    tables.extend(["a", "an"])
    return tables


def caption_vocabulary() -> tuple[str, ...]:
    """Sorted tuple of every word (and the comma) that a caption can contain."""
    vocabulary: set[str] = set()
    for phrase in _phrase_tables():
        vocabulary.update(caption_words(phrase))
    return tuple(sorted(vocabulary))
