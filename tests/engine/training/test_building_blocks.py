import pytest
import torch
from semanticaudio.engine.training.config import ScheduleConfig, load_train_config
from semanticaudio.engine.training.data_order import DataOrder, StepBatchSampler
from semanticaudio.engine.training.ema import ExponentialMovingAverage
from semanticaudio.engine.training.schedule import learning_rate_factor
from semanticaudio.engine.training.state import (
    flatten_optimizer_state,
    unflatten_optimizer_state,
)


def test_paper_config_is_the_paper_recipe():
    config = load_train_config("paper")
    assert (config.model.backbone.depth, config.model.backbone.width) == (28, 1152)
    assert config.schedule.total_steps == 500_000
    assert config.schedule.warmup_steps == 1_000
    assert config.schedule.decay_steps == (200_000, 400_000)
    assert config.schedule.decay_factor == 0.5
    assert config.batch.batch_size == 256
    assert config.training.cfg_dropout == 0.1


def test_schedule_warms_up_linearly_then_halves_at_each_decay_step():
    schedule = ScheduleConfig(total_steps=500_000)
    assert learning_rate_factor(0, schedule) == pytest.approx(1 / 1000)
    assert learning_rate_factor(499, schedule) == pytest.approx(0.5)
    assert learning_rate_factor(999, schedule) == 1.0
    assert learning_rate_factor(199_999, schedule) == 1.0
    assert learning_rate_factor(200_000, schedule) == 0.5
    assert learning_rate_factor(400_000, schedule) == 0.25


def test_bad_settings_are_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[optimizer]\nlearning_rat = 1e-4\n")
    with pytest.raises(ValueError, match="learning_rat"):
        load_train_config(path)
    path.write_text('[model]\nbackbone = "huge"\n')
    with pytest.raises(ValueError, match="backbone 'huge'"):
        load_train_config(path)
    with pytest.raises(FileNotFoundError, match="shipped config"):
        load_train_config("no-such-config")


def test_processes_share_each_epoch_without_overlap_and_the_order_is_reproducible():
    orders = [DataOrder(10, 2, rank, 2, seed=3) for rank in range(2)]
    assert orders[0].steps_per_epoch == 2  # 5 clips per process, batches of 2, rest dropped
    epoch = [orders[r].epoch_share(0) for r in range(2)]
    assert sorted(epoch[0] + epoch[1]) == list(range(10))
    assert orders[0].batch_indices(2) == orders[0].epoch_share(1)[:2]
    assert orders[0].epoch_share(1) != orders[0].epoch_share(0)
    sampled = list(StepBatchSampler(orders[1], 1, 5))
    assert sampled == [orders[1].batch_indices(step) for step in range(1, 5)]
    with pytest.raises(ValueError, match="fewer than one batch"):
        DataOrder(3, 4, 0, 2)


def test_optimizer_state_survives_flattening_to_tensors_and_json():
    import json

    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.8, 0.99))
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    tensors, document = flatten_optimizer_state(optimizer.state_dict())
    restored = unflatten_optimizer_state(tensors, json.loads(json.dumps(document)))
    fresh = torch.optim.AdamW(model.parameters(), lr=1.0)
    fresh.load_state_dict(restored)
    for key, value in optimizer.state_dict()["state"][0].items():
        assert torch.equal(fresh.state_dict()["state"][0][key], value)
    assert fresh.param_groups[0]["betas"] == (0.8, 0.99)


def test_ema_moves_toward_the_parameters():
    parameter = torch.nn.Parameter(torch.zeros(3))
    ema = ExponentialMovingAverage({"w": parameter}, decay=0.9)
    with torch.no_grad():
        parameter.fill_(1.0)
    ema.update()
    ema.update()
    torch.testing.assert_close(ema.state_dict()["w"], torch.full((3,), 1 - 0.9**2))
