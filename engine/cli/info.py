"""``sa info DIR`` or ``sa info --size paper``: what a model is made of and how big it is."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="checkpoint folder")
    parser.add_argument(
        "--size", help="describe a built-in backbone size instead (paper, small, tiny)"
    )
    parser.add_argument("--model-type", default="semanticaudio", choices=["semanticaudio", "base"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch
    from semanticaudio.engine.config import BACKBONE_SIZES, ModelConfig
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

    if args.size:
        if args.size not in BACKBONE_SIZES:
            raise ValueError(f"unknown size {args.size!r}; sizes: {', '.join(BACKBONE_SIZES)}")
        config = ModelConfig(model_type=args.model_type, backbone=BACKBONE_SIZES[args.size])
        with torch.device("meta"):  # count parameters without allocating them
            model = SemanticAudioModel(config)
        print(f"size {args.size}: {config.backbone}")
        _print_counts(model)
        return 0
    if not args.model:
        raise ValueError("name a checkpoint folder, or --size paper|small|tiny")
    from semanticaudio.engine.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(args.model)
    config = checkpoint.config
    print(f"name: {config.name}\nmodel type: {config.model.model_type}")
    print(
        f"backbone: {config.model.backbone}\nsemantic dim: {config.model.semantic_dim} "
        f"(head: {config.model.head})"
    )
    for role, module in checkpoint.components.by_role().items():
        print(f"{role}: {config.components[role]['kind']} ({_millions(module)} M parameters)")
    codec = checkpoint.components.codec
    print(
        f"audio: {codec.sample_rate_hz} Hz, {codec.frame_rate_hz:g} frames/s, "
        f"{codec.latent_dim}-dim latent"
    )
    _print_counts(checkpoint.model)
    return 0


def _print_counts(model) -> None:
    counts = model.stage_parameter_counts()
    for name, count in counts.items():
        print(f"  {name}: {count / 1e6:.1f} M parameters")
    print(f"  total: {sum(counts.values()) / 1e6:.1f} M parameters")


def _millions(module) -> str:
    return f"{sum(p.numel() for p in module.parameters()) / 1e6:.2f}"
