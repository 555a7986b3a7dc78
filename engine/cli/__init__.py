"""The ``sa`` command line. Nothing heavy is imported until a command runs, so ``sa --help``
answers at once; each command lives in its own module with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys

# name → (module, one-line help). Modules import torch and friends only inside ``run``.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("semanticaudio.engine.cli.generate", "generate audio from a text prompt"),
    "edit": ("semanticaudio.engine.cli.edit", "edit a recording toward a target prompt"),
    "info": ("semanticaudio.engine.cli.info", "describe a checkpoint or a model size"),
    "init-tiny": ("semanticaudio.engine.cli.init_tiny", "write a tiny random checkpoint"),
    "build-default": (
        "semanticaudio.engine.cli.build_default",
        "train the whole default model from nothing (resumable)",
    ),
    "cache-features": (
        "semanticaudio.engine.cli.cache_features",
        "encode a manifest's clips once into a resumable feature cache",
    ),
    "train": ("semanticaudio.engine.cli.train", "train stage1, stage2 or the Base model"),
    "export": ("semanticaudio.engine.cli.export", "turn trained runs into a checkpoint folder"),
    "eval": ("semanticaudio.engine.cli.evaluate", "reconstruction, CLAP score and edit gain"),
    "corpus": ("semanticaudio.engine.corpus.cli", "write a procedural sound-event corpus"),
    "detector": (
        "semanticaudio.engine.evaluation.detector_cli",
        "train or run the evaluator's event detector",
    ),
    # Presets are data the daemon applies (effect chains run in the bridge); the command line is
    # the one place where engine and bridge meet, so `sa presets` lives with the presets.
    "presets": ("semanticaudio.bridge.presets_cli", "list, show and check presets"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (for its arguments)."""
    parser = argparse.ArgumentParser(
        prog="sa",
        description="SemanticAudio: text-to-audio generation and training-free editing.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module_name).register(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``sa`` command; errors become one plain line on stderr and exit status 1."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    from semanticaudio.engine.errors import EngineError

    try:
        return int(args.run(args) or 0)
    except (EngineError, OSError, ValueError) as error:
        print(f"sa {args.command}: error: {_words(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"sa {args.command}: interrupted", file=sys.stderr)
        return 130


def _words(error: Exception) -> str:
    """The message; an operating-system error as "PATH: reason" instead of "[Errno N] ..."."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
