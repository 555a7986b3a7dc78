"""FlowEdit's settings: the checkpoint's defaults merged with a request's, one rule for the
engine, the daemon and the presets."""

import pytest
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.limits import MAX_N_AVG

PAPER = FlowEditConfig()  # 50 steps, n_max 35, n_min 10


def test_fewer_steps_keep_the_share_of_edited_steps():
    short = PAPER.with_overrides(num_steps=10)
    assert (short.num_steps, short.n_max, short.n_min) == (10, 7, 2)
    assert short.n_max > short.n_min  # a short edit still edits
    assert PAPER.with_overrides(num_steps=100).n_max == 70


def test_what_the_request_gives_is_kept_and_none_means_the_default():
    assert PAPER.with_overrides(num_steps=10, n_max=9).n_min == 2
    assert PAPER.with_overrides(num_steps=10, n_min=0).n_max == 7
    assert PAPER.with_overrides(n_max=None, n_avg=None, target_guidance=7.0) == FlowEditConfig(
        target_guidance=7.0)
    assert PAPER.with_overrides(num_steps=1).n_min <= PAPER.with_overrides(num_steps=1).n_max


@pytest.mark.parametrize("overrides", [{"n_max": 5}, {"n_min": 40}, {"num_steps": 10, "n_min": 8},
                                       {"n_avg": 0}, {"n_avg": MAX_N_AVG + 1}])
def test_inconsistent_settings_are_refused(overrides):
    with pytest.raises(ValueError, match=r"n_min|n_avg"):
        PAPER.with_overrides(**overrides)


def test_the_limits_load_without_torch_for_the_client_and_the_presets():
    """sa-client, the protocol and the preset loader check requests against the engine's limits
    (engine/limits.py) without loading torch: `sa presets list` and `sa-client` stay quick."""
    import subprocess
    import sys

    code = ("import sys; import semanticaudio.bridge.client, semanticaudio.bridge.presets.loader, "
            "semanticaudio.bridge.job_settings; print('torch' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == "False"


@pytest.mark.parametrize(("table", "words"), [
    ({"synthesizer_uses_text": "false"}, "'synthesizer_uses_text' must be true or false"),
    ({"semantic_dim": "8"}, "'semantic_dim' must be a whole number, got '8'"),
    ({"head": "mpl"}, "'head' must be one of 'mlp', 'linear', 'none'"),
])
def test_a_setting_of_the_wrong_type_is_refused_not_taken_as_truthy(table, words):
    from semanticaudio.engine.config import ModelConfig, from_dict

    with pytest.raises(ValueError, match=words):
        from_dict(ModelConfig, table)


def test_numbers_written_another_way_keep_their_meaning():
    from semanticaudio.engine.config import from_dict
    from semanticaudio.engine.training.config import ScheduleConfig

    schedule = from_dict(ScheduleConfig, {"total_steps": 1e5, "decay_steps": [2e4, 40_000]})
    assert schedule.total_steps == 100_000 and isinstance(schedule.total_steps, int)
    assert schedule.decay_steps == (20_000, 40_000)
    with pytest.raises(ValueError, match=r"'warmup_steps' must be a whole number, got 2\.5"):
        from_dict(ScheduleConfig, {"warmup_steps": 2.5})
