"""docs/presets.md states what the code does: the model's rate, the generation limits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from semanticaudio.engine.pipeline import DEFAULT_MODEL_DIR, Pipeline

DOC = Path(__file__).resolve().parents[2] / "docs" / "presets.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _row(doc: str, key: str) -> str:
    """The table row whose first cell is `key` (in backticks)."""
    (row,) = [line for line in doc.splitlines() if line.startswith(f"| `{key}` |")]
    return row


def _default_model_rate_hz() -> int:
    """The shipped default model's rate: its codec's, read from the checkpoint's config files."""
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    codec_dir = DEFAULT_MODEL_DIR / config["components"]["codec"]["path"]
    codec = json.loads((codec_dir / "config.json").read_text(encoding="utf-8"))
    return int(codec[codec["kind"]]["sample_rate_hz"])


def test_the_output_rate_row_gives_the_default_models_codec_rate(doc: str) -> None:
    row = _row(doc, "sample_rate_hz")
    stated = [int(kilo) * 1000 for kilo in re.findall(r"(\d+) kHz", row)]
    assert stated == [_default_model_rate_hz()]
    assert "codec" in row


def test_the_generation_ranges_are_the_pipelines(doc: str) -> None:
    duration = f"| {Pipeline.min_duration_s:g}–{Pipeline.max_duration_s:g} |"
    assert duration in _row(doc, "duration_s")
    assert f"| 1–{Pipeline.max_variations} |" in _row(doc, "variations")
