import pytest
import torch
from semanticaudio.engine.recipes.codec import CodecRecipe, build_codec
from semanticaudio.engine.recipes.frame_encoder import (
    FrameEncoderSize,
    FrontEndBypass,
    build_frame_encoder,
    copy_front_end,
    front_end_features,
)

CODEC = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96)
SIZE = FrameEncoderSize(embed_dim=16, hidden_size=32, num_layers=1, num_heads=2)


@pytest.fixture(scope="module")
def codec():
    return build_codec(CODEC, 16_000, seed=0)


def test_front_end_is_the_codec_encoder(codec):
    encoder = build_frame_encoder(SIZE, codec, seed=1)
    wave = torch.randn(2, 8000) * 0.1
    with torch.no_grad():
        expected = codec.encode(wave).transpose(1, 2)  # (B, latent_dim, T)
    torch.testing.assert_close(front_end_features(encoder, wave), expected)
    assert encoder.frame_rate_hz == codec.frame_rate_hz == 25.0
    assert encoder.encode(wave).shape == (2, 13, 16)


def test_bypass_gives_the_same_frames_and_restores_the_front_end(codec):
    encoder = build_frame_encoder(SIZE, codec, seed=1)
    wave = torch.randn(2, 8000) * 0.1
    with torch.no_grad():
        frames = encoder.encode(wave)
        features = front_end_features(encoder, wave)
        with FrontEndBypass(encoder):
            bypassed = encoder.model.get_audio_embeds(features)
        again = encoder.encode(wave)
    torch.testing.assert_close(bypassed, frames)
    torch.testing.assert_close(again, frames)


def test_a_codec_of_another_shape_is_refused(codec):
    encoder = build_frame_encoder(SIZE, codec, seed=1)
    other = build_codec(CodecRecipe(encoder_dim=4, encoder_rates=(8, 8, 10), encoder_out_dim=32,
                                    latent_dim=8, decoder_dim=96), 16_000, seed=0)
    with pytest.raises(ValueError, match="convolution/snake layers"):
        copy_front_end(encoder, other)
