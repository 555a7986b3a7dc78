"""docs/protocol.md documents every address, argument, option, reply and error code in code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from semanticaudio.bridge import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _table_rows(doc: str, first_cell: str) -> dict[str, str]:
    """Markdown table rows whose first cell is `first_cell`-like, keyed by that cell."""
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(first_cell, cells[0]):
            rows.setdefault(cells[0].strip("`"), cells[1])
    return rows


def test_every_request_row_matches_its_argument_list(doc: str) -> None:
    rows = _table_rows(doc, r"`/sa/\w+`")
    for address, specs in protocol.REQUESTS.items():
        expected = " ".join(f"{a.name}:{a.kind.__name__}" for a in specs)
        assert rows.get(address, "").strip("`") == expected, address


def test_every_reply_is_documented_with_its_arguments(doc: str) -> None:
    replies_part = doc.split("## Replies", 1)[1]
    rows = _table_rows(replies_part, r"`/sa/\w+`")
    for address, args in protocol.REPLIES.items():
        fixed = [a for a in args if a != "..."]
        assert address in rows, address
        for arg in fixed:
            assert arg in rows[address], (address, arg)


def test_every_option_key_is_documented(doc: str) -> None:
    rows = _table_rows(doc, r"`\w+`")
    for spec in protocol.OPTIONS:
        assert f"{spec.key}" in rows, spec.key
        where = "edit" if spec.applies_to == ("edit",) else "both"
        assert f"| {where} |" in next(
            line for line in doc.splitlines() if line.startswith(f"| `{spec.key}` |")
        ), spec.key


def test_every_error_code_is_documented_and_nothing_else(doc: str) -> None:
    codes_part = doc.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    documented = set(_table_rows(codes_part, r"`\w+`"))
    assert documented == {code.value for code in protocol.ErrorCode}
