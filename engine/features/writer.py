"""``sa cache-features``: run the frozen encoders once over a manifest, shard by shard.

Training never touches audio or the frozen encoders again: it reads these shards. Every shard is
written atomically (a temporary file, then a rename), so after an interruption the same command
finds the finished shards, skips them and computes only the rest. A finished shard is reused only
while its audio files keep the size and modification time they had when it was encoded (the
shard records them); the components' weights are part of the cache's key (their digests).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from semanticaudio.engine.checkpoint import Components
from semanticaudio.engine.components.tiny import check_frame_rates
from semanticaudio.engine.data.audio import ClipSettings, SkipLog, read_clips
from semanticaudio.engine.data.manifest import ManifestEntry, manifest_digest, read_manifest
from semanticaudio.engine.features.components import (
    component_digests,
    load_components,
    read_component_specs,
)
from semanticaudio.engine.features.files import save_safetensors_atomic
from semanticaudio.engine.features.index import (
    FEATURE_DTYPES,
    INDEX_FILE,
    CacheError,
    CacheHeader,
    CacheIndex,
    ShardInfo,
    read_index,
    shard_file,
    write_index,
)
from semanticaudio.engine.features.tensors import fit_frames, fit_samples, pad_tokens
from tqdm import tqdm


@dataclass(frozen=True)
class CacheRequest:
    """Everything ``cache_features`` needs; defaults follow the paper (10 s clips)."""

    manifest: Path
    components: Path  # checkpoint folder, components folder or file (see components.py)
    out_dir: Path
    clip_seconds: float = 10.0
    shard_size: int = 256
    batch_size: int = 8  # clips per encoder call
    feature_dtype: str = "float32"
    device: str = "cpu"
    max_new_shards: int | None = None  # stop after this many new shards (None: finish)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.shard_size < 1 or self.batch_size < 1:
            raise ValueError(
                f"shard_size and batch_size must be at least 1, got {self.shard_size} and "
                f"{self.batch_size}"
            )
        if self.feature_dtype not in FEATURE_DTYPES:
            raise ValueError(f"feature_dtype must be one of {FEATURE_DTYPES}, got "
                             f"{self.feature_dtype!r}")


@dataclass(frozen=True)
class CacheSummary:
    out_dir: Path
    num_clips: int
    num_skipped: int
    shards_written: int
    shards_reused: int
    complete: bool


def cache_features(request: CacheRequest) -> CacheSummary:
    """Encode every clip of the manifest into shards under ``request.out_dir``."""
    # 1. Read the manifest and load the frozen components.
    entries = read_manifest(request.manifest)
    specs = read_component_specs(request.components)
    device = torch.device(request.device)
    components = load_components(specs).to(device)
    check_frame_rates(components.codec, components.semantic_encoder)
    header = _header(request, entries, specs, components)
    # 2. Find the shards a previous run finished.
    request.out_dir.mkdir(parents=True, exist_ok=True)
    _check_same_cache(request.out_dir, header)
    done = _finished_shards(request.out_dir, header, entries)
    reused = len(done)
    # 3. Encode the rest, one atomically written shard at a time.
    written = 0
    initial = sum(len(entries[k * header.shard_size : (k + 1) * header.shard_size]) for k in done)
    with tqdm(total=len(entries), initial=initial, desc="cache", unit="clip",
              disable=not request.progress) as bar:
        for k in range(header.num_shards):
            if k in done:
                continue
            if request.max_new_shards is not None and written >= request.max_new_shards:
                break
            chunk = entries[k * header.shard_size : (k + 1) * header.shard_size]
            done[k] = _write_shard(request, header, components, k, chunk, device)
            write_index(request.out_dir, CacheIndex(header, list(done.values())))
            written += 1
            bar.update(len(chunk))
    index = CacheIndex(header, list(done.values()))
    write_index(request.out_dir, index)
    return CacheSummary(
        request.out_dir, index.num_clips, len(index.skipped), written, reused, index.complete
    )


def _header(request: CacheRequest, entries, specs, components: Components) -> CacheHeader:
    codec = components.codec
    clip = ClipSettings(request.clip_seconds, codec.sample_rate_hz)
    dims = {
        "acoustic_dim": int(codec.latent_dim),
        "semantic_embed_dim": int(components.semantic_encoder.embed_dim),
        "token_dim": int(components.text_tokens.embed_dim),
        "global_dim": int(components.text_global.embed_dim),
    }
    return CacheHeader(
        manifest=str(Path(request.manifest).resolve()),
        manifest_sha256=manifest_digest(request.manifest),
        num_entries=len(entries),
        clip_seconds=float(request.clip_seconds),
        sample_rate_hz=int(codec.sample_rate_hz),
        frame_rate_hz=float(codec.frame_rate_hz),
        num_frames=math.ceil(clip.num_samples / codec.hop_length),
        shard_size=request.shard_size,
        feature_dtype=request.feature_dtype,
        components=specs,
        dims=dims,
        component_digests=component_digests(specs),
    )


def _check_same_cache(folder: Path, header: CacheHeader) -> None:
    """An existing cache in ``folder`` must have been made from the same inputs."""
    if not (folder / INDEX_FILE).is_file():
        return
    existing = read_index(folder).header
    if existing.key() != header.key():
        differing = [
            name for name in ("manifest_sha256", "num_entries", "clip_seconds", "shard_size",
                              "feature_dtype", "components", "component_digests", "dims",
                              "sample_rate_hz")
            if getattr(existing, name) != getattr(header, name)
        ]
        if differing == ["component_digests"] and not existing.component_digests:
            raise CacheError(
                f"{folder} holds a cache made before caches recorded the digests of their "
                "components' files, so nothing tells whether its shards were made with the "
                "weights now behind those paths and it cannot be resumed or extended; make it "
                "again in a new --out folder (or delete it; training on it as it is still works "
                "if it is complete)"
            )
        raise CacheError(
            f"{folder} holds a cache made with different settings ({', '.join(differing)}); "
            "use a new --out folder, or repeat the original command to resume that cache"
        )


def _finished_shards(
    folder: Path, header: CacheHeader, entries: list[ManifestEntry]
) -> dict[int, ShardInfo]:
    """Shards whose file exists, was written for this very header and whose audio files are
    unchanged since."""
    from safetensors import safe_open

    done = {}
    for k in range(header.num_shards):
        path = folder / shard_file(k)
        if not path.is_file():
            continue
        try:
            with safe_open(str(path), framework="pt") as shard:
                metadata = shard.metadata() or {}
        except Exception:  # a damaged shard (any error reading it) is simply computed again
            continue
        chunk = entries[k * header.shard_size : (k + 1) * header.shard_size]
        if metadata.get("cache_key") == header.key() and metadata.get(
            "audio_stats"
        ) == json.dumps(_audio_stats(chunk)):
            done[k] = ShardInfo(
                shard_file(k), k, int(metadata["num_clips"]), json.loads(metadata["skipped"])
            )
    return done


def _write_shard(
    request: CacheRequest,
    header: CacheHeader,
    components: Components,
    k: int,
    chunk: list[ManifestEntry],
    device: torch.device,
) -> ShardInfo:
    """Encode the readable clips of ``chunk`` and write shard ``k``."""
    audio_stats = _audio_stats(chunk)  # before reading: a file changed meanwhile is redone later
    skips = SkipLog(report=request.progress)
    clips = list(read_clips(chunk, ClipSettings(header.clip_seconds, header.sample_rate_hz), skips))
    parts = [
        _encode_batch(components, clips[i : i + request.batch_size], header, device)
        for i in range(0, len(clips), request.batch_size)
    ]
    tensors = _concatenate(parts, header, request.feature_dtype)
    skipped = [vars(item) for item in skips.skipped]
    metadata = {
        "cache_key": header.key(),
        "num_clips": str(len(clips)),
        "captions": json.dumps([entry.caption for entry, _ in clips]),
        "lines": json.dumps([entry.line_number for entry, _ in clips]),
        "skipped": json.dumps(skipped),
        "audio_stats": json.dumps(audio_stats),
    }
    save_safetensors_atomic(request.out_dir / shard_file(k), tensors, metadata)
    return ShardInfo(shard_file(k), k, len(clips), skipped)


def _audio_stats(chunk: list[ManifestEntry]) -> list[list[int] | None]:
    """[size in bytes, modification time in ns] of each entry's audio file (None: no file)."""
    stats = []
    for entry in chunk:
        try:
            status = entry.audio_path.stat()
        except OSError:
            stats.append(None)
        else:
            stats.append([status.st_size, status.st_mtime_ns])
    return stats


@torch.no_grad()
def _encode_batch(components: Components, clips, header: CacheHeader, device) -> dict:
    """A few clips → their features (batch-first, on the CPU)."""
    codec, encoder = components.codec, components.semantic_encoder
    T = header.num_frames
    waveforms = torch.stack([clip.waveform for _, clip in clips])  # (B, S)
    waveforms = fit_samples(waveforms, T * codec.hop_length).to(device)  # (B, T·hop)
    acoustic = fit_frames(codec.encode(waveforms).float(), T)  # (B, T, acoustic_dim)
    semantic_wave = waveforms
    if encoder.sample_rate_hz != codec.sample_rate_hz:
        import torchaudio.functional as AF

        semantic_wave = AF.resample(waveforms, codec.sample_rate_hz, encoder.sample_rate_hz)
    frames = fit_frames(encoder.encode(semantic_wave).float(), T)  # (B, T, embed_dim)
    hop = codec.hop_length
    valid_frames = torch.tensor([math.ceil(c.num_valid_samples / hop) for _, c in clips])
    frame_mask = torch.arange(T)[None] < valid_frames[:, None]  # (B, T)
    captions = [entry.caption for entry, _ in clips]
    tokens, token_mask = components.text_tokens.encode(captions)  # (B, L, D), (B, L)
    return {
        "acoustic": acoustic.cpu(),
        "semantic_frames": frames.cpu(),
        "frame_mask": frame_mask,
        "text_tokens": tokens.float().cpu(),
        "token_mask": token_mask.bool().cpu(),
        "text_global": components.text_global.encode(captions).float().cpu(),
    }


def _concatenate(parts: list[dict], header: CacheHeader, feature_dtype: str) -> dict:
    """Join batches (tokens padded to the shard's longest caption); an empty shard has n = 0."""
    dtype = getattr(torch, feature_dtype)
    if not parts:
        return _empty_shard(header, dtype)
    tokens, token_mask = pad_tokens([p["text_tokens"] for p in parts],
                                    [p["token_mask"] for p in parts])
    joined = {name: torch.cat([p[name] for p in parts]) for name in
              ("acoustic", "semantic_frames", "frame_mask", "text_global")}
    joined["semantic_frames"] = joined["semantic_frames"].to(dtype)
    joined.update(text_tokens=tokens.to(dtype), token_mask=token_mask)
    return joined


def _empty_shard(header: CacheHeader, dtype: torch.dtype) -> dict:
    d, T = header.dims, header.num_frames
    return {
        "acoustic": torch.zeros(0, T, d["acoustic_dim"]),
        "semantic_frames": torch.zeros(0, T, d["semantic_embed_dim"], dtype=dtype),
        "frame_mask": torch.zeros(0, T, dtype=torch.bool),
        "text_tokens": torch.zeros(0, 1, d["token_dim"], dtype=dtype),
        "token_mask": torch.zeros(0, 1, dtype=torch.bool),
        "text_global": torch.zeros(0, d["global_dim"]),
    }
