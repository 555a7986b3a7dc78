"""`sa presets list|show|check`: look at and check presets from the command line.

The `sa` CLI wires this in with `add_presets_parser(subparsers)` or, in its COMMANDS table, with
`register(parser)`; `main(argv)` runs it alone:
`python -m semanticaudio.bridge.presets_cli list`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from semanticaudio.bridge.presets import (
    PresetError,
    PresetLibrary,
    Problem,
    default_user_dir,
    load_preset,
    validate_file,
)
from semanticaudio.bridge.presets.loader import rate_notes
from semanticaudio.bridge.presets.render import to_toml


def add_presets_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `presets` with its list/show/check actions to an existing subparsers object."""
    parser = subparsers.add_parser(
        "presets", help="list, show and check presets", description=__doc__.splitlines()[0]
    )
    register(parser)
    return parser


def register(parser: argparse.ArgumentParser) -> None:
    """Fill an existing `presets` parser (the `sa` COMMANDS convention: args.run(args))."""
    _add_actions(parser)
    parser.set_defaults(func=run_presets, run=run_presets)


def _add_actions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user-dir",
        type=Path,
        default=None,
        help=f"user preset folder (default: {default_user_dir()})",
    )
    actions = parser.add_subparsers(dest="presets_action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every preset: name, kind, description")
    show = actions.add_parser("show", help="one preset with every setting spelt out, as TOML")
    show.add_argument("name")
    check = actions.add_parser("check", help="validate preset files; exit 1 on any problem")
    check.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a .toml file or a folder of them (searched recursively)",
    )


def run_presets(args: argparse.Namespace) -> int:
    """Run the chosen action; 0 on success, 1 when a preset is unknown or invalid."""
    if args.presets_action == "check":
        return _check(args.paths)
    library = PresetLibrary.load(args.user_dir)
    if args.presets_action == "list":
        return _list(library)
    return _show(library, args.name)


def _list(library: PresetLibrary) -> int:
    rows = library.summaries()
    width = max((len(name) for name, _, _ in rows), default=4)
    for name, kind, description in rows:
        mark = "*" if name in library.overridden else " "
        print(f"{name:<{width}} {mark} {kind:<8} {description}")
    if library.overridden:
        print("\n* user preset replacing the built-in of the same name")
    _warn(library.problems)
    return 0


def _show(library: PresetLibrary, name: str) -> int:
    try:
        preset = library.get(name)
    except PresetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"# {preset.source}")
    if name in library.overridden:
        print(f"# (replaces the built-in {library.overridden[name]})")
    print(to_toml(preset), end="")
    return 0


def _check(paths: list[Path]) -> int:
    files = _expand(paths)
    problems: list[Problem] = []
    for path in files:
        found = validate_file(path)
        problems.extend(found)
        if not found:  # a valid file: say where its chain depends on the sample rate
            for note in rate_notes(load_preset(path)):
                print(note)
    missing = [path for path in paths if not path.exists()]
    for path in missing:
        print(f"{path}: no such file or folder", file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)
    bad = len({problem.file for problem in problems})
    print(
        f"checked {len(files)} file(s): {len(files) - bad} valid, {bad} with "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems or missing or not files else 0


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their *.toml files, recursively, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.toml")))
        elif path.exists():
            files.append(path)
    return files


def _warn(problems: tuple[Problem, ...]) -> None:
    if problems:
        print(
            f"\n{len(problems)} problem(s) in preset files (those presets are left out):",
            file=sys.stderr,
        )
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry: the same actions as `sa presets`."""
    parser = argparse.ArgumentParser(prog="sa presets", description=__doc__.splitlines()[0])
    _add_actions(parser)
    return run_presets(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
