from dataclasses import replace

import pytest
import torch
from semanticaudio.engine.components.dacvae import DacVae
from semanticaudio.engine.components.sine_bank import SineBankConfig
from semanticaudio.engine.recipes.codec import CodecRecipe
from semanticaudio.engine.recipes.loop import OptimizerSettings
from semanticaudio.engine.recipes.resume import PROGRESS_FILE
from semanticaudio.engine.recipes.sine_bank import (
    SineBankRecipe,
    add_sine_bank,
    frozen_parts,
    train_sine_bank,
)

from tests.engine.recipes.helpers import SimulatedInterruptError, StoppingBank

CODEC = CodecRecipe(encoder_dim=4, encoder_out_dim=32, latent_dim=8, decoder_dim=96,
                    reconstruction="multiscale-mel")
RECIPE = SineBankRecipe(
    bank=SineBankConfig(oscillators=16, hidden=8), fit_crop_s=0.16, tune_crop_s=0.16,
    fit=OptimizerSettings(steps=4, batch_size=2, learning_rate=1e-3, warmup_steps=1,
                          checkpoint_every=2),
    tune=OptimizerSettings(steps=3, batch_size=2, learning_rate=1e-4, warmup_steps=1,
                           checkpoint_every=2))


def _voiced(seed: int = 0) -> DacVae:
    return add_sine_bank(DacVae.build_tiny(seed=0), RECIPE.bank, seed)


def _copy(codec: DacVae) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in codec.state_dict().items()}


def test_adding_a_bank_keeps_every_weight_and_a_second_one_is_refused():
    plain = DacVae.build_tiny(seed=0)
    voiced = add_sine_bank(plain, RECIPE.bank, seed=3)
    for name, value in plain.state_dict().items():
        torch.testing.assert_close(voiced.state_dict()[name], value, rtol=0, atol=0)
    assert voiced.config.sine_bank == RECIPE.bank
    again = add_sine_bank(plain, RECIPE.bank, seed=3)
    for a, b in zip(again.sine_bank.parameters(), voiced.sine_bank.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # the bank starts from the seed
    with pytest.raises(ValueError, match="already has a sine bank"):
        add_sine_bank(voiced, RECIPE.bank, seed=3)


def test_training_changes_the_bank_and_the_decoder_and_never_the_encoder(tiny_bank):
    codec = _voiced()
    before = _copy(codec)
    logs = train_sine_bank(codec, tiny_bank, RECIPE, CODEC, seed=0, progress=False)
    after = codec.state_dict()
    frozen = [name for name, _ in codec.named_parameters()
              if name.startswith(("encoder.", "quantizer.in_proj."))]
    assert len(frozen) == len(frozen_parts(codec)) > 0
    for name in frozen:
        torch.testing.assert_close(after[name], before[name], rtol=0, atol=0, msg=name)
    assert not torch.equal(before["sine_bank.net.2.weight"], after["sine_bank.net.2.weight"])
    assert not torch.equal(before["decoder.model.0.weight_v"], after["decoder.model.0.weight_v"])
    assert logs["fit"]["steps"] == 4 and logs["tune"]["steps"] == 3
    assert {"mel", "waveform", "spectrum"} <= set(logs["tune"]["last_terms"])


def test_the_fit_phase_learns_each_frames_spectrum(tiny_bank):
    fit = replace(RECIPE.fit, steps=60, warmup_steps=5, learning_rate=1e-2)
    logs = train_sine_bank(_voiced(), tiny_bank, replace(RECIPE, fit=fit), CODEC, seed=0,
                           progress=False)
    assert logs["fit"]["last_loss"] < 0.8 * logs["fit"]["first_loss"]  # measured: 3.30 → 2.31


@pytest.mark.parametrize("stop_at", [3, 6])  # in the fit phase; in the tuning phase
def test_an_interrupted_run_resumes_exactly(tiny_bank, tmp_path, stop_at):
    straight = _voiced()
    straight_logs = train_sine_bank(straight, tiny_bank, RECIPE, CODEC, seed=0, progress=False,
                                    checkpoint_dir=tmp_path / "straight")
    with pytest.raises(SimulatedInterruptError):
        train_sine_bank(_voiced(), StoppingBank(tiny_bank, stop_at), RECIPE, CODEC, seed=0,
                        progress=False, checkpoint_dir=tmp_path / "resumed")
    phase = "fit" if stop_at < RECIPE.fit.steps else "tune"
    assert (tmp_path / "resumed" / phase / PROGRESS_FILE).is_file()
    resumed = _voiced()
    resumed_logs = train_sine_bank(resumed, tiny_bank, RECIPE, CODEC, seed=0, progress=False,
                                   checkpoint_dir=tmp_path / "resumed")
    for (name, a), b in zip(resumed.state_dict().items(), straight.state_dict().values(),
                            strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert resumed_logs["tune"]["last_loss"] == pytest.approx(
        straight_logs["tune"]["last_loss"])
    if phase == "tune":
        assert resumed_logs["fit"] is None  # the tuning state held the fitted bank


def test_a_codec_without_a_bank_is_refused(tiny_bank):
    with pytest.raises(ValueError, match="has no sine bank"):
        train_sine_bank(DacVae.build_tiny(), tiny_bank, RECIPE, CODEC, seed=0, progress=False)


@pytest.mark.parametrize(("settings", "message"), [
    ({"fit_crop_s": 0.0}, "crop lengths must be > 0"),
    ({"target_weight": -1.0}, "target_weight must be >= 0"),
    ({"amplitude_floor": 0.0}, "amplitude_floor"),
])
def test_bad_recipes_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        SineBankRecipe(**settings)
