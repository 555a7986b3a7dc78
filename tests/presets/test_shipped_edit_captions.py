"""The shipped edit templates write targets as the training captions say them: the default target
of a modifier template turns a caption into the caption of the edited sound, a single-element
edit as in the paper's benchmark (appendix B), here checked against the captions the shipped
corpus trains on (AudioCaps style: lower case, the modifier after the verb, no comma)."""

from __future__ import annotations

import pytest
from semanticaudio.bridge.presets import builtin_dir, load_preset
from semanticaudio.engine.corpus.captions import caption_for
from semanticaudio.engine.corpus.classes import CLASS_NAMES
from semanticaudio.engine.corpus.spec import EventAttributes, EventSpec


def _caption(label: str, **attributes: str) -> str:
    """The corpus's canonical caption of one event with these attributes."""
    return caption_for([EventSpec(label, 0.0, 1.0, EventAttributes(**attributes))])


@pytest.mark.parametrize(
    ("preset_name", "attribute", "level"),
    [("spatial-change", "distance", "far"), ("intensity-change", "loudness", "loud")],
)
@pytest.mark.parametrize("label", CLASS_NAMES[:3])
def test_default_target_is_the_training_caption_of_the_edited_sound(
    preset_name: str, attribute: str, level: str, label: str
) -> None:
    preset = load_preset(builtin_dir() / "edit" / f"{preset_name}.toml")
    _, target = preset.fill_prompts(_caption(label), "")
    assert target == _caption(label, **{attribute: level})
