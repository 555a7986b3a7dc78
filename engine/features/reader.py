"""Reading a finished feature cache: a map-style dataset of clips and a batch type.

Shards are opened lazily with memory mapping (``safetensors.safe_open``), per process, so data
loader workers and DDP ranks each read only the rows they need.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.features.index import CacheError, CacheIndex, read_complete_index
from semanticaudio.engine.features.tensors import pad_tokens

FRAME_FIELDS = ("acoustic", "semantic_frames", "frame_mask")


@dataclass(frozen=True)
class CachedClip:
    """One clip's features (T frames, L tokens of its own caption)."""

    acoustic: torch.Tensor  # (T, acoustic_dim) float32, codec scale
    semantic_frames: torch.Tensor  # (T, semantic_embed_dim)
    frame_mask: torch.Tensor  # (T,) bool
    text_tokens: torch.Tensor  # (L, token_dim)
    token_mask: torch.Tensor  # (L,) bool
    text_global: torch.Tensor  # (global_dim,)
    caption: str


@dataclass(frozen=True)
class FeatureBatch:
    """A batch of cached clips, batch-first; ``text`` bundles both text conditions."""

    acoustic: torch.Tensor  # (B, T, acoustic_dim)
    semantic_frames: torch.Tensor  # (B, T, semantic_embed_dim) float32
    frame_mask: torch.Tensor  # (B, T) bool
    text: TextEmbedding
    captions: tuple[str, ...]

    @property
    def batch_size(self) -> int:
        return self.acoustic.shape[0]

    def to(self, device: torch.device) -> FeatureBatch:
        return FeatureBatch(
            self.acoustic.to(device),
            self.semantic_frames.to(device),
            self.frame_mask.to(device),
            self.text.to(device),
            self.captions,
        )

    def split(self, size: int) -> list[FeatureBatch]:
        """Consecutive micro-batches of at most ``size`` clips (gradient accumulation)."""
        return [self.select(slice(i, i + size)) for i in range(0, self.batch_size, size)]

    def select(self, rows: slice) -> FeatureBatch:
        text = self.text
        return FeatureBatch(
            self.acoustic[rows],
            self.semantic_frames[rows],
            self.frame_mask[rows],
            TextEmbedding(text.global_vector[rows], text.tokens[rows], text.token_mask[rows]),
            self.captions[rows],
        )


class FeatureCache(torch.utils.data.Dataset):
    """The clips of a finished cache, in manifest order (skipped files left out)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.index: CacheIndex = read_complete_index(self.folder)
        self.shards = sorted(self.index.shards, key=lambda s: s.index)
        self._check_shard_files()
        self.offsets = [0]
        for shard in self.shards:
            self.offsets.append(self.offsets[-1] + shard.num_clips)
        self._open: dict[int, tuple] = {}  # shard position → (handle, captions), per process

    @property
    def header(self):
        return self.index.header

    def __len__(self) -> int:
        return self.offsets[-1]

    def __getitem__(self, i: int) -> CachedClip:
        if not 0 <= i < len(self):
            raise IndexError(f"clip index {i} is outside the cache's {len(self)} clips")
        position = bisect.bisect_right(self.offsets, i) - 1
        row = i - self.offsets[position]
        handle, captions = self._handle(position)
        get = {name: handle.get_slice(name)[row] for name in (
            *FRAME_FIELDS, "text_tokens", "token_mask", "text_global")}
        length = _token_length(get["token_mask"])
        return CachedClip(
            get["acoustic"].float(),
            get["semantic_frames"].float(),
            get["frame_mask"].bool(),
            get["text_tokens"][:length].float(),
            get["token_mask"][:length].bool(),
            get["text_global"].float(),
            captions[row],
        )

    def _check_shard_files(self) -> None:
        """Every shard the index lists is there, of this cache, with the clips it says: a
        missing or foreign shard is named now, not by a data loader in the middle of an epoch."""
        from safetensors import SafetensorError, safe_open

        key = self.header.key()
        for shard in self.shards:
            path = self.folder / shard.file
            try:
                with safe_open(str(path), framework="pt") as handle:
                    metadata = handle.metadata() or {}
            except (SafetensorError, OSError) as error:
                raise CacheError(
                    f"{path}, listed in {self.folder / 'index.json'}, cannot be read ({error}); "
                    "rerun the `sa cache-features` command that made the cache to redo it"
                ) from None
            if metadata.get("cache_key") != key or metadata.get("num_clips") != str(
                shard.num_clips
            ):
                raise CacheError(
                    f"{path} does not belong to the cache in {self.folder} (cache key "
                    f"{metadata.get('cache_key')!r}, {metadata.get('num_clips')} clips; the index "
                    f"says {key!r}, {shard.num_clips} clips); rerun the `sa cache-features` "
                    "command that made the cache to redo it"
                )

    def _handle(self, position: int):
        if position not in self._open:
            from safetensors import safe_open

            handle = safe_open(str(self.folder / self.shards[position].file), framework="pt")
            captions = json.loads(handle.metadata()["captions"])
            self._open[position] = (handle, captions)
        return self._open[position]

    def __getstate__(self) -> dict:
        """Data loader workers reopen shards themselves (handles are not shared)."""
        return {**self.__dict__, "_open": {}}


def _token_length(mask: torch.Tensor) -> int:
    """Tokens up to the last real one (at least one, so that attention always has a key)."""
    real = mask.nonzero()
    return max(int(real[-1]) + 1 if len(real) else 1, 1)


def collate_clips(clips: list[CachedClip]) -> FeatureBatch:
    """Stack clips; token sequences are padded to the batch's longest with mask False."""
    tokens, token_mask = pad_tokens(
        [c.text_tokens[None] for c in clips], [c.token_mask[None] for c in clips]
    )
    text = TextEmbedding(torch.stack([c.text_global for c in clips]), tokens, token_mask)
    return FeatureBatch(
        torch.stack([c.acoustic for c in clips]),
        torch.stack([c.semantic_frames for c in clips]),
        torch.stack([c.frame_mask for c in clips]),
        text,
        tuple(c.caption for c in clips),
    )
