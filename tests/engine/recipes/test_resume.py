import pytest
import torch
from semanticaudio.engine.recipes.loop import OptimizerSettings, fit
from semanticaudio.engine.recipes.resume import PROGRESS_FILE, ProgressCheckpoint

SETTINGS = OptimizerSettings(steps=8, batch_size=4, learning_rate=0.05, warmup_steps=2,
                             checkpoint_every=3)


class SimulatedInterruptError(Exception):
    pass


def _run(folder, stop_at=None):
    """Fit a linear map to random batches drawn from a generator; stop with an error at
    ``stop_at`` as an interruption would."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    generator = torch.Generator().manual_seed(1)
    target = torch.tensor([[1.0, -2.0, 0.5]])

    def loss_fn(step):
        if step == stop_at:
            raise SimulatedInterruptError
        x = torch.randn(SETTINGS.batch_size, 3, generator=generator)
        return {"loss": (model(x) - x @ target.T).pow(2).mean()}

    checkpoint = ProgressCheckpoint(folder, SETTINGS.checkpoint_every, {"model": model},
                                    generator)
    return model, fit(model.parameters(), loss_fn, SETTINGS, "t", False, checkpoint)


def test_an_interrupted_run_resumes_exactly(tmp_path):
    straight, straight_log = _run(tmp_path / "straight")
    with pytest.raises(SimulatedInterruptError):
        _run(tmp_path / "resumed", stop_at=5)
    assert (tmp_path / "resumed" / PROGRESS_FILE).is_file()  # saved after step 3
    resumed, resumed_log = _run(tmp_path / "resumed")
    torch.testing.assert_close(resumed.weight, straight.weight, rtol=0, atol=0)
    assert resumed_log.losses == pytest.approx(straight_log.losses)
    assert len(resumed_log.losses) == SETTINGS.steps


def test_checkpoint_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="every >= 1"):
        ProgressCheckpoint(tmp_path, 0, {}, torch.Generator())
