import pytest
import torch
from semanticaudio.engine.errors import Cancelled
from semanticaudio.engine.sampling import StepReporter, euler_sample, guided_velocity, time_grid

from tests.engine.closed_form import PointMassField, text_for

C, T = 3, 7


def _sample(field, text, guidance, steps=10, reporter=None):
    noise = torch.randn(text.batch_size, T, C, generator=torch.Generator().manual_seed(0))
    reporter = reporter or StepReporter(steps)
    return euler_sample(
        lambda x, t: guided_velocity(field, x, t, text, guidance), noise, steps, reporter, "plan"
    )


def test_sampler_lands_on_the_conditional_target():
    mu = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    x = _sample(PointMassField(torch.zeros(C)), text_for(mu), guidance=1.0)
    torch.testing.assert_close(x, mu[:, None].expand(-1, T, -1), atol=1e-5, rtol=0)


def test_guidance_extrapolates_from_the_null_target_by_the_scale():
    mu, null = torch.tensor([[1.0, 1.0, 1.0]]), torch.tensor([0.5, -0.5, 0.0])
    x = _sample(PointMassField(null), text_for(mu), guidance=4.5)
    expected = null + 4.5 * (mu - null)
    torch.testing.assert_close(x, expected[:, None].expand(-1, T, -1), atol=1e-4, rtol=0)


def test_guidance_one_is_exactly_the_conditional_velocity_in_one_pass():
    field = PointMassField(torch.full((C,), 7.0))
    mu = torch.randn(2, C)
    x = torch.randn(2, T, C)
    guided = guided_velocity(field, x, 0.3, text_for(mu), 1.0)
    conditional = field(x, torch.full((2,), 0.3), text_for(mu))
    assert torch.equal(guided, conditional)
    assert field.calls == 2  # one for guided, one for the reference: no unconditional pass


def test_guided_passes_are_batched_into_one_forward():
    field = PointMassField(torch.zeros(C))
    guided_velocity(field, torch.randn(2, T, C), 0.5, text_for(torch.randn(2, C)), 3.0)
    assert field.calls == 1


def test_progress_is_reported_per_step_and_cancel_stops_within_one_step():
    seen = []
    reporter = StepReporter(
        10, progress=lambda f, s: seen.append((f, s)), should_cancel=lambda: len(seen) >= 3
    )
    with pytest.raises(Cancelled):
        _sample(PointMassField(torch.zeros(C)), text_for(torch.zeros(1, C)), 1.0, 10, reporter)
    assert seen == [(0.1, "plan"), (0.2, "plan"), (0.3, "plan")]


def test_time_grid_runs_from_noise_to_data():
    grid = time_grid(4)
    assert grid == [1.0, 0.75, 0.5, 0.25, 0.0]
    with pytest.raises(ValueError, match="at least 1"):
        time_grid(0)
