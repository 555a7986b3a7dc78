"""Shared test material: a small corpus of tones, its feature cache, tiny training runs.

Built once per test session (memoised on pytest's base temporary folder), because the cache and
the runs are read by the feature, training, evaluation and CLI tests alike.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile
import torch

SAMPLE_RATE_HZ = 16_000  # the tiny components' rate
TONES_HZ = (220.0, 330.0, 440.0, 550.0, 660.0, 880.0)
_MEMO: dict[tuple[str, str], object] = {}


def tone(frequency_hz: float, seconds: float, rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


def write_tone_corpus(folder: Path, count: int = 6, extra_lines: list[dict] | None = None) -> Path:
    """``count`` one-second tones (every third one shorter, 0.6 s) and a manifest. → manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        frequency = TONES_HZ[i % len(TONES_HZ)]
        seconds = 0.6 if i % 3 == 2 else 1.0
        soundfile.write(folder / f"tone_{i}.wav", tone(frequency, seconds), SAMPLE_RATE_HZ)
        lines.append({"audio": f"tone_{i}.wav", "caption": f"a steady tone at {int(frequency)} hz"})
    lines += extra_lines or []
    manifest = folder / "train.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return manifest


def build_cache(manifest: Path, components: Path, out: Path, **settings):
    from semanticaudio.engine.features.writer import CacheRequest, cache_features

    settings = {"clip_seconds": 1.0, "shard_size": 4, "batch_size": 4, **settings}
    return cache_features(CacheRequest(manifest, components, out, progress=False, **settings))


def tiny_config(**sections):
    """The shipped tiny config with some sections' fields replaced: tiny_config(schedule={...})."""
    from semanticaudio.engine.training.config import load_train_config

    config = load_train_config("tiny")
    for section, changes in sections.items():
        config = replace(config, **{section: replace(getattr(config, section), **changes)})
    return config


def train_stage(stage: str, cache: Path, out: Path, config=None, **request):
    from semanticaudio.engine.training.trainer import TrainRequest, train

    torch.set_num_threads(1)
    return train(TrainRequest(stage, config or tiny_config(), cache, out, device="cpu",
                              progress=False, **request))


def _memo(factory, key: str, build):
    slot = (str(factory.getbasetemp()), key)
    if slot not in _MEMO:
        _MEMO[slot] = build()
    return _MEMO[slot]


def shared_cache(factory, components: Path) -> Path:
    """The session's cache of the tone corpus (8 clips, 2 shards), made with ``components``."""
    def build():
        root = factory.mktemp("tone_corpus")
        build_cache(write_tone_corpus(root / "corpus", count=8), components, root / "cache")
        return root / "cache"

    return _memo(factory, "cache", build)


def shared_runs(factory, components: Path) -> dict[str, Path]:
    """stage1, stage2 (on that stage1) and base runs of the tiny config on the shared cache."""
    def build():
        cache = shared_cache(factory, components)
        root = factory.mktemp("runs")
        train_stage("stage1", cache, root / "stage1")
        train_stage("stage2", cache, root / "stage2", head_from=root / "stage1")
        train_stage("base", cache, root / "base")
        return {stage: root / stage for stage in ("stage1", "stage2", "base")}

    return _memo(factory, "runs", build)
