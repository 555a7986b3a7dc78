"""The tiny component set: one per role, equal frame rates, seeded, and registry round trips."""

import pytest
import torch
from semanticaudio.engine.components.registry import ROLES, kind_of, load_component, save_component
from semanticaudio.engine.components.tiny import (
    TINY_SAMPLE_RATE_HZ,
    build_tiny_components,
    check_frame_rates,
)

PROMPTS = ["a dog barking, then rain", "ZZZ unknown words"]


@pytest.fixture(scope="module")
def components():
    return build_tiny_components(seed=0)


def _outputs(components, waveform):
    with torch.no_grad():
        tokens, mask = components["text_tokens"].encode(PROMPTS)
        return {
            "codec": components["codec"].decode(components["codec"].encode(waveform)),
            "semantic_encoder": components["semantic_encoder"].encode(waveform),
            "text_global": components["text_global"].encode(PROMPTS),
            "text_tokens": tokens * mask.unsqueeze(-1),
        }


def test_one_component_per_role_with_aligned_frames(components):
    assert set(components) == set(ROLES)
    codec, semantic = components["codec"], components["semantic_encoder"]
    assert codec.sample_rate_hz == semantic.sample_rate_hz == TINY_SAMPLE_RATE_HZ
    assert codec.frame_rate_hz == semantic.frame_rate_hz == 25.0
    waveform = 0.1 * torch.randn(2, 2 * TINY_SAMPLE_RATE_HZ + 50)
    with torch.no_grad():
        latent = codec.encode(waveform)
        frames = semantic.encode(waveform)
    assert latent.shape[:2] == frames.shape[:2] == (2, 51)


def test_same_seed_same_weights_other_seed_other_weights(components):
    again = build_tiny_components(seed=0)
    other = build_tiny_components(seed=1)
    for role in ROLES:
        ours, same, different = (c[role].state_dict() for c in (components, again, other))
        assert all(torch.equal(ours[name], same[name]) for name in ours)
        assert not all(torch.equal(ours[name], different[name]) for name in ours)


def test_every_role_saves_and_loads_through_the_registry(components, tmp_path):
    waveform = 0.1 * torch.randn(2, 7_000)
    expected = _outputs(components, waveform)
    specs = {role: save_component(components[role], role, tmp_path) for role in ROLES}
    loaded = {role: load_component(role, specs[role], tmp_path) for role in ROLES}
    assert {role: spec["kind"] for role, spec in specs.items()} == {
        "codec": "dacvae", "semantic_encoder": "pe-a-frame", "text_global": "clap",
        "text_tokens": "t5",
    }
    assert {role: kind_of(loaded[role]) for role in ROLES} == {
        role: spec["kind"] for role, spec in specs.items()
    }
    actual = _outputs(loaded, waveform)
    for role in ROLES:
        torch.testing.assert_close(actual[role], expected[role], rtol=0, atol=0)


def test_mismatched_frame_rates_are_refused(components):
    from semanticaudio.engine.components.pe_frame import PeAudioFrameEncoder

    faster = PeAudioFrameEncoder.build_tiny(downsampling_ratios=(2, 4, 8, 5))
    with pytest.raises(ValueError, match=r"25.0 Hz differs .* 50.0 Hz"):
        check_frame_rates(components["codec"], faster)
