"""``sa info DIR`` or ``sa info --size paper``: what a model is made of and how big it is."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="checkpoint folder")
    parser.add_argument(
        "--size", help="describe a built-in backbone size instead (paper, small, tiny)"
    )
    parser.add_argument("--model-type", choices=["semanticaudio", "base"],
                        help="with --size: the two-stage model or the single-stage Base "
                             "(default: semanticaudio); a checkpoint says its own")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Options that would be ignored are refused: a user reading the numbers must get what they
    # asked about.
    if args.model and args.size:
        raise ValueError(f"name either a checkpoint folder or --size, not both (got {args.model} "
                         f"and --size {args.size})")
    if args.model_type and not args.size:
        raise ValueError("--model-type describes a --size (sa info --size paper --model-type "
                         "base); a checkpoint folder says its own model type")
    import torch
    from semanticaudio.engine.config import BACKBONE_SIZES, ModelConfig
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

    if args.size:
        if args.size not in BACKBONE_SIZES:
            raise ValueError(f"unknown size {args.size!r}; sizes: {', '.join(BACKBONE_SIZES)}")
        config = ModelConfig(model_type=args.model_type or "semanticaudio",
                             backbone=BACKBONE_SIZES[args.size])
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
    _print_defaults(config)
    return 0


def _print_defaults(config) -> None:
    """The sampling settings ``sa generate`` and ``sa edit`` use when neither an option nor a
    preset sets them (the checkpoint's config.json), in sa's option names."""
    sampling, flowedit = config.sampling, config.flowedit
    two_stage = config.model.model_type != "base"
    steps = sampling.planner_steps if two_stage else sampling.base_steps
    synth = f" --synth-steps {sampling.synth_steps}" if two_stage else ""
    print(f"sa generate defaults: --steps {steps} --cfg {sampling.text_guidance(two_stage):g}"
          f"{synth}")
    print(f"sa edit defaults: --steps {flowedit.num_steps} --n-max {flowedit.n_max} --n-min "
          f"{flowedit.n_min} --n-avg {flowedit.n_avg} --source-cfg {flowedit.source_guidance:g} "
          f"--target-cfg {flowedit.target_guidance:g}{synth}")


def _print_counts(model) -> None:
    counts = model.stage_parameter_counts()
    for name, count in counts.items():
        print(f"  {name}: {_count(count)} parameters")
    print(f"  total: {_count(sum(counts.values()))} parameters")


def _count(count: int) -> str:
    """Millions to one decimal (the paper's 610.1 M); a part under 0.1 M exactly, which one
    decimal would show as 0.0 M (the shipped model's 41,248-parameter head)."""
    return f"{count / 1e6:.1f} M" if count >= 100_000 else f"{count:,}"


def _millions(module) -> str:
    return f"{sum(p.numel() for p in module.parameters()) / 1e6:.2f}"
