"""The steps of ``sa build-default``; each returns a small JSON-able record of what it made.

The component steps train here (``codec.py``, ``semantic.py``); the flow steps call the
project's own commands (``sa cache-features``, ``sa train``, ``sa export``) in this process.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import torch
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.recipes.layout import BuildLayout
from semanticaudio.engine.recipes.profiles import SAMPLE_RATE_HZ, SIZE_LIMIT_MB, BuildProfile

COMPONENTS_FILE = "components.json"  # read by `sa cache-features --components`
ROLE_KINDS = {"codec": "dacvae", "semantic_encoder": "pe-a-frame", "text_global": "clap",
              "text_tokens": "t5"}


def corpus_step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
    """Render the procedural corpus (train, validation and held-out splits); what an
    interrupted run of this step left in the build's corpus folder is replaced."""
    from semanticaudio.engine.corpus import generate_corpus

    summary = generate_corpus(layout.corpus, profile.corpus_clips, profile.corpus_seed,
                              SAMPLE_RATE_HZ, profile.clip_duration_s, progress=progress,
                              overwrite=True)
    return {"clips_per_split": summary.clips_per_split}


def codec_step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
    """Train the codec on the train split; report reconstruction on validation clips."""
    from semanticaudio.engine.recipes.codec import build_codec, evaluate_codec, train_codec

    recipe = profile.codec
    codec = build_codec(recipe, SAMPLE_RATE_HZ, profile.seed)
    partial = layout.partial("codec")
    log = train_codec(codec, _bank(layout, "train"), recipe, profile.seed, device, progress,
                      partial)
    report = evaluate_codec(codec, _bank(layout, "validation", profile.validation_clips), recipe)
    _save_atomically(codec.cpu(), layout.codec)
    shutil.rmtree(partial, ignore_errors=True)
    return {"training": log.to_json(), "validation": asdict(report),
            "parameters": _count(codec)}


def sine_bank_step(profile: BuildProfile, layout: BuildLayout, device: str,
                   progress: bool) -> dict:
    """Give the trained codec a sine bank (its encoder unchanged, which this checks); report
    reconstruction on validation clips before and after."""
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.recipes.codec import evaluate_codec
    from semanticaudio.engine.recipes.sine_bank import add_sine_bank, frozen_parts, train_sine_bank

    validation = _bank(layout, "validation", profile.validation_clips)
    plain = DacVae.from_pretrained(str(layout.codec))
    before = evaluate_codec(plain, validation, profile.codec)
    codec = add_sine_bank(plain, profile.sine_bank.bank, profile.seed + 4)
    partial = layout.partial("sine_bank")
    logs = train_sine_bank(codec, _bank(layout, "train"), profile.sine_bank, profile.codec,
                           profile.seed + 4, device, progress, partial)
    codec.cpu()
    for kept, tuned in zip(frozen_parts(plain), frozen_parts(codec), strict=True):
        if not torch.equal(kept, tuned):
            raise RuntimeError("the sine bank's training changed the codec's encoder; the "
                               "feature cache and the DiTs would no longer fit it")
    after = evaluate_codec(codec, validation, profile.codec)
    _save_atomically(codec, layout.codec)
    shutil.rmtree(partial, ignore_errors=True)
    return {"training": logs, "validation_before": asdict(before),
            "validation_after": asdict(after), "parameters": _count(codec.sine_bank)}


def semantic_step(profile: BuildProfile, layout: BuildLayout, device: str,
                  progress: bool) -> dict:
    """Train the semantic encoder with both text towers; write ``components.json``."""
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.recipes.frame_encoder import build_frame_encoder
    from semanticaudio.engine.recipes.semantic import (
        AlignedEncoders,
        evaluate_semantic,
        train_semantic,
    )
    from semanticaudio.engine.recipes.text import build_clap, build_t5

    recipe, seed = profile.semantic, profile.seed
    codec = DacVae.from_pretrained(str(layout.codec))
    encoders = AlignedEncoders(build_frame_encoder(recipe.size, codec, seed + 1),
                               build_clap(recipe.text, seed + 2), build_t5(recipe.text, seed + 3))
    train, validation = _bank(layout, "train"), _bank(layout, "validation",
                                                      profile.validation_clips)
    before = evaluate_semantic(encoders, _features(encoders, validation), validation)
    features = _features(encoders, train)
    partial = layout.partial("semantic")
    log = train_semantic(encoders, features, train, recipe, seed, device, progress, partial)
    after = evaluate_semantic(encoders, _features(encoders, validation), validation)
    for role, module in encoders.by_role().items():
        _save_atomically(module, layout.components / role)
    table = {role: {"kind": kind, "path": role} for role, kind in ROLE_KINDS.items()}
    (layout.components / COMPONENTS_FILE).write_text(json.dumps(table, indent=2) + "\n")
    shutil.rmtree(partial, ignore_errors=True)
    return {"training": log.to_json(), "validation_before": asdict(before),
            "validation_after": asdict(after),
            "parameters": {role: _count(m) for role, m in encoders.by_role().items()}}


def _features(encoders, bank) -> torch.Tensor:
    """The frozen front end's output for every clip of ``bank`` (computed on the CPU)."""
    from semanticaudio.engine.recipes.frame_encoder import front_end_features

    encoders.frames.to("cpu")  # the front end runs once; the CPU copy is the saved one
    return front_end_features(encoders.frames, bank.waveforms(torch.arange(len(bank))))


def _bank(layout: BuildLayout, split: str, max_clips: int | None = None):
    from semanticaudio.engine.corpus import timelines_path
    from semanticaudio.engine.recipes.clips import load_clip_bank

    return load_clip_bank(timelines_path(layout.corpus, split), max_clips)


def _save_atomically(module, folder: Path) -> None:
    """save_pretrained into a temporary sibling, then rename: a crash never leaves half a
    component where a resumed build would trust it."""
    temporary = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(temporary, ignore_errors=True)
    module.cpu().save_pretrained(temporary)
    shutil.rmtree(folder, ignore_errors=True)
    temporary.rename(folder)


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def cache_step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
    """``sa cache-features`` over the train split with the trained components (resumable)."""
    from semanticaudio.engine.corpus import manifest_path

    _sa(["cache-features", "--manifest", str(manifest_path(layout.corpus, "train")),
         "--components", str(layout.components), "--out", str(layout.cache),
         "--clip-seconds", str(profile.clip_duration_s), "--device", device])
    return {"cache": str(layout.cache)}


def train_stage(profile: BuildProfile, stage: str, cache: Path, run: Path, config: Path,
                device: str, head_from: Path | None = None) -> dict:
    """``sa train STAGE`` on ``cache`` into ``run`` with ``profile``'s settings, written to
    ``config`` (resumes a run that an interruption left behind). ``head_from``: the stage-1 run
    whose projection head stage 2 uses."""
    from semanticaudio.engine.recipes.train_config import write_train_config

    write_train_config(profile, stage, config)
    argv = ["train", stage, "--config", str(config), "--data", str(cache), "--out", str(run),
            "--device", device]
    if head_from is not None:
        argv += ["--head-from", str(head_from)]
    if (run / "run.json").is_file():
        argv.append("--resume")
    _sa(argv)
    return {"run": str(run), "config": str(config), "steps": profile.flow.steps(stage)}


def train_step(stage: str):
    """A step that runs ``sa train STAGE`` with the profile's settings (resuming a run that an
    interrupted build left behind)."""

    def step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
        head_from = layout.run("stage1") if stage == "stage2" else None
        return train_stage(profile, stage, layout.cache, layout.run(stage),
                           layout.configs / f"{stage}.toml", device, head_from)

    step.__doc__ = f"``sa train {stage}`` on the feature cache."
    return step


def export_step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
    """``sa export``: the two-stage runs → the default checkpoint (and the Base model's)."""
    exported = {"model": export_runs([layout.run("stage2"), layout.run("stage1")],
                                     layout.model, f"default-{profile.name}")}
    if profile.train_base:
        exported["model_base"] = export_runs([layout.run("base")], layout.base_model,
                                             f"base-{profile.name}")
    return exported


def export_runs(runs: list[Path], folder: Path, name: str) -> dict:
    """``sa export`` of ``runs`` into ``folder`` → its size and whether it is within the limit.
    The export replaces an earlier one whole (``--overwrite``): until the new one is complete,
    the old model stays in place."""
    _sa(["export", *map(str, runs), "--out", str(folder), "--name", name, "--overwrite"])
    files = [path for path in folder.rglob("*") if path.is_file()]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    return {"folder": str(folder), "megabytes": round(megabytes, 2),
            "within_size_limit": megabytes <= SIZE_LIMIT_MB}


class StepCommandError(EngineError):
    """A command that a build step ran failed; its own error was printed before."""


def _sa(argv: list[str]) -> None:
    """Run one ``sa`` command in this process; a failure stops the build with its message
    (a ``StepCommandError``, which ``sa build-default`` reports as one line), an interrupted
    command (status 130) interrupts the build."""
    from semanticaudio.engine.cli import main

    status = main(argv)
    if status == 130:  # the command caught Ctrl-C and said so; the build stops the same way
        raise KeyboardInterrupt
    if status != 0:
        raise StepCommandError(
            f"`sa {' '.join(argv)}` failed with status {status} (its error is above); fix that "
            "and run the same sa build-default command again to resume")
