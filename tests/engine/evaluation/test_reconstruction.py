import math

import pytest
import torch
from semanticaudio.engine.checkpoint import load_checkpoint
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.evaluation.reconstruction import (
    MEL_WINDOWS,
    evaluate_reconstruction,
    mel_loss,
    stft_loss,
)
from semanticaudio.engine.features.reader import FeatureCache

from tests.engine.training.helpers import shared_cache


@pytest.fixture(scope="module")
def tone_cache(tmp_path_factory, tiny_checkpoint_dir):
    return shared_cache(tmp_path_factory, tiny_checkpoint_dir)


def test_losses_vanish_for_identical_audio_and_follow_the_log_scale():
    torch.manual_seed(0)
    audio = torch.randn(8_000)
    assert mel_loss(audio, audio, 16_000) == 0.0 and stft_loss(audio, audio) == 0.0
    # halving the amplitude shifts every log10 mel magnitude by log10(2), at each resolution
    # (white noise keeps every band far above the clamp)
    assert mel_loss(audio, 0.5 * audio, 16_000) == pytest.approx(
        len(MEL_WINDOWS) * math.log10(2), rel=1e-4
    )
    # log10 power differs by log10(4) per window; magnitudes by half the reference's mean
    from semanticaudio.engine.evaluation.reconstruction import STFT_WINDOWS, magnitude

    expected = sum(
        math.log10(4) + 0.5 * float(magnitude(audio, w).mean()) for w in STFT_WINDOWS
    )
    assert stft_loss(0.5 * audio, audio) == pytest.approx(expected, rel=1e-4)


def test_reconstruction_of_a_tiny_model_gives_finite_positive_losses(
    tiny_checkpoint_dir, tone_cache
):
    checkpoint = load_checkpoint(tiny_checkpoint_dir)
    result = evaluate_reconstruction(checkpoint, FeatureCache(tone_cache), max_clips=3,
                                     synth_steps=2, batch_size=2)
    assert result.num_clips == 3 and result.synth_steps == 2
    assert 0 < result.mel_loss < math.inf and 0 < result.stft_loss < math.inf
    again = evaluate_reconstruction(checkpoint, FeatureCache(tone_cache), max_clips=3,
                                    synth_steps=2, batch_size=3)
    assert again.mel_loss == pytest.approx(result.mel_loss, rel=1e-4)  # batching changes nothing


def test_reconstruction_needs_a_two_stage_model(tiny_base_checkpoint_dir, tone_cache):
    with pytest.raises(EngineError, match="Base model"):
        evaluate_reconstruction(load_checkpoint(tiny_base_checkpoint_dir), FeatureCache(tone_cache))


def test_eval_refuses_an_out_file_it_cannot_write_before_evaluating(
    tiny_checkpoint_dir, tone_cache, tmp_path, capsys, monkeypatch
):
    from semanticaudio.engine.cli import main
    from semanticaudio.engine.evaluation import reconstruction

    def must_not_run(*args, **kwargs):
        raise AssertionError("evaluated before checking --out")

    monkeypatch.setattr(reconstruction, "evaluate_reconstruction", must_not_run)
    out = tmp_path / "no-such-folder" / "recon.json"
    code = main(["eval", "reconstruction", "--model", str(tiny_checkpoint_dir), "--data",
                 str(tone_cache), "--out", str(out), "--device", "cpu"])
    assert code == 1
    assert "no-such-folder" in capsys.readouterr().err and not out.exists()


def test_eval_writes_its_result_whole_and_only_its_result(tiny_checkpoint_dir, tone_cache,
                                                          tmp_path, capsys):
    import json

    from semanticaudio.engine.cli import main

    out = tmp_path / "recon.json"
    out.write_text("old\n")
    assert main(["eval", "reconstruction", "--model", str(tiny_checkpoint_dir), "--data",
                 str(tone_cache), "--max-clips", "1", "--synth-steps", "1", "--device", "cpu",
                 "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == json.loads(capsys.readouterr().out)
    assert written["num_clips"] == 1 and written["synth_steps"] == 1 and written["seed"] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["recon.json"]  # no temporary left behind


@pytest.mark.parametrize("max_clips", [0, -2])
def test_reconstruction_refuses_an_empty_selection(tiny_checkpoint_dir, tone_cache, max_clips):
    with pytest.raises(ValueError, match=rf"max_clips must be >= 1 .*, got {max_clips}$"):
        evaluate_reconstruction(load_checkpoint(tiny_checkpoint_dir), FeatureCache(tone_cache),
                                max_clips=max_clips)


def test_a_short_clip_is_decoded_from_its_real_frames_alone():
    # Padding frames reach a short clip's last samples through the decoder's convolutions: the
    # losses must compare what the clip's own frames decode to.
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.evaluation.reconstruction import decode_real_frames

    codec = DacVae.build_tiny(seed=0).eval()
    latents = torch.randn(2, 12, codec.latent_dim, generator=torch.Generator().manual_seed(0))
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 7:] = False  # clip 1 has 7 real frames, then padding
    with torch.no_grad():
        long, short = decode_real_frames(codec, latents, mask)
        alone = codec.decode(latents[1:, :7])[0]
        padded = codec.decode(latents)[1, : 7 * codec.hop_length]
    assert long.shape[0] == 12 * codec.hop_length and torch.equal(short, alone)
    assert not torch.allclose(padded, alone)  # what the batched decode would have compared
