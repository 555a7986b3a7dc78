import pytest
import torch
from semanticaudio.engine.corpus import CLASS_NAMES, ClipSpec, EventAttributes, EventSpec
from semanticaudio.engine.recipes.codec import CodecRecipe, build_codec
from semanticaudio.engine.recipes.frame_encoder import (
    FrameEncoderSize,
    build_frame_encoder,
    front_end_features,
)
from semanticaudio.engine.recipes.loop import OptimizerSettings
from semanticaudio.engine.recipes.semantic import (
    AlignedEncoders,
    SemanticRecipe,
    class_phrases,
    evaluate_semantic,
    phrase_targets,
    train_semantic,
)
from semanticaudio.engine.recipes.text import TextRecipe, build_clap, build_t5

RECIPE = SemanticRecipe(
    size=FrameEncoderSize(embed_dim=16, hidden_size=32, num_layers=1, num_heads=2),
    text=TextRecipe(t5_width=32, t5_layers=1, t5_heads=2, clap_width=32, clap_layers=1,
                    clap_heads=2, global_dim=16),
    optimizer=OptimizerSettings(steps=30, batch_size=8, learning_rate=3e-3, warmup_steps=2),
)


def test_phrase_targets_follow_the_timeline():
    loud_bell = EventSpec("bell", 0.0, 0.2, EventAttributes(loudness="loud"))
    rain = EventSpec("rain", 0.1, 0.3)
    phrases, targets = phrase_targets([ClipSpec((loud_bell, rain), 0.4)], 10, 25.0)
    assert phrases[: len(CLASS_NAMES)] == list(class_phrases())
    bell, rain_column = CLASS_NAMES.index("bell"), CLASS_NAMES.index("rain")
    loud = phrases.index("a bell rings loudly")
    assert targets[0, :5, bell].tolist() == [1.0] * 5 and targets[0, 5:, bell].sum() == 0
    assert targets[0, :5, loud].sum() == 5 and targets[0, 5:, loud].sum() == 0
    assert targets[0, :2, rain_column].sum() == 0 and targets[0, 2:10, rain_column].sum() == 8
    assert len(phrases) == len(CLASS_NAMES) + 1  # the neutral rain is its class phrase


def test_widths_of_frames_and_text_must_agree():
    with pytest.raises(ValueError, match="same width"):
        SemanticRecipe(size=FrameEncoderSize(embed_dim=16), text=TextRecipe(global_dim=32))


def test_joint_training_lowers_the_loss_and_keeps_the_front_end(tiny_bank):
    codec = build_codec(CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8,
                                    decoder_dim=96), 16_000, seed=0)
    encoders = AlignedEncoders(build_frame_encoder(RECIPE.size, codec, 1),
                               build_clap(RECIPE.text, 2), build_t5(RECIPE.text, 3))
    waves = tiny_bank.waveforms(torch.arange(len(tiny_bank)))
    features = front_end_features(encoders.frames, waves)
    front_end = encoders.frames.model.audio_encoder.embedder.dac_encoder.conv1.weight.clone()
    log = train_semantic(encoders, features, tiny_bank, RECIPE, seed=0, progress=False)
    assert log.window_mean(first=False) < 0.9 * log.window_mean(first=True)
    assert set(log.terms) == {"frame", "clip", "token", "loss"}
    assert torch.equal(encoders.frames.model.audio_encoder.embedder.dac_encoder.conv1.weight,
                       front_end)
    standardized = front_end_features(encoders.frames, waves)
    torch.testing.assert_close(standardized.mean(dim=(0, 2)), torch.zeros(8), atol=1e-4,
                               rtol=0)
    report = evaluate_semantic(encoders, front_end_features(encoders.frames, waves), tiny_bank)
    assert 0.0 <= report.frame_f1 <= 1.0 and report.num_clips == len(tiny_bank)
