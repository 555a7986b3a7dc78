"""The published components, when their weights are on disk (skipped by default).

Set SA_WEIGHTS_DIR to a folder holding any of: dacvae-watermarked/ (model.safetensors converted
from the published weights.pth), pe-a-frame-large/, flan-t5-large/, clap-htsat-unfused/ (each a
copy of the hub repository). Missing folders skip their own test only.
"""

import os
from pathlib import Path

import pytest
import torch
from semanticaudio.engine.components.registry import component_class

pytestmark = pytest.mark.weights

EXPECTED = {
    # kind: (folder, attributes the paper states)
    "dacvae": ("dacvae-watermarked", {"sample_rate_hz": 48_000, "hop_length": 1920,
                                      "latent_dim": 128, "frame_rate_hz": 25.0}),
    "pe-a-frame": ("pe-a-frame-large", {"sample_rate_hz": 48_000, "frame_rate_hz": 25.0,
                                        "embed_dim": 1024}),
    "t5": ("flan-t5-large", {"embed_dim": 1024}),
    "clap": ("clap-htsat-unfused", {}),
}


def _folder(name: str) -> Path:
    root = os.environ.get("SA_WEIGHTS_DIR")
    if not root:
        pytest.skip("SA_WEIGHTS_DIR is not set: no real weights to load")
    folder = Path(root) / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_published_component_loads_with_the_papers_sizes(kind):
    name, attributes = EXPECTED[kind]
    component = component_class(kind).from_pretrained(str(_folder(name)))
    for attribute, value in attributes.items():
        assert getattr(component, attribute) == value, attribute


def test_published_codec_reconstructs_a_tone():
    from semanticaudio.engine.components.dacvae import DacVae

    codec = DacVae.from_pretrained(str(_folder("dacvae-watermarked")))
    time_s = torch.arange(48_000) / 48_000
    tone = 0.3 * torch.sin(2 * torch.pi * 440.0 * time_s).unsqueeze(0)
    with torch.no_grad():
        decoded = codec.decode(codec.encode(tone))
    error = (decoded - tone).pow(2).mean() / tone.pow(2).mean()
    assert error < 0.1, f"relative reconstruction error {error:.3f}"
