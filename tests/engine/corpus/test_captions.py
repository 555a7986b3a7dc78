"""Captions say identity, attributes, count and order, and parse back into their classes."""

import numpy as np
import pytest
from semanticaudio.engine.corpus import (
    CLASS_NAMES,
    EVENT_CLASSES,
    ClipSpec,
    EventAttributes,
    EventSpec,
    caption_for,
    caption_vocabulary,
    caption_words,
    classes_in_caption,
    group_events,
    sample_clip,
)
from semanticaudio.engine.corpus.captions import _phrase_tables


def test_at_least_sixteen_distinct_classes():
    assert len(CLASS_NAMES) >= 16
    assert len(set(CLASS_NAMES)) == len(CLASS_NAMES)


def test_keywords_identify_exactly_one_class():
    for event_class in EVENT_CLASSES:
        for noun in event_class.nouns:
            assert set(caption_words(noun)) & event_class.keywords, noun
        others = [
            phrase
            for other in EVENT_CLASSES
            if other is not event_class
            for phrase in (*other.nouns, *other.verbs, *other.gerunds)
        ]
        shared_words = [phrase for phrase in _phrase_tables() if phrase not in event_class.nouns]
        for phrase in others + shared_words:
            assert not set(caption_words(phrase)) & event_class.keywords, (event_class.name, phrase)


def _bell(onset_s, **attributes):
    return EventSpec("bell", onset_s, 0.5, EventAttributes(**attributes), seed=1)


def test_canonical_caption_says_count_order_and_attributes():
    events = (_bell(0.1), _bell(0.8), EventSpec("rain", 1.6, 1.0, EventAttributes(loudness="soft")))
    assert caption_for(events) == "a bell rings twice, then rain falls softly"


def test_overlapping_groups_are_joined_with_while():
    events = (_bell(0.1, pitch="high"), EventSpec("wind", 0.3, 1.0))
    assert caption_for(events) == "a high bell rings while wind blows"


def test_three_times_and_distance():
    events = tuple(_bell(0.1 + k, distance="far", speed="fast") for k in range(3))
    assert caption_for(events) == "a bell rings three times quickly in the distance"


def test_different_attributes_make_separate_groups():
    events = (_bell(0.1, pitch="low"), _bell(1.0, pitch="high"))
    assert [group.count for group in group_events(events)] == [1, 1]
    assert caption_for(events) == "a low bell rings, then a high bell rings"


def test_random_captions_name_classes_in_onset_order_with_counts():
    for index in range(300):
        clip = sample_clip(seed=3, index=index, clip_duration_s=5.0)
        groups = group_events(clip.spec.events)
        assert classes_in_caption(clip.caption) == tuple(group.label for group in groups)
        words = caption_words(clip.caption)
        said_twice = "twice" in words or "two" in words
        for group in groups:
            if group.count == 2:
                assert said_twice, clip.caption
            if group.count == 3:
                assert "three" in words, clip.caption
        if all(group.count == 1 for group in groups):
            assert not said_twice, clip.caption
            assert "three" not in words, clip.caption


def test_every_caption_word_is_in_the_vocabulary():
    vocabulary = set(caption_vocabulary())
    for index in range(300):
        caption = sample_clip(seed=5, index=index, clip_duration_s=5.0).caption
        assert set(caption_words(caption)) <= vocabulary, caption


def test_captions_vary_with_the_rng():
    events = (_bell(0.1, loudness="loud"), EventSpec("rain", 1.6, 1.0))
    captions = {caption_for(events, np.random.default_rng(seed)) for seed in range(40)}
    assert len(captions) > 10


def test_caption_errors_are_explicit():
    with pytest.raises(ValueError, match="at least one event"):
        caption_for(())
    with pytest.raises(ValueError, match="unknown event class 'dog'"):
        EventSpec("dog", 0.0, 1.0)
    with pytest.raises(ValueError, match="pitch must be one of"):
        EventAttributes(pitch="very high")
    with pytest.raises(ValueError, match="after the clip's end"):
        ClipSpec((EventSpec("bell", 4.5, 1.0),), 5.0)
