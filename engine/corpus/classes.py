"""The event classes: their names, how captions talk about them, and how long they last.

Each class has ``keywords``: words that appear in every caption phrase of that class and in no
phrase of any other class, so a caption can be parsed back into its classes
(``captions.classes_in_caption``); ``tests/engine/corpus`` checks that property.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventClass:
    """How one event class is named and worded.

    nouns: subject nouns without article; countable nouns take "a"/"an".
    verbs: finite forms that agree with the noun ("a bell rings", "footsteps approach").
    gerunds: forms for nominal phrases ("the sound of a bell ringing").
    keywords: words that identify the class in a caption.
    duration_range_s: (shortest, longest) natural length of one event, before fitting a clip.
    """

    name: str
    nouns: tuple[str, ...]
    countable: bool
    verbs: tuple[str, ...]
    gerunds: tuple[str, ...]
    keywords: frozenset[str]
    duration_range_s: tuple[float, float]


def _event_class(name, nouns, countable, verbs, gerunds, keywords, duration_range_s):
    return EventClass(
        name,
        tuple(nouns),
        countable,
        tuple(verbs),
        tuple(gerunds),
        frozenset(keywords),
        duration_range_s,
    )


EVENT_CLASSES: tuple[EventClass, ...] = (
    _event_class(
        "siren",
        ["siren", "police siren"],
        True,
        ["wails", "blares"],
        ["wailing", "blaring"],
        ["siren"],
        (1.2, 2.5),
    ),
    _event_class(
        "bell",
        ["bell", "church bell"],
        True,
        ["rings", "chimes"],
        ["ringing", "chiming"],
        ["bell"],
        (0.8, 1.8),
    ),
    _event_class(
        "knock",
        ["knocking", "door knocking"],
        False,
        ["sounds", "echoes"],
        ["sounding", "echoing"],
        ["knocking"],
        (0.6, 1.4),
    ),
    _event_class(
        "rain",
        ["rain"],
        False,
        ["falls", "patters", "pours"],
        ["falling", "pattering", "pouring"],
        ["rain"],
        (1.2, 2.5),
    ),
    _event_class(
        "wind",
        ["wind"],
        False,
        ["blows", "howls", "gusts"],
        ["blowing", "howling", "gusting"],
        ["wind"],
        (1.2, 2.5),
    ),
    _event_class(
        "engine",
        ["engine", "motor"],
        True,
        ["hums", "idles", "rumbles"],
        ["humming", "idling", "rumbling"],
        ["engine", "motor"],
        (1.2, 2.5),
    ),
    _event_class(
        "chirp",
        ["bird", "songbird"],
        True,
        ["chirps", "tweets"],
        ["chirping", "tweeting"],
        ["bird", "songbird"],
        (0.8, 2.0),
    ),
    _event_class(
        "clap",
        ["clapping", "hand clapping"],
        False,
        ["sounds", "breaks out"],
        ["sounding", "breaking out"],
        ["clapping"],
        (0.8, 1.8),
    ),
    _event_class(
        "whistle",
        ["whistle"],
        True,
        ["blows", "sounds", "shrills"],
        ["blowing", "sounding", "shrilling"],
        ["whistle"],
        (0.6, 1.5),
    ),
    _event_class(
        "footsteps",
        ["footsteps"],
        False,
        ["approach", "pass by", "walk past"],
        ["approaching", "passing by", "walking past"],
        ["footsteps"],
        (1.2, 2.5),
    ),
    _event_class(
        "drip",
        ["tap", "faucet"],
        True,
        ["drips", "leaks"],
        ["dripping", "leaking"],
        ["tap", "faucet"],
        (1.0, 2.2),
    ),
    _event_class(
        "buzz",
        ["buzzer", "electric buzzer"],
        True,
        ["buzzes", "drones"],
        ["buzzing", "droning"],
        ["buzzer"],
        (0.6, 1.5),
    ),
    _event_class(
        "gong",
        ["gong"],
        True,
        ["resonates", "booms", "sounds"],
        ["resonating", "booming", "sounding"],
        ["gong"],
        (1.2, 2.5),
    ),
    _event_class(
        "hiss",
        ["steam"],
        False,
        ["hisses", "escapes"],
        ["hissing", "escaping"],
        ["steam"],
        (0.8, 2.0),
    ),
    _event_class(
        "crackle",
        ["fire", "campfire"],
        True,
        ["crackles", "pops"],
        ["crackling", "popping"],
        ["fire", "campfire"],
        (1.2, 2.5),
    ),
    _event_class(
        "beep",
        ["timer", "alarm clock"],
        True,
        ["beeps", "goes off"],
        ["beeping", "going off"],
        ["timer", "alarm"],
        (0.6, 1.6),
    ),
)

CLASS_NAMES: tuple[str, ...] = tuple(event_class.name for event_class in EVENT_CLASSES)

_BY_NAME = {event_class.name: event_class for event_class in EVENT_CLASSES}


def event_class(name: str) -> EventClass:
    """The class called ``name``; the error lists the known classes."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown event class {name!r}; known classes: {', '.join(CLASS_NAMES)}"
        ) from None


def class_index(name: str) -> int:
    """Position of ``name`` in ``CLASS_NAMES`` (the detector's output order)."""
    event_class(name)
    return CLASS_NAMES.index(name)
