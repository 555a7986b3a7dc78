"""Options and helpers shared by the ``sa`` commands (kept free of heavy imports)."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

# where an unset sampling option comes from (sa info DIR prints a checkpoint's settings)
FROM_MODEL = "default: the preset's, else the model's (sa info DIR)"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", metavar="DIR", help="checkpoint folder (default: the shipped model)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"],
                        help="the models' number format (default: float32)")
    parser.add_argument("--fast", action="store_true",
                        help="on CUDA: bf16, CUDA graphs and torch.compile (docs/speed.md)")


def add_render_options(parser: argparse.ArgumentParser, run: Callable) -> None:
    """Options every rendering command shares (synthesizer steps, seeds, model, preset)."""
    from semanticaudio.engine.cli import preset_options

    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--synth-steps", type=int,
                        help="synthesizer Euler steps (default: the model's, sa info DIR; "
                             "paper: 25)")
    add_seed_options(parser)
    add_model_options(parser)
    preset_options.add_preset_option(parser)
    parser.set_defaults(run=run)


def add_seed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int,
                        help="random seed, 0 to 2**63 - 1 (same seed, same audio on the CPU; "
                             "default: drawn at random, and printed)")
    parser.add_argument("--variations", type=int,
                        help="how many versions to render, 1 to 8 (default: the preset's, "
                             "else 1)")


def load(args: argparse.Namespace):
    if args.fast:
        from semanticaudio.engine.accel import load_fast_pipeline

        return load_fast_pipeline(args.model, device=args.device, dtype=args.dtype)
    from semanticaudio.engine.pipeline import load_pipeline

    return load_pipeline(args.model, device=args.device, dtype=args.dtype)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callable[[float, str], None]]:
    """A tqdm bar on stderr driven by the pipeline's (fraction, stage) callback; only on a
    terminal: a pipe or a log file gets no carriage-return redraws."""
    if not sys.stderr.isatty():
        yield lambda fraction, stage: None
        return
    from tqdm import tqdm

    with tqdm(
        total=100,
        desc=description,
        unit="%",
        file=sys.stderr,
        bar_format="{desc} {bar} {n:.0f}% [{elapsed}<{remaining}] {postfix}",
    ) as bar:

        def update(fraction: float, stage: str) -> None:
            bar.n = round(fraction * 100, 1)
            bar.set_postfix_str(stage, refresh=False)
            bar.refresh()

        yield update


def report_seed(args: argparse.Namespace, seed: int) -> None:
    """A render without --seed drew its own: say which on stderr (stdout holds only the paths),
    or a take could never be rendered again."""
    if args.seed is None:
        print(f"seed {seed} (pass --seed {seed} to render the same again)", file=sys.stderr)


def apply_preset(args: argparse.Namespace, kind: str):
    """``preset_options.apply_preset``, a missing caption first asked for by sa's option name:
    the preset code words that error for every caller (``pass source_prompt=...``, the daemon's
    OSC name), here it is ``--source`` or ``--target``. → the Preset, or None."""
    from semanticaudio.engine.cli import preset_options

    message = _missing_caption(args, kind) if args.preset else None
    if message is not None:
        raise ValueError(message)
    return preset_options.apply_preset(args, kind)


def _missing_caption(args: argparse.Namespace, kind: str) -> str | None:
    """What the preset's prompt templates still need, in sa's words; None when nothing is
    missing (or the preset cannot be used at all: apply_preset says why)."""
    from semanticaudio.bridge.presets import PresetError, PresetLibrary

    try:
        preset = PresetLibrary.load().get(args.preset)
    except PresetError:
        return None
    if preset.kind != kind:
        return None
    given = {"source": (args.source or None) if kind == "edit" else None,
             "target": (args.target if kind == "edit" else args.prompt) or None}

    def fills(**prompts: str | None) -> bool:
        values = given | prompts
        try:
            preset.fill_prompts(values["source"], values["target"])
        except PresetError:
            return False
        return True

    if fills():
        return None
    # which caption is missing: the first one that, given, lets the templates fill
    candidates = [["source"], ["target"], ["source", "target"]] if kind == "edit" else [["target"]]
    needed = next((names for names in candidates if all(given[n] is None for n in names)
                   and fills(**dict.fromkeys(names, "caption"))), None)
    return None if needed is None else _caption_message(preset, kind, needed)


def _caption_message(preset, kind: str, needed: list[str]) -> str:
    options = {"source": "--source (a caption of the recording as it is)",
               "target": "--target" if kind == "edit" else "a prompt (the first argument)"}
    templates = ", ".join(f"{which} {template!r}" for which, template in
                          (("source", preset.prompts.source), ("target", preset.prompts.target))
                          if template is not None)
    helps = [f"{name}: {preset.prompts.help[name]}" for name in needed
             if name in preset.prompts.help]
    return (f"preset {preset.name!r} needs " + " and ".join(options[n] for n in needed)
            + f" to fill its prompt templates ({templates})"
            + "".join(f"; {text}" for text in helps))


def check_options(args: argparse.Namespace) -> None:
    """Refuse, before the model loads, numbers and captions the engine would refuse after
    loading it, naming the option (the engine's own message names its argument, e.g.
    ``steps``)."""
    from semanticaudio.engine import limits as engine

    # option → (lowest, highest, whole number?): the engine's own limits
    limits = {
        "variations": (1, engine.MAX_VARIATIONS, True),
        "steps": (1, engine.MAX_STEPS, True),
        "synth_steps": (1, engine.MAX_STEPS, True),
        "n_max": (0, engine.MAX_STEPS, True),
        "n_min": (0, engine.MAX_STEPS, True),
        "n_avg": (1, engine.MAX_N_AVG, True),
        "cfg": (0.0, engine.MAX_GUIDANCE, False),
        "source_cfg": (0.0, engine.MAX_GUIDANCE, False),
        "target_cfg": (0.0, engine.MAX_GUIDANCE, False),
        "duration": (engine.MIN_DURATION_S, engine.MAX_DURATION_S, False),
    }
    for name, (lowest, highest, whole) in limits.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if not (math.isfinite(value) and lowest <= value <= highest):
            flag = "--" + name.replace("_", "-")
            kind = "" if name == "duration" else "a whole number " if whole else "a number "
            unit = " seconds" if name == "duration" else ""
            raise ValueError(
                f"{flag} must be {kind}from {lowest} to {highest}{unit}, got {value:g}"
            )
    check_seed(args)
    _check_captions(args, engine.MAX_PROMPT_CHARS)


def check_seed(args: argparse.Namespace) -> None:
    """--seed as the engine takes it (torch's generator holds a signed 64-bit number)."""
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ValueError(f"--seed must be a whole number from 0 to 2**63 - 1, got {args.seed}")


def _check_captions(args: argparse.Namespace, most_chars: int) -> None:
    """The prompt (generate), --target and --source (edit) as the engine takes them: text of at
    most ``most_chars`` characters, and for all but --source, not blank (a blank --source is the
    null condition)."""
    captions = {"the prompt (the first argument)": getattr(args, "prompt", None),
                "--target": getattr(args, "target", None),
                "--source": getattr(args, "source", None)}
    for name, text in captions.items():
        if text is None:
            continue
        if name != "--source" and not text.strip():
            raise ValueError(f"{name} is empty; say what the sound should be")
        if len(text) > most_chars:
            raise ValueError(
                f"{name} has {len(text)} characters; the model takes at most {most_chars}"
            )


def check_checkpoint_folder(folder: Path, overwrite: bool, option: str) -> None:
    """A checkpoint is written into a new or empty folder; a folder that holds anything (a
    checkpoint, a user's files) only with --overwrite, and never into a file. ``option`` names
    the folder in messages (``DIR``, ``--out``)."""
    for candidate in [folder, *folder.parents]:
        try:
            is_folder = candidate.is_dir()
            exists = is_folder or candidate.exists()
        except OSError:  # a name too long, a link loop: mkdir will say
            return
        if not exists:
            continue  # created when the checkpoint is written
        if not is_folder:
            where = ("is a file" if candidate == folder
                     else f"cannot be created: {candidate} is a file")
            raise ValueError(
                f"{option} {folder} {where}; a checkpoint is a folder: name a new or empty one"
            )
        if candidate == folder and not overwrite and any(folder.iterdir()):
            shown = sorted(entry.name for entry in folder.iterdir())
            listed = ", ".join(shown[:5]) + (", …" if len(shown) > 5 else "")
            raise ValueError(
                f"{option} {folder} is not empty (it holds {listed}); name a new or empty "
                "folder, or pass --overwrite to replace the checkpoint in it as a whole (its other "
                "files are kept)"
            )
        return
