"""Training data: JSONL manifests and fixed-length clips read from them."""

from semanticaudio.engine.data.audio import (
    Clip,
    ClipSettings,
    SkipLog,
    UnreadableAudioError,
    load_clip,
    read_clips,
)
from semanticaudio.engine.data.manifest import (
    ManifestEntry,
    ManifestError,
    manifest_digest,
    read_manifest,
)

__all__ = [
    "Clip",
    "ClipSettings",
    "ManifestEntry",
    "ManifestError",
    "SkipLog",
    "UnreadableAudioError",
    "load_clip",
    "manifest_digest",
    "read_clips",
    "read_manifest",
]
