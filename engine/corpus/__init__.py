"""A procedural sound-event corpus: synthesised events, captions, timelines and splits.

Deterministic by seed, numpy only. ``generate_corpus`` writes a corpus to disk;
``render_clip`` renders one explicit :class:`ClipSpec`; ``caption_for`` describes events.
"""

from semanticaudio.engine.corpus.captions import (
    caption_for,
    caption_vocabulary,
    caption_words,
    classes_in_caption,
    group_events,
)
from semanticaudio.engine.corpus.classes import CLASS_NAMES, EVENT_CLASSES, class_index
from semanticaudio.engine.corpus.generate import (
    CorpusSummary,
    TimelineRecord,
    generate_corpus,
    manifest_path,
    read_timelines,
    single_event_records,
    timelines_path,
)
from semanticaudio.engine.corpus.render import render_clip
from semanticaudio.engine.corpus.sampling import SPLITS, is_heldout, sample_clip
from semanticaudio.engine.corpus.spec import ClipSpec, EventAttributes, EventSpec

__all__ = [
    "CLASS_NAMES",
    "EVENT_CLASSES",
    "SPLITS",
    "ClipSpec",
    "CorpusSummary",
    "EventAttributes",
    "EventSpec",
    "TimelineRecord",
    "caption_for",
    "caption_vocabulary",
    "caption_words",
    "class_index",
    "classes_in_caption",
    "generate_corpus",
    "group_events",
    "is_heldout",
    "manifest_path",
    "read_timelines",
    "render_clip",
    "sample_clip",
    "single_event_records",
    "timelines_path",
]
