"""The feature cache's layout and its ``index.json``.

A cache folder::

    index.json                  header (what the cache was made from) + finished shards
    shard_00000.safetensors     clips 0 … shard_size−1 of the manifest (minus skipped ones)
    shard_00001.safetensors     …

Each shard holds, for its n clips (T = frames per clip, L = longest caption in the shard):

    acoustic         (n, T, acoustic_dim) float32   codec posterior mean, the codec's own scale
    semantic_frames  (n, T, semantic_embed_dim)     semantic-encoder frames (PE-A-Frame)
    frame_mask       (n, T) bool                    True = a frame of real audio, not padding
    text_tokens      (n, L, token_dim)              T5 token embeddings
    token_mask       (n, L) bool                    True = a real token
    text_global      (n, global_dim)                CLAP text vector

and, in its safetensors metadata, the cache key, the captions, manifest lines and skipped files,
and the size and modification time of each covered entry's audio file, as JSON. Shard k always
covers manifest entries [k·shard_size, (k+1)·shard_size), so a resumed job knows which shards
are finished (and still match their audio) from the files alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from semanticaudio.engine.config import from_dict
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.features.files import write_json_atomic

CACHE_FORMAT_VERSION = 1
INDEX_FILE = "index.json"
FEATURE_DTYPES = ("float32", "float16", "bfloat16")


class CacheError(EngineError):
    """A cache folder that is missing, incomplete or made from something else."""


@dataclass(frozen=True)
class CacheHeader:
    """What a cache was made from; two runs with equal keys produce the same shards."""

    manifest: str  # absolute path of the manifest, for people; the digest is what counts
    manifest_sha256: str
    num_entries: int
    clip_seconds: float
    sample_rate_hz: int  # the codec's rate
    frame_rate_hz: float
    num_frames: int  # per clip
    shard_size: int
    feature_dtype: str  # of semantic_frames and text_tokens; acoustic latents stay float32
    components: dict[str, dict[str, Any]]
    dims: dict[str, int]  # acoustic_dim, semantic_embed_dim, token_dim, global_dim
    # role → sha256 of the component's files: new weights behind the same path are another
    # cache (empty in indexes written before digests were kept)
    component_digests: dict[str, str] = field(default_factory=dict)

    @property
    def num_shards(self) -> int:
        return -(-self.num_entries // self.shard_size)

    def key(self) -> str:
        """A digest of everything that decides the shards' content."""
        content = {k: v for k, v in asdict(self).items() if k != "manifest"}
        if not content["component_digests"]:
            del content["component_digests"]  # the key of an index written before digests
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ShardInfo:
    """One finished shard: its file, the manifest entries it covers and the clips it holds."""

    file: str
    index: int
    num_clips: int
    skipped: list[dict[str, Any]]


@dataclass(frozen=True)
class CacheIndex:
    header: CacheHeader
    shards: list[ShardInfo]

    @property
    def complete(self) -> bool:
        return len(self.shards) == self.header.num_shards

    @property
    def num_clips(self) -> int:
        return sum(shard.num_clips for shard in self.shards)

    @property
    def skipped(self) -> list[dict[str, Any]]:
        return [item for shard in self.shards for item in shard.skipped]


def shard_file(index: int) -> str:
    return f"shard_{index:05d}.safetensors"


def write_index(folder: Path, index: CacheIndex) -> None:
    document = {
        "format_version": CACHE_FORMAT_VERSION,
        "key": index.header.key(),
        "complete": index.complete,
        "num_clips": index.num_clips,
        "num_skipped": len(index.skipped),
        "header": asdict(index.header),
        "shards": [asdict(shard) for shard in sorted(index.shards, key=lambda s: s.index)],
    }
    write_json_atomic(folder / INDEX_FILE, document)


def read_index(folder: str | Path) -> CacheIndex:
    """Read ``folder/index.json``; a clear error when it is absent or of another version."""
    path = Path(folder) / INDEX_FILE
    if not path.is_file():
        raise CacheError(
            f"{folder} is not a feature cache ({INDEX_FILE} is missing); "
            "`sa cache-features --manifest FILE --components DIR --out DIR` makes one"
        )
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format_version") != CACHE_FORMAT_VERSION:
        raise CacheError(
            f"{path} has format_version {document.get('format_version')!r}; this engine reads "
            f"version {CACHE_FORMAT_VERSION}; rebuild the cache with `sa cache-features`"
        )
    header = from_dict(CacheHeader, document["header"])
    shards = [from_dict(ShardInfo, shard) for shard in document["shards"]]
    return CacheIndex(header, shards)


def read_complete_index(folder: str | Path) -> CacheIndex:
    """``read_index``, and an error unless every shard is finished."""
    index = read_index(folder)
    if not index.complete:
        raise CacheError(
            f"the cache in {folder} is incomplete ({len(index.shards)} of "
            f"{index.header.num_shards} shards); rerun the same `sa cache-features` command to "
            "finish it (finished shards are kept)"
        )
    if index.num_clips == 0:
        raise CacheError(f"the cache in {folder} holds no clips (every file was skipped)")
    return index
