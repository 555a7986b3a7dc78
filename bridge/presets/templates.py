"""Prompt templates: `str.format` strings whose placeholders are plain names.

`{source}` and `{target}` are the caller's prompts; any other name is a field that comes from the
call or from the preset's `[prompts.defaults]`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

CALLER_FIELDS = ("source", "target")


def placeholders(template: str) -> list[str]:
    """The field names a template uses, in order; ValueError says what is malformed."""
    names: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} must be a plain name such as {{source}}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not carry a format spec or conversion")
        names.append(name)
    return names


def clean(text: str) -> str:
    """A caller's prompt made ready for splicing: spaces collapsed, one trailing period dropped."""
    text = " ".join(text.split())
    return text[:-1].rstrip() if text.endswith(".") else text


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced; KeyError names the first missing field."""
    return " ".join(template.format_map(dict(values)).split())
