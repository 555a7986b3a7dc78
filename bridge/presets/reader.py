"""Typed, range-checked reads from a parsed TOML table that collect problems instead of raising."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from semanticaudio.bridge.presets.plugins import suggest
from semanticaudio.bridge.presets.schema import Problem


class Reader:
    """Reads keys of one preset file; every problem is kept, so all are reported at once."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, suggestion: str | None = None) -> None:
        """Record one problem at a dotted key."""
        self.problems.append(Problem(self.file, key, message, suggestion))

    def unknown_keys(self, table: dict[str, Any], allowed: Collection[str], prefix: str) -> None:
        """A problem for every key not in `allowed`, with the closest allowed key."""
        for key in table:
            if key not in allowed:
                listing = ", ".join(sorted(allowed))
                self.add(
                    _join(prefix, key),
                    f"unknown key; accepted: {listing}",
                    suggest(key, sorted(allowed)),
                )

    def table(self, parent: dict[str, Any], key: str, prefix: str) -> dict[str, Any] | None:
        """A sub-table, or None when absent; a non-table value is a problem."""
        value = parent.get(key)
        if value is None or isinstance(value, dict):
            return value
        self.add(_join(prefix, key), f"expected a table [{_join(prefix, key)}], got {_show(value)}")
        return None

    def text(self, table: dict[str, Any], key: str, prefix: str, required: bool) -> str | None:
        """A non-empty string; None when absent (a problem too when required) or wrong."""
        if key not in table:
            if required:
                self.add(_join(prefix, key), f'missing; add {key} = "..."')
            return None
        value = table[key]
        if isinstance(value, str) and value.strip():
            return value
        self.add(_join(prefix, key), f"expected a non-empty string, got {_show(value)}")
        return None

    def integer(
        self, table: dict[str, Any], key: str, prefix: str, default: int, low: int, high: int
    ) -> int:
        """A whole number in [low, high] (or the default when absent or wrong)."""
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(_join(prefix, key), f"expected a whole number, got {_show(value)}")
            return default
        return self._in_range(value, key in table, _join(prefix, key), default, (low, high))

    def number(
        self, table: dict[str, Any], key: str, prefix: str, default: float, low: float, high: float
    ) -> float:
        """A number (integer or float) in [low, high] (or the default when absent or wrong)."""
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(_join(prefix, key), f"expected a number, got {_show(value)}")
            return default
        return float(self._in_range(value, key in table, _join(prefix, key), default, (low, high)))

    def boolean(self, table: dict[str, Any], key: str, prefix: str, default: bool) -> bool:
        """true or false (or the default when absent or wrong)."""
        value = table.get(key, default)
        if isinstance(value, bool):
            return value
        self.add(_join(prefix, key), f"expected true or false, got {_show(value)}")
        return default

    def choice(self, table: dict[str, Any], key: str, prefix: str, choices: tuple[Any, ...]) -> Any:
        """One of `choices`, required; None (and a problem) when missing or not accepted."""
        accepted = ", ".join(repr(c) for c in choices)
        if key not in table:
            self.add(_join(prefix, key), f"missing; add {key} = <one of {accepted}>")
            return None
        value = table[key]
        if value in choices and type(value) is type(choices[0]):
            return value
        hint = suggest(value, [str(c) for c in choices]) if isinstance(value, str) else None
        self.add(_join(prefix, key), f"expected one of {accepted}, got {_show(value)}", hint)
        return None

    def _in_range(
        self, value: Any, given: bool, where: str, default: Any, bounds: tuple[float, float]
    ) -> Any:
        low, high = bounds
        if low <= value <= high:
            return value
        which = "" if given else " (the default; set the key explicitly)"
        self.add(where, f"{value!r}{which} is out of range; accepted: {low:g} to {high:g}")
        return default


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _show(value: Any) -> str:
    """A value and its TOML type for messages."""
    names = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        dict: "table",
        list: "array",
    }
    return f"{names.get(type(value), type(value).__name__)} {value!r}"
